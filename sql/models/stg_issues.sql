-- stg_issues: one row per stored sheet row, cleaned and typed (contract §7).
--
-- clean_rows holds each row cleaned on its own (models.md §3); what needs the
-- other rows of the source is derived here:
--
--   duplicate  1 when a later row of the same source (higher row number)
--              carries the same issue number: that row wins, even when it has
--              an error of its own, and this one gets the error
--              duplicate_issue_number (never stored, always derived).
--   problems   JSON array of the codes of every problem of the row, errors and
--              warnings, in the order the cleaner found them, then
--              "duplicate_issue_number" when it applies.
--   excluded   1 when the row has a row-level error of its own.
--   is_valid   1 when the row is neither excluded nor a losing duplicate: it
--              is the current version of its issue (fct_issues).
--
-- resolved_effective is filled for a valid row only: it lives on the issue
-- (the observed-resolution fallback needs the issue's history).
CREATE VIEW stg_issues AS
SELECT
    c.source_id,
    s.name                      AS source,
    c.row,
    c.issue_number,
    c.vehicle,
    c.vehicle_key,
    c.summary,
    c.description,
    c.priority,
    c.status,
    c.reported_at,
    c.reported_by,
    c.assigned_to,
    c.due_date,
    c.resolved_at,
    i.resolved_effective,
    c.odometer,
    c.labels,
    c.extra,
    CASE WHEN c.duplicate
         THEN json_insert(c.codes, '$[#]', 'duplicate_issue_number')
         ELSE c.codes
    END                         AS problems,
    c.duplicate,
    c.excluded,
    (NOT c.excluded AND NOT c.duplicate) AS is_valid
FROM (
    SELECT
        r.*,
        (r.issue_number IS NOT NULL AND EXISTS (
            SELECT 1 FROM clean_rows AS later
            WHERE later.source_id = r.source_id
              AND later.issue_number = r.issue_number
              AND later.row > r.row)) AS duplicate,
        (SELECT json_group_array(p.code)
         FROM (SELECT code FROM row_problems AS rp
               WHERE rp.source_id = r.source_id AND rp.row = r.row
               ORDER BY rp.rowid) AS p)  AS codes
    FROM clean_rows AS r
) AS c
JOIN sources AS s ON s.id = c.source_id
LEFT JOIN issues AS i
       ON i.source_id = c.source_id
      AND i.issue_number = c.issue_number
      AND i.state = 'current'
      AND i.row = c.row;

-- fct_issues: one row per current, valid issue (contract §7).
--
-- An issue is 'current' when the winning row of its number is in the sheet and
-- has no error (models.md §3), so this is the set every model counts. Field
-- names are those of the API (contract §5 "Issue objects"); dates are local
-- wall-clock text 'YYYY-MM-DD HH:MM:SS'. resolved_effective is the moment of
-- resolution the weekly model uses (valid resolved_at, else the observed
-- fallback, else NULL = open).
CREATE VIEW fct_issues AS
SELECT
    i.source_id,
    s.name                    AS source,
    i.issue_number,
    i.row,
    i.vehicle,
    coalesce(i.vehicle_key, 'UNKNOWN') AS vehicle_key,
    i.summary,
    i.description,
    coalesce(i.priority, 'none')       AS priority,
    i.status,
    i.reported_at,
    i.reported_by,
    i.assigned_to,
    i.due_date,
    i.resolved_at,
    i.resolved_effective,
    i.odometer,
    coalesce(i.labels, '[]')           AS labels,
    coalesce(i.extra, '{}')            AS extra,
    -- The group value of group_by=assignee (models.md §3): the lowercased
    -- name, 'unassigned' when there is none.
    CASE WHEN i.assigned_to IS NULL OR trim(i.assigned_to) = '' THEN 'unassigned'
         ELSE lower(i.assigned_to)
    END                       AS assignee_group,
    i.version,
    i.first_seen_at,
    i.updated_at
FROM issues AS i
JOIN sources AS s ON s.id = i.source_id
WHERE i.state = 'current';

-- quality_problems: every data problem of a source, for GET /quality
-- (contract §5, models.md §3): the header problems (duplicate_column,
-- missing_column, on the header row), the row problems the cleaner stored,
-- and the duplicate_issue_number errors derived from clean_rows (the row with
-- the highest number wins; every other row carrying the number gets one).
--
--   col          0-based column, NULL when the problem is about no single cell
--   column_name  the header text of that column (sources.header_json), NULL
--                when col is NULL or the header cell is empty
--   cell         A1 notation: Issues!G17, or the row form Issues!17:17 when
--                col is NULL. The sheet name is quoted ('Q1 2024'!B3, quotes
--                doubled) when it has anything but ASCII letters, digits and
--                '_', starts with a digit, or could be read as a cell
--                reference (A1 style with up to 3 letters, or R1C1 style).
--                Quoting is always accepted by Sheets, so erring on the side
--                of quoting is safe.
--
-- The duplicate error points at the issue-number cell when the loader
-- recorded the header map (sources.field_cols), else at the whole row.
CREATE VIEW quality_problems AS
WITH src AS (
    SELECT
        id,
        name,
        header_json,
        field_cols,
        CASE
            WHEN sheet = ''
              OR sheet GLOB '*[^A-Za-z0-9_]*'
              OR sheet GLOB '[0-9]*'
              -- A1 style: 1-3 letters then digits (Q1, AB12)
              OR (rtrim(sheet, '0123456789') <> sheet
                  AND length(rtrim(sheet, '0123456789')) BETWEEN 1 AND 3
                  AND rtrim(sheet, '0123456789') NOT GLOB '*[^A-Za-z]*')
              -- R1C1 style: R, digits, C, digits (each digit run optional)
              OR (upper(sheet) GLOB 'R*'
                  AND ltrim(substr(upper(sheet), 2), '0123456789') GLOB 'C*'
                  AND substr(ltrim(substr(upper(sheet), 2), '0123456789'), 2)
                      NOT GLOB '*[^0-9]*')
            THEN '''' || replace(sheet, '''', '''''') || ''''
            ELSE sheet
        END AS sheet_ref
    FROM sources
),
problems AS (
    SELECT source_id, row, col, field, value, severity, code, message
    FROM header_problems
    UNION ALL
    SELECT source_id, row, col, field, value, severity, code, message
    FROM row_problems
    UNION ALL
    SELECT
        r.source_id,
        r.row,
        json_extract(src.field_cols, '$.issue_number'),
        'issue_number',
        r.issue_number,
        'error',
        'duplicate_issue_number',
        printf('issue number %s is also on row %d, which wins; this row is ignored',
               r.issue_number,
               (SELECT max(w.row) FROM clean_rows AS w
                WHERE w.source_id = r.source_id AND w.issue_number = r.issue_number))
    FROM clean_rows AS r
    JOIN src ON src.id = r.source_id
    WHERE r.issue_number IS NOT NULL
      AND EXISTS (SELECT 1 FROM clean_rows AS later
                  WHERE later.source_id = r.source_id
                    AND later.issue_number = r.issue_number
                    AND later.row > r.row)
)
SELECT
    p.source_id,
    src.name                                            AS source,
    p.row,
    p.col,
    CASE WHEN p.col IS NOT NULL
         THEN nullif(CAST(json_extract(src.header_json, '$[' || p.col || ']') AS TEXT), '')
    END                                                 AS column_name,
    p.field,
    src.sheet_ref || '!' ||
    CASE
        WHEN p.col IS NULL THEN p.row || ':' || p.row
        -- column letters, bijective base 26: A..Z, AA..ZZ, AAA..ZZZ
        -- (Sheets allows at most 18,278 columns, i.e. ZZZ)
        WHEN p.col < 26 THEN char(65 + p.col) || p.row
        WHEN p.col < 702 THEN char(65 + (p.col - 26) / 26, 65 + (p.col - 26) % 26) || p.row
        ELSE char(65 + (p.col - 702) / 676, 65 + (p.col - 702) / 26 % 26,
                  65 + (p.col - 702) % 26) || p.row
    END                                                 AS cell,
    p.value,
    p.severity,
    p.code,
    p.message
FROM problems AS p
JOIN src ON src.id = p.source_id;

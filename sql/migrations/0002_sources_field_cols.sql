-- 0002: where each canonical field sits in the source's header, so a derived
-- problem (duplicate_issue_number, computed by the view quality_problems)
-- can name its cell (Issues!A17) and header text instead of only its row.
--
-- A JSON object: canonical field name -> 0-based column, for the fields the
-- header map found, e.g. {"issue_number":0,"vehicle":1,"reported_at":4}.
-- Written by the loader together with header_json; '{}' until then (the
-- views fall back to the row form Issues!17:17).
ALTER TABLE sources ADD COLUMN field_cols TEXT NOT NULL DEFAULT '{}';

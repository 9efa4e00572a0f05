-- dim_vehicles: one row per (source, vehicle_key) among the current, valid
-- issues (contract §7, GET /vehicles).
--
--   name   the display form on the highest-numbered valid row with that key
--          (models.md §3); when that row has no vehicle text (key UNKNOWN from
--          an empty cell) the key itself, so a name is never NULL.
--   open   issues without a moment of resolution (resolved_effective NULL)
--   total  all current, valid issues of the vehicle
CREATE VIEW dim_vehicles AS
WITH last_row AS (
    -- SQLite's bare-column rule: with max(row), `vehicle` is read from the
    -- row holding the maximum. Row numbers of current issues are unique per
    -- source, so the choice is deterministic.
    SELECT source_id, vehicle_key, vehicle, max(row) AS row
    FROM fct_issues
    GROUP BY source_id, vehicle_key
)
SELECT
    f.source_id,
    f.source,
    f.vehicle_key,
    coalesce(l.vehicle, f.vehicle_key)                    AS name,
    sum(f.resolved_effective IS NULL)                     AS open,
    count(*)                                              AS total
FROM fct_issues AS f
JOIN last_row AS l ON l.source_id = f.source_id AND l.vehicle_key = f.vehicle_key
GROUP BY f.source_id, f.vehicle_key;

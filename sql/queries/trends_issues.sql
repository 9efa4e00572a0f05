-- The issues of one source as the weekly model sees them: one row per
-- current, valid issue, its three group values and the weeks of its dates.
-- store_trends_refresh reads this and computes trends_weekly in C; the CTE
-- `iss` of trends_weekly.sql computes the same columns the same way, so the
-- two paths agree on every week and every second (the unit test
-- model_query_matches_refresh checks it on random data).
--
-- week(x) = CAST(julianday(x) + 0.5 AS INTEGER) / 7: the Julian day number
-- divided by 7; week k starts on the Monday with JDN 7k. NULL dates give NULL.
-- secs: seconds from reported_at to a valid resolved_at (NULL when there is
-- none; the observed fallback of resolved_effective has no secs).
--
-- Parameter :source_id.
SELECT
    priority,
    vehicle_key,
    assignee_group,
    CAST(julianday(reported_at) + 0.5 AS INTEGER) / 7            AS rw,
    CAST(julianday(resolved_effective) + 0.5 AS INTEGER) / 7     AS ew,
    CAST(julianday(due_date) + 0.5 AS INTEGER) / 7               AS dw,
    CAST(julianday(resolved_at) + 0.5 AS INTEGER) / 7            AS aw,
    CAST(strftime('%s', resolved_at) AS INTEGER)
        - CAST(strftime('%s', reported_at) AS INTEGER)           AS secs
FROM fct_issues
WHERE source_id = :source_id
  AND julianday(reported_at) IS NOT NULL;

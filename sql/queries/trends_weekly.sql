-- The weekly model of models.md §4, for one source, one group_by and a range
-- of weeks: the readable definition of the numbers of GET /trends/weekly.
--
-- Who runs it: store_trends_fetch, for a range that reaches outside the
-- materialized default range. store_trends_refresh fills trends_weekly with
-- the same rows computed in C (store/trends.c) from the per-issue weeks of
-- trends_issues.sql, because this query costs SQLite 0.3-1 s per group_by
-- for 100,000 issues; the unit tests check that both agree row by row.
-- A change here must be made there too.
--
-- Parameters:
--   :source_id  sources.id
--   :group_by   none | priority | vehicle | assignee
--   :from, :to  'YYYY-MM-DD' (any day; its week is used), or NULL for the
--               default range: from the Monday of the earliest reported_at to
--               the Monday of the latest reported_at or valid resolved_at.
--               from after to gives no rows; so does a source without a
--               current, valid issue.
--
-- Output: the columns of trends_weekly, in its order, one row per (week,
-- group) of the range, every group on every week (zeros when nothing
-- happened), ordered by week_start then group in byte order.
--
-- How it stays linear. Weeks are integers: the Julian day number of a date,
-- JDN = CAST(julianday(x) + 0.5 AS INTEGER), is a Monday when JDN % 7 = 0, so
-- week(x) = JDN / 7 and week k starts on julianday 7k - 0.5. A date-time
-- t lies in week w exactly when week_start(w) <= t < next(w), so every
-- comparison of §4 against `next` becomes a comparison of week numbers:
--   t < next(w)  <=>  week(t) <= w.
-- Each issue is therefore turned into a handful of (group, week, +-1) events
-- and the stock metrics are running sums over the weeks of a group:
--   opened(w)         = #{ week(reported) = w }
--   resolved(w)       = #{ week(R) = w }                  R = resolved_effective
--   open_at_end(w)    = #{ reported < next, R none or R >= next }
--                     = #{ week(reported) <= w } - #{ week(max(reported, R)) <= w }
--   overdue_at_end(w) = the same restricted to due_date < next:
--                       #{ week(max(reported, due)) <= w }
--                     - #{ week(max(reported, due, R)) <= w }
-- (week() is monotone, so week(max(a, b)) = max(week(a), week(b)).)
-- The weeks × groups grid is only there to give empty cells their zeros;
-- issues are never joined against weeks.
--
-- The grid starts one week before `from` so that X_prev of the first week is
-- right; events before that week only matter through the running sums and are
-- moved onto it.
--
-- Rounding is half away from zero and exact: done in integers (seconds,
-- counts) before the final division, never on a binary fraction.
--   *_wow_pct = 100 * (X - X_prev) / X_prev to 1 decimal: tenths =
--               (2000 * |d| + p) / (2p), integer division, sign of d.
--   days      = seconds / 86400 to 2 decimals, for a sum s of n values:
--               hundredths = 100 q + (200 r + u) / (2u), with u = 86400 n and
--               |s| = q u + r (no overflow whatever the sum), sign of s.
-- The median of an even count is the mean of the two middle values.
--
-- The Monday 9999-12-27 is the last week SQLite can write; its week_end would
-- fall in year 10000 and is capped at 9999-12-31.
WITH
-- Every current, valid issue of the source, with its group value, the weeks
-- of its dates (NULL when the date is NULL) and, for issues with a valid
-- resolved_at, the time to resolve in seconds (the columns of
-- trends_issues.sql). The observed fallback of resolved_effective counts for
-- `resolved` and `open_at_end` but not for the days to resolve, nor does it
-- extend the default range.
iss AS MATERIALIZED (
    SELECT
        CASE :group_by
            WHEN 'priority' THEN priority
            WHEN 'vehicle'  THEN vehicle_key
            WHEN 'assignee' THEN assignee_group
            ELSE 'all'
        END                                                      AS grp,
        CAST(julianday(reported_at) + 0.5 AS INTEGER) / 7        AS rw,
        CAST(julianday(resolved_effective) + 0.5 AS INTEGER) / 7 AS ew,
        CAST(julianday(due_date) + 0.5 AS INTEGER) / 7           AS dw,
        CAST(julianday(resolved_at) + 0.5 AS INTEGER) / 7        AS aw,
        CAST(strftime('%s', resolved_at) AS INTEGER)
            - CAST(strftime('%s', reported_at) AS INTEGER)       AS secs
    FROM fct_issues
    WHERE source_id = :source_id
      AND julianday(reported_at) IS NOT NULL
),
-- The range as week numbers; lo is the week before `from`.
bounds AS (
    SELECT w_from, w_from - 1 AS lo, w_to
    FROM (SELECT
              coalesce(CAST(julianday(:from) + 0.5 AS INTEGER) / 7,
                       (SELECT min(rw) FROM iss))                        AS w_from,
              coalesce(CAST(julianday(:to) + 0.5 AS INTEGER) / 7,
                       (SELECT max(max(rw), coalesce(max(aw), 0)) FROM iss)) AS w_to)
),
weeks (w) AS (
    SELECT lo FROM bounds
    WHERE w_from <= w_to AND EXISTS (SELECT 1 FROM iss)
    UNION ALL
    SELECT w + 1 FROM weeks, bounds WHERE w < w_to
),
-- The groups: those with at least one issue; priority always has all five.
groups AS (
    SELECT DISTINCT grp FROM iss
    UNION
    SELECT column1 FROM (VALUES ('critical'), ('high'), ('medium'), ('low'), ('none'))
    WHERE :group_by = 'priority' AND EXISTS (SELECT 1 FROM iss)
),
-- The events of an issue, at most three rows: A in the week it was
-- reported, B in the week of R (when that is another week), D in the week
-- it became overdue (when later than A and before R). Columns:
--   op, rs   1 when it counts as opened / resolved in that week
--   oa, od   increments of open_at_end / overdue_at_end (running sums)
--   n, s     1 and the seconds to resolve, on the resolution event of an
--            issue with a valid resolved_at (mean days)
-- With e = max(rw, ew) and d = max(rw, dw) (the weeks from which R and the
-- due date count against an issue reported in rw): oa is +1 at rw and -1 at
-- e; od is +1 at d and -1 at max(d, e), nothing when e <= d (resolved no
-- later than the week it fell due). The CASEs below are those increments
-- with the rows that share a week merged; NULL comparisons fall to ELSE.
events AS (
    SELECT  -- A
        grp,
        rw                                                         AS w,
        1                                                          AS op,
        CASE WHEN ew = rw THEN 1 ELSE 0 END                        AS rs,
        CASE WHEN ew <= rw THEN 0 ELSE 1 END                       AS oa,
        CASE WHEN dw <= rw AND (ew IS NULL OR ew > rw) THEN 1 ELSE 0 END AS od,
        CASE WHEN ew = rw AND secs IS NOT NULL THEN 1 END          AS n,
        CASE WHEN ew = rw THEN secs END                            AS s
    FROM iss
    UNION ALL
    SELECT  -- B
        grp,
        ew,
        0,
        1,
        CASE WHEN ew > rw THEN -1 ELSE 0 END,
        CASE WHEN dw IS NOT NULL AND ew > max(rw, dw) THEN -1 ELSE 0 END,
        CASE WHEN secs IS NOT NULL THEN 1 END,
        secs
    FROM iss
    WHERE ew IS NOT NULL AND ew <> rw
    UNION ALL
    SELECT  -- D
        grp, dw, 0, 0, 0, 1, NULL, NULL
    FROM iss
    WHERE dw > rw AND (ew IS NULL OR ew > dw)
),
-- The median: the one or two middle values of each (group, week of R)
-- inside the range, as a sum ms of mn values.
middles AS (
    SELECT grp, w, sum(secs) AS ms, count(*) AS mn
    FROM (
        SELECT
            grp,
            ew                                                          AS w,
            secs,
            row_number() OVER win                                       AS rn,
            count(*) OVER (win ROWS BETWEEN UNBOUNDED PRECEDING
                                        AND UNBOUNDED FOLLOWING)        AS cnt
        FROM iss, bounds
        WHERE secs IS NOT NULL AND ew BETWEEN w_from AND w_to
        WINDOW win AS (PARTITION BY grp, ew ORDER BY secs)
    )
    WHERE rn IN ((cnt + 1) / 2, cnt / 2 + 1)
    GROUP BY grp, w
),
-- One row per (group, week) of the grid: the grid itself (zeros), the events
-- inside it (after the range dropped, before lo moved onto lo, keeping only
-- their effect on the running sums) and the medians; then the running sums
-- and previous weeks per group, computed over the grouped rows (the grid has
-- every week, so the previous row is the previous week).
cells AS (
    SELECT
        grp,
        w,
        sum(op)                                 AS opened,
        sum(rs)                                 AS resolved,
        sum(sum(oa)) OVER win                   AS open_at_end,
        sum(sum(od)) OVER win                   AS overdue_at_end,
        lag(sum(op), 1, 0) OVER win             AS opened_prev,
        lag(sum(rs), 1, 0) OVER win             AS resolved_prev,
        sum(sum(oa)) OVER win - sum(oa)         AS open_at_end_prev,
        sum(n) AS n, sum(s) AS s, sum(ms) AS ms, sum(mn) AS mn
    FROM (
        SELECT g.grp, k.w, 0 AS op, 0 AS rs, 0 AS oa, 0 AS od,
               NULL AS n, NULL AS s, NULL AS ms, NULL AS mn
        FROM groups AS g, weeks AS k
        UNION ALL
        SELECT grp, max(w, lo),
               CASE WHEN w >= lo THEN op ELSE 0 END,
               CASE WHEN w >= lo THEN rs ELSE 0 END,
               oa, od, n, s, NULL, NULL
        FROM events, bounds
        WHERE w <= w_to
        UNION ALL
        SELECT grp, w, 0, 0, 0, 0, NULL, NULL, ms, mn
        FROM middles
    )
    GROUP BY grp, w
    WINDOW win AS (PARTITION BY grp ORDER BY w ROWS UNBOUNDED PRECEDING)
)
SELECT
    :source_id                                           AS source_id,
    :group_by                                            AS group_by,
    grp                                                  AS "group",
    date(w * 7 - 0.5)                                    AS week_start,
    coalesce(date(w * 7 + 5.5), '9999-12-31')            AS week_end,
    opened,
    resolved,
    open_at_end,
    overdue_at_end,
    CASE WHEN n IS NULL THEN NULL
         ELSE (CASE WHEN s < 0 THEN -1 ELSE 1 END)
              * (abs(s) / (86400 * n) * 100
                 + (200 * (abs(s) % (86400 * n)) + 86400 * n) / (172800 * n))
              / 100.0
    END                                                  AS mean_days_to_resolve,
    CASE WHEN mn IS NULL THEN NULL
         ELSE (CASE WHEN ms < 0 THEN -1 ELSE 1 END)
              * (abs(ms) / (86400 * mn) * 100
                 + (200 * (abs(ms) % (86400 * mn)) + 86400 * mn) / (172800 * mn))
              / 100.0
    END                                                  AS median_days_to_resolve,
    opened_prev,
    opened - opened_prev                                 AS opened_wow_delta,
    CASE WHEN opened_prev = 0 THEN NULL
         WHEN opened >= opened_prev
         THEN ((2000 * (opened - opened_prev) + opened_prev) / (2 * opened_prev)) / 10.0
         ELSE -((2000 * (opened_prev - opened) + opened_prev) / (2 * opened_prev)) / 10.0
    END                                                  AS opened_wow_pct,
    resolved_prev,
    resolved - resolved_prev                             AS resolved_wow_delta,
    CASE WHEN resolved_prev = 0 THEN NULL
         WHEN resolved >= resolved_prev
         THEN ((2000 * (resolved - resolved_prev) + resolved_prev) / (2 * resolved_prev)) / 10.0
         ELSE -((2000 * (resolved_prev - resolved) + resolved_prev) / (2 * resolved_prev)) / 10.0
    END                                                  AS resolved_wow_pct,
    open_at_end_prev,
    open_at_end - open_at_end_prev                       AS open_at_end_wow_delta,
    CASE WHEN open_at_end_prev = 0 THEN NULL
         WHEN open_at_end >= open_at_end_prev
         THEN ((2000 * (open_at_end - open_at_end_prev) + open_at_end_prev)
               / (2 * open_at_end_prev)) / 10.0
         ELSE -((2000 * (open_at_end_prev - open_at_end) + open_at_end_prev)
                / (2 * open_at_end_prev)) / 10.0
    END                                                  AS open_at_end_wow_pct
FROM cells, bounds
WHERE w >= w_from
ORDER BY w, grp;

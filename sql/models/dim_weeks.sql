-- dim_weeks: one row per (source, Monday) of the default range of the weekly
-- model (models.md §4): from the Monday of the earliest reported_at to the
-- Monday of the latest reported_at or valid resolved_at. Due dates and the
-- observed resolution fallback do not extend it. A source with no current,
-- valid issue has no weeks.
--
-- Weeks are walked as integers: the Julian day number (JDN) of a date is
-- CAST(julianday(x) + 0.5 AS INTEGER), JDN 0 is a Monday, so JDN / 7 numbers
-- the weeks and week k starts on JDN 7k (julianday 7k - 0.5). This is the
-- same numbering as sql/queries/trends_weekly.sql.
--
-- week_end of the very last representable week (starting 9999-12-27) would
-- fall in year 10000, which SQLite cannot write; it is capped at 9999-12-31.
CREATE VIEW dim_weeks AS
WITH RECURSIVE bounds AS (
    SELECT
        source_id,
        min(CAST(julianday(reported_at) + 0.5 AS INTEGER) / 7) AS first_week,
        -- two-argument max() is the scalar one; the inner ones aggregate
        max(max(CAST(julianday(reported_at) + 0.5 AS INTEGER) / 7),
            coalesce(max(CAST(julianday(resolved_at) + 0.5 AS INTEGER) / 7), 0)) AS last_week
    FROM fct_issues
    GROUP BY source_id
),
weeks (source_id, week, last_week) AS (
    SELECT source_id, first_week, last_week FROM bounds
    UNION ALL
    SELECT source_id, week + 1, last_week FROM weeks WHERE week < last_week
)
SELECT
    w.source_id,
    s.name                                              AS source,
    date(w.week * 7 - 0.5)                              AS week_start,
    coalesce(date(w.week * 7 + 5.5), '9999-12-31')      AS week_end
FROM weeks AS w
JOIN sources AS s ON s.id = w.source_id;

-- mart_issue_trends_weekly: one row per (source, group_by, group, week_start)
-- with the metrics of GET /trends/weekly (contract §5.1, models.md §4), over
-- each source's default range, for every group_by (none, priority, vehicle,
-- assignee).
--
-- It reads the table trends_weekly, which store_trends_refresh recomputes from
-- sql/queries/trends_weekly.sql in the same transaction as every change of a
-- source's issues, so it is never stale. Nulls: mean/median when no issue
-- with a valid resolved_at was resolved that week; *_wow_pct when X_prev = 0.
CREATE VIEW mart_issue_trends_weekly AS
SELECT
    t.source_id,
    s.name                   AS source,
    t.group_by,
    t.grp                    AS "group",
    t.week_start,
    t.week_end,
    t.opened,
    t.resolved,
    t.open_at_end,
    t.overdue_at_end,
    t.mean_days_to_resolve,
    t.median_days_to_resolve,
    t.opened_prev,
    t.opened_wow_delta,
    t.opened_wow_pct,
    t.resolved_prev,
    t.resolved_wow_delta,
    t.resolved_wow_pct,
    t.open_at_end_prev,
    t.open_at_end_wow_delta,
    t.open_at_end_wow_pct
FROM trends_weekly AS t
JOIN sources AS s ON s.id = t.source_id;

#ifndef SHEETSYNC_TRENDS_H
#define SHEETSYNC_TRENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* The weekly model of models.md §4. */

/* The group_by values, in the order they are materialized. */
extern const char *const trends_group_bys[4]; /* none, priority, vehicle, assignee */
bool trends_group_by_valid(const char *group_by);

/* Recomputes trends_weekly for `source_id` (every group_by, the default
 * range) from fct_issues. Runs inside the caller's transaction. */
int store_trends_refresh(struct store *st, long source_id, char *err, size_t errlen);

/* One row of GET /trends/weekly. A `has_*` false means JSON null. */
struct trend_row {
    char week_start[11], week_end[11];
    const char *group; /* valid during the callback */
    long opened, resolved, open_at_end, overdue_at_end;
    double mean_days_to_resolve, median_days_to_resolve;
    bool has_mean, has_median;
    long opened_prev, opened_wow_delta;
    double opened_wow_pct;
    bool has_opened_wow_pct;
    long resolved_prev, resolved_wow_delta;
    double resolved_wow_pct;
    bool has_resolved_wow_pct;
    long open_at_end_prev, open_at_end_wow_delta;
    double open_at_end_wow_pct;
    bool has_open_at_end_wow_pct;
};

struct trends_query {
    long source_id;
    const char *group_by; /* validated by the caller */
    const char *from;     /* "YYYY-MM-DD" (already a Monday) or NULL: the default range */
    const char *to;       /* likewise */
};

/* Calls `row` for every row of the answer, ordered by week_start then group
 * (byte order). Reads the materialized table when the range lies inside it,
 * else computes the range from the model query. The resolved range (after
 * defaults) is written to from_out/to_out ("" when the source has no weeks).
 * A callback returning non-zero stops the walk and is returned. */
typedef int (*trend_row_fn)(const struct trend_row *r, void *arg);
int store_trends_fetch(struct store *st, const struct trends_query *q, trend_row_fn row, void *arg,
                       char from_out[11], char to_out[11], char *err, size_t errlen);

#endif

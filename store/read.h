#ifndef SHEETSYNC_READ_H
#define SHEETSYNC_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* The reads behind the HTTP API (contract §5), over the views of sql/models/
 * (fct_issues, dim_vehicles, quality_problems) and the tables they need.
 * Results are json-c objects the caller owns (one json_object_put each), in
 * the field order of the API. Every function returns 0 (or 1 where noted)
 * and -1 with one line in err. */

struct json_object;

/* The reads of one request see one snapshot of the database: a sync that
 * commits in between (WAL lets it) shows up in the next request, never
 * halfway through this one, so an ETag always matches its body. A
 * transaction left open by an earlier failure is rolled back first. */
int store_read_begin(struct store *st, char *err, size_t errlen);
void store_read_end(struct store *st);

/* One source, as the read endpoints resolve it. Strings are owned. */
struct store_source {
    long id;
    char *name;
    char *timezone;
    char *created_at;
    char *last_sync_ok_at; /* NULL before the first good sync */
    long data_version;
    char *kind;  /* sheets or csv */
    char *sheet; /* tab name ("" before the first full sync of a new source) */
    char *locale;
    long header_row;
};

void store_source_cleanup(struct store_source *s);

/* The source called `name`, or the first by id when name is NULL. Returns 1
 * found, 0 absent. */
int store_source_find(struct store *st, const char *name, struct store_source *out, char *err,
                      size_t errlen);

/* [{"name", "last_sync_ok_at", "data_version"}] for every source, by id;
 * data_version as a string. */
int store_sources_status(struct store *st, struct json_object **out, char *err, size_t errlen);

/* GET /issues. Every filter is optional (NULL / false). Items come ordered
 * by (reported_at, issue_number), both ascending; a page starts after the
 * key (after_reported_at, after_issue_number) when those are set. */
struct issues_query {
    long source_id;
    const char *status;         /* open, resolved, closed */
    const char *priority;       /* critical, high, medium, low, none */
    const char *vehicle_key;    /* exact key, e.g. TRUCK12 */
    const char *assignee_group; /* lowercased name, or "unassigned" */
    const char *reported_from;  /* YYYY-MM-DD, inclusive */
    const char *reported_to;    /* YYYY-MM-DD, inclusive */
    const char *after_reported_at;
    const char *after_issue_number;
    long limit;
};

/* *items: a JSON array of at most q->limit issue objects; *more: whether
 * another page follows. */
int store_issues_list(struct store *st, const struct issues_query *q, struct json_object **items,
                      bool *more, char *err, size_t errlen);

/* GET /issues/{number}: the issue object (whatever its state, with `state`)
 * and its `history`, every stored version oldest first. Returns 1 found, 0
 * when the source never had that issue number. */
int store_issue_get(struct store *st, long source_id, const char *issue_number,
                    struct json_object **out, char *err, size_t errlen);

/* GET /vehicles: [{"vehicle_key", "name", "open", "total"}] by vehicle_key. */
int store_vehicles_list(struct store *st, long source_id, struct json_object **items, char *err,
                        size_t errlen);

/* GET /quality. Items are ordered by row, then column (whole-row problems
 * first), then code, field, message and value. Identical problems can share
 * a cell, so a page key is the last item's (row, col) plus how many items of
 * that cell were already returned (`skip`). */
struct quality_key {
    long row;
    long col; /* -1: no single column */
    long skip;
};

struct quality_query {
    long source_id;
    const char *severity; /* error, warning */
    const char *code;
    bool has_after;
    struct quality_key after;
    long limit;
};

/* *items: at most q->limit items; *more: whether another page follows, and
 * then *next is its key. */
int store_quality_list(struct store *st, const struct quality_query *q, struct json_object **items,
                       bool *more, struct quality_key *next, char *err, size_t errlen);

/* GET /syncs: sync runs, newest first (by id, descending). Every filter is
 * optional: source_id 0 means every source; before_id > 0 starts the page
 * after the run with that id. Items: {"id", "source", "trigger", "range",
 * "started_at", "finished_at", "status", "rows_fetched", "rows_changed",
 * "error"}; *more tells whether another page follows. */
struct syncs_query {
    long source_id;
    const char *status;  /* running, ok, failed */
    const char *trigger; /* webhook, reconcile, manual, startup, import */
    long before_id;
    long limit;
};

int store_syncs_list(struct store *st, const struct syncs_query *q, struct json_object **items,
                     bool *more, char *err, size_t errlen);

/* GET /metrics: the finished runs of every source, grouped:
 * [{"source", "trigger", "status", "runs", "rows_fetched", "rows_changed"}]
 * by source, trigger and status; and *running, the runs in progress. Runs
 * are never deleted, so these sums only grow (Prometheus counters). */
int store_syncs_totals(struct store *st, struct json_object **out, long *running, char *err,
                       size_t errlen);

#endif

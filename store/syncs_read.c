/* Reads of sync_runs: GET /syncs (recent runs, newest first) and the sync
 * counters of GET /metrics. */
#include "store/read.h"

#include <json-c/json.h>
#include <stdio.h>

#include "store/store_internal.h"

int store_syncs_list(struct store *st, const struct syncs_query *q, struct json_object **items,
                     bool *more, char *err, size_t errlen)
{
    /* The primary key walks newest first; a range sync's `range` is the
     * sheet rows it pulled ("5:9"), NULL for a full one. */
    static const char *const sql =
        "SELECT r.id, s.name, r.trigger, r.range, r.started_at, r.finished_at, r.status,"
        " r.rows_fetched, r.rows_changed, r.error"
        " FROM sync_runs AS r JOIN sources AS s ON s.id = r.source_id"
        " WHERE (?1 = 0 OR r.source_id = ?1)"
        "   AND (?2 IS NULL OR r.status = ?2)"
        "   AND (?3 IS NULL OR r.trigger = ?3)"
        "   AND (?4 = 0 OR r.id < ?4)"
        " ORDER BY r.id DESC"
        " LIMIT ?5";
    sqlite3_stmt *s = NULL;
    json_object *arr = json_object_new_array();
    int rc = -1, step;
    long n = 0;
    *items = NULL;
    *more = false;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_prepare(st, sql, &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, q->source_id);
    sqlite3_bind_text(s, 2, q->status, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 3, q->trigger, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, q->before_id);
    sqlite3_bind_int64(s, 5, q->limit + 1); /* one more: is there a next page? */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == q->limit) {
            *more = true;
            break;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(sqlite3_column_int64(s, 0)));
        json_object_object_add(o, "source", store_col_json_text(s, 1));
        json_object_object_add(o, "trigger", store_col_json_text(s, 2));
        json_object_object_add(o, "range", store_col_json_text(s, 3));
        json_object_object_add(o, "started_at", store_col_json_text(s, 4));
        json_object_object_add(o, "finished_at", store_col_json_text(s, 5));
        json_object_object_add(o, "status", store_col_json_text(s, 6));
        json_object_object_add(o, "rows_fetched",
                               json_object_new_int64(sqlite3_column_int64(s, 7)));
        json_object_object_add(o, "rows_changed",
                               json_object_new_int64(sqlite3_column_int64(s, 8)));
        json_object_object_add(o, "error", store_col_json_text(s, 9));
        json_object_array_add(arr, o);
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        store_fail(st, err, errlen, "sync_runs");
        goto out;
    }
    *items = arr;
    arr = NULL;
    rc = 0;
out:
    sqlite3_finalize(s);
    json_object_put(arr);
    return rc;
}

int store_syncs_totals(struct store *st, struct json_object **out, long *running, char *err,
                       size_t errlen)
{
    static const char *const sql =
        "SELECT s.name, r.trigger, r.status, count(*), total(r.rows_fetched),"
        " total(r.rows_changed)"
        " FROM sync_runs AS r JOIN sources AS s ON s.id = r.source_id"
        " WHERE r.status <> 'running'"
        " GROUP BY s.name, r.trigger, r.status"
        " ORDER BY s.name, r.trigger, r.status";
    sqlite3_stmt *s = NULL;
    json_object *arr = json_object_new_array();
    int rc = -1, step;
    *out = NULL;
    *running = 0;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_prepare(st, sql, &s, err, errlen))
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "source", store_col_json_text(s, 0));
        json_object_object_add(o, "trigger", store_col_json_text(s, 1));
        json_object_object_add(o, "status", store_col_json_text(s, 2));
        json_object_object_add(o, "runs", json_object_new_int64(sqlite3_column_int64(s, 3)));
        json_object_object_add(o, "rows_fetched",
                               json_object_new_int64((int64_t)sqlite3_column_double(s, 4)));
        json_object_object_add(o, "rows_changed",
                               json_object_new_int64((int64_t)sqlite3_column_double(s, 5)));
        json_object_array_add(arr, o);
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "sync_runs");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (store_prepare(st, "SELECT count(*) FROM sync_runs WHERE status = 'running'", &s, err,
                      errlen))
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW) {
        store_fail(st, err, errlen, "sync_runs");
        goto out;
    }
    *running = (long)sqlite3_column_int64(s, 0);
    *out = arr;
    arr = NULL;
    rc = 0;
out:
    sqlite3_finalize(s);
    json_object_put(arr);
    return rc;
}

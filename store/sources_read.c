/* Reads of the sources table for the HTTP API: resolving the `source`
 * parameter and the per-source status of GET /readyz. */
#include "store/read.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

int store_read_begin(struct store *st, char *err, size_t errlen)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return store_exec(st, "BEGIN", err, errlen);
}

void store_read_end(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db) &&
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_source_cleanup(struct store_source *s)
{
    free(s->name);
    free(s->timezone);
    free(s->created_at);
    free(s->last_sync_ok_at);
    free(s->kind);
    free(s->sheet);
    free(s->locale);
    memset(s, 0, sizeof *s);
}

int store_source_find(struct store *st, const char *name, struct store_source *out, char *err,
                      size_t errlen)
{
    static const char *const by_name =
        "SELECT id, name, timezone, created_at, last_sync_ok_at, data_version, kind, sheet,"
        " locale, header_row FROM sources WHERE name = ?1";
    static const char *const first =
        "SELECT id, name, timezone, created_at, last_sync_ok_at, data_version, kind, sheet,"
        " locale, header_row FROM sources ORDER BY id LIMIT 1";
    sqlite3_stmt *s = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if (store_prepare(st, name ? by_name : first, &s, err, errlen))
        return -1;
    if (name)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW) {
        store_fail(st, err, errlen, "sources");
        goto out;
    }
    out->id = (long)sqlite3_column_int64(s, 0);
    out->name = store_col_strdup(s, 1);
    out->timezone = store_col_strdup(s, 2);
    out->created_at = store_col_strdup(s, 3);
    out->last_sync_ok_at = store_col_strdup(s, 4);
    out->data_version = (long)sqlite3_column_int64(s, 5);
    out->kind = store_col_strdup(s, 6);
    out->sheet = store_col_strdup(s, 7);
    out->locale = store_col_strdup(s, 8);
    out->header_row = (long)sqlite3_column_int64(s, 9);
    if (!out->name || !out->timezone || !out->created_at || !out->kind || !out->sheet ||
        !out->locale) {
        store_source_cleanup(out);
        snprintf(err, errlen, "sources: out of memory");
        goto out;
    }
    rc = 1;
out:
    sqlite3_finalize(s);
    return rc;
}

int store_sources_status(struct store *st, struct json_object **out, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    json_object *arr = json_object_new_array();
    int rc = -1, step;
    *out = NULL;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_prepare(st, "SELECT name, last_sync_ok_at, data_version FROM sources ORDER BY id", &s,
                      err, errlen))
        goto out;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        json_object *o = json_object_new_object();
        const char *last = (const char *)sqlite3_column_text(s, 1);
        char version[24];
        snprintf(version, sizeof version, "%lld", (long long)sqlite3_column_int64(s, 2));
        json_object_object_add(o, "name",
                               json_object_new_string((const char *)sqlite3_column_text(s, 0)));
        json_object_object_add(o, "last_sync_ok_at", last ? json_object_new_string(last) : NULL);
        json_object_object_add(o, "data_version", json_object_new_string(version));
        json_object_array_add(arr, o);
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "sources");
        goto out;
    }
    *out = arr;
    arr = NULL;
    rc = 0;
out:
    sqlite3_finalize(s);
    json_object_put(arr);
    return rc;
}

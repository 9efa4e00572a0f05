/* Reads of issues for GET /issues and GET /issues/{number}. The list reads
 * the view fct_issues (current, valid issues only); one issue is read from
 * the table issues, so a deleted or invalid issue still answers with its
 * state and history. */
#include "store/read.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

enum col_kind { K_TEXT, K_INT, K_ARRAY, K_OBJECT };

struct col {
    const char *name;
    enum col_kind kind;
};

/* The issue object of the API, in its field order; the SELECTs below list
 * their columns in exactly this order. */
static const struct col issue_cols[] = {
    {"issue_number", K_TEXT},
    {"vehicle", K_TEXT},
    {"vehicle_key", K_TEXT},
    {"summary", K_TEXT},
    {"description", K_TEXT},
    {"priority", K_TEXT},
    {"status", K_TEXT},
    {"reported_at", K_TEXT},
    {"reported_by", K_TEXT},
    {"assigned_to", K_TEXT},
    {"due_date", K_TEXT},
    {"resolved_at", K_TEXT},
    {"resolved_effective", K_TEXT},
    {"odometer", K_INT},
    {"labels", K_ARRAY},
    {"source", K_TEXT},
    {"row", K_INT},
    {"extra", K_OBJECT},
};
#define N_ISSUE_COLS (sizeof issue_cols / sizeof *issue_cols)

/* One version of GET /issues/{number}'s history. */
static const struct col version_cols[] = {
    {"version", K_INT},      {"observed_at", K_TEXT},
    {"state", K_TEXT},       {"row", K_INT},
    {"vehicle", K_TEXT},     {"vehicle_key", K_TEXT},
    {"summary", K_TEXT},     {"description", K_TEXT},
    {"priority", K_TEXT},    {"status", K_TEXT},
    {"reported_at", K_TEXT}, {"reported_by", K_TEXT},
    {"assigned_to", K_TEXT}, {"due_date", K_TEXT},
    {"resolved_at", K_TEXT}, {"resolved_effective", K_TEXT},
    {"odometer", K_INT},     {"labels", K_ARRAY},
    {"extra", K_OBJECT},
};
#define N_VERSION_COLS (sizeof version_cols / sizeof *version_cols)

/* A stored JSON text (labels, extra) as a value of the expected type; an
 * empty array or object when it is missing or malformed. */
static json_object *parse_stored(const char *text, json_type want)
{
    json_object *v = text ? json_tokener_parse(text) : NULL;
    if (v && json_object_is_type(v, want))
        return v;
    json_object_put(v);
    return want == json_type_array ? json_object_new_array() : json_object_new_object();
}

/* Adds columns first..first+n-1 of `s` to `o`, named and typed by `cols`. */
static void add_cols(json_object *o, sqlite3_stmt *s, int first, const struct col *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int c = first + (int)i;
        json_object *v = NULL;
        if (cols[i].kind == K_ARRAY || cols[i].kind == K_OBJECT) {
            v = parse_stored((const char *)sqlite3_column_text(s, c),
                             cols[i].kind == K_ARRAY ? json_type_array : json_type_object);
        } else if (cols[i].kind == K_INT && sqlite3_column_type(s, c) != SQLITE_NULL) {
            v = json_object_new_int64(sqlite3_column_int64(s, c));
        } else {
            v = store_col_json_text(s, c);
        }
        json_object_object_add(o, cols[i].name, v);
    }
}

int store_issues_list(struct store *st, const struct issues_query *q, struct json_object **items,
                      bool *more, char *err, size_t errlen)
{
    static const char *const sql =
        "SELECT issue_number, vehicle, vehicle_key, summary, description, priority, status,"
        " reported_at, reported_by, assigned_to, due_date, resolved_at, resolved_effective,"
        " odometer, labels, source, row, extra"
        " FROM fct_issues"
        " WHERE source_id = ?1"
        "   AND (?2 IS NULL OR status = ?2)"
        "   AND (?3 IS NULL OR priority = ?3)"
        "   AND (?4 IS NULL OR vehicle_key = ?4)"
        "   AND (?5 IS NULL OR assignee_group = ?5)"
        "   AND (?6 IS NULL OR reported_at >= ?6)"
        "   AND (?7 IS NULL OR substr(reported_at, 1, 10) <= ?7)"
        "   AND (?8 IS NULL OR (reported_at, issue_number) > (?8, ?9))"
        " ORDER BY reported_at, issue_number"
        " LIMIT ?10";
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
    const char *text[] = {
        q->status,        q->priority,    q->vehicle_key,       q->assignee_group,
        q->reported_from, q->reported_to, q->after_reported_at, q->after_issue_number};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(s, 2 + i, text[i], -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_int64(s, 10, q->limit + 1); /* one more: is there a next page? */
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == q->limit) {
            *more = true;
            break;
        }
        json_object *o = json_object_new_object();
        add_cols(o, s, 0, issue_cols, N_ISSUE_COLS);
        json_object_array_add(arr, o);
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        store_fail(st, err, errlen, "fct_issues");
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

int store_issue_get(struct store *st, long source_id, const char *issue_number,
                    struct json_object **out, char *err, size_t errlen)
{
    static const char *const issue_sql =
        "SELECT i.issue_number, i.vehicle, coalesce(i.vehicle_key, 'UNKNOWN'), i.summary,"
        " i.description, coalesce(i.priority, 'none'), i.status, i.reported_at, i.reported_by,"
        " i.assigned_to, i.due_date, i.resolved_at, i.resolved_effective, i.odometer,"
        " i.labels, s.name, i.row, i.extra,"
        " i.state, i.version, i.first_seen_at, i.updated_at"
        " FROM issues AS i JOIN sources AS s ON s.id = i.source_id"
        " WHERE i.source_id = ?1 AND i.issue_number = ?2";
    static const char *const history_sql =
        "SELECT version, observed_at, state, row, vehicle, vehicle_key, summary, description,"
        " priority, status, reported_at, reported_by, assigned_to, due_date, resolved_at,"
        " resolved_effective, odometer, labels, extra"
        " FROM issue_versions WHERE source_id = ?1 AND issue_number = ?2 ORDER BY version";
    static const struct col tail[] = {
        {"state", K_TEXT},
        {"version", K_INT},
        {"first_seen_at", K_TEXT},
        {"updated_at", K_TEXT},
    };
    sqlite3_stmt *s = NULL;
    json_object *o = NULL, *history = NULL;
    int rc = -1, step;
    *out = NULL;
    if (store_prepare(st, issue_sql, &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, issue_number, -1, SQLITE_STATIC);
    step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW) {
        store_fail(st, err, errlen, "issues");
        goto out;
    }
    o = json_object_new_object();
    add_cols(o, s, 0, issue_cols, N_ISSUE_COLS);
    add_cols(o, s, (int)N_ISSUE_COLS, tail, sizeof tail / sizeof *tail);
    sqlite3_finalize(s);
    s = NULL;

    if (store_prepare(st, history_sql, &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, issue_number, -1, SQLITE_STATIC);
    history = json_object_new_array();
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        json_object *v = json_object_new_object();
        add_cols(v, s, 0, version_cols, N_VERSION_COLS);
        json_object_array_add(history, v);
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "issue_versions");
        goto out;
    }
    json_object_object_add(o, "history", history);
    history = NULL;
    *out = o;
    o = NULL;
    rc = 1;
out:
    sqlite3_finalize(s);
    json_object_put(history);
    json_object_put(o);
    return rc;
}

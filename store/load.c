#include "store/load.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "store/store_internal.h"
#include "store/trends.h"

/* Bump when the cleaning rules change, so stored rows are cleaned again. */
#define CLEAN_RULES_VERSION "1"
#define PROGRESS_EVERY      100000

enum {
    Q_GET_HASH,
    Q_PUT_RAW,
    Q_PUT_CLEAN,
    Q_PUT_PROBLEM,
    Q_OLD_NUMBER,
    Q_DEL_RAW,
    Q_DEL_CLEAN,
    Q_DEL_PROBLEMS,
    Q_GAP_NUMBERS,
    Q_ADD_AFFECTED,
    Q_COUNT
};

static const char *const queries[Q_COUNT] = {
    [Q_GET_HASH] = "SELECT hash FROM raw_rows WHERE source_id = ?1 AND row = ?2",
    [Q_PUT_RAW] = "INSERT OR REPLACE INTO raw_rows (source_id, row, cells_json, hash, fetched_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_PUT_CLEAN] = "INSERT OR REPLACE INTO clean_rows (source_id, row, excluded, issue_number,"
                    " vehicle, vehicle_key, summary, description, priority, status, reported_at,"
                    " reported_by, assigned_to, due_date, resolved_at, odometer, labels, extra,"
                    " needs_observed_resolution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    [Q_PUT_PROBLEM] = "INSERT INTO row_problems (source_id, row, col, field, value, severity, code,"
                      " message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_OLD_NUMBER] = "SELECT issue_number FROM clean_rows WHERE source_id = ?1 AND row = ?2",
    [Q_DEL_RAW] = "DELETE FROM raw_rows WHERE source_id = ?1 AND row BETWEEN ?2 AND ?3",
    [Q_DEL_CLEAN] = "DELETE FROM clean_rows WHERE source_id = ?1 AND row BETWEEN ?2 AND ?3",
    [Q_DEL_PROBLEMS] = "DELETE FROM row_problems WHERE source_id = ?1 AND row BETWEEN ?2 AND ?3",
    [Q_GAP_NUMBERS] =
        "INSERT OR IGNORE INTO temp.load_affected SELECT issue_number FROM clean_rows"
        " WHERE source_id = ?1 AND row BETWEEN ?2 AND ?3 AND issue_number IS NOT NULL",
    [Q_ADD_AFFECTED] = "INSERT OR IGNORE INTO temp.load_affected VALUES (?1)",
};

struct load {
    struct store *st;
    struct load_options o;
    long source_id;
    long sync_id;
    char now_utc[21];
    char now_local[20];
    struct clean_header_map map;
    bool have_map;
    struct clean_problems header_problems;
    struct clean_problems problems; /* of the current row, reused */
    char *clean_key;
    bool reclean_all;
    long last_row;   /* the last row handled; the next gap starts after it */
    long range_last; /* rows after last_row up to here are deleted at the end */
    long rows_fetched, rows_changed, issues_changed;
    bool header_changed;
    bool trends_changed; /* an issue version changed what the weekly model reads */
    sqlite3_stmt *q[Q_COUNT];
    struct buf cells;
    struct timespec started;
};

static const char *or_default(const char *s, const char *def)
{
    return s && *s ? s : def;
}

static int step_done(struct load *l, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_fail(l->st, err, errlen, what);
    return 0;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static int source_upsert(struct load *l, char *err, size_t errlen)
{
    const struct load_options *o = &l->o;
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (store_prepare(l->st,
                      "INSERT INTO sources (name, kind, spreadsheet_id, sheet, header_row,"
                      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (name) DO UPDATE SET kind = ?2, spreadsheet_id = ?3,"
                      " sheet = ?4, header_row = ?5 RETURNING id",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, o->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->kind, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, o->spreadsheet_id);
    sqlite3_bind_text(s, 4, o->sheet, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, o->header_row);
    sqlite3_bind_text(s, 6, l->now_utc, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        store_fail(l->st, err, errlen, "sources");
        goto out;
    }
    l->source_id = sqlite3_column_int64(s, 0);
    rc = 0;
out:
    sqlite3_finalize(s);
    return rc;
}

static int source_find_or_create(struct load *l, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (store_prepare(l->st,
                      "INSERT INTO sources (name, kind, spreadsheet_id, sheet, header_row,"
                      " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                      " ON CONFLICT (name) DO UPDATE SET name = name RETURNING id",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, l->o.source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, l->o.kind, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, l->o.spreadsheet_id);
    sqlite3_bind_text(s, 4, l->o.sheet, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, l->o.header_row > 0 ? l->o.header_row : 1);
    sqlite3_bind_text(s, 6, l->now_utc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : store_fail(l->st, err, errlen, "sources");
    if (rc == 0)
        l->source_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

static int run_insert(struct load *l, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    char range[64] = "";
    if (!l->o.full)
        snprintf(range, sizeof range, "%ld:%ld", l->o.first, l->o.last);
    if (store_prepare(l->st,
                      "INSERT INTO sync_runs (source_id, trigger, range, started_at, status)"
                      " VALUES (?1, ?2, ?3, ?4, 'running')",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_text(s, 2, l->o.trigger, -1, SQLITE_STATIC);
    bind_text_or_null(s, 3, range);
    sqlite3_bind_text(s, 4, l->now_utc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(l->st, err, errlen, "sync_runs");
    sqlite3_finalize(s);
    l->sync_id = (long)sqlite3_last_insert_rowid(l->st->db);
    return rc;
}

static int run_finish(struct load *l, const char *status, const char *error)
{
    sqlite3_stmt *s = NULL;
    char err[256], now[21];
    clock_iso_utc(time(NULL), now);
    if (store_prepare(l->st,
                      "UPDATE sync_runs SET status = ?2, finished_at = ?3, rows_fetched = ?4,"
                      " rows_changed = ?5, error = ?6 WHERE id = ?1",
                      &s, err, sizeof err))
        return -1;
    sqlite3_bind_int64(s, 1, l->sync_id);
    sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, l->rows_fetched);
    sqlite3_bind_int64(s, 5, l->rows_changed);
    bind_text_or_null(s, 6, error);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(s);
    return rc;
}

/* Header cells as a JSON array of text, as stored in sources.header_json. */
static char *cells_to_json(const struct sheet_row *r)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < r->ncells; i++) {
        char *t = clean_cell_text(&r->cells[i]);
        json_object_array_add(a, json_object_new_string(t ? t : ""));
        free(t);
    }
    char *s = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    json_object_put(a);
    return s;
}

/* Where each field sits: {"issue_number":0,...}, for problems derived in SQL. */
static char *field_cols_json(const struct clean_header_map *m)
{
    json_object *o = json_object_new_object();
    for (int f = 0; f < FIELD_COUNT; f++)
        if (m->col[f] >= 0)
            json_object_object_add(o, clean_field_name((enum clean_field)f),
                                   json_object_new_int(m->col[f]));
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

/* What the cleaning of every row depends on besides the row itself. */
static char *make_clean_key(const char *header_json, const struct load_options *o)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s\x1f%s\x1f%s\x1f", CLEAN_RULES_VERSION, or_default(o->locale, "en_US"),
               header_json);
    for (size_t i = 0; o->aliases && i < o->aliases->n; i++)
        buf_printf(&b, "%s=%d;", o->aliases->v[i].header, (int)o->aliases->v[i].field);
    char *key = malloc(17);
    if (key)
        snprintf(key, 17, "%016llx", (unsigned long long)buf_hash64(b.data, b.len, BUF_HASH_SEED));
    buf_free(&b);
    return key;
}

/* Reads what the source already has: its stored header and clean key. */
static int source_state(struct load *l, char **header_json, char **clean_key, char *err,
                        size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (store_prepare(l->st, "SELECT header_json, clean_key FROM sources WHERE id = ?1", &s, err,
                      errlen))
        return -1;
    sqlite3_bind_int64(s, 1, l->source_id);
    int rc = -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *header_json = store_col_strdup(s, 0);
        *clean_key = store_col_strdup(s, 1);
        rc = 0;
    } else {
        store_fail(l->st, err, errlen, "sources");
    }
    sqlite3_finalize(s);
    return rc;
}

static int build_map(struct load *l, const struct sheet_row *header, char *err, size_t errlen)
{
    clean_problems_reset(&l->header_problems);
    if (clean_header_map(header->cells, header->ncells, header->row, l->o.aliases, &l->map,
                         &l->header_problems) < 0) {
        struct buf b;
        buf_init(&b, 0);
        for (size_t i = 0; i < l->header_problems.n; i++) {
            const struct clean_problem *p = &l->header_problems.v[i];
            if (strcmp(p->code, "missing_column") == 0)
                buf_printf(&b, "%s%s", b.len ? "; " : "", p->message);
        }
        snprintf(err, errlen, "missing_column: row %ld: %s", header->row, b.data ? b.data : "");
        buf_free(&b);
        return -1;
    }
    l->have_map = true;
    return 0;
}

/* The header a range load reuses: the one the last full load stored. */
static int stored_map(struct load *l, const char *header_json, char *err, size_t errlen)
{
    json_object *a = json_tokener_parse(header_json ? header_json : "");
    size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
    if (n == 0) {
        json_object_put(a);
        snprintf(err, errlen, "source '%s' has no stored header: run a full sync first",
                 l->o.source);
        return -1;
    }
    struct cell *cells = calloc(n, sizeof *cells);
    for (size_t i = 0; cells && i < n; i++) {
        json_object *v = json_object_array_get_idx(a, i);
        cells[i].type = CELL_TEXT;
        cells[i].text = json_object_get_string(v);
        cells[i].len = (size_t)json_object_get_string_len(v);
    }
    struct sheet_row r = {.row = l->o.header_row, .cells = cells, .ncells = n};
    int rc = cells ? build_map(l, &r, err, errlen) : -1;
    free(cells);
    json_object_put(a);
    return rc;
}

int load_begin(struct store *st, const struct load_options *o, struct load **out, char *err,
               size_t errlen)
{
    struct load *l = calloc(1, sizeof *l);
    char *header_json = NULL, *old_key = NULL;
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    l->st = st;
    l->o = *o;
    if (l->o.header_row <= 0)
        l->o.header_row = 1;
    l->o.locale = or_default(o->locale, "en_US");
    l->o.timezone = or_default(o->timezone, "UTC");
    time_t now = o->now ? o->now : time(NULL);
    clock_iso_utc(now, l->now_utc);
    clock_local_in_zone(now, l->o.timezone, l->now_local);
    clock_gettime(CLOCK_MONOTONIC, &l->started);
    buf_init(&l->cells, 0);
    if (!o->full && (o->first <= l->o.header_row || o->last < o->first)) {
        snprintf(err, errlen, "range %ld:%ld must lie below the header row %ld", o->first, o->last,
                 l->o.header_row);
        free(l);
        return -1;
    }

    if (source_upsert(l, err, errlen) || run_insert(l, err, errlen))
        goto fail;
    if (store_exec(st, "BEGIN IMMEDIATE", err, errlen))
        goto fail_run;
    if (store_exec(st,
                   "CREATE TEMP TABLE IF NOT EXISTS load_affected (issue_number TEXT PRIMARY KEY)"
                   " WITHOUT ROWID; DELETE FROM temp.load_affected",
                   err, errlen))
        goto fail_tx;
    for (int i = 0; i < Q_COUNT; i++)
        if (store_prepare(st, queries[i], &l->q[i], err, errlen))
            goto fail_tx;
    if (source_state(l, &header_json, &old_key, err, errlen))
        goto fail_tx;
    if (o->full) {
        l->last_row = l->o.header_row;
        l->range_last = LONG_MAX;
    } else {
        if (stored_map(l, header_json, err, errlen))
            goto fail_tx;
        l->clean_key = make_clean_key(header_json, &l->o);
        l->reclean_all = !old_key || strcmp(old_key, l->clean_key) != 0;
        l->last_row = o->first - 1;
        l->range_last = o->last;
    }
    free(header_json);
    free(old_key);
    *out = l;
    return 0;

fail_tx:
    free(header_json);
    free(old_key);
    load_abort(l, err);
    return -1;
fail_run:
    run_finish(l, "failed", err);
fail:
    free(l);
    return -1;
}

static int save_header_problems(struct load *l, char *err, size_t errlen)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    int rc = -1;
    if (store_prepare(l->st, "DELETE FROM header_problems WHERE source_id = ?1", &del, err,
                      errlen) ||
        store_prepare(l->st,
                      "INSERT INTO header_problems (source_id, row, col, field, value, severity,"
                      " code, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                      &ins, err, errlen))
        goto out;
    sqlite3_bind_int64(del, 1, l->source_id);
    if (sqlite3_step(del) != SQLITE_DONE) {
        store_fail(l->st, err, errlen, "header_problems");
        goto out;
    }
    for (size_t i = 0; i < l->header_problems.n; i++) {
        const struct clean_problem *p = &l->header_problems.v[i];
        sqlite3_bind_int64(ins, 1, l->source_id);
        sqlite3_bind_int64(ins, 2, p->row);
        if (p->col >= 0)
            sqlite3_bind_int(ins, 3, p->col);
        else
            sqlite3_bind_null(ins, 3);
        bind_text_or_null(ins, 4, clean_field_name(p->field));
        bind_text_or_null(ins, 5, p->value);
        sqlite3_bind_text(ins, 6, p->severity == SEV_ERROR ? "error" : "warning", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, p->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 8, p->message ? p->message : p->code, -1, SQLITE_STATIC);
        int s = sqlite3_step(ins);
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
        if (s != SQLITE_DONE) {
            store_fail(l->st, err, errlen, "header_problems");
            goto out;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    return rc;
}

int load_header(struct load *l, const struct sheet_row *header, char *err, size_t errlen)
{
    char *header_json = NULL, *old_key = NULL, *field_cols = NULL;
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (build_map(l, header, err, errlen))
        return -1;
    field_cols = field_cols_json(&l->map);
    if (source_state(l, &header_json, &old_key, err, errlen))
        goto out;
    free(header_json);
    header_json = cells_to_json(header);
    l->clean_key = make_clean_key(header_json, &l->o);
    l->reclean_all = l->o.reclean || !old_key || strcmp(old_key, l->clean_key) != 0;
    if (store_prepare(l->st,
                      "UPDATE sources SET header_json = ?2, clean_key = ?3, locale = ?4,"
                      " timezone = ?5, field_cols = ?6 WHERE id = ?1 AND (header_json IS NOT ?2"
                      " OR clean_key IS NOT ?3 OR locale IS NOT ?4 OR timezone IS NOT ?5"
                      " OR field_cols IS NOT ?6)",
                      &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_text(s, 2, header_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, l->clean_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, l->o.locale, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, l->o.timezone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, field_cols, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        store_fail(l->st, err, errlen, "sources");
        goto out;
    }
    l->header_changed = sqlite3_changes(l->st->db) > 0;
    rc = save_header_problems(l, err, errlen);
out:
    sqlite3_finalize(s);
    free(header_json);
    free(old_key);
    free(field_cols);
    return rc;
}

/* Forgets rows first..last: their issue numbers need deriving again. */
static int delete_rows(struct load *l, long first, long last, char *err, size_t errlen)
{
    static const int order[] = {Q_GAP_NUMBERS, Q_DEL_PROBLEMS, Q_DEL_CLEAN, Q_DEL_RAW};
    if (first > last)
        return 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        sqlite3_stmt *s = l->q[order[i]];
        sqlite3_bind_int64(s, 1, l->source_id);
        sqlite3_bind_int64(s, 2, first);
        sqlite3_bind_int64(s, 3, last);
        if (step_done(l, s, err, errlen, "delete rows"))
            return -1;
        if (order[i] == Q_DEL_RAW)
            l->rows_changed += sqlite3_changes(l->st->db);
    }
    return 0;
}

/* The cells as stored: a JSON array without trailing empty cells, so a
 * Sheets row and the same row from a CSV export hash alike. */
static void serialize_cells(struct buf *b, const struct sheet_row *r)
{
    size_t n = r->ncells;
    while (n > 0 && r->cells[n - 1].type == CELL_EMPTY)
        n--;
    buf_reset(b);
    buf_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        const struct cell *c = &r->cells[i];
        if (i)
            buf_puts(b, ",");
        switch (c->type) {
        case CELL_EMPTY:
            buf_puts(b, "\"\"");
            break;
        case CELL_TEXT:
            buf_json_string(b, c->text, c->len);
            break;
        case CELL_BOOL:
            buf_puts(b, c->num ? "true" : "false");
            break;
        case CELL_NUMBER:
            buf_printf(b, "%.17g", c->num);
            break;
        }
    }
    buf_puts(b, "]");
}

static int add_affected(struct load *l, const char *issue_number, char *err, size_t errlen)
{
    if (!issue_number)
        return 0;
    sqlite3_bind_text(l->q[Q_ADD_AFFECTED], 1, issue_number, -1, SQLITE_TRANSIENT);
    return step_done(l, l->q[Q_ADD_AFFECTED], err, errlen, "load_affected");
}

static int put_clean(struct load *l, const struct clean_issue *ci, char *err, size_t errlen)
{
    sqlite3_stmt *s = l->q[Q_PUT_CLEAN];
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_int64(s, 2, ci->row);
    sqlite3_bind_int(s, 3, ci->excluded);
    bind_text_or_null(s, 4, ci->issue_number);
    bind_text_or_null(s, 5, ci->vehicle);
    sqlite3_bind_text(s, 6, ci->vehicle_key, -1, SQLITE_STATIC);
    bind_text_or_null(s, 7, ci->summary);
    bind_text_or_null(s, 8, ci->description);
    sqlite3_bind_text(s, 9, ci->priority, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, ci->status, -1, SQLITE_STATIC);
    bind_text_or_null(s, 11, ci->reported_at);
    bind_text_or_null(s, 12, ci->reported_by);
    bind_text_or_null(s, 13, ci->assigned_to);
    bind_text_or_null(s, 14, ci->due_date);
    bind_text_or_null(s, 15, ci->resolved_at);
    if (ci->has_odometer)
        sqlite3_bind_int64(s, 16, ci->odometer);
    else
        sqlite3_bind_null(s, 16);
    sqlite3_bind_text(s, 17, ci->labels_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 18, ci->extra_json ? ci->extra_json : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 19, ci->needs_observed_resolution);
    int rc = step_done(l, s, err, errlen, "clean_rows");
    sqlite3_clear_bindings(s);
    if (rc)
        return -1;

    s = l->q[Q_PUT_PROBLEM];
    for (size_t i = 0; i < l->problems.n; i++) {
        const struct clean_problem *p = &l->problems.v[i];
        sqlite3_bind_int64(s, 1, l->source_id);
        sqlite3_bind_int64(s, 2, p->row);
        if (p->col >= 0)
            sqlite3_bind_int(s, 3, p->col);
        else
            sqlite3_bind_null(s, 3);
        bind_text_or_null(s, 4, clean_field_name(p->field));
        bind_text_or_null(s, 5, p->value);
        sqlite3_bind_text(s, 6, p->severity == SEV_ERROR ? "error" : "warning", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 7, p->code, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, p->message ? p->message : p->code, -1, SQLITE_STATIC);
        rc = step_done(l, s, err, errlen, "row_problems");
        sqlite3_clear_bindings(s);
        if (rc)
            return -1;
    }
    return 0;
}

static void log_progress(struct load *l)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs =
        (double)(now.tv_sec - l->started.tv_sec) + (now.tv_nsec - l->started.tv_nsec) / 1e9;
    log_info("sync %ld (%s): %ld rows read, %ld changed, %.0f rows/s", l->sync_id, l->o.source,
             l->rows_fetched, l->rows_changed, secs > 0 ? (double)l->rows_fetched / secs : 0.0);
}

int load_row(struct load *l, const struct sheet_row *r, char *err, size_t errlen)
{
    if (!l->have_map) {
        snprintf(err, errlen, "load_row before load_header");
        return -1;
    }
    if (r->row <= l->last_row || r->row > l->range_last) {
        snprintf(err, errlen, "row %ld out of order (after row %ld)", r->row, l->last_row);
        return -1;
    }
    if (delete_rows(l, l->last_row + 1, r->row - 1, err, errlen))
        return -1;
    l->last_row = r->row;
    if (++l->rows_fetched % PROGRESS_EVERY == 0)
        log_progress(l);

    serialize_cells(&l->cells, r);
    int64_t hash = (int64_t)buf_hash64(l->cells.data, l->cells.len, BUF_HASH_SEED);
    sqlite3_stmt *s = l->q[Q_GET_HASH];
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_int64(s, 2, r->row);
    bool same = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == hash;
    sqlite3_reset(s);
    if (same && !l->reclean_all)
        return 0;

    struct clean_issue ci;
    clean_problems_reset(&l->problems);
    clean_row(&l->map, l->o.locale, r, &ci, &l->problems);
    int rc = -1;
    if (ci.empty) { /* an empty row is no row */
        rc = delete_rows(l, r->row, r->row, err, errlen);
        goto out;
    }
    s = l->q[Q_OLD_NUMBER];
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_int64(s, 2, r->row);
    if (sqlite3_step(s) == SQLITE_ROW &&
        add_affected(l, (const char *)sqlite3_column_text(s, 0), err, errlen)) {
        sqlite3_reset(s);
        goto out;
    }
    sqlite3_reset(s);
    if (add_affected(l, ci.issue_number, err, errlen))
        goto out;
    if (!same) {
        s = l->q[Q_PUT_RAW];
        sqlite3_bind_int64(s, 1, l->source_id);
        sqlite3_bind_int64(s, 2, r->row);
        sqlite3_bind_text(s, 3, l->cells.data, (int)l->cells.len, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, hash);
        sqlite3_bind_text(s, 5, l->now_utc, -1, SQLITE_STATIC);
        if (step_done(l, s, err, errlen, "raw_rows"))
            goto out;
        l->rows_changed++;
    }
    s = l->q[Q_DEL_PROBLEMS];
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_int64(s, 2, r->row);
    sqlite3_bind_int64(s, 3, r->row);
    if (step_done(l, s, err, errlen, "row_problems"))
        goto out;
    rc = put_clean(l, &ci, err, errlen);
out:
    clean_issue_free(&ci);
    return rc;
}

/* ---- Deriving issues from the rows ---- */

struct issue_state {
    bool exists;
    char *state, *status, *observed;
    long version;
    int64_t hash;
    long row;
    int64_t trend_key; /* trend_key() of the stored issue */
};

static void issue_state_free(struct issue_state *s)
{
    free(s->state);
    free(s->status);
    free(s->observed);
}

static bool is_done_status(const char *s)
{
    return s && (strcmp(s, "resolved") == 0 || strcmp(s, "closed") == 0);
}

/* The winning row's columns, in the order of the winner query. */
enum {
    W_ROW,
    W_EXCLUDED,
    W_VEHICLE,
    W_VEHICLE_KEY,
    W_SUMMARY,
    W_DESCRIPTION,
    W_PRIORITY,
    W_STATUS,
    W_REPORTED_AT,
    W_REPORTED_BY,
    W_ASSIGNED_TO,
    W_DUE_DATE,
    W_RESOLVED_AT,
    W_ODOMETER,
    W_LABELS,
    W_EXTRA,
    W_NEEDS_OBSERVED
};

struct derive {
    sqlite3_stmt *affected, *winner, *current, *upsert, *move, *mark_deleted, *version;
};

/* The winner query names its index: without statistics SQLite would satisfy
 * ORDER BY row DESC by walking the source's whole primary key backwards,
 * one scan per affected issue (quadratic: 100,000 rows took minutes). The
 * index (source_id, issue_number) carries the key's row last, so it gives
 * the highest row directly. */
static const char *const derive_sql[] = {
    "SELECT issue_number FROM temp.load_affected",
    "SELECT row, excluded, vehicle, vehicle_key, summary, description, priority, status,"
    " reported_at, reported_by, assigned_to, due_date, resolved_at, odometer, labels, extra,"
    " needs_observed_resolution FROM clean_rows INDEXED BY clean_rows_issue"
    " WHERE source_id = ?1 AND issue_number = ?2 ORDER BY row DESC LIMIT 1",
    "SELECT state, version, hash, row, status, resolved_observed_at, priority, vehicle_key,"
    " assigned_to, reported_at, resolved_effective, due_date, resolved_at FROM issues"
    " WHERE source_id = ?1 AND issue_number = ?2",
    "INSERT OR REPLACE INTO issues (source_id, issue_number, state, version, row, vehicle,"
    " vehicle_key, summary, description, priority, status, reported_at, reported_by,"
    " assigned_to, due_date, resolved_at, resolved_effective, resolved_observed_at, odometer,"
    " labels, extra, hash, first_seen_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
    " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
    " COALESCE((SELECT first_seen_at FROM issues WHERE source_id = ?1 AND issue_number = ?2),"
    " ?23), ?23)",
    "UPDATE issues SET row = ?3 WHERE source_id = ?1 AND issue_number = ?2",
    "UPDATE issues SET state = 'deleted', version = version + 1, hash = ?3, updated_at = ?4"
    " WHERE source_id = ?1 AND issue_number = ?2",
    "INSERT INTO issue_versions (source_id, issue_number, version, observed_at, sync_id, state,"
    " row, vehicle, vehicle_key, summary, description, priority, status, reported_at,"
    " reported_by, assigned_to, due_date, resolved_at, resolved_effective, odometer, labels,"
    " extra) SELECT source_id, issue_number, version, ?3, ?4, state, row, vehicle, vehicle_key,"
    " summary, description, priority, status, reported_at, reported_by, assigned_to, due_date,"
    " resolved_at, resolved_effective, odometer, labels, extra FROM issues"
    " WHERE source_id = ?1 AND issue_number = ?2",
};

static void derive_finalize(struct derive *d)
{
    sqlite3_stmt **v = (sqlite3_stmt **)d;
    for (size_t i = 0; i < sizeof *d / sizeof *v; i++)
        sqlite3_finalize(v[i]);
}

/* What the weekly model (sql/queries/trends_issues.sql over fct_issues)
 * reads of one issue: whether it is current and, if so, these fields, as
 * stored. Issues that are not current all have the same key. A version that
 * keeps the key leaves trends_weekly as it is, so the refresh (a pass over
 * every issue of the source) is skipped when no key changed. */
enum {
    TK_PRIORITY,
    TK_VEHICLE_KEY,
    TK_ASSIGNED_TO,
    TK_REPORTED_AT,
    TK_EFFECTIVE,
    TK_DUE_DATE,
    TK_RESOLVED_AT,
    TK_COUNT
};

static int64_t trend_key(struct buf *b, const char *state, const char *const f[TK_COUNT])
{
    if (!state || strcmp(state, "current") != 0)
        return 0;
    buf_reset(b);
    for (int i = 0; i < TK_COUNT; i++)
        buf_printf(b, "%s\x1f", f[i] ? f[i] : "\x01");
    return (int64_t)buf_hash64(b->data, b->len, BUF_HASH_SEED) | 1; /* never 0 */
}

static int read_current(struct load *l, struct derive *d, const char *num, struct buf *hb,
                        struct issue_state *c)
{
    memset(c, 0, sizeof *c);
    sqlite3_bind_int64(d->current, 1, l->source_id);
    sqlite3_bind_text(d->current, 2, num, -1, SQLITE_STATIC);
    int rc = sqlite3_step(d->current);
    if (rc == SQLITE_ROW) {
        c->exists = true;
        c->state = store_col_strdup(d->current, 0);
        c->version = (long)sqlite3_column_int64(d->current, 1);
        c->hash = sqlite3_column_int64(d->current, 2);
        c->row = (long)sqlite3_column_int64(d->current, 3);
        c->status = store_col_strdup(d->current, 4);
        c->observed = store_col_strdup(d->current, 5);
        const char *f[TK_COUNT];
        for (int i = 0; i < TK_COUNT; i++)
            f[i] = (const char *)sqlite3_column_text(d->current, 6 + i);
        c->trend_key = trend_key(hb, c->state, f);
    }
    sqlite3_reset(d->current);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int write_version(struct load *l, struct derive *d, const char *num, char *err,
                         size_t errlen)
{
    sqlite3_bind_int64(d->version, 1, l->source_id);
    sqlite3_bind_text(d->version, 2, num, -1, SQLITE_STATIC);
    sqlite3_bind_text(d->version, 3, l->now_utc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(d->version, 4, l->sync_id);
    l->issues_changed++;
    return step_done(l, d->version, err, errlen, "issue_versions");
}

/* Brings issues[num] in line with its winning row (models.md §3: the highest
 * row carrying the number wins), writing a version when anything changed. */
static int derive_one(struct load *l, struct derive *d, const char *num, struct buf *hb, char *err,
                      size_t errlen)
{
    struct issue_state cur;
    int rc = -1;
    if (read_current(l, d, num, hb, &cur))
        return store_fail(l->st, err, errlen, "issues");

    sqlite3_stmt *w = d->winner;
    sqlite3_bind_int64(w, 1, l->source_id);
    sqlite3_bind_text(w, 2, num, -1, SQLITE_STATIC);
    int step = sqlite3_step(w);
    if (step == SQLITE_DONE) { /* no row carries it any more */
        sqlite3_reset(w);
        if (!cur.exists || strcmp(cur.state, "deleted") == 0) {
            rc = 0;
            goto out;
        }
        sqlite3_bind_int64(d->mark_deleted, 1, l->source_id);
        sqlite3_bind_text(d->mark_deleted, 2, num, -1, SQLITE_STATIC);
        sqlite3_bind_int64(d->mark_deleted, 3, (int64_t)(cur.hash ^ 0x5a5a5a5a5a5a5a5aLL));
        sqlite3_bind_text(d->mark_deleted, 4, l->now_utc, -1, SQLITE_STATIC);
        if (step_done(l, d->mark_deleted, err, errlen, "issues"))
            goto out;
        l->trends_changed |= cur.trend_key != 0;
        rc = write_version(l, d, num, err, errlen);
        goto out;
    }
    if (step != SQLITE_ROW) {
        sqlite3_reset(w);
        store_fail(l->st, err, errlen, "clean_rows");
        goto out;
    }

    const char *state = sqlite3_column_int(w, W_EXCLUDED) ? "invalid" : "current";
    const char *resolved_at = (const char *)sqlite3_column_text(w, W_RESOLVED_AT);
    /* The observed fallback: the first time the service saw the issue done
     * without a date, kept while it stays done. */
    const char *observed = NULL;
    if (sqlite3_column_int(w, W_NEEDS_OBSERVED))
        observed =
            cur.exists && cur.observed && is_done_status(cur.status) ? cur.observed : l->now_local;
    const char *effective = resolved_at ? resolved_at : observed;

    buf_reset(hb);
    buf_printf(hb, "%s\x1f%s\x1f", state, effective ? effective : "");
    for (int c = W_VEHICLE; c <= W_EXTRA; c++) {
        const unsigned char *t = sqlite3_column_text(w, c);
        buf_printf(hb, "%s\x1f", t ? (const char *)t : "\x01");
    }
    int64_t hash = (int64_t)buf_hash64(hb->data, hb->len, BUF_HASH_SEED);
    long row = (long)sqlite3_column_int64(w, W_ROW);
    const char *tf[TK_COUNT] = {
        [TK_PRIORITY] = (const char *)sqlite3_column_text(w, W_PRIORITY),
        [TK_VEHICLE_KEY] = (const char *)sqlite3_column_text(w, W_VEHICLE_KEY),
        [TK_ASSIGNED_TO] = (const char *)sqlite3_column_text(w, W_ASSIGNED_TO),
        [TK_REPORTED_AT] = (const char *)sqlite3_column_text(w, W_REPORTED_AT),
        [TK_EFFECTIVE] = effective,
        [TK_DUE_DATE] = (const char *)sqlite3_column_text(w, W_DUE_DATE),
        [TK_RESOLVED_AT] = (const char *)sqlite3_column_text(w, W_RESOLVED_AT),
    };
    int64_t new_trend_key = trend_key(hb, state, tf);

    if (cur.exists && cur.hash == hash && strcmp(cur.state, state) == 0) {
        rc = 0;
        if (cur.row != row) { /* moved, not changed: no new version */
            sqlite3_bind_int64(d->move, 1, l->source_id);
            sqlite3_bind_text(d->move, 2, num, -1, SQLITE_STATIC);
            sqlite3_bind_int64(d->move, 3, row);
            rc = step_done(l, d->move, err, errlen, "issues");
        }
        sqlite3_reset(w);
        goto out;
    }

    l->trends_changed |= new_trend_key != cur.trend_key;
    sqlite3_stmt *u = d->upsert;
    sqlite3_bind_int64(u, 1, l->source_id);
    sqlite3_bind_text(u, 2, num, -1, SQLITE_STATIC);
    sqlite3_bind_text(u, 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(u, 4, cur.exists ? cur.version + 1 : 1);
    sqlite3_bind_int64(u, 5, row);
    /* vehicle .. resolved_at map onto parameters 6..16 in order */
    for (int c = W_VEHICLE; c <= W_RESOLVED_AT; c++)
        sqlite3_bind_value(u, 6 + (c - W_VEHICLE), sqlite3_column_value(w, c));
    bind_text_or_null(u, 17, effective);
    bind_text_or_null(u, 18, observed);
    sqlite3_bind_value(u, 19, sqlite3_column_value(w, W_ODOMETER));
    sqlite3_bind_value(u, 20, sqlite3_column_value(w, W_LABELS));
    sqlite3_bind_value(u, 21, sqlite3_column_value(w, W_EXTRA));
    sqlite3_bind_int64(u, 22, hash);
    sqlite3_bind_text(u, 23, l->now_utc, -1, SQLITE_STATIC);
    int s = sqlite3_step(u);
    sqlite3_reset(u);
    sqlite3_clear_bindings(u);
    sqlite3_reset(w);
    if (s != SQLITE_DONE) {
        store_fail(l->st, err, errlen, "issues");
        goto out;
    }
    rc = write_version(l, d, num, err, errlen);
out:
    issue_state_free(&cur);
    return rc;
}

static int derive_issues(struct load *l, char *err, size_t errlen)
{
    struct derive d = {0};
    sqlite3_stmt **v = (sqlite3_stmt **)&d;
    struct buf hb;
    int rc = -1;
    buf_init(&hb, 0);
    for (size_t i = 0; i < sizeof d / sizeof *v; i++)
        if (store_prepare(l->st, derive_sql[i], &v[i], err, errlen))
            goto out;
    while ((rc = sqlite3_step(d.affected)) == SQLITE_ROW) {
        char *num = store_col_strdup(d.affected, 0);
        int r = num ? derive_one(l, &d, num, &hb, err, errlen) : -1;
        free(num);
        if (r) {
            rc = -1;
            goto out;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : store_fail(l->st, err, errlen, "load_affected");
out:
    buf_free(&hb);
    derive_finalize(&d);
    return rc;
}

static int mark_source_ok(struct load *l, bool changed, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (store_prepare(l->st,
                      "UPDATE sources SET last_sync_ok_at = ?2,"
                      " data_version = data_version + ?3 WHERE id = ?1",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, l->source_id);
    sqlite3_bind_text(s, 2, l->now_utc, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, changed ? 1 : 0);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(l->st, err, errlen, "sources");
    sqlite3_finalize(s);
    return rc;
}

static void load_free(struct load *l)
{
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(l->q[i]);
    if (l->have_map)
        clean_header_map_free(&l->map);
    clean_problems_free(&l->header_problems);
    clean_problems_free(&l->problems);
    buf_free(&l->cells);
    free(l->clean_key);
    free(l);
}

int load_finish(struct load *l, struct load_stats *stats, char *err, size_t errlen)
{
    if (!l->have_map) {
        snprintf(err, errlen, "no header was read");
        goto fail;
    }
    if (delete_rows(l, l->last_row + 1, l->range_last, err, errlen) ||
        derive_issues(l, err, errlen))
        goto fail;
    bool changed = l->issues_changed > 0 || l->rows_changed > 0 || l->header_changed;
    if (l->trends_changed && store_trends_refresh(l->st, l->source_id, err, errlen))
        goto fail;
    if (mark_source_ok(l, changed, err, errlen))
        goto fail;
    /* The run is recorded inside the transaction: it commits with the data. */
    if (run_finish(l, "ok", NULL) || store_exec(l->st, "COMMIT", err, errlen))
        goto fail;
    if (l->rows_fetched >= PROGRESS_EVERY)
        log_progress(l);
    if (stats)
        *stats =
            (struct load_stats){l->sync_id, l->rows_fetched, l->rows_changed, l->issues_changed};
    load_free(l);
    return 0;
fail:
    load_abort(l, err);
    return -1;
}

void load_abort(struct load *l, const char *error)
{
    char err[256];
    if (!sqlite3_get_autocommit(l->st->db))
        store_exec(l->st, "ROLLBACK", err, sizeof err);
    /* Header problems explain a missing_column failure in /quality. */
    if (l->header_problems.n > 0 && strncmp(error, "missing_column", 14) == 0 &&
        store_exec(l->st, "BEGIN IMMEDIATE", err, sizeof err) == 0) {
        if (save_header_problems(l, err, sizeof err) == 0)
            store_exec(l->st, "COMMIT", err, sizeof err);
        else
            store_exec(l->st, "ROLLBACK", err, sizeof err);
    }
    if (l->sync_id)
        run_finish(l, "failed", error);
    load_free(l);
}

void load_record_failure(struct store *st, const struct load_options *o, const char *error)
{
    struct load l = {.st = st, .o = *o};
    char err[256];
    clock_iso_utc(o->now ? o->now : time(NULL), l.now_utc);
    if (!l.o.sheet) /* keep the stored tab name; a new source gets none yet */
        l.o.sheet = "";
    if (source_find_or_create(&l, err, sizeof err) == 0 && run_insert(&l, err, sizeof err) == 0)
        run_finish(&l, "failed", error);
    else
        log_error("sync %s: cannot record the failed run: %s", o->source, err);
}

long load_close_interrupted_runs(struct store *st, char *err, size_t errlen)
{
    char now[21];
    clock_iso_utc(time(NULL), now);
    /* A sync holds the write lock from its first row to its commit, so a
     * lock taken without waiting means no run of another process is live. */
    sqlite3_busy_timeout(st->db, 0);
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    if ((rc & 0xff) == SQLITE_BUSY)
        return 0;
    if (rc != SQLITE_OK)
        return store_fail(st, err, errlen, "sync_runs");
    sqlite3_stmt *s = NULL;
    long closed = -1;
    if (store_prepare(st,
                      "UPDATE sync_runs SET status = 'failed', finished_at = ?1,"
                      " error = 'interrupted: the process ended before this run finished;"
                      " nothing of it was stored' WHERE status = 'running'",
                      &s, err, errlen) == 0) {
        sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_DONE)
            closed = sqlite3_changes(st->db);
        else
            store_fail(st, err, errlen, "sync_runs");
    }
    sqlite3_finalize(s);
    if (closed < 0 || store_exec(st, "COMMIT", err, errlen)) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return closed;
}

/* The weekly model (models.md §4) and the views of sql/models/.
 *
 * The golden fixture (tests/data/trends_golden.md) is inserted straight into
 * `issues`; its expected rows were computed by hand into
 * tests/data/trends_golden_<group_by>.csv and are compared field by field with
 * both implementations: the materialized table (store_trends_refresh, in C)
 * read through store_trends_fetch, and sql/queries/trends_weekly.sql run
 * directly. Range cases are table-driven; a random data set checks that the
 * two implementations agree on every row. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/embedded.h"
#include "store/store.h"
#include "store/trends.h"

#define NFIELDS 18

static char db_path[64];
static struct store *st;
static sqlite3 *raw; /* a second connection, for fixtures and raw queries */

static void setup(void)
{
    char err[256];
    snprintf(db_path, sizeof db_path, "/tmp/test_trends_XXXXXX");
    int fd = mkstemp(db_path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(store_open(db_path, &st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_open(db_path, &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
}

static void teardown(void)
{
    char p[80];
    sqlite3_close(raw);
    store_close(st);
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static void exec(const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(raw, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s\n%s", msg ? msg : "?", sql);
}

static void add_source(long id, const char *name, const char *sheet)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw,
                                    "INSERT INTO sources (id, name, kind, sheet, created_at)"
                                    " VALUES (?, ?, 'csv', ?, '2024-01-01T00:00:00Z')",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, sheet, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(raw));
    sqlite3_finalize(s);
}

/* One issue of a fixture; NULL fields are NULL. `eff` NULL means
 * resolved_effective = resolved_at. */
struct fx {
    const char *num, *vehicle, *key, *prio, *assigned, *rep, *due, *res, *eff, *state;
};

static void add_issue(long source, const struct fx *f)
{
    sqlite3_stmt *s;
    cr_assert_eq(
        sqlite3_prepare_v2(
            raw,
            "INSERT INTO issues (source_id, issue_number, state, version, row, vehicle,"
            " vehicle_key, priority, status, reported_at, assigned_to, due_date, resolved_at,"
            " resolved_effective, hash, first_seen_at, updated_at)"
            " VALUES (?1, ?2, coalesce(?10, 'current'), 1, CAST(?2 AS INTEGER) + 1, ?3, ?4, ?5,"
            " CASE WHEN ?9 IS NULL THEN 'open' ELSE 'resolved' END, ?6, ?7, ?8,"
            " CASE WHEN ?11 THEN NULL ELSE ?9 END, ?9, 0, '2024-01-01T00:00:00Z',"
            " '2024-01-01T00:00:00Z')",
            -1, &s, NULL),
        SQLITE_OK, "%s", sqlite3_errmsg(raw));
    /* A fallback: resolved_at NULL, resolved_effective = eff. */
    bool fallback = f->eff != NULL;
    sqlite3_bind_int64(s, 1, source);
    sqlite3_bind_text(s, 2, f->num, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->vehicle, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, f->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, f->prio, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, f->rep, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, f->assigned, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, f->due, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, fallback ? f->eff : f->res, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, f->state, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 11, fallback);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(raw));
    sqlite3_finalize(s);
}

/* tests/data/trends_golden.md */
static const struct fx golden[] = {
    {"1", "Truck 1", "TRUCK1", "high", "Alice", "2024-01-02 09:00:00", "2024-01-05 00:00:00",
     "2024-01-03 09:00:00", NULL, NULL},
    {"2", "Truck 1", "TRUCK1", "high", "alice", "2024-01-03 12:00:00", "2024-01-06 00:00:00",
     "2024-01-10 12:00:00", NULL, NULL},
    {"3", "Truck 2", "TRUCK2", "critical", "Bob", "2024-01-04 08:00:00", NULL, NULL, NULL, NULL},
    {"4", "Truck 2", "TRUCK2", "medium", NULL, "2024-01-08 00:00:00", "2024-01-10 00:00:00",
     "2024-01-15 00:00:00", NULL, NULL},
    {"5", "Truck 3", "TRUCK3", "low", "", "2024-01-09 10:00:00", NULL, NULL, "2024-01-12 10:00:00",
     NULL},
    {"6", NULL, "UNKNOWN", "none", "Carol", "2024-01-10 00:00:00", "2024-01-12 00:00:00",
     "2024-01-24 06:00:00", NULL, NULL},
    {"7", "Truck 1", "TRUCK1", "critical", "Bob", "2024-01-11 00:00:00", NULL,
     "2024-01-16 12:00:00", NULL, NULL},
    {"8", "TRUCK-2", "TRUCK2", "high", "ALICE", "2024-01-16 08:00:00", NULL, "2024-01-16 11:00:00",
     NULL, NULL},
    {"9", "Truck 3", "TRUCK3", "medium", "Bob", "2024-01-17 00:00:00", "2024-01-19 00:00:00", NULL,
     NULL, NULL},
    {"10", "Truck 1", "TRUCK1", "low", "Carol", "2024-01-18 00:00:00", NULL, "2024-01-20 08:00:00",
     NULL, NULL},
    {"11", "Truck 2", "TRUCK2", "high", "Alice", "2024-01-23 00:00:00", NULL, "2024-01-25 00:00:00",
     NULL, NULL},
    {"12", "Truck 3", "TRUCK3", "critical", NULL, "2024-01-24 00:00:00", "2024-02-05 00:00:00",
     NULL, NULL, NULL},
    {"13", "Truck 1", "TRUCK1", "none", "Bob", "2024-01-02 00:00:00", NULL, NULL,
     "2024-02-20 00:00:00", NULL},
    {"14", "Truck 2", "TRUCK2", "medium", "Alice", "2024-01-22 00:00:00", NULL,
     "2024-01-28 23:59:59", NULL, NULL},
    {"15", "Truck 3", "TRUCK3", "low", "Carol", "2024-01-15 00:00:00", NULL, "2024-01-17 00:00:00",
     NULL, NULL},
    {"16", "Truck 9", "TRUCK9", "high", "Bob", "2024-01-05 00:00:00", NULL, NULL, NULL, "invalid"},
    {"17", "Truck 9", "TRUCK9", "high", "Bob", "2023-12-01 00:00:00", NULL, NULL, NULL, "deleted"},
    {"18", "truck 3", "TRUCK3", "high", "Bob", "2024-01-08 12:00:00", NULL, "2024-01-09 00:00:00",
     NULL, NULL},
    {"19", "truck-1", "TRUCK1", "medium", "Carol", "2024-01-22 12:00:00", NULL,
     "2024-01-23 00:00:00", NULL, NULL},
    {"20", "Truck 2", "TRUCK2", "low", "Bob", "2024-01-25 00:00:00", "2024-01-20 00:00:00", NULL,
     NULL, NULL},
};

static void refresh(long source)
{
    char err[256];
    cr_assert_eq(store_trends_refresh(st, source, err, sizeof err), 0, "%s", err);
}

/* Source 1 "default" with the golden fixture, source 2 "empty" with only an
 * invalid and a deleted issue; both refreshed. */
static void load_golden(void)
{
    add_source(1, "default", "Issues");
    add_source(2, "empty", "Empty");
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++)
        add_issue(1, &golden[i]);
    add_issue(2, &golden[15]); /* invalid */
    add_issue(2, &golden[16]); /* deleted */
    refresh(1);
    refresh(2);
}

/* ---- rows ---- */

struct rowset {
    struct trend_row *v;
    size_t n, cap;
};

static void rowset_free(struct rowset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free((char *)rs->v[i].group);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

static int collect(const struct trend_row *r, void *arg)
{
    struct rowset *rs = arg;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? 2 * rs->cap : 16;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        cr_assert_not_null(rs->v);
    }
    rs->v[rs->n] = *r;
    rs->v[rs->n].group = strdup(r->group);
    rs->n++;
    return 0;
}

static int fetch(long source, const char *gb, const char *from, const char *to, struct rowset *rs,
                 char from_out[11], char to_out[11])
{
    char err[256];
    struct trends_query q = {source, gb, from, to};
    int rc = store_trends_fetch(st, &q, collect, rs, from_out, to_out, err, sizeof err);
    cr_assert_eq(rc, 0, "fetch %s %s..%s: %s", gb, from ? from : "-", to ? to : "-", err);
    return rc;
}

static double opt(sqlite3_stmt *s, int col, bool *has)
{
    *has = sqlite3_column_type(s, col) != SQLITE_NULL;
    return sqlite3_column_double(s, col);
}

/* Runs sql/queries/trends_weekly.sql directly on the raw connection. */
static void model_rows(long source, const char *gb, const char *from, const char *to,
                       struct rowset *rs)
{
    const struct embedded_file *f = embedded_find("sql/queries/trends_weekly.sql");
    cr_assert_not_null(f);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw, f->data, -1, &s, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(raw));
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":source_id"), source);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":group_by"), gb, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":from"), from, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":to"), to, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct trend_row r;
        memset(&r, 0, sizeof r);
        r.group = (const char *)sqlite3_column_text(s, 2);
        snprintf(r.week_start, sizeof r.week_start, "%s", sqlite3_column_text(s, 3));
        snprintf(r.week_end, sizeof r.week_end, "%s", sqlite3_column_text(s, 4));
        r.opened = sqlite3_column_int64(s, 5);
        r.resolved = sqlite3_column_int64(s, 6);
        r.open_at_end = sqlite3_column_int64(s, 7);
        r.overdue_at_end = sqlite3_column_int64(s, 8);
        r.mean_days_to_resolve = opt(s, 9, &r.has_mean);
        r.median_days_to_resolve = opt(s, 10, &r.has_median);
        r.opened_prev = sqlite3_column_int64(s, 11);
        r.opened_wow_delta = sqlite3_column_int64(s, 12);
        r.opened_wow_pct = opt(s, 13, &r.has_opened_wow_pct);
        r.resolved_prev = sqlite3_column_int64(s, 14);
        r.resolved_wow_delta = sqlite3_column_int64(s, 15);
        r.resolved_wow_pct = opt(s, 16, &r.has_resolved_wow_pct);
        r.open_at_end_prev = sqlite3_column_int64(s, 17);
        r.open_at_end_wow_delta = sqlite3_column_int64(s, 18);
        r.open_at_end_wow_pct = opt(s, 19, &r.has_open_at_end_wow_pct);
        collect(&r, rs);
    }
    cr_assert_eq(step, SQLITE_DONE, "%s", sqlite3_errmsg(raw));
    sqlite3_finalize(s);
}

/* Splits a CSV line of the §5.1 columns (no quoting needed) in place. */
static void split(char *line, char *field[NFIELDS])
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    field[n++] = line;
    for (char *p = line; *p && n < NFIELDS; p++)
        if (*p == ',') {
            *p = '\0';
            field[n++] = p + 1;
        }
    cr_assert_eq(n, NFIELDS, "%zu fields in '%s'", n, line);
}

static void expect_long(long got, const char *want, const char *what, const char *where)
{
    cr_expect_eq(got, strtol(want, NULL, 10), "%s %s: got %ld, want %s", where, what, got, want);
}

/* A decimal: null when `want` is empty; else rounded exactly to the
 * precision written in `want` (the double itself, not only its print). */
static void expect_dec(bool has, double got, const char *want, const char *what, const char *where)
{
    if (!*want) {
        cr_expect(!has, "%s %s: got %g, want null", where, what, got);
        return;
    }
    cr_expect(has, "%s %s: got null, want %s", where, what, want);
    const char *dot = strchr(want, '.');
    int decimals = dot ? (int)strlen(dot + 1) : 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, got);
    cr_expect_str_eq(buf, want, "%s %s: got %s, want %s", where, what, buf, want);
    cr_expect(fabs(got - strtod(want, NULL)) < 1e-9, "%s %s: %.10f is not rounded", where, what,
              got);
}

/* Compares one row with one expected CSV line. */
static void expect_row(const struct trend_row *r, const char *csv_line, const char *where)
{
    char line[512], *f[NFIELDS], at[128];
    snprintf(line, sizeof line, "%s", csv_line);
    split(line, f);
    snprintf(at, sizeof at, "%s %s %s", where, f[0], f[2]);
    cr_expect_str_eq(r->week_start, f[0], "%s week_start: %s", at, r->week_start);
    cr_expect_str_eq(r->week_end, f[1], "%s week_end: %s", at, r->week_end);
    cr_expect_str_eq(r->group, f[2], "%s group: %s", at, r->group);
    expect_long(r->opened, f[3], "opened", at);
    expect_long(r->resolved, f[4], "resolved", at);
    expect_long(r->open_at_end, f[5], "open_at_end", at);
    expect_long(r->overdue_at_end, f[6], "overdue_at_end", at);
    expect_dec(r->has_mean, r->mean_days_to_resolve, f[7], "mean_days_to_resolve", at);
    expect_dec(r->has_median, r->median_days_to_resolve, f[8], "median_days_to_resolve", at);
    expect_long(r->opened_prev, f[9], "opened_prev", at);
    expect_long(r->opened_wow_delta, f[10], "opened_wow_delta", at);
    expect_dec(r->has_opened_wow_pct, r->opened_wow_pct, f[11], "opened_wow_pct", at);
    expect_long(r->resolved_prev, f[12], "resolved_prev", at);
    expect_long(r->resolved_wow_delta, f[13], "resolved_wow_delta", at);
    expect_dec(r->has_resolved_wow_pct, r->resolved_wow_pct, f[14], "resolved_wow_pct", at);
    expect_long(r->open_at_end_prev, f[15], "open_at_end_prev", at);
    expect_long(r->open_at_end_wow_delta, f[16], "open_at_end_wow_delta", at);
    expect_dec(r->has_open_at_end_wow_pct, r->open_at_end_wow_pct, f[17], "open_at_end_wow_pct",
               at);
}

static void expect_rows(const struct rowset *rs, const char *const *lines, size_t n,
                        const char *where)
{
    cr_assert_eq(rs->n, n, "%s: %zu rows, want %zu", where, rs->n, n);
    for (size_t i = 0; i < n; i++)
        expect_row(&rs->v[i], lines[i], where);
}

/* ---- golden files ---- */

static const char csv_header[] =
    "week_start,week_end,group,opened,resolved,open_at_end,overdue_at_end,"
    "mean_days_to_resolve,median_days_to_resolve,opened_prev,opened_wow_delta,opened_wow_pct,"
    "resolved_prev,resolved_wow_delta,resolved_wow_pct,open_at_end_prev,open_at_end_wow_delta,"
    "open_at_end_wow_pct";

/* The data lines of tests/data/trends_golden_<gb>.csv (caller frees). */
static char **read_golden(const char *gb, size_t *n)
{
    char path[512], line[512];
    snprintf(path, sizeof path, "%s/tests/data/trends_golden_%s.csv", SHEETSYNC_SOURCE_DIR, gb);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp, "%s", path);
    cr_assert_not_null(fgets(line, sizeof line, fp));
    line[strcspn(line, "\r\n")] = '\0';
    cr_assert_str_eq(line, csv_header, "%s: header", path);
    char **lines = NULL;
    *n = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '\n')
            continue;
        lines = realloc(lines, (*n + 1) * sizeof *lines);
        lines[(*n)++] = strdup(line);
    }
    fclose(fp);
    return lines;
}

static void check_golden(const char *gb)
{
    size_t n;
    char **lines = read_golden(gb, &n);
    char from[11], to[11], where[64];
    struct rowset rs = {0};

    load_golden();
    fetch(1, gb, NULL, NULL, &rs, from, to);
    cr_expect_str_eq(from, "2024-01-01");
    cr_expect_str_eq(to, "2024-01-22");
    snprintf(where, sizeof where, "materialized %s", gb);
    expect_rows(&rs, (const char *const *)lines, n, where);
    rowset_free(&rs);

    model_rows(1, gb, NULL, NULL, &rs);
    snprintf(where, sizeof where, "model query %s", gb);
    expect_rows(&rs, (const char *const *)lines, n, where);
    rowset_free(&rs);

    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

TestSuite(trends, .init = setup, .fini = teardown);

Test(trends, golden_none)
{
    check_golden("none");
}

Test(trends, golden_priority)
{
    check_golden("priority");
}

Test(trends, golden_vehicle)
{
    check_golden("vehicle");
}

Test(trends, golden_assignee)
{
    check_golden("assignee");
}

Test(trends, group_bys)
{
    cr_expect_str_eq(trends_group_bys[0], "none");
    cr_expect_str_eq(trends_group_bys[1], "priority");
    cr_expect_str_eq(trends_group_bys[2], "vehicle");
    cr_expect_str_eq(trends_group_bys[3], "assignee");
    for (int i = 0; i < 4; i++)
        cr_expect(trends_group_by_valid(trends_group_bys[i]));
    cr_expect(!trends_group_by_valid(NULL));
    cr_expect(!trends_group_by_valid(""));
    cr_expect(!trends_group_by_valid("Vehicle"));
    cr_expect(!trends_group_by_valid("status"));
}

/* ---- explicit ranges ---- */

#define W1 "2024-01-01,2024-01-07,all,4,1,3,1,1.00,1.00,0,4,,0,1,,0,3,"
#define W2 "2024-01-08,2024-01-14,all,5,3,5,2,3.75,3.75,4,1,25.0,1,2,200.0,3,2,66.7"
#define W3 "2024-01-15,2024-01-21,all,4,5,4,2,3.39,2.33,5,-1,-20.0,3,2,66.7,5,-1,-20.0"
#define W4 "2024-01-22,2024-01-28,all,5,4,5,2,5.94,4.50,4,1,25.0,5,-1,-20.0,4,1,25.0"
/* After the data: the fallback of #13 (2024-02-20) still resolves in W8, and
 * #12 falls due on 2024-02-05 (overdue from W6). */
#define W9 "2024-02-26,2024-03-03,all,0,0,4,3,,,0,0,,1,-1,-100.0,4,0,0.0"

struct range_case {
    const char *name, *gb, *from, *to;
    const char *from_out, *to_out; /* expected resolved range */
    const char *rows[8];           /* expected rows, NULL-terminated */
};

static const struct range_case range_cases[] = {
    {"default", "none", NULL, NULL, "2024-01-01", "2024-01-22", {W1, W2, W3, W4}},
    {"inside", "none", "2024-01-08", "2024-01-15", "2024-01-08", "2024-01-15", {W2, W3}},
    {"inside, any day of the week",
     "none",
     "2024-01-14",
     "2024-01-16",
     "2024-01-08",
     "2024-01-15",
     {W2, W3}},
    {"one week", "none", "2024-01-22", "2024-01-22", "2024-01-22", "2024-01-22", {W4}},
    {"from only", "none", "2024-01-15", NULL, "2024-01-15", "2024-01-22", {W3, W4}},
    {"to only", "none", NULL, "2024-01-08", "2024-01-01", "2024-01-08", {W1, W2}},
    {"overlapping before",
     "none",
     "2023-12-25",
     "2024-01-08",
     "2023-12-25",
     "2024-01-08",
     {"2023-12-25,2023-12-31,all,0,0,0,0,,,0,0,,0,0,,0,0,", W1, W2}},
    {"overlapping after",
     "none",
     "2024-01-22",
     "2024-02-26",
     "2024-01-22",
     "2024-02-26",
     {W4, "2024-01-29,2024-02-04,all,0,0,5,2,,,5,-5,-100.0,4,-4,-100.0,5,0,0.0",
      "2024-02-05,2024-02-11,all,0,0,5,3,,,0,0,,0,0,,5,0,0.0",
      "2024-02-12,2024-02-18,all,0,0,5,3,,,0,0,,0,0,,5,0,0.0",
      "2024-02-19,2024-02-25,all,0,1,4,3,,,0,0,,0,1,,5,-1,-20.0", W9}},
    {"outside before (the deleted issue does not count)",
     "none",
     "2023-11-27",
     "2023-12-04",
     "2023-11-27",
     "2023-12-04",
     {"2023-11-27,2023-12-03,all,0,0,0,0,,,0,0,,0,0,,0,0,",
      "2023-12-04,2023-12-10,all,0,0,0,0,,,0,0,,0,0,,0,0,"}},
    {"outside after, prev from before from",
     "none",
     "2024-02-26",
     "2024-02-26",
     "2024-02-26",
     "2024-02-26",
     {W9}},
    {"from after to", "none", "2024-01-15", "2024-01-08", "2024-01-15", "2024-01-08", {NULL}},
    {"from after to, same week",
     "none",
     "2024-01-16",
     "2024-01-15",
     "2024-01-15",
     "2024-01-15",
     {W3}},
    {"every priority, outside",
     "priority",
     "2023-12-25",
     "2023-12-25",
     "2023-12-25",
     "2023-12-25",
     {"2023-12-25,2023-12-31,critical,0,0,0,0,,,0,0,,0,0,,0,0,",
      "2023-12-25,2023-12-31,high,0,0,0,0,,,0,0,,0,0,,0,0,",
      "2023-12-25,2023-12-31,low,0,0,0,0,,,0,0,,0,0,,0,0,",
      "2023-12-25,2023-12-31,medium,0,0,0,0,,,0,0,,0,0,,0,0,",
      "2023-12-25,2023-12-31,none,0,0,0,0,,,0,0,,0,0,,0,0,"}},
    {"every vehicle, the week after",
     "vehicle",
     "2024-01-29",
     "2024-01-29",
     "2024-01-29",
     "2024-01-29",
     {"2024-01-29,2024-02-04,TRUCK1,0,0,1,0,,,1,-1,-100.0,1,-1,-100.0,1,0,0.0",
      "2024-01-29,2024-02-04,TRUCK2,0,0,2,1,,,3,-3,-100.0,2,-2,-100.0,2,0,0.0",
      "2024-01-29,2024-02-04,TRUCK3,0,0,2,1,,,1,-1,-100.0,0,0,,2,0,0.0",
      "2024-01-29,2024-02-04,UNKNOWN,0,0,0,0,,,0,0,,1,-1,-100.0,0,0,"}},
    {"assignee, inside",
     "assignee",
     "2024-01-22",
     "2024-01-22",
     "2024-01-22",
     "2024-01-22",
     {"2024-01-22,2024-01-28,alice,2,2,0,0,4.50,4.50,1,1,100.0,1,1,100.0,0,0,",
      "2024-01-22,2024-01-28,bob,1,0,4,2,,,1,0,0.0,1,-1,-100.0,3,1,33.3",
      "2024-01-22,2024-01-28,carol,1,2,0,0,7.38,7.38,2,-1,-50.0,2,0,0.0,1,-1,-100.0",
      "2024-01-22,2024-01-28,unassigned,1,0,1,0,,,0,1,,1,-1,-100.0,0,1,"}},
};

Test(trends, ranges)
{
    load_golden();
    for (size_t c = 0; c < sizeof range_cases / sizeof range_cases[0]; c++) {
        const struct range_case *rc = &range_cases[c];
        struct rowset rs = {0};
        char from[11], to[11];
        size_t n = 0;
        while (n < 8 && rc->rows[n])
            n++;
        fetch(1, rc->gb, rc->from, rc->to, &rs, from, to);
        cr_expect_str_eq(from, rc->from_out, "%s: from %s", rc->name, from);
        cr_expect_str_eq(to, rc->to_out, "%s: to %s", rc->name, to);
        expect_rows(&rs, rc->rows, n, rc->name);
        rowset_free(&rs);
        /* The model query agrees on every explicit range. */
        if (rc->from && rc->to && strcmp(from, to) <= 0) {
            model_rows(1, rc->gb, rc->from, rc->to, &rs);
            expect_rows(&rs, rc->rows, n, rc->name);
            rowset_free(&rs);
        }
    }
}

Test(trends, empty_source)
{
    load_golden();
    struct {
        const char *from, *to;
    } ranges[] = {{NULL, NULL}, {"2024-01-01", "2024-01-22"}, {"2024-01-01", NULL}};
    for (size_t g = 0; g < 4; g++)
        for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
            struct rowset rs = {0};
            char from[11] = "x", to[11] = "x";
            fetch(2, trends_group_bys[g], ranges[i].from, ranges[i].to, &rs, from, to);
            cr_expect_eq(rs.n, 0, "%s: %zu rows", trends_group_bys[g], rs.n);
            cr_expect_str_eq(from, "");
            cr_expect_str_eq(to, "");
            rowset_free(&rs);
            model_rows(2, trends_group_bys[g], ranges[i].from, ranges[i].to, &rs);
            cr_expect_eq(rs.n, 0, "model query %s: %zu rows", trends_group_bys[g], rs.n);
            rowset_free(&rs);
        }
    /* An unknown source is empty too. */
    struct rowset rs = {0};
    char from[11], to[11];
    fetch(99, "none", NULL, NULL, &rs, from, to);
    cr_expect_eq(rs.n, 0);
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw, "SELECT count(*) FROM trends_weekly WHERE source_id = 2",
                                    -1, &s, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
}

Test(trends, refresh_replaces)
{
    load_golden();
    /* Deleting every issue but #3 leaves one open issue in W1. */
    exec("UPDATE issues SET state = 'deleted' WHERE source_id = 1 AND issue_number <> '3'");
    refresh(1);
    struct rowset rs = {0};
    char from[11], to[11];
    fetch(1, "none", NULL, NULL, &rs, from, to);
    const char *rows[] = {"2024-01-01,2024-01-07,all,1,0,1,0,,,0,1,,0,0,,0,1,"};
    expect_rows(&rs, rows, 1, "after delete");
    rowset_free(&rs);
    fetch(1, "vehicle", NULL, NULL, &rs, from, to);
    cr_expect_eq(rs.n, 1);
    rowset_free(&rs);
    exec("UPDATE issues SET state = 'deleted' WHERE source_id = 1");
    refresh(1);
    fetch(1, "priority", NULL, NULL, &rs, from, to);
    cr_expect_eq(rs.n, 0);
    cr_expect_str_eq(from, "");
    rowset_free(&rs);
}

static int stop_after_two(const struct trend_row *r, void *arg)
{
    (void)r;
    int *n = arg;
    return ++*n == 2 ? 42 : 0;
}

Test(trends, callback_stops_and_errors)
{
    load_golden();
    char err[256], from[11], to[11];
    int n = 0;
    struct trends_query q = {1, "none", NULL, NULL};
    cr_expect_eq(store_trends_fetch(st, &q, stop_after_two, &n, from, to, err, sizeof err), 42);
    cr_expect_eq(n, 2);
    n = 0;
    q.from = "2023-01-01"; /* the model query path */
    cr_expect_eq(store_trends_fetch(st, &q, stop_after_two, &n, from, to, err, sizeof err), 42);
    q.from = "January";
    cr_expect_eq(store_trends_fetch(st, &q, stop_after_two, &n, from, to, err, sizeof err), -1);
    q.from = "2024-01-01";
    q.group_by = "status";
    cr_expect_eq(store_trends_fetch(st, &q, stop_after_two, &n, from, to, err, sizeof err), -1);
}

/* The edges of the calendar SQLite can write: year 0001 and year 9999, whose
 * last week ends past 9999-12-31 (capped). */
Test(trends, calendar_edges)
{
    add_source(3, "first", "First");
    add_source(4, "last", "Last");
    const struct fx first = {
        "1", "A", "A", "low", "x", "0001-01-01 00:00:00", NULL, "0001-01-10 12:00:00", NULL, NULL};
    const struct fx last = {
        "1", "A", "A", "low", "x", "9999-12-20 00:00:00", NULL, "9999-12-31 23:59:59", NULL, NULL};
    add_issue(3, &first);
    add_issue(4, &last);
    refresh(3);
    refresh(4);
    const char *rows3[] = {
        "0001-01-01,0001-01-07,all,1,0,1,0,,,0,1,,0,0,,0,1,",
        "0001-01-08,0001-01-14,all,0,1,0,0,9.50,9.50,1,-1,-100.0,0,1,,1,-1,-100.0"};
    const char *rows4[] = {
        "9999-12-20,9999-12-26,all,1,0,1,0,,,0,1,,0,0,,0,1,",
        "9999-12-27,9999-12-31,all,0,1,0,0,12.00,12.00,1,-1,-100.0,0,1,,1,-1,-100.0"};
    struct rowset rs = {0};
    char from[11], to[11];
    fetch(3, "none", NULL, NULL, &rs, from, to);
    expect_rows(&rs, rows3, 2, "year 1");
    rowset_free(&rs);
    model_rows(3, "none", NULL, NULL, &rs);
    expect_rows(&rs, rows3, 2, "year 1, model query");
    rowset_free(&rs);
    fetch(4, "none", NULL, NULL, &rs, from, to);
    expect_rows(&rs, rows4, 2, "year 9999");
    rowset_free(&rs);
    model_rows(4, "none", NULL, NULL, &rs);
    expect_rows(&rs, rows4, 2, "year 9999, model query");
    rowset_free(&rs);
}

/* ---- the two implementations agree ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(uint64_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state % n;
}

/* Random issues over ~14 months, including the awkward cases: due before
 * reported, the observed fallback before reported and long after, resolution
 * in the reporting week, invalid and deleted issues. */
static void load_random(long source, int n)
{
    static const char *prios[] = {"critical", "high", "medium", "low", "none"};
    static const char *people[] = {"ann", "Ann", "bo", "cy", "", NULL};
    sqlite3_stmt *s;
    cr_assert_eq(
        sqlite3_prepare_v2(
            raw,
            "INSERT INTO issues (source_id, issue_number, state, version, row, vehicle,"
            " vehicle_key, priority, status, reported_at, assigned_to, due_date, resolved_at,"
            " resolved_effective, hash, first_seen_at, updated_at)"
            " VALUES (?1, ?2, ?3, 1, ?2 + 1, 'V' || ?4, 'V' || ?4, ?5, 'open',"
            " datetime(1672531200 + ?6, 'unixepoch'), ?7, datetime(1672531200 + ?8, 'unixepoch'),"
            " datetime(1672531200 + ?9, 'unixepoch'), datetime(1672531200 + ?10, 'unixepoch'),"
            " 0, 'x', 'x')",
            -1, &s, NULL),
        SQLITE_OK, "%s", sqlite3_errmsg(raw));
    for (int i = 0; i < n; i++) {
        int64_t rep = (int64_t)rnd(420 * 86400);
        uint64_t kind = rnd(100);
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        sqlite3_bind_int64(s, 1, source);
        sqlite3_bind_int(s, 2, i);
        sqlite3_bind_text(s, 3,
                          kind < 90   ? "current"
                          : kind < 95 ? "invalid"
                                      : "deleted",
                          -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, (int)rnd(13));
        sqlite3_bind_text(s, 5, prios[rnd(5)], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 6, rep);
        sqlite3_bind_text(s, 7, people[rnd(6)], -1, SQLITE_STATIC);
        if (rnd(2))
            sqlite3_bind_int64(s, 8, rep + (int64_t)rnd(40 * 86400) - 7 * 86400);
        uint64_t res = rnd(100);
        if (res < 50) { /* a valid resolved_at, sometimes the same week */
            int64_t at = rep + (int64_t)rnd(res < 15 ? 86400 : 70 * 86400);
            sqlite3_bind_int64(s, 9, at);
            sqlite3_bind_int64(s, 10, at);
        } else if (res < 65) { /* the observed fallback, possibly before */
            sqlite3_bind_int64(s, 10, rep + (int64_t)rnd(200 * 86400) - 20 * 86400);
        }
        cr_assert_eq(sqlite3_step(s), SQLITE_DONE, "%s", sqlite3_errmsg(raw));
    }
    sqlite3_finalize(s);
}

/* Steps two statements with the 20 columns of trends_weekly side by side. */
static void expect_same_rows(sqlite3_stmt *a, sqlite3_stmt *b, const char *where)
{
    size_t n = 0;
    for (;; n++) {
        int sa = sqlite3_step(a), sb = sqlite3_step(b);
        cr_assert_eq(sa, sb, "%s: row %zu: %d vs %d (%s)", where, n, sa, sb, sqlite3_errmsg(raw));
        if (sa != SQLITE_ROW)
            break;
        for (int c = 2; c < 20; c++) {
            int ta = sqlite3_column_type(a, c), tb = sqlite3_column_type(b, c);
            const char *va = (const char *)sqlite3_column_text(a, c);
            char copy[64];
            snprintf(copy, sizeof copy, "%s", va ? va : "NULL");
            const char *vb = (const char *)sqlite3_column_text(b, c);
            cr_assert(ta == tb && strcmp(copy, vb ? vb : "NULL") == 0,
                      "%s: row %zu (%s %s) column %s: %s vs %s", where, n,
                      sqlite3_column_text(b, 3), sqlite3_column_text(b, 2),
                      sqlite3_column_name(b, c), copy, vb ? vb : "NULL");
        }
    }
    cr_expect(n > 0, "%s: no rows", where);
}

static sqlite3_stmt *model_stmt(long source, const char *gb, const char *from, const char *to)
{
    sqlite3_stmt *s;
    cr_assert_eq(
        sqlite3_prepare_v2(raw, embedded_find("sql/queries/trends_weekly.sql")->data, -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":source_id"), source);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":group_by"), gb, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":from"), from, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":to"), to, -1, SQLITE_STATIC);
    return s;
}

static sqlite3_stmt *table_stmt(long source, const char *gb, const char *from, const char *to)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw,
                                    "SELECT * FROM trends_weekly WHERE source_id = ?1"
                                    " AND group_by = ?2 AND week_start BETWEEN ?3 AND ?4"
                                    " ORDER BY week_start, grp",
                                    -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, source);
    sqlite3_bind_text(s, 2, gb, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, from ? from : "0000", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, to ? to : "9999-99", -1, SQLITE_STATIC);
    return s;
}

Test(trends, model_query_matches_refresh)
{
    add_source(5, "random", "Random");
    load_random(5, 3000);
    refresh(5);
    static const char *const ranges[][2] = {
        {NULL, NULL}, {"2023-03-06", "2023-03-06"}, {"2023-05-01", "2023-11-27"}};
    for (size_t g = 0; g < 4; g++)
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
            char where[96];
            snprintf(where, sizeof where, "%s %s..%s", trends_group_bys[g],
                     ranges[r][0] ? ranges[r][0] : "", ranges[r][1] ? ranges[r][1] : "");
            sqlite3_stmt *a = table_stmt(5, trends_group_bys[g], ranges[r][0], ranges[r][1]);
            sqlite3_stmt *b = model_stmt(5, trends_group_bys[g], ranges[r][0], ranges[r][1]);
            expect_same_rows(a, b, where);
            sqlite3_finalize(a);
            sqlite3_finalize(b);
        }
}

/* ---- the views of sql/models/ ---- */

static long count(const char *sql)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK, "%s: %s",
                 sqlite3_errmsg(raw), sql);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
    long n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static char *text(const char *sql)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(raw, sql, -1, &s, NULL), SQLITE_OK, "%s: %s",
                 sqlite3_errmsg(raw), sql);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
    const unsigned char *t = sqlite3_column_text(s, 0);
    char *copy = strdup(t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
    return copy;
}

static void expect_text(const char *sql, const char *want)
{
    char *got = text(sql);
    cr_expect_str_eq(got, want, "%s\n  got  %s\n  want %s", sql, got, want);
    free(got);
}

TestSuite(models, .init = setup, .fini = teardown);

Test(models, fct_issues_dim_vehicles_dim_weeks_mart)
{
    load_golden();
    cr_expect_eq(count("SELECT count(*) FROM fct_issues WHERE source_id = 1"), 18);
    cr_expect_eq(count("SELECT count(*) FROM fct_issues WHERE source_id = 2"), 0);
    expect_text("SELECT group_concat(assignee_group, ' ') FROM (SELECT assignee_group FROM"
                " fct_issues WHERE issue_number IN ('4', '5', '8', '3') ORDER BY row)",
                "bob unassigned unassigned alice");
    expect_text("SELECT source FROM fct_issues LIMIT 1", "default");
    expect_text("SELECT group_concat(vehicle_key || '=' || name || ':' || open || '/' || total,"
                " ' ') FROM (SELECT * FROM dim_vehicles WHERE source_id = 1 ORDER BY vehicle_key)",
                "TRUCK1=truck-1:0/6 TRUCK2=Truck 2:2/6 TRUCK3=truck 3:2/5 UNKNOWN=UNKNOWN:0/1");
    expect_text("SELECT group_concat(week_start || '..' || week_end, ' ') FROM"
                " (SELECT * FROM dim_weeks WHERE source_id = 1 ORDER BY week_start)",
                "2024-01-01..2024-01-07 2024-01-08..2024-01-14 2024-01-15..2024-01-21"
                " 2024-01-22..2024-01-28");
    cr_expect_eq(count("SELECT count(*) FROM dim_weeks WHERE source_id = 2"), 0);
    cr_expect_eq(count("SELECT count(*) FROM mart_issue_trends_weekly WHERE source = 'default'"),
                 4 + 4 * 5 + 4 * 4 + 4 * 4);
    expect_text("SELECT \"group\" || ' ' || open_at_end_wow_pct FROM mart_issue_trends_weekly"
                " WHERE group_by = 'assignee' AND week_start = '2024-01-22' AND \"group\" = 'bob'",
                "bob 33.3");
}

Test(models, stg_issues_duplicates)
{
    add_source(1, "default", "Issues");
    exec("INSERT INTO clean_rows (source_id, row, excluded, issue_number, vehicle, vehicle_key,"
         " priority, status, reported_at) VALUES"
         " (1, 2, 0, '7', 'Truck 1', 'TRUCK1', 'none', 'open', '2024-01-02 00:00:00'),"
         " (1, 3, 1, '7', 'Truck 1', 'TRUCK1', 'none', 'open', NULL),"
         " (1, 4, 0, '8', NULL, 'UNKNOWN', 'high', 'open', '2024-01-03 00:00:00'),"
         " (1, 5, 1, NULL, NULL, 'UNKNOWN', 'none', 'open', '2024-01-03 00:00:00'),"
         " (1, 6, 0, '9', NULL, 'UNKNOWN', 'low', 'open', '2024-01-03 00:00:00'),"
         " (1, 7, 0, '9', NULL, 'UNKNOWN', 'low', 'open', '2024-01-04 00:00:00'),"
         " (1, 8, 0, '9', NULL, 'UNKNOWN', 'low', 'open', '2024-01-05 00:00:00');"
         "INSERT INTO row_problems (source_id, row, col, field, value, severity, code, message)"
         " VALUES (1, 2, 4, 'priority', 'urgentish', 'warning', 'unknown_priority', 'm'),"
         " (1, 3, 6, 'reported_at', NULL, 'error', 'missing_reported_at', 'm'),"
         " (1, 5, 0, 'issue_number', NULL, 'error', 'missing_issue_number', 'm'),"
         " (1, 5, 1, 'vehicle', NULL, 'warning', 'missing_vehicle', 'm');");
    expect_text("SELECT group_concat(row || ':' || duplicate || excluded || is_valid || problems,"
                " ' ') FROM (SELECT * FROM stg_issues ORDER BY row)",
                "2:100[\"unknown_priority\",\"duplicate_issue_number\"]"
                " 3:010[\"missing_reported_at\"] 4:001[] 5:010"
                "[\"missing_issue_number\",\"missing_vehicle\"]"
                " 6:100[\"duplicate_issue_number\"] 7:100[\"duplicate_issue_number\"] 8:001[]");
    expect_text("SELECT source FROM stg_issues LIMIT 1", "default");
}

Test(models, quality_problems)
{
    add_source(1, "default", "Issues");
    exec("UPDATE sources SET header_json = '[\"Issue #\",\"Vehicle\",\"\"]',"
         " field_cols = '{\"issue_number\":0,\"vehicle\":1}' WHERE id = 1;"
         "INSERT INTO header_problems (source_id, row, col, field, value, severity, code, message)"
         " VALUES (1, 1, NULL, 'reported_at', 'reported_at', 'error', 'missing_column', 'm'),"
         " (1, 1, 2, 'vehicle', 'Vehicle', 'warning', 'duplicate_column', 'm');"
         "INSERT INTO clean_rows (source_id, row, excluded, issue_number, vehicle_key, priority,"
         " status) VALUES (1, 2, 0, '7', 'A', 'none', 'open'), (1, 9, 0, '7', 'A', 'none', 'open');"
         "INSERT INTO row_problems (source_id, row, col, field, value, severity, code, message)"
         " VALUES (1, 9, 1, 'vehicle', NULL, 'warning', 'missing_vehicle', 'no vehicle');");
    expect_text("SELECT group_concat(cell || '|' || coalesce(column_name, '-') || '|' || field"
                " || '|' || coalesce(value, '-') || '|' || severity || '|' || code, ' ')"
                " FROM (SELECT * FROM quality_problems ORDER BY row, col)",
                "Issues!1:1|-|reported_at|reported_at|error|missing_column"
                " Issues!C1|-|vehicle|Vehicle|warning|duplicate_column"
                " Issues!A2|Issue #|issue_number|7|error|duplicate_issue_number"
                " Issues!B9|Vehicle|vehicle|-|warning|missing_vehicle");
    expect_text("SELECT message FROM quality_problems WHERE code = 'duplicate_issue_number'",
                "issue number 7 is also on row 9, which wins; this row is ignored");
    /* Without the header map the duplicate names the whole row. */
    exec("UPDATE sources SET field_cols = '{}'");
    expect_text("SELECT cell || coalesce(column_name, '-') FROM quality_problems"
                " WHERE code = 'duplicate_issue_number'",
                "Issues!2:2-");
}

Test(models, quality_cells)
{
    static const struct {
        const char *sheet;
        int col; /* -1: NULL */
        int row;
        const char *cell;
    } cases[] = {
        {"Issues", 6, 17, "Issues!G17"},
        {"Data_2024", 1, 2, "Data_2024!B2"},
        {"Sheet1", 25, 3, "Sheet1!Z3"},
        {"Q1 2024", 0, 3, "'Q1 2024'!A3"},
        {"Bob's", 26, 5, "'Bob''s'!AA5"},
        {"A1", 701, 2, "'A1'!ZZ2"},
        {"xfd12", 702, 2, "'xfd12'!AAA2"},
        {"R1C1", 18277, 2, "'R1C1'!ZZZ2"},
        {"rc", 0, 2, "'rc'!A2"},
        {"2024", -1, 1, "'2024'!1:1"},
        {"Übersicht", 2, 4, "'Übersicht'!C4"},
        {"", 0, 2, "''!A2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16], sql[256];
        snprintf(name, sizeof name, "s%zu", i);
        add_source((long)i + 1, name, cases[i].sheet);
        if (cases[i].col < 0)
            snprintf(sql, sizeof sql,
                     "INSERT INTO header_problems (source_id, row, col, severity, code, message)"
                     " VALUES (%zu, %d, NULL, 'error', 'x', 'm')",
                     i + 1, cases[i].row);
        else
            snprintf(sql, sizeof sql,
                     "INSERT INTO row_problems (source_id, row, col, severity, code, message)"
                     " VALUES (%zu, %d, %d, 'warning', 'x', 'm')",
                     i + 1, cases[i].row, cases[i].col);
        exec(sql);
        snprintf(sql, sizeof sql, "SELECT cell FROM quality_problems WHERE source_id = %zu", i + 1);
        expect_text(sql, cases[i].cell);
    }
}

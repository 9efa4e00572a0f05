#ifndef SHEETSYNC_TEST_SYNC_HARNESS_H
#define SHEETSYNC_TEST_SYNC_HARNESS_H

/* The sync tests' harness: temporary databases (store_open + store_migrate,
 * plus a second read-only connection that sees what was committed), a Sheets
 * client on the real sheets-emulator whose backoff sleeps are recorded
 * instead of slept, and text dumps of queries so two databases can be
 * compared with a readable first difference. Shared by tests/api/test_sync*.c
 * (static inline: each binary uses part of it). */

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "ingest/backoff.h"
#include "ingest/gauth.h"
#include "ingest/sheets.h"
#include "ingest/sync.h"
#include "store/store.h"
#include "tests/support/emulator.h"

/* ---- temporary databases ---- */

struct sdb {
    char path[64];
    struct store *st;
    sqlite3 *peek; /* a second connection: what is committed */
};

static inline void sdb_open(struct sdb *d)
{
    char err[256];
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "/tmp/test_sync_XXXXXX");
    int fd = mkstemp(d->path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(store_open(d->path, &d->st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(d->st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_open_v2(d->path, &d->peek, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
}

static inline void sdb_close(struct sdb *d)
{
    char p[96];
    if (!d->path[0])
        return;
    sqlite3_close(d->peek);
    store_close(d->st);
    unlink(d->path);
    snprintf(p, sizeof p, "%s-wal", d->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", d->path);
    unlink(p);
    memset(d, 0, sizeof *d);
}

/* Every row of `sql`, one line each, fields separated by '|', NULL as '~'.
 * malloc'd. */
static inline char *sdb_dump(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    struct buf b;
    buf_init(&b, 0);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); i++) {
            const unsigned char *t = sqlite3_column_text(s, i);
            buf_printf(&b, "%s%s", i ? "|" : "", t ? (const char *)t : "~");
        }
        buf_puts(&b, "\n");
    }
    cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(s);
    char *out = strdup(b.data ? b.data : "");
    buf_free(&b);
    return out;
}

static inline long sdb_count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
    long n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* The first value of `sql` as text ("~" for NULL or no row), in a static
 * buffer. */
static inline const char *sdb_text(sqlite3 *db, const char *sql)
{
    static char out[4096];
    char *all = sdb_dump(db, sql);
    if (all[0])
        snprintf(out, sizeof out, "%.*s", (int)strcspn(all, "|\n"), all);
    else
        snprintf(out, sizeof out, "~");
    free(all);
    return out;
}

/* The first line where a and b differ, for messages (static buffer). */
static inline const char *sdb_first_diff(const char *a, const char *b)
{
    static char out[2048];
    long line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++, b++;
    }
    int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
    snprintf(out, sizeof out, "line %ld:\n  got:  %.*s\n  want: %.*s", line, na, *la ? la : "(end)",
             nb, *lb ? lb : "(end)");
    return out;
}

/* What a sync can change, table by table (sync_runs aside): equal
 * snapshots = the data was left as it was. */
static const char *const sdb_snapshot_sql[] = {
    "SELECT id, name, kind, spreadsheet_id, sheet, header_row, locale, timezone, header_json,"
    " clean_key, data_version, last_sync_ok_at, field_cols FROM sources ORDER BY id",
    "SELECT * FROM raw_rows ORDER BY source_id, row",
    "SELECT * FROM clean_rows ORDER BY source_id, row",
    "SELECT * FROM row_problems ORDER BY rowid",
    "SELECT * FROM header_problems ORDER BY rowid",
    "SELECT * FROM issues ORDER BY source_id, issue_number",
    "SELECT * FROM issue_versions ORDER BY source_id, issue_number, version",
    "SELECT * FROM trends_weekly ORDER BY source_id, group_by, week_start, grp",
};

static inline char *sdb_snapshot(sqlite3 *db)
{
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof sdb_snapshot_sql / sizeof sdb_snapshot_sql[0]; i++) {
        char *t = sdb_dump(db, sdb_snapshot_sql[i]);
        buf_printf(&b, "-- %zu\n%s", i, t);
        free(t);
    }
    char *out = strdup(b.data);
    buf_free(&b);
    return out;
}

/* What a sheet's content determines, whatever the history that led to it:
 * the issues still in the sheet with every field (no timestamps, no
 * version; the observed-resolution fallback only as "set or not"), the rows
 * as stored and cleaned, and every data problem. Two databases that agree
 * on these hold the same data. */
static const struct {
    const char *name, *sql;
} sdb_content_sql[] = {
    {"issues",
     "SELECT issue_number, state, row, vehicle, vehicle_key, summary, description, priority,"
     " status, reported_at, reported_by, assigned_to, due_date, resolved_at,"
     " CASE WHEN resolved_at IS NULL THEN resolved_effective IS NOT NULL"
     " ELSE resolved_effective END, odometer, labels, extra FROM issues"
     " WHERE state <> 'deleted' ORDER BY issue_number"},
    {"fct_issues",
     "SELECT issue_number, row, vehicle, vehicle_key, summary, description, priority, status,"
     " reported_at, reported_by, assigned_to, due_date, resolved_at, odometer, labels, extra,"
     " assignee_group FROM fct_issues ORDER BY issue_number"},
    {"raw_rows", "SELECT row, cells_json, hash FROM raw_rows ORDER BY row"},
    {"clean_rows",
     "SELECT row, excluded, issue_number, vehicle, vehicle_key, summary, description, priority,"
     " status, reported_at, reported_by, assigned_to, due_date, resolved_at, odometer, labels,"
     " extra, needs_observed_resolution FROM clean_rows ORDER BY row"},
    {"row_problems", "SELECT row, col, field, value, severity, code, message FROM row_problems"
                     " ORDER BY row, col, code, field, value, message"},
    {"header_problems",
     "SELECT row, col, field, value, severity, code, message FROM header_problems"
     " ORDER BY row, col, code, field, value, message"},
    {"quality_problems", "SELECT row, col, column_name, field, cell, value, severity, code, message"
                         " FROM quality_problems ORDER BY row, col, code, field, value, message"},
    {"sources", "SELECT sheet, header_row, locale, timezone, header_json, clean_key, field_cols"
                " FROM sources ORDER BY id"},
};

#define SDB_NCONTENT (sizeof sdb_content_sql / sizeof sdb_content_sql[0])

/* Compares the content of two databases; on a difference, fails naming the
 * table, the first differing line and `ctx` (e.g. the seed and step). */
static inline void sdb_expect_same_content(sqlite3 *got, sqlite3 *want, const char *ctx)
{
    for (size_t i = 0; i < SDB_NCONTENT; i++) {
        char *g = sdb_dump(got, sdb_content_sql[i].sql);
        char *w = sdb_dump(want, sdb_content_sql[i].sql);
        bool same = strcmp(g, w) == 0;
        if (!same)
            cr_assert_fail("%s: %s differs at %s", ctx, sdb_content_sql[i].name,
                           sdb_first_diff(g, w));
        free(g);
        free(w);
    }
}

/* ---- a Sheets client with recorded sleeps ---- */

struct sleeps {
    int n;
    long ms[256];
    long total_ms;
    void (*hook)(void *arg); /* called on each sleep, e.g. to expire tokens */
    void *hook_arg;
};

static inline int sleeps_record(void *arg, long ms)
{
    struct sleeps *s = arg;
    if (s->n < (int)(sizeof s->ms / sizeof s->ms[0]))
        s->ms[s->n] = ms;
    s->n++;
    s->total_ms += ms;
    if (s->hook)
        s->hook(s->hook_arg);
    return 0;
}

static inline long no_jitter(void *arg, long max)
{
    (void)arg;
    (void)max;
    return 0;
}

/* The client options of the tests: 1 ms base backoff without jitter, and
 * every sleep recorded into `sl` instead of slept. */
static inline struct backoff fast_backoff(struct sleeps *sl, int max_retries)
{
    struct backoff b;
    backoff_init(&b);
    b.max_retries = max_retries;
    b.base_ms = 1;
    b.jitter_ms = 0;
    b.max_backoff_ms = 64;
    b.random_ms = no_jitter;
    b.sleep_ms = sleeps_record;
    b.arg = sl;
    return b;
}

#endif

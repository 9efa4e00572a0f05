/* The loader: rows in, issues and their history out, all or nothing. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/import.h"
#include "store/load.h"
#include "store/store.h"
#include "store/trends.h"

static char db_path[64];
static struct store *st;
static sqlite3 *peek; /* a second connection, to look at what was committed */

static void setup(void)
{
    char err[256];
    strcpy(db_path, "/tmp/test_load_XXXXXX");
    int fd = mkstemp(db_path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(store_open(db_path, &st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_open(db_path, &peek), SQLITE_OK);
}

static void teardown(void)
{
    sqlite3_close(peek);
    store_close(st);
    char p[96];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

/* Writes `text` to a temporary .csv file; returns its path (static). */
static const char *csv_file(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/Issues_XXXXXX.csv");
    int fd = mkstemps(path, 4);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

#define T0 1717243200 /* 2024-06-01T12:00:00Z */

static int import_text(const char *text, time_t now, struct load_stats *stats, char *err,
                       size_t errlen)
{
    const char *path = csv_file(text);
    struct import_options o = {.path = path, .timezone = "America/Chicago", .now = now};
    struct load_stats dummy;
    int rc = import_csv(st, &o, stats ? stats : &dummy, err, errlen);
    unlink(path);
    return rc;
}

static void import_ok(const char *text, time_t now, struct load_stats *stats)
{
    char err[512] = "";
    cr_assert_eq(import_text(text, now, stats, err, sizeof err), 0, "import failed: %s", err);
}

static long count(const char *sql)
{
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(peek, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(peek));
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
    long n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* One text value, copied into a static buffer ("(null)" for NULL). */
static const char *text(const char *sql)
{
    static char out[4096];
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(peek, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(peek));
    int rc = sqlite3_step(s);
    const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    snprintf(out, sizeof out, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
    return out;
}

/* Everything the data tables hold, as text: equal snapshots = same data. */
static char *snapshot(void)
{
    static const char *const tables[] = {"raw_rows", "clean_rows", "row_problems", "issue_versions",
                                         "trends_weekly"};
    char *all = strdup("");
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        const char *v = text(sql);
        char *next = NULL;
        cr_assert(asprintf(&next, "%s%s=%s;", all, tables[i], v) > 0);
        free(all);
        all = next;
    }
    char *next = NULL;
    cr_assert(asprintf(&next, "%sissues=%s", all,
                       text("SELECT group_concat(issue_number || '/' || state || '/' || version"
                            " || '/' || coalesce(status, ''), ',') FROM (SELECT * FROM issues"
                            " ORDER BY issue_number)")) > 0);
    free(all);
    return next;
}

#define HEADER "Issue #,Vehicle,Summary,Priority,Status,Reported Date,Resolved Date\n"

TestSuite(load, .init = setup, .fini = teardown);

Test(load, first_import_creates_current_issues_and_one_version_each)
{
    struct load_stats s;
    import_ok(HEADER "1,Truck 1,Flat tire,High,Open,1/2/2024,\n"
                     "2,Truck 2,Brakes,low,Resolved,1/3/2024,1/5/2024\n"
                     "3,Van 3,Light,medium,open,1/4/2024,\n",
              T0, &s);
    cr_expect_eq(s.rows_fetched, 3);
    cr_expect_eq(s.rows_changed, 3);
    cr_expect_eq(s.issues_changed, 3);
    cr_expect_eq(count("SELECT count(*) FROM issues WHERE state = 'current'"), 3);
    cr_expect_eq(count("SELECT count(*) FROM issue_versions"), 3);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'ok' AND trigger ="
                       " 'import' AND rows_fetched = 3"),
                 1);
    cr_expect_eq(count("SELECT data_version FROM sources"), 1);
    cr_expect_str_eq(text("SELECT sheet FROM sources"), text("SELECT sheet FROM sources"));
    cr_expect_str_eq(text("SELECT resolved_effective FROM issues WHERE issue_number = '2'"),
                     "2024-01-05 00:00:00");
    cr_expect_gt(count("SELECT count(*) FROM trends_weekly"), 0);
}

Test(load, identical_reimport_writes_nothing)
{
    const char *csv = HEADER "1,Truck 1,Flat tire,High,Open,1/2/2024,\n"
                             "2,Truck 2,Brakes,low,Resolved,1/3/2024,1/5/2024\n";
    import_ok(csv, T0, NULL);
    char *before = snapshot();
    struct load_stats s;
    import_ok(csv, T0 + 3600, &s);
    cr_expect_eq(s.rows_fetched, 2);
    cr_expect_eq(s.rows_changed, 0);
    cr_expect_eq(s.issues_changed, 0);
    cr_expect_eq(count("SELECT data_version FROM sources"), 1);
    char *after = snapshot();
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
}

Test(load, a_changed_row_adds_a_version_and_keeps_history)
{
    import_ok(HEADER "1,Truck 1,Flat tire,High,Open,1/2/2024,\n", T0, NULL);
    struct load_stats s;
    import_ok(HEADER "1,Truck 1,Flat tire,High,Resolved,1/2/2024,1/9/2024\n", T0 + 60, &s);
    cr_expect_eq(s.rows_changed, 1);
    cr_expect_eq(s.issues_changed, 1);
    cr_expect_eq(count("SELECT version FROM issues WHERE issue_number = '1'"), 2);
    cr_expect_str_eq(text("SELECT group_concat(status, '>') FROM (SELECT status FROM"
                          " issue_versions WHERE issue_number = '1' ORDER BY version)"),
                     "open>resolved");
    cr_expect_eq(count("SELECT data_version FROM sources"), 2);
}

Test(load, a_row_gone_from_the_file_marks_its_issue_deleted)
{
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n2,Truck 2,B,High,Open,1/2/2024,\n", T0,
              NULL);
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n", T0 + 60, NULL);
    cr_expect_str_eq(text("SELECT state FROM issues WHERE issue_number = '2'"), "deleted");
    cr_expect_eq(count("SELECT count(*) FROM issue_versions WHERE issue_number = '2'"), 2);
    cr_expect_eq(count("SELECT count(*) FROM fct_issues"), 1);
    cr_expect_eq(count("SELECT count(*) FROM raw_rows"), 1);
}

Test(load, the_lowest_duplicate_row_wins_and_the_other_takes_over_when_it_goes)
{
    import_ok(HEADER "7,Truck 1,Upper,High,Open,1/2/2024,\n"
                     "7,Truck 2,Lower,Low,Open,1/3/2024,\n",
              T0, NULL);
    cr_expect_str_eq(text("SELECT summary FROM fct_issues WHERE issue_number = '7'"), "Lower");
    cr_expect_eq(count("SELECT count(*) FROM quality_problems WHERE code ="
                       " 'duplicate_issue_number' AND row = 2"),
                 1);
    import_ok(HEADER "7,Truck 1,Upper,High,Open,1/2/2024,\n", T0 + 60, NULL);
    cr_expect_str_eq(text("SELECT summary FROM fct_issues WHERE issue_number = '7'"), "Upper");
    cr_expect_eq(count("SELECT count(*) FROM quality_problems WHERE code ="
                       " 'duplicate_issue_number'"),
                 0);
}

Test(load, a_missing_column_fails_and_leaves_the_data_as_it_was)
{
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n", T0, NULL);
    char *before = snapshot();
    char err[512] = "";
    cr_assert_neq(
        import_text("Issue #,Vehicle,Summary\n1,Truck 1,B\n", T0 + 60, NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "missing_column") != NULL, "%s", err);
    cr_expect(strstr(err, "reported_at") != NULL || strstr(err, "Reported") != NULL, "%s", err);
    char *after = snapshot();
    cr_expect_str_eq(after, before);
    cr_expect_eq(count("SELECT count(*) FROM header_problems WHERE code = 'missing_column'"), 1);
    cr_expect_eq(count("SELECT count(*) FROM quality_problems WHERE code = 'missing_column'"), 1);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'failed' AND error LIKE"
                       " 'missing_column%'"),
                 1);
    free(before);
    free(after);
}

Test(load, a_malformed_file_names_file_and_row_and_changes_nothing)
{
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n", T0, NULL);
    char *before = snapshot();
    char err[512] = "";
    cr_assert_neq(import_text(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n"
                                     "2,Truck 2,\"unterminated,High,Open,1/2/2024,\n",
                              T0 + 60, NULL, err, sizeof err),
                  0);
    cr_expect(strstr(err, "row 3") != NULL, "%s", err);
    cr_expect(strstr(err, ".csv") != NULL, "%s", err);
    char *after = snapshot();
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
}

Test(load, resolved_without_a_date_uses_the_first_observation_in_local_time)
{
    import_ok(HEADER "1,Truck 1,A,High,Done,1/2/2024,\n", T0, NULL);
    /* 12:00 UTC is 07:00 in Chicago (CDT) on 2024-06-01. */
    cr_expect_str_eq(text("SELECT resolved_effective FROM issues"), "2024-06-01 07:00:00");
    cr_expect_eq(count("SELECT count(*) FROM row_problems WHERE code = 'resolved_without_date'"),
                 1);
    /* Still done a day later, with another change: the first observation stays. */
    import_ok(HEADER "1,Truck 1,B,High,Closed,1/2/2024,\n", T0 + 86400, NULL);
    cr_expect_str_eq(text("SELECT resolved_effective FROM issues"), "2024-06-01 07:00:00");
    /* Reopened, then done again: observed anew. */
    import_ok(HEADER "1,Truck 1,B,High,Open,1/2/2024,\n", T0 + 2 * 86400, NULL);
    cr_expect_str_eq(text("SELECT resolved_effective FROM issues"), "(null)");
    import_ok(HEADER "1,Truck 1,B,High,Fixed,1/2/2024,\n", T0 + 3 * 86400, NULL);
    cr_expect_str_eq(text("SELECT resolved_effective FROM issues"), "2024-06-04 07:00:00");
}

/* ---- Range loads, as a webhook pull does them ---- */

static struct cell txt(const char *s)
{
    struct cell c = {.type = *s ? CELL_TEXT : CELL_EMPTY, .text = s, .len = strlen(s)};
    return c;
}

static void range_load(long first, long last, const struct sheet_row *rows, size_t n, time_t now)
{
    char err[512];
    struct load *l;
    struct load_options o = {.source = "default",
                             .kind = "csv",
                             .sheet = "Issues",
                             .timezone = "America/Chicago",
                             .trigger = "webhook",
                             .first = first,
                             .last = last,
                             .now = now};
    cr_assert_eq(load_begin(st, &o, &l, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(load_row(l, &rows[i], err, sizeof err), 0, "%s", err);
    cr_assert_eq(load_finish(l, NULL, err, sizeof err), 0, "%s", err);
}

Test(load, a_range_load_touches_only_its_rows_and_equals_a_full_load)
{
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n"
                     "2,Truck 2,B,High,Open,1/3/2024,\n"
                     "3,Truck 3,C,High,Open,1/4/2024,\n"
                     "4,Truck 4,D,High,Open,1/5/2024,\n",
              T0, NULL);
    /* Rows 3..4 are pulled: row 3 changed, row 4 now empty (absent). */
    struct cell r3[] = {txt("2"),   txt("Truck 2"), txt("B2"),
                        txt("Low"), txt("Open"),    txt("1/3/2024")};
    struct sheet_row rows[] = {{.row = 3, .cells = r3, .ncells = 6}};
    range_load(3, 4, rows, 1, T0 + 60);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE trigger = 'webhook' AND range ="
                       " '3:4' AND status = 'ok'"),
                 1);
    cr_expect_str_eq(text("SELECT summary FROM fct_issues WHERE issue_number = '2'"), "B2");
    cr_expect_str_eq(text("SELECT state FROM issues WHERE issue_number = '3'"), "deleted");
    cr_expect_eq(count("SELECT count(*) FROM fct_issues"), 3); /* 1, 2 (row 3), 4 */
    char *ranged = strdup(text("SELECT group_concat(issue_number || '/' || state || '/' ||"
                               " row || '/' || summary, ',') FROM (SELECT * FROM issues ORDER"
                               " BY issue_number)"));

    /* A fresh database loaded in full with the same sheet agrees. */
    teardown();
    setup();
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n"
                     "2,Truck 2,B2,Low,Open,1/3/2024,\n"
                     "\n"
                     "4,Truck 4,D,High,Open,1/5/2024,\n",
              T0, NULL);
    const char *full = text("SELECT group_concat(issue_number || '/' || state || '/' || row ||"
                            " '/' || summary, ',') FROM (SELECT * FROM issues WHERE state !="
                            " 'deleted' ORDER BY issue_number)");
    char *ranged_live = NULL;
    /* The ranged database also remembers the deleted issue 3; compare live ones. */
    cr_assert(asprintf(&ranged_live, "%s", ranged) > 0);
    char *p = strstr(ranged_live, ",3/deleted");
    if (p) {
        char *q = strchr(p + 1, ',');
        memmove(p, q ? q : p + strlen(p), strlen(q ? q : p + strlen(p)) + 1);
    }
    cr_expect_str_eq(ranged_live, full);
    free(ranged);
    free(ranged_live);
}

Test(load, a_range_load_before_any_full_load_is_refused)
{
    char err[512] = "";
    struct load *l = NULL;
    struct load_options o = {.source = "fresh",
                             .kind = "sheets",
                             .sheet = "Issues",
                             .trigger = "webhook",
                             .first = 2,
                             .last = 3};
    cr_assert_neq(load_begin(st, &o, &l, err, sizeof err), 0);
    cr_expect(strstr(err, "full sync") != NULL, "%s", err);
}

/* ---- The weekly model is refreshed when, and only when, what it reads changes ---- */

static void peek_exec(const char *sql)
{
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(peek, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql,
                 msg ? msg : "");
}

/* True when trends_weekly is what a refresh from scratch writes now. */
static bool model_is_fresh(void)
{
    char err[256];
    peek_exec("DROP TABLE IF EXISTS temp.tw; CREATE TEMP TABLE tw AS SELECT * FROM"
              " main.trends_weekly");
    cr_assert_eq(store_trends_refresh(st, count("SELECT id FROM sources"), err, sizeof err), 0,
                 "%s", err);
    return count("SELECT count(*) FROM (SELECT * FROM main.trends_weekly EXCEPT SELECT * FROM"
                 " temp.tw)") == 0 &&
           count("SELECT count(*) FROM (SELECT * FROM temp.tw EXCEPT SELECT * FROM"
                 " main.trends_weekly)") == 0;
}

Test(load, an_edit_the_weekly_model_does_not_read_skips_its_refresh)
{
    import_ok(HEADER "1,Truck 1,A,High,Open,1/2/2024,\n2,Truck 2,B,Low,Open,1/3/2024,\n", T0, NULL);
    cr_assert_gt(count("SELECT count(*) FROM trends_weekly"), 0);
    /* A marker only a refresh would wipe out. */
    peek_exec("UPDATE trends_weekly SET opened = opened + 1000");
    struct load_stats s;
    import_ok(HEADER "1,Truck 1,A2,High,Open,1/2/2024,\n2,Truck 2,B,Low,Open,1/3/2024,\n", T0 + 60,
              &s);
    cr_expect_eq(s.issues_changed, 1); /* a new version of issue 1 all the same */
    cr_expect_eq(count("SELECT count(*) FROM trends_weekly WHERE opened < 1000"), 0);
    /* A priority is a group of the model: refreshed. */
    import_ok(HEADER "1,Truck 1,A2,Low,Open,1/2/2024,\n2,Truck 2,B,Low,Open,1/3/2024,\n", T0 + 120,
              NULL);
    cr_expect_eq(count("SELECT count(*) FROM trends_weekly WHERE opened >= 1000"), 0);
}

#define HEADER_X                                                                                   \
    "Issue #,Vehicle,Summary,Priority,Status,Reported Date,Resolved Date,Assigned To,Due Date\n"

Test(load, the_weekly_model_stays_fresh_through_every_kind_of_edit)
{
    /* One field at a time, dates near T0 (2024-06-01) so that an observed
     * resolution falls inside the model's weeks. */
    static const char *const sheets[] = {
        HEADER_X "1,Truck 1,A,High,Open,5/20/2024,,Ann,5/25/2024\n"
                 "2,Truck 2,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* summary */
        HEADER_X "1,Truck 1,A2,High,Open,5/20/2024,,Ann,5/25/2024\n"
                 "2,Truck 2,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* priority */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Ann,5/25/2024\n"
                 "2,Truck 2,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* vehicle */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Ann,5/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* assignee */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Cy,5/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* due date */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* reported date */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/7/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
        /* resolved date */
        HEADER_X "1,Truck 1,A2,Low,Open,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/7/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/3/2024,Ann,\n",
        /* done without a date: the observed fallback */
        HEADER_X "1,Truck 1,A2,Low,Done,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,5/7/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/3/2024,Ann,\n",
        /* an invalid row */
        HEADER_X "1,Truck 1,A2,Low,Done,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,yesterday,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/3/2024,Ann,\n",
        /* a duplicate number taking over, issue 3 gone */
        HEADER_X "1,Truck 1,A2,Low,Done,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,yesterday,,Bob,6/5/2024\n"
                 "1,Van 3,C,medium,Resolved,5/22/2024,6/3/2024,Ann,\n",
        /* a row gone */
        HEADER_X "1,Truck 1,A2,Low,Done,5/20/2024,,Cy,6/25/2024\n"
                 "2,Truck 9,B,Low,Open,yesterday,,Bob,6/5/2024\n",
        /* back to the start */
        HEADER_X "1,Truck 1,A,High,Open,5/20/2024,,Ann,5/25/2024\n"
                 "2,Truck 2,B,Low,Open,5/21/2024,,Bob,6/5/2024\n"
                 "3,Van 3,C,medium,Resolved,5/22/2024,6/10/2024,Ann,\n",
    };
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0]; i++) {
        import_ok(sheets[i], T0 + 60 * (time_t)i, NULL);
        cr_expect(model_is_fresh(), "trends_weekly stale after sheet %zu", i);
    }
}

/* ---- runs left 'running' by a process that died ---- */

Test(load, interrupted_runs_are_closed_at_start_up)
{
    import_ok(HEADER "1,Truck 1,Flat tire,High,Open,1/2/2024,\n", T0, NULL);
    cr_assert_eq(sqlite3_exec(peek,
                              "INSERT INTO sync_runs (source_id, trigger, started_at, status)"
                              " SELECT id, 'webhook', '2024-06-01T12:00:00Z', 'running'"
                              " FROM sources",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    char err[256] = "";
    /* Another process holds the write lock: its run may be live, so it stays. */
    cr_assert_eq(sqlite3_exec(peek, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    cr_expect_eq(load_close_interrupted_runs(st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(sqlite3_exec(peek, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'running'"), 1);

    cr_expect_eq(load_close_interrupted_runs(st, err, sizeof err), 1, "%s", err);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'running'"), 0);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'failed' AND trigger ="
                       " 'webhook' AND finished_at IS NOT NULL AND error LIKE 'interrupted:%'"),
                 1);
    cr_expect_eq(count("SELECT count(*) FROM sync_runs WHERE status = 'ok'"), 1, "the import");
    cr_expect_eq(load_close_interrupted_runs(st, err, sizeof err), 0, "nothing left: %s", err);
}

/* Google ingestion end to end: sync_run in this process, over real HTTP, on
 * the real sheets-emulator (started per test on port 0), into temporary
 * SQLite files. Failures are injected with the emulator's /_emulator/fail
 * controls; the client's backoff sleeps are recorded instead of slept, so
 * retries cost no time. The last tests run the `sheetsync sync` command
 * itself. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "ingest/import.h"
#include "tests/api/sync_harness.h"

#define MESSY SHEETSYNC_SOURCE_DIR "/tests/data/messy.csv"
#define CLI   SHEETSYNC_BINARY_DIR "/sheetsync"

/* The emulator's defaults, which a CSV import must be told. */
#define EMU_TZ     "America/Chicago"
#define EMU_LOCALE "en_US"

static struct emu E;
static struct sdb D;
static struct gauth *auth;
static struct sheets_client *client;
static struct sleeps sl;
static struct backoff bo;

static const struct sync_source SRC = {.name = "default", .spreadsheet_id = "demo-sheet"};

/* ---- fixture ---- */

/* A clean sheet of `n` issues (rows 2..n+1); `tag` goes into every summary,
 * so two tags give two versions of every row. */
static char *gen_csv(int n, const char *tag)
{
    static const char *const prio[] = {"High", "low", "Medium", "critical"};
    static const char *const who[] = {"Alice", "bob smith", "", "Luis Ortega"};
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "Issue #,Vehicle,Summary,Priority,Status,Reported Date,Resolved Date,"
                 "Assigned To\n");
    for (int i = 1; i <= n; i++) {
        bool done = i % 3 == 0;
        buf_printf(&b, "%d,Truck %d,%s summary %d,%s,%s,3/%d/2024,", i, i % 7, tag, i, prio[i % 4],
                   done ? "Resolved" : "Open", 1 + i % 25);
        if (done)
            buf_printf(&b, "3/%d/2024", 2 + i % 25);
        buf_printf(&b, ",%s\n", who[i % 4]);
    }
    char *s = strdup(b.data);
    buf_free(&b);
    return s;
}

/* A client with the recorded backoff; chunk_rows 0 = the default size,
 * timeout_ms 0 = the default timeouts. */
static void new_client(long chunk_rows, long timeout_ms, int max_retries)
{
    sheets_client_free(client);
    memset(&sl, 0, sizeof sl);
    bo = fast_backoff(&sl, max_retries);
    struct sheets_options o = {.backoff = &bo, .chunk_rows = chunk_rows};
    o.fetch.timeout_ms = timeout_ms;
    o.fetch.connect_timeout_ms = timeout_ms;
    client = sheets_client_new(E.base, auth, &o);
    cr_assert(client);
}

/* The rest of every fixture, once the emulator runs (rc from emu_start*). */
static void attach(int rc, const char *err)
{
    cr_assert_eq(rc, 0, "%s", err);
    sdb_open(&D);
    char aerr[512];
    auth = gauth_new_from_file(E.key_path, NULL, aerr, sizeof aerr);
    cr_assert(auth, "%s", aerr);
    new_client(0, 0, 6);
}

/* The emulator on a file (flag "--csv" or "--json"; NULL: an empty tab). */
static void start_on(const char *flag, const char *path, const char *const *extra)
{
    char err[512] = "";
    log_init(LOG_ERROR, false); /* the retries' warnings are expected */
    attach(emu_start(&E, flag, path, extra, err, sizeof err), err);
}

/* The emulator on `text` (kind "csv" or "json"). */
static void start_text(const char *kind, const char *text)
{
    char err[512] = "";
    log_init(LOG_ERROR, false);
    attach(emu_start_text(&E, kind, text, NULL, err, sizeof err), err);
}

/* The emulator on a generated 30-issue sheet. */
static void start_generated(void)
{
    char *csv = gen_csv(30, "v1");
    start_text("csv", csv);
    free(csv);
}

static void start_messy(void)
{
    start_on("--csv", MESSY, NULL);
}

static void stop(void)
{
    sheets_client_free(client);
    client = NULL;
    gauth_free(auth);
    auth = NULL;
    sdb_close(&D);
    cr_expect_eq(emu_stop(&E), 0, "the emulator did not stop cleanly");
}

/* ---- helpers ---- */

static int sync_full(struct load_stats *s, char *err, size_t errlen)
{
    struct sync_request req = {.trigger = "manual", .full = true};
    return sync_run(D.st, client, &SRC, &req, s, err, errlen);
}

static void sync_full_ok(struct load_stats *s)
{
    char err[1024] = "";
    struct load_stats dummy;
    cr_assert_eq(sync_full(s ? s : &dummy, err, sizeof err), 0, "full sync failed: %s", err);
}

static void sync_range_ok(long first, long last, struct load_stats *s)
{
    char err[1024] = "";
    struct sync_request req = {.trigger = "webhook", .first = first, .last = last};
    cr_assert_eq(sync_run(D.st, client, &SRC, &req, s, err, sizeof err), 0,
                 "range sync %ld:%ld failed: %s", first, last, err);
}

/* Replaces the tab's content (POST /_emulator/load). */
static void load_sheet(const char *csv)
{
    struct emu_resp r;
    emu_request(&E, &r, "POST", "/_emulator/load?sheet=Issues", csv, NULL, "text/csv");
    cr_assert_eq(r.status, 200, "load: %ld %s", r.status, r.body);
    emu_resp_free(&r);
}

static void put(const char *range, const char *values_json)
{
    char err[1024], body[4096];
    snprintf(body, sizeof body, "{\"values\":%s}", values_json);
    cr_assert_eq(emu_put_values(&E, range, "RAW", body, err, sizeof err), 200, "%s", err);
}

/* How many API requests the emulator logged whose "METHOD path" starts with
 * `prefix`, and with `status` when it is not 0. */
static long logged(const char *prefix, long status)
{
    struct emu_resp r;
    long n = 0;
    cr_assert_eq(emu_control(&E, &r, "GET", "requests", NULL), 200);
    for (size_t i = 0; i < json_object_array_length(r.json); i++) {
        json_object *e = json_object_array_get_idx(r.json, i);
        char line[2048];
        snprintf(line, sizeof line, "%s %s", emu_jstr(e, "method"), emu_jstr(e, "path"));
        if (strncmp(line, prefix, strlen(prefix)) == 0 &&
            (!status || atol(emu_jstr(e, "status")) == status))
            n++;
    }
    emu_resp_free(&r);
    return n;
}

static void clear_log(void)
{
    cr_assert_eq(emu_control(&E, NULL, "DELETE", "requests", NULL), 200);
}

/* A column (or expression) of the last run, as text; "~" for NULL. */
static const char *last_run(const char *col)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM sync_runs ORDER BY id DESC LIMIT 1", col);
    return sdb_text(D.peek, sql);
}

static void expect_same_snapshot(const char *before, const char *what)
{
    char *after = sdb_snapshot(D.peek);
    cr_expect(strcmp(after, before) == 0, "%s changed the data: %s", what,
              sdb_first_diff(after, before));
    free(after);
}

/* Copies `src` to <dir>/Issues.csv (so an import names cells Issues!A1 like
 * the emulator's tab) and returns that path, malloc'd. */
static char *as_issues_csv(const char *src, char *dir)
{
    size_t n;
    char *data = emu_slurp(src, &n);
    cr_assert(data, "%s", src);
    strcpy(dir, "/tmp/test_sync_csv_XXXXXX");
    cr_assert(mkdtemp(dir));
    char *path = NULL;
    cr_assert(asprintf(&path, "%s/Issues.csv", dir) > 0);
    cr_assert_eq(emu_write_file(path, data, n), 0);
    free(data);
    return path;
}

/* ---- 1. a full sync loads what an import of the same CSV loads ---- */

TestSuite(sync, .init = start_generated, .fini = stop, .timeout = 120);
TestSuite(sync_messy, .init = start_messy, .fini = stop, .timeout = 120);
/* Tests with a sheet of their own: Criterion runs a suite's .init before a
 * test's, so these must not be in a suite that already starts an emulator. */
TestSuite(sync_own, .fini = stop, .timeout = 120);

/* Full-syncs the emulator's sheet and imports `csv` with the same locale and
 * time zone into another database: the two must hold the same data. */
static void expect_sync_equals_import(const char *csv, const char *locale, const char *tz,
                                      long min_issues)
{
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 33, "34 data rows, one empty: %ld", s.rows_fetched);

    char dir[64];
    char *path = as_issues_csv(csv, dir);
    struct sdb imp;
    sdb_open(&imp);
    struct import_options io = {.path = path, .locale = locale, .timezone = tz};
    struct load_stats is;
    char err[512];
    cr_assert_eq(import_csv(imp.st, &io, &is, err, sizeof err), 0, "%s", err);
    unlink(path);
    rmdir(dir);
    free(path);

    /* The API leaves the empty row 23 out; the CSV reader hands it over
     * (and the loader skips it): one row fewer read, the same data. */
    cr_expect_eq(s.rows_fetched + 1, is.rows_fetched, "sync %ld, import %ld", s.rows_fetched,
                 is.rows_fetched);
    cr_expect_eq(s.rows_changed, is.rows_changed, "sync %ld, import %ld", s.rows_changed,
                 is.rows_changed);
    cr_expect_eq(s.issues_changed, is.issues_changed);
    long n = sdb_count(D.peek, "SELECT count(*) FROM fct_issues");
    cr_expect_geq(n, min_issues, "%ld issues", n);
    cr_expect_gt(sdb_count(D.peek, "SELECT count(DISTINCT code) FROM quality_problems"), 10);
    sdb_expect_same_content(D.peek, imp.peek, "sync vs import-csv");
    /* The versions too: one each, the same fields. */
    static const char versions[] =
        "SELECT issue_number, version, state, row, vehicle, summary, status, reported_at,"
        " resolved_at FROM issue_versions ORDER BY issue_number, version";
    char *a = sdb_dump(D.peek, versions), *b = sdb_dump(imp.peek, versions);
    cr_expect(strcmp(a, b) == 0, "issue_versions: %s", sdb_first_diff(a, b));
    free(a);
    free(b);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT kind || ' ' || spreadsheet_id FROM sources"),
                     "sheets demo-sheet");
    cr_expect_str_eq(sdb_text(D.peek, "SELECT locale || ' ' || timezone FROM sources"),
                     sdb_text(imp.peek, "SELECT locale || ' ' || timezone FROM sources"));
    cr_expect_str_eq(sdb_text(D.peek, "SELECT status FROM sync_runs"), "ok");
    sdb_close(&imp);
}

Test(sync_messy, full_sync_equals_import_of_the_same_csv)
{
    expect_sync_equals_import(MESSY, EMU_LOCALE, EMU_TZ, 20);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT locale || ' ' || timezone FROM sources"),
                     "en_US America/Chicago");
}

/* The spreadsheet's locale decides how 3/4/2024 reads (4 March in en_GB). */
static void start_messy_gb(void)
{
    static const char *const extra[] = {"--locale", "en_GB", "--timezone", "Europe/London", NULL};
    start_on("--csv", MESSY, extra);
}

Test(sync_own, full_sync_in_en_gb_equals_import, .init = start_messy_gb)
{
    expect_sync_equals_import(MESSY, "en_GB", "Europe/London", 1);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT reported_at FROM issues WHERE issue_number = '1'"),
                     "2024-04-03 00:00:00");
}

Test(sync_messy, a_second_full_sync_of_an_unchanged_sheet_writes_nothing)
{
    sync_full_ok(NULL);
    char *before = sdb_snapshot(D.peek);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 33);
    cr_expect_eq(s.rows_changed, 0);
    cr_expect_eq(s.issues_changed, 0);
    /* last_sync_ok_at may move on; nothing else does. */
    char *after = sdb_snapshot(D.peek);
    char *p = strstr(before, "\n-- 1\n"), *q = strstr(after, "\n-- 1\n");
    cr_assert(p && q);
    cr_expect(strcmp(p, q) == 0, "%s", sdb_first_diff(q, p));
    free(before);
    free(after);
}

/* ---- 2. quota: 429s with Retry-After, then success ---- */

Test(sync, burst_of_429_then_success)
{
    cr_assert_eq(emu_fail(&E, "status", 429, 3, 2, NULL), 0);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_eq(sl.n, 3, "three waits, got %d", sl.n);
    for (int i = 0; i < sl.n && i < 3; i++)
        cr_expect_eq(sl.ms[i], 2000, "wait %d: %ld ms, Retry-After says 2 s", i, sl.ms[i]);
    struct sheets_stats *st = sheets_client_stats(client);
    cr_expect_eq(atomic_load(&st->calls[SHEETS_STAT_429]), 3);
    cr_expect_eq(atomic_load(&st->retries), 3);
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet?", 429), 3);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM sync_runs"), 1);
    cr_expect_str_eq(last_run("status"), "ok");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
}

Test(sync, a_5xx_on_a_chunk_is_retried)
{
    char path[256];
    new_client(7, 0, 6);
    emu_values_path(&E, "Issues!9:15", path, sizeof path);
    cr_assert_eq(emu_fail(&E, "status", 503, 2, -1, path), 0);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_eq(sl.n, 2);
    cr_expect_eq(sl.ms[0], 1);
    cr_expect_eq(sl.ms[1], 2);
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet/values/Issues!9:15?", 0), 3);
}

Test(sync, quota_that_never_lifts_gives_up)
{
    new_client(0, 0, 3);
    sync_full_ok(NULL);
    char *before = sdb_snapshot(D.peek);
    cr_assert_eq(emu_fail(&E, "status", 429, 100, 30, NULL), 0);
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "spreadsheet demo-sheet: HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded") &&
                  strstr(err, "(gave up after 4 attempts)"),
              "%s", err);
    cr_expect_eq(sl.n, 3);
    cr_expect_eq(sl.ms[0], 30000, "Retry-After honoured: %ld", sl.ms[0]);
    cr_expect_str_eq(last_run("status"), "failed");
    expect_same_snapshot(before, "a failed sync");
    free(before);
}

/* ---- 3. 403: a failed run with Google's message, data unchanged ---- */

Test(sync, permission_denied_on_metadata)
{
    sync_full_ok(NULL);
    char *v2 = gen_csv(30, "v2");
    load_sheet(v2);
    free(v2);
    char *before = sdb_snapshot(D.peek);
    clear_log();
    cr_assert_eq(emu_fail(&E, "status", 403, 1, -1, NULL), 0);
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect_str_eq(err, "spreadsheet demo-sheet: HTTP 403 PERMISSION_DENIED: The caller does "
                          "not have permission");
    cr_expect_eq(sl.n, 0, "a 403 is never retried");
    cr_expect_eq(logged("GET /v4/", 0), 1);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_str_eq(last_run("error"), err);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM sync_runs"), 2);
    expect_same_snapshot(before, "a 403");
    free(before);
}

Test(sync, permission_denied_on_a_later_chunk_rolls_back)
{
    char path[256];
    new_client(5, 0, 6);
    sync_full_ok(NULL);
    char *v2 = gen_csv(30, "v2");
    load_sheet(v2);
    free(v2);
    char *before = sdb_snapshot(D.peek);
    emu_values_path(&E, "Issues!12:16", path, sizeof path);
    cr_assert_eq(emu_fail(&E, "status", 403, 1, -1, path), 0);
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect_str_eq(err, "spreadsheet demo-sheet range Issues!12:16: HTTP 403 PERMISSION_DENIED: "
                          "The caller does not have permission");
    cr_expect_eq(sl.n, 0);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_str_eq(last_run("error"), err);
    cr_expect_str_eq(last_run("range"), "~");
    expect_same_snapshot(before, "a 403 after two chunks");
    free(before);

    /* Once the sheet is shared again the next sync takes it all. */
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_changed, 30);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues WHERE summary LIKE 'v2 %'"),
                 30);
}

Test(sync, not_found_spreadsheet)
{
    static const struct sync_source other = {.name = "other", .spreadsheet_id = "no-such-sheet"};
    struct sync_request req = {.trigger = "manual", .full = true};
    char err[1024] = "";
    cr_assert_neq(sync_run(D.st, client, &other, &req, NULL, err, sizeof err), 0);
    cr_expect(strncmp(err, "spreadsheet no-such-sheet: HTTP 404 NOT_FOUND", 45) == 0, "%s", err);
    cr_expect_eq(sl.n, 0);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM issues"), 0);
}

/* ---- 4. 401 mid-sync: one new token, the sync goes on ---- */

Test(sync, unauthenticated_on_a_later_chunk_gets_a_new_token)
{
    char path[256];
    new_client(5, 0, 6);
    emu_values_path(&E, "Issues!12:16", path, sizeof path);
    cr_assert_eq(emu_fail(&E, "status", 401, 1, -1, path), 0);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_eq(gauth_token_requests(auth), 2);
    cr_expect_eq(emu_stat(&E, "tokens_issued"), 2);
    cr_expect_eq(sl.n, 0, "a 401 is answered with a new token, not a pause");
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet/values/Issues!12:16?", 0), 2);
    cr_expect_str_eq(last_run("status"), "ok");
}

static void expire_tokens(void *arg)
{
    struct emu *e = arg;
    emu_control(e, NULL, "POST", "expire-tokens", NULL);
}

Test(sync, tokens_expired_between_chunks)
{
    char path[256];
    new_client(5, 0, 6);
    /* A 503 on the third chunk makes the client pause; during the pause
     * every token is revoked, so the retry meets a real 401. */
    sl.hook = expire_tokens;
    sl.hook_arg = &E;
    emu_values_path(&E, "Issues!12:16", path, sizeof path);
    cr_assert_eq(emu_fail(&E, "status", 503, 1, -1, path), 0);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_eq(sl.n, 1);
    cr_expect_eq(emu_stat(&E, "tokens_issued"), 2);
    cr_expect_eq(emu_stat(&E, "by_status.401"), 1);
    cr_expect_eq(gauth_token_requests(auth), 2);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
}

Test(sync, a_second_401_in_a_row_fails)
{
    char path[256];
    new_client(5, 0, 6);
    sync_full_ok(NULL);
    char *before = sdb_snapshot(D.peek);
    emu_values_path(&E, "Issues!7:11", path, sizeof path);
    cr_assert_eq(emu_fail(&E, "status", 401, 2, -1, path), 0);
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect(
        strncmp(err, "spreadsheet demo-sheet range Issues!7:11: HTTP 401 UNAUTHENTICATED", 66) == 0,
        "%s", err);
    expect_same_snapshot(before, "two 401s");
    free(before);
}

/* ---- 5. broken answers fail cleanly ---- */

static void expect_clean_failure(const char *mode, int count, const char *want, const char *want2)
{
    char path[256], err[1024] = "";
    cr_assert_eq(emu_control(&E, NULL, "DELETE", "fail", NULL), 200);
    char *before = sdb_snapshot(D.peek);
    emu_values_path(&E, "Issues!12:16", path, sizeof path);
    cr_assert_eq(emu_fail(&E, mode, 0, count, -1, path), 0);
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0, "%s: the sync succeeded", mode);
    cr_expect(strncmp(err, "spreadsheet demo-sheet range Issues!12:16: ", 43) == 0,
              "%s: the error names no spreadsheet and range: %s", mode, err);
    cr_expect(strstr(err, want), "%s: %s, want %s", mode, err, want);
    cr_expect(!want2 || strstr(err, want2), "%s: %s, want %s", mode, err, want2);
    cr_expect_str_eq(last_run("status"), "failed", "%s", mode);
    cr_expect_str_eq(last_run("error"), err, "%s", mode);
    cr_expect(last_run("finished_at")[0] != '~', "%s: the run was not finished", mode);
    expect_same_snapshot(before, mode);
    free(before);
    cr_assert_eq(emu_control(&E, NULL, "DELETE", "fail", NULL), 200);
}

Test(sync, broken_answers_fail_cleanly)
{
    new_client(5, 0, 6);
    sync_full_ok(NULL);
    char *v2 = gen_csv(30, "v2");
    load_sheet(v2);
    free(v2);
    /* Not retried: an answer came, and it is not what Google sends. */
    expect_clean_failure("truncate", 1, "response is not valid JSON", NULL);
    expect_clean_failure("garbage", 1, "response is not valid JSON", NULL);
    /* Retried, then given up: no answer at all. */
    new_client(5, 300, 2);
    expect_clean_failure("reset", 100, "Empty reply from server", "(gave up after 3 attempts)");
    cr_expect_eq(sl.n, 2);
    new_client(5, 300, 2);
    expect_clean_failure("short", 100, "partial file", "(gave up after 3 attempts)");
    new_client(5, 300, 2);
    expect_clean_failure("hang", 100, "Timeout was reached", "(gave up after 3 attempts)");
    cr_expect_eq(sl.n, 2);
    struct sheets_stats *st = sheets_client_stats(client);
    cr_expect_eq(atomic_load(&st->calls[SHEETS_STAT_NETWORK]), 3);

    /* After all that, a good sync. */
    new_client(5, 0, 6);
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_changed, 30);
}

Test(sync, one_reset_is_retried)
{
    new_client(5, 0, 6);
    char path[256];
    emu_values_path(&E, "Issues!12:16", path, sizeof path);
    /* Two: libcurl itself retries once on a reused connection. */
    cr_assert_eq(emu_fail(&E, "reset", 0, 2, -1, path), 0);
    sync_full_ok(NULL);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
}

/* ---- 6. range syncs ---- */

Test(sync, range_sync_of_an_edited_row)
{
    sync_full_ok(NULL);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM issue_versions"), 30);
    long dv = sdb_count(D.peek, "SELECT data_version FROM sources");

    put("Issues!C5", "[[\"Brakes squeal at low speed\"]]");
    clear_log();
    struct load_stats s;
    sync_range_ok(5, 5, &s);
    cr_expect_eq(s.rows_fetched, 1);
    cr_expect_eq(s.rows_changed, 1);
    cr_expect_eq(s.issues_changed, 1);
    cr_expect_eq(logged("GET /v4/", 0), 1, "a range sync is one values request");
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet/values/Issues!5:5?", 200), 1);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT summary || '/' || version FROM issues"
                                      " WHERE issue_number = '4'"),
                     "Brakes squeal at low speed/2");
    cr_expect_str_eq(sdb_text(D.peek, "SELECT group_concat(summary, ';') FROM (SELECT summary"
                                      " FROM issue_versions WHERE issue_number = '4'"
                                      " ORDER BY version)"),
                     "v1 summary 4;Brakes squeal at low speed");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM issue_versions"), 31);
    cr_expect_str_eq(last_run("range"), "5:5");
    cr_expect_str_eq(last_run("trigger"), "webhook");
    cr_expect_str_eq(last_run("rows_fetched || '/' || rows_changed"), "1/1");
    cr_expect_eq(sdb_count(D.peek, "SELECT data_version FROM sources"), dv + 1);

    /* Rows that did not change cost no write. */
    char *before = sdb_snapshot(D.peek);
    sync_range_ok(2, 10, &s);
    cr_expect_eq(s.rows_fetched, 9);
    cr_expect_eq(s.rows_changed, 0);
    cr_expect_eq(s.issues_changed, 0);
    cr_expect_str_eq(last_run("rows_fetched || '/' || rows_changed"), "9/0");
    char *after = sdb_snapshot(D.peek);
    /* Only sources.last_sync_ok_at may differ (it is in section 0). */
    cr_expect(strcmp(strstr(before, "\n-- 1\n"), strstr(after, "\n-- 1\n")) == 0, "%s",
              sdb_first_diff(after, before));
    free(before);
    free(after);
}

Test(sync, range_sync_of_a_cleared_and_a_new_row)
{
    sync_full_ok(NULL);
    /* Row 7 (issue 6) emptied, row 40 (past the data) filled. */
    put("Issues!A7:H7", "[[\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"]]");
    put("Issues!A40", "[[\"99\",\"Van 9\",\"New one\",\"low\",\"open\",\"4/1/2024\"]]");
    struct load_stats s;
    sync_range_ok(7, 7, &s);
    cr_expect_eq(s.rows_fetched, 0);
    cr_expect_eq(s.rows_changed, 1);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT state FROM issues WHERE issue_number = '6'"),
                     "deleted");
    sync_range_ok(40, 40, &s);
    cr_expect_eq(s.rows_fetched, 1);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT row || ' ' || summary || ' ' || reported_at FROM"
                                      " fct_issues WHERE issue_number = '99'"),
                     "40 New one 2024-04-01 00:00:00");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);

    /* The same as a fresh full sync of the sheet. */
    struct sdb fresh;
    sdb_open(&fresh);
    struct sync_request req = {.trigger = "manual", .full = true};
    char err[1024];
    cr_assert_eq(sync_run(fresh.st, client, &SRC, &req, NULL, err, sizeof err), 0, "%s", err);
    sdb_expect_same_content(D.peek, fresh.peek, "range syncs vs a fresh full sync");
    sdb_close(&fresh);
}

Test(sync, range_sync_of_a_new_source_is_a_full_sync)
{
    struct load_stats s;
    sync_range_ok(5, 6, &s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_str_eq(last_run("range"), "~");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
    /* A range that touches the header row is a full sync too. */
    sync_range_ok(1, 3, &s);
    cr_expect_eq(s.rows_fetched, 30);
    cr_expect_str_eq(last_run("range"), "~");
}

Test(sync, range_sync_failure_leaves_data_unchanged)
{
    sync_full_ok(NULL);
    put("Issues!C5", "[[\"changed\"]]");
    char *before = sdb_snapshot(D.peek);
    cr_assert_eq(emu_fail(&E, "garbage", 0, 1, -1, NULL), 0);
    char err[1024] = "";
    struct sync_request req = {.trigger = "webhook", .first = 5, .last = 5};
    cr_assert_neq(sync_run(D.st, client, &SRC, &req, NULL, err, sizeof err), 0);
    cr_expect_str_eq(err, "spreadsheet demo-sheet range Issues!5:5: response is not valid JSON");
    cr_expect_str_eq(last_run("status || ' ' || range"), "failed 5:5");
    expect_same_snapshot(before, "a failed range sync");
    free(before);
}

/* ---- the token endpoint ---- */

Test(sync, token_endpoint_outage_is_retried)
{
    cr_assert_eq(emu_fail(&E, "status", 503, 2, -1, "/token"), 0);
    sync_full_ok(NULL);
    cr_expect_eq(sl.n, 2);
    cr_expect_eq(gauth_token_requests(auth), 3);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
}

Test(sync, token_refused_fails_without_retrying)
{
    cr_assert_eq(emu_fail(&E, "status", 400, 1, -1, "/token"), 0);
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect(strncmp(err, "spreadsheet demo-sheet: ", 24) == 0, "%s", err);
    cr_expect_eq(sl.n, 0);
    cr_expect_eq(gauth_token_requests(auth), 1);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_str_eq(last_run("error"), err);
}

/* ---- tabs, header rows, empty sheets ---- */

/* Three tabs: "Issues" (5 issues), "Fleet's Q1" (a title row, the header
 * on row 2, 3 issues), whose name needs quoting in A1 notation, and "Other"
 * (3 issues). */
static const char two_tabs[] =
    "{\"title\":\"Fleet\",\"sheets\":["
    "{\"title\":\"Issues\",\"rows\":[[\"Issue #\",\"Summary\",\"Reported Date\"],"
    "[1,\"a\",\"3/1/2024\"],[2,\"b\",\"3/2/2024\"],[3,\"c\",\"3/3/2024\"],[4,\"d\",\"3/4/2024\"],"
    "[5,\"e\",\"3/5/2024\"]]},"
    "{\"title\":\"Fleet's Q1\",\"sheetId\":7,\"rows\":[[\"Fleet issues, Q1\"],"
    "[\"Issue #\",\"Summary\",\"Reported Date\"],[101,\"x\",45292],[102,\"y\",45293.5],"
    "[103,\"z\",\"1/4/2024\"]]},"
    "{\"title\":\"Other\",\"sheetId\":8,\"rows\":[[\"Issue #\",\"Summary\",\"Reported Date\"],"
    "[201,\"p\",\"3/1/2024\"],[202,\"q\",\"3/2/2024\"],[203,\"r\",\"3/3/2024\"]]}]}";

static void start_two_tabs(void)
{
    start_text("json", two_tabs);
}

Test(sync_own, a_quoted_tab_with_its_header_on_row_2, .init = start_two_tabs)
{
    static const struct sync_source q1 = {
        .name = "q1", .spreadsheet_id = "demo-sheet", .sheet = "Fleet's Q1", .header_row = 2};
    struct sync_request full = {.trigger = "manual", .full = true};
    struct load_stats s;
    char err[1024] = "";
    cr_assert_eq(sync_run(D.st, client, &q1, &full, &s, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.rows_fetched, 3);
    cr_expect_str_eq(sdb_text(D.peek, "SELECT group_concat(issue_number || '@' || row || '=' ||"
                                      " reported_at, ';') FROM (SELECT * FROM fct_issues"
                                      " ORDER BY row)"),
                     "101@3=2024-01-01 00:00:00;102@4=2024-01-02 12:00:00;"
                     "103@5=2024-01-04 00:00:00");
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet/values/'Fleet''s Q1'!2:2?", 200), 1);

    char perr[1024];
    cr_assert_eq(emu_put_values(&E, "'Fleet''s Q1'!B4", "RAW", "{\"values\":[[\"changed\"]]}", perr,
                                sizeof perr),
                 200, "%s", perr);
    struct sync_request range = {.trigger = "webhook", .first = 4, .last = 4};
    cr_assert_eq(sync_run(D.st, client, &q1, &range, &s, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.rows_fetched, 1);
    cr_expect_str_eq(last_run("range"), "4:4");
    cr_expect_str_eq(sdb_text(D.peek, "SELECT summary FROM issues WHERE issue_number = '102'"),
                     "changed");
    /* The title row above the header is no data: rows 1..2 mean a full pull. */
    range.first = 1;
    range.last = 2;
    cr_assert_eq(sync_run(D.st, client, &q1, &range, &s, err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.rows_fetched, 3);
    cr_expect_str_eq(last_run("range"), "~");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM quality_problems"), 0);
}

Test(sync_own, a_range_sync_after_the_tab_changed_is_a_full_sync, .init = start_two_tabs)
{
    /* Synced from the first tab, then configured to read another one (the
     * same source name): a notification's range means rows of the new tab,
     * and the stored header and rows are those of the old one. */
    static const struct sync_source first = {.name = "default", .spreadsheet_id = "demo-sheet"};
    static const struct sync_source moved = {
        .name = "default", .spreadsheet_id = "demo-sheet", .sheet = "Other"};
    struct sync_request full = {.trigger = "manual", .full = true};
    char err[1024] = "";
    cr_assert_eq(sync_run(D.st, client, &first, &full, NULL, err, sizeof err), 0, "%s", err);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 5);
    clear_log();
    struct sync_request range = {.trigger = "webhook", .first = 3, .last = 4};
    struct load_stats s;
    cr_assert_eq(sync_run(D.st, client, &moved, &range, &s, err, sizeof err), 0, "%s", err);
    cr_expect_eq(logged("GET /v4/spreadsheets/demo-sheet/values/Issues!", 0), 0,
                 "the range was read from the old tab");
    cr_expect_eq(s.rows_fetched, 3);
    cr_expect_str_eq(last_run("range"), "~");
    cr_expect_str_eq(sdb_text(D.peek, "SELECT sheet FROM sources"), "Other");
    cr_expect_str_eq(sdb_text(D.peek, "SELECT group_concat(issue_number, ',') FROM (SELECT"
                                      " issue_number FROM fct_issues ORDER BY row)"),
                     "201,202,203");
}

static void start_header_only(void)
{
    start_text("csv", "Issue #,Reported Date,Summary\n");
}

Test(sync_own, a_sheet_emptied_down_to_its_header, .init = start_header_only)
{
    struct load_stats s;
    sync_full_ok(&s);
    cr_expect_eq(s.rows_fetched, 0);
    cr_expect_str_eq(last_run("status"), "ok");
    char *csv = gen_csv(4, "v1");
    load_sheet(csv);
    free(csv);
    sync_full_ok(&s);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 4);
    load_sheet("Issue #,Reported Date,Summary\n");
    sync_full_ok(&s);
    cr_expect_eq(s.rows_changed, 4);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 0);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM issues WHERE state = 'deleted'"), 4);
}

static void start_empty(void)
{
    start_on(NULL, NULL, NULL);
}

Test(sync_own, an_empty_sheet_fails_with_missing_column, .init = start_empty)
{
    char err[1024] = "";
    cr_assert_neq(sync_full(NULL, err, sizeof err), 0);
    cr_expect(strncmp(err, "missing_column: row 1: ", 23) == 0, "%s", err);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM quality_problems WHERE code ="
                                   " 'missing_column' AND row = 1"),
                 2);
}

/* ---- 8. the sheetsync sync command ---- */

struct run {
    int status; /* exit code, or -1 */
    char *err;  /* stderr */
};

/* Runs `sheetsync --db <db> sync` with exactly the environment given. */
static struct run run_cli(const char *db, const char *key_path)
{
    cr_assert_eq(access(CLI, X_OK), 0, "build the sheetsync target first: %s", CLI);
    char errfile[] = "/tmp/test_sync_stderr_XXXXXX";
    int fd = mkstemp(errfile);
    cr_assert(fd >= 0);
    char *env[8];
    int n = 0;
    cr_assert(asprintf(&env[n++], "SHEETSYNC_SPREADSHEET_ID=demo-sheet") > 0);
    cr_assert(asprintf(&env[n++], "GOOGLE_APPLICATION_CREDENTIALS=%s", key_path) > 0);
    cr_assert(asprintf(&env[n++], "SHEETSYNC_SHEETS_API_URL=%s", E.base) > 0);
    cr_assert(asprintf(&env[n++], "TZ=UTC") > 0);
    env[n] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(fd, 2);
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        execle(CLI, CLI, "--db", db, "sync", (char *)NULL, env);
        _exit(127);
    }
    close(fd);
    int st = 0;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    for (int i = 0; i < n; i++)
        free(env[i]);
    struct run r = {WIFEXITED(st) ? WEXITSTATUS(st) : -1, emu_slurp(errfile, NULL)};
    unlink(errfile);
    return r;
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(sync, cli_sync_end_to_end)
{
    struct run r = run_cli(D.path, E.key_path);
    cr_expect_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
    free(r.err);
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);
    cr_expect_str_eq(last_run("status || ' ' || trigger"), "ok manual");

    /* The sheet is no longer shared: exit 1, one line naming it. */
    cr_assert_eq(emu_fail(&E, "status", 403, 1, -1, NULL), 0);
    r = run_cli(D.path, E.key_path);
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cr_expect_eq(lines(r.err), 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "demo-sheet") && strstr(r.err, "The caller does not have permission"),
              "stderr: %s", r.err);
    free(r.err);
    cr_expect_str_eq(last_run("status"), "failed");
    cr_expect_eq(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 30);

    /* No key file: bad configuration, exit 2, one line naming the key. */
    char missing[128];
    snprintf(missing, sizeof missing, "%s/nope.json", E.dir);
    r = run_cli(D.path, missing);
    cr_expect_eq(r.status, 2, "exit %d, stderr: %s", r.status, r.err);
    cr_expect_eq(lines(r.err), 1, "stderr: %s", r.err);
    cr_expect(strstr(r.err, "GOOGLE_APPLICATION_CREDENTIALS"), "stderr: %s", r.err);
    free(r.err);
}

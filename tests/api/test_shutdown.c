/* `sheetsync serve` stops within 10 s of SIGTERM or SIGINT when Google hangs
 * (contract: what a container runtime waits before SIGKILL). The real
 * binary runs as a child in front of the real sheets-emulator, which is told
 * to hold every answer for 60 s or to ask for a 60 s retry; the signal comes
 * while the worker's call or retry wait is in flight. The child must exit 0
 * in time, roll the sync back and record it as failed, keep the webhook's
 * notification pending for the next start, and leave an intact database. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/support/child.h"
#include "tests/support/emulator.h"
#include "tests/support/jws.h"

#define SECRET    "shutdown-test-secret-0123456789-abcdefgh"
#define ADMIN     "shutdown-test-admin-token"
#define SHEETSYNC SHEETSYNC_BINARY_DIR "/sheetsync"

/* The contract's bound, and the hold that would blow it without cancelling. */
enum { STOP_LIMIT_MS = 10000, GOOGLE_HOLD_MS = 60000 };

static struct {
    struct emu emu;
    char db[64];
    char log[96];
    pid_t child;
    unsigned port;
    int jti;
} T;

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the database, read directly ---- */

static long long db_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    long long v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* The first column of the first row as text (malloc'd; "" when none). */
static char *db_text(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_open_v2(T.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
                 sqlite3_errmsg(db));
    const unsigned char *t = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    char *v = strdup(t ? (const char *)t : "");
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static bool wait_for(const char *sql, long long want, int timeout_ms)
{
    for (long long end = mono_ms() + timeout_ms; mono_ms() <= end; usleep(20000))
        if (db_int(sql) == want)
            return true;
    return false;
}

/* ---- the child ---- */

static bool log_has(const char *needle)
{
    char *log = emu_slurp(T.log, NULL);
    bool found = log && strstr(log, needle);
    free(log);
    return found;
}

/* Starts `sheetsync COMMAND` (serve or sync) against the emulator; for
 * serve, on port 0, and waits for its port. serve's start-up full sync runs
 * at once; debounce 0 pulls a notification at once. */
static void spawn_command(const char *command)
{
    static const char *const extra[] = {"SHEETSYNC_WEBHOOK_SECRET=" SECRET,
                                        "SHEETSYNC_ADMIN_TOKEN=" ADMIN, "SHEETSYNC_DEBOUNCE_MS=0",
                                        NULL};
    struct child_env e = {T.db, T.log, T.emu.key_path, T.emu.base, extra};
    T.child = child_start(&e, command);
    T.port = strcmp(command, "serve") == 0 ? child_wait_port(T.child, T.log) : 0;
}

static void spawn(void)
{
    spawn_command("serve");
}

/* Sends `sig` and waits up to 20 s for the exit; returns the milliseconds
 * it took and the wait status in *status (SIGKILL after 20 s). */
static long long signal_and_wait(int sig, int *status)
{
    long long t0 = mono_ms();
    cr_assert_eq(kill(T.child, sig), 0);
    pid_t r = 0;
    while ((r = waitpid(T.child, status, WNOHANG)) == 0 && mono_ms() - t0 < 20000)
        usleep(5000);
    long long ms = mono_ms() - t0;
    if (r == 0) {
        kill(T.child, SIGKILL);
        waitpid(T.child, status, 0);
    }
    T.child = 0;
    return ms;
}

static void assert_clean_exit(int status, long long ms, const char *what)
{
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s: exit status %d (signal %d), want exit 0", what,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    cr_expect_lt(ms, STOP_LIMIT_MS, "%s: exited after %lld ms", what, ms);
    cr_log_info("%s: exited after %lld ms", what, ms);
    cr_expect(log_has("serve: stopped"), "%s: the log says the server stopped", what);
}

/* Integrity, no run left 'running', and the WAL folded back at exit. */
static void assert_db_intact(void)
{
    char *ic = db_text("PRAGMA integrity_check");
    cr_expect_str_eq(ic, "ok");
    free(ic);
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'running'"), 0);
    char wal[96];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", T.db);
    cr_expect(stat(wal, &sb) != 0 || sb.st_size == 0, "the WAL holds %lld bytes after the exit",
              (long long)sb.st_size);
}

/* ---- HTTP to the child ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

static long post(const char *path, const char *const *headers, const char *body)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", T.port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    for (const char *const *h = headers; *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    cr_assert_eq(rc, CURLE_OK, "POST %s: %s", path, curl_easy_strerror(rc));
    return status;
}

/* A signed edit notification for `range`: 202, stored pending. */
static void notify(const char *range)
{
    char jti[64];
    snprintf(jti, sizeof jti, "jti-%d-%ld-%d", (int)getpid(), (long)time(NULL), ++T.jti);
    char *t = jws_notification(SECRET, time(NULL), jti, "demo-sheet", "Issues", "edit", range);
    static const char *const h[] = {"Content-Type: application/jwt", "Expect:", NULL};
    cr_assert_eq(post("/webhooks/sheets", h, t), 202);
    free(t);
}

/* POST /syncs: a manual full sync is queued. */
static void request_full_sync(void)
{
    static const char *const h[] = {"Authorization: Bearer " ADMIN,
                                    "Content-Type: application/json", "Expect:", NULL};
    cr_assert_eq(post("/syncs", h, "{\"source\":\"default\"}"), 202);
}

static void hold_google(long ms)
{
    char body[64];
    snprintf(body, sizeof body, "{\"ms\":%ld}", ms);
    cr_assert_eq(emu_control(&T.emu, NULL, "POST", "latency", body), 200);
}

/* ---- fixture ---- */

static void setup(void)
{
    char err[512];
    memset(&T, 0, sizeof T);
    log_init(LOG_ERROR, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cr_assert_eq(access(SHEETSYNC, X_OK), 0, "build the sheetsync binary first: %s", SHEETSYNC);
    /* Row 1 the header, row n+1 issue n. */
    char csv[4096];
    size_t n = (size_t)snprintf(csv, sizeof csv,
                                "Issue #,Vehicle,Summary,Priority,Status,Reported Date\r\n");
    for (int i = 1; i <= 30; i++)
        n += (size_t)snprintf(csv + n, sizeof csv - n,
                              "%d,Truck %d,Summary %d,high,open,3/%d/2024\r\n", i, i % 7, i,
                              1 + i % 28);
    cr_assert_eq(emu_start_text(&T.emu, "csv", csv, NULL, err, sizeof err), 0, "%s", err);
    strcpy(T.db, "/tmp/test_shutdown_XXXXXX");
    int fd = mkstemp(T.db);
    cr_assert(fd >= 0);
    close(fd);
    snprintf(T.log, sizeof T.log, "%s.log", T.db);
}

static void teardown(void)
{
    char p[96];
    if (T.child > 0) {
        kill(T.child, SIGKILL);
        waitpid(T.child, NULL, 0);
    }
    if (getenv("SHUTDOWN_TEST_VERBOSE")) {
        char *log = emu_slurp(T.log, NULL);
        fprintf(stderr, "---- sheetsync serve's log ----\n%s", log ? log : "");
        free(log);
    }
    emu_stop(&T.emu);
    unlink(T.log);
    unlink(T.db);
    snprintf(p, sizeof p, "%s-wal", T.db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", T.db);
    unlink(p);
    curl_global_cleanup();
}

/* Starts the child and waits for its start-up full sync to commit. */
static void serve_synced(void)
{
    spawn();
    cr_assert(wait_for("SELECT count(*) FROM sync_runs WHERE status = 'ok'", 1, 20000),
              "the start-up sync did not finish");
}

TestSuite(shutdown, .init = setup, .fini = teardown, .timeout = 120);

/* ---- the tests ---- */

Test(shutdown, sigterm_during_a_hung_pull_exits_0_and_keeps_the_notification)
{
    serve_synced();
    char err[512];
    char body[] = "{\"range\":\"Issues!C10\",\"majorDimension\":\"ROWS\","
                  "\"values\":[[\"edited before the stop\"]]}";
    cr_assert_eq(emu_put_values(&T.emu, "Issues!C10", "RAW", body, err, sizeof err), 200, "%s",
                 err);
    hold_google(GOOGLE_HOLD_MS);
    notify("C10");
    /* The pull's run is recorded before its transaction opens and its
     * values request goes out. */
    cr_assert(wait_for("SELECT count(*) FROM sync_runs WHERE status = 'running'", 1, 10000),
              "the pull did not start");
    usleep(300000);
    cr_assert_eq(waitpid(T.child, NULL, WNOHANG), 0);

    int status = 0;
    long long ms = signal_and_wait(SIGTERM, &status);
    assert_clean_exit(status, ms, "SIGTERM during a hung values request");
    assert_db_intact();
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'pending'"
                        " AND first_row = 10 AND last_row = 10 AND attempts = 0"),
                 1, "the notification stays pending, with no failed attempt counted");
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'failed'"
                        " AND trigger = 'webhook' AND error LIKE '%cancelled%'"),
                 1, "the cut-short pull is recorded as failed");
    char *summary = db_text("SELECT summary FROM issues WHERE issue_number = '9'");
    cr_expect_str_eq(summary, "Summary 9", "nothing of the pull was committed");
    free(summary);
    cr_expect(log_has("stay pending for the next start"));

    /* The next start pulls it. */
    hold_google(0);
    spawn();
    cr_expect(wait_for("SELECT count(*) FROM notifications WHERE status = 'pending'", 0, 20000),
              "the next start pulled the notification");
    summary = db_text("SELECT summary FROM issues WHERE issue_number = '9'");
    cr_expect_str_eq(summary, "edited before the stop");
    free(summary);
    ms = signal_and_wait(SIGTERM, &status);
    assert_clean_exit(status, ms, "SIGTERM when idle");
    assert_db_intact();
}

Test(shutdown, sigint_during_a_hung_full_sync_exits_0)
{
    serve_synced();
    hold_google(GOOGLE_HOLD_MS);
    request_full_sync();
    /* The access token is cached: the metadata request is the one held. */
    usleep(800000);
    cr_assert_eq(waitpid(T.child, NULL, WNOHANG), 0);
    int status = 0;
    long long ms = signal_and_wait(SIGINT, &status);
    assert_clean_exit(status, ms, "SIGINT during a hung metadata request");
    assert_db_intact();
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'failed'"
                        " AND trigger = 'manual' AND error LIKE '%cancelled%'"),
                 1, "the cut-short sync is recorded as failed");
}

Test(shutdown, sigterm_during_a_hung_token_request_exits_0)
{
    /* Held from the start: the start-up sync waits on its first token. */
    hold_google(GOOGLE_HOLD_MS);
    spawn();
    usleep(800000);
    cr_assert_eq(waitpid(T.child, NULL, WNOHANG), 0);
    int status = 0;
    long long ms = signal_and_wait(SIGTERM, &status);
    assert_clean_exit(status, ms, "SIGTERM during a hung token request");
    assert_db_intact();
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'ok'"), 0);
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'failed'"
                        " AND trigger = 'startup' AND error LIKE '%token endpoint%cancelled%'"),
                 1, "the start-up sync is recorded as failed at the token request");
}

Test(shutdown, sigterm_during_a_retry_wait_exits_0)
{
    serve_synced();
    /* 503 with Retry-After: 60: the client would wait a minute to retry. */
    cr_assert_eq(emu_fail(&T.emu, "status", 503, 20, 60, NULL), 0);
    long before = emu_stat(&T.emu, "injected_failures");
    request_full_sync();
    bool waiting = false;
    for (long long end = mono_ms() + 10000; !waiting && mono_ms() < end; usleep(20000))
        waiting = emu_stat(&T.emu, "injected_failures") > before && log_has("retry 1 of");
    cr_assert(waiting, "the client did not start its retry wait");
    usleep(300000);
    int status = 0;
    long long ms = signal_and_wait(SIGTERM, &status);
    assert_clean_exit(status, ms, "SIGTERM during a 60 s retry wait");
    assert_db_intact();
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'failed'"
                        " AND trigger = 'manual' AND error LIKE '%retry interrupted%'"),
                 1, "the sync whose retry wait ended is recorded as failed");
}

/* The one-shot `sheetsync sync` stops too: exit 1 (the work failed), the run
 * rolled back and recorded as failed, not left 'running'. */
Test(shutdown, sigterm_during_a_hung_one_shot_sync_exits_1)
{
    hold_google(GOOGLE_HOLD_MS);
    spawn_command("sync");
    usleep(800000);
    cr_assert_eq(waitpid(T.child, NULL, WNOHANG), 0, "sync ended before the signal");
    int status = 0;
    long long ms = signal_and_wait(SIGTERM, &status);
    cr_expect(
        WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d (signal %d), want exit 1",
        WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    cr_expect_lt(ms, STOP_LIMIT_MS, "exited after %lld ms", ms);
    cr_log_info("sync: SIGTERM during a hung token request: exited after %lld ms", ms);
    cr_expect(log_has("sync stopped by Terminated"), "the log says why it stopped");
    assert_db_intact();
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE status = 'failed'"
                        " AND trigger = 'manual' AND error LIKE '%cancelled%'"),
                 1, "the sync is recorded as failed");
}

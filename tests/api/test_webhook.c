/* POST /webhooks/sheets end to end: the real daemon (http_start on port 0)
 * and sync worker in this process, or the sheetsync binary as a child, in
 * front of the real sheets-emulator. What a refusal answers, and that it
 * pulls nothing (the emulator's request log shows no values read); what an
 * accepted notification pulls; coalescing within the debounce window;
 * retries when Google fails; replay refused across a restart; and a kill -9
 * between the 202 and the pull losing nothing. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "ingest/sync.h"
#include "ingest/worker.h"
#include "server/app.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/store.h"
#include "tests/support/child.h"
#include "tests/support/emulator.h"
#include "tests/support/jws.h"

#define SECRET    "webhook-test-secret-0123456789-abcdefgh"
#define SHEETSYNC SHEETSYNC_BINARY_DIR "/sheetsync"

static struct {
    struct emu emu;
    char db[64];
    struct worker *worker;
    struct http_server *srv;
    struct app app;
    struct sync_source src[2];
    long debounce_ms;
    unsigned port; /* of the server under test (in process, or the child's) */
    pid_t child;
    char child_log[96];
    int jti; /* for fresh jtis */
} T;

/* ---- the sheet ---- */

/* Row 1 the header, row n+1 issue n: "Issue #,Vehicle,Summary,Priority,
 * Status,Reported Date". */
static char *sheet_csv(int issues)
{
    size_t cap = 128 + (size_t)issues * 96;
    char *s = malloc(cap);
    size_t n =
        (size_t)snprintf(s, cap, "Issue #,Vehicle,Summary,Priority,Status,Reported Date\r\n");
    for (int i = 1; i <= issues; i++)
        n += (size_t)snprintf(s + n, cap - n, "%d,Truck %d,Summary %d,high,open,3/%d/2024\r\n", i,
                              i % 7, i, 1 + i % 28);
    return s;
}

/* Sets the Summary (column C) of sheet row `row` on the emulator. */
static void put_summary(long row, const char *value)
{
    char range[32], body[256], err[512];
    snprintf(range, sizeof range, "Issues!C%ld", row);
    snprintf(body, sizeof body,
             "{\"range\":\"%s\",\"majorDimension\":\"ROWS\",\"values\":[[\"%s\"]]}", range, value);
    cr_assert_eq(emu_put_values(&T.emu, range, "RAW", body, err, sizeof err), 200, "%s", err);
}

/* GET requests for values the emulator served since its log was reset. */
static int values_reads(void)
{
    struct emu_resp r;
    cr_assert_eq(emu_control(&T.emu, &r, "GET", "requests?prettyPrint=false", NULL), 200);
    int n = 0;
    for (size_t i = 0; r.json && i < json_object_array_length(r.json); i++) {
        json_object *e = json_object_array_get_idx(r.json, i);
        const char *m = emu_jstr(e, "method"), *p = emu_jstr(e, "path");
        if (m && p && strcmp(m, "GET") == 0 && strstr(p, "/values"))
            n++;
    }
    emu_resp_free(&r);
    return n;
}

/* Whether some values GET of the log names `needle` (e.g. "Issues!5:5"). */
static bool values_read_of(const char *needle)
{
    struct emu_resp r;
    cr_assert_eq(emu_control(&T.emu, &r, "GET", "requests?prettyPrint=false", NULL), 200);
    bool found = false;
    for (size_t i = 0; r.json && i < json_object_array_length(r.json); i++) {
        const char *p = emu_jstr(json_object_array_get_idx(r.json, i), "path");
        if (p && strstr(p, "/values") && strstr(p, needle))
            found = true;
    }
    emu_resp_free(&r);
    return found;
}

/* ---- HTTP to the server under test ---- */

struct reply {
    long status;
    char *body;
    size_t len;
    json_object *json;
    char ctype[128];
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    r->body = realloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t head_sink(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    if (n * size > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
        snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)(n * size - 16), p + 14);
    return size * n;
}

static void reply_free(struct reply *r)
{
    free(r->body);
    json_object_put(r->json);
    memset(r, 0, sizeof *r);
}

static bool expect_continue; /* the next requests wait for 100 Continue */

/* One request; ctype NULL sends none (curl's form type is suppressed). */
static struct reply req(const char *method, const char *path, const char *ctype, const char *body,
                        size_t len)
{
    struct reply r = {0};
    char url[512], h[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", T.port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    snprintf(h, sizeof h, "Content-Type: %s", ctype ? ctype : "");
    hl = curl_slist_append(hl, ctype ? h : "Content-Type:");
    hl = curl_slist_append(hl, expect_continue ? "Expect: 100-continue" : "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, head_sink);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (r.body)
        r.json = json_tokener_parse(r.body);
    return r;
}

static struct reply post(const char *token)
{
    return req("POST", "/webhooks/sheets", "application/jwt", token, strlen(token));
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static char *fresh_jti(void)
{
    char *s = malloc(48);
    snprintf(s, 48, "jti-%d-%d-%d", (int)getpid(), (int)time(NULL), ++T.jti);
    return s;
}

/* A signed notification with a fresh jti. */
static char *note(const char *event, const char *what)
{
    char *jti = fresh_jti();
    char *t = jws_notification(SECRET, time(NULL), jti, "demo-sheet", "Issues", event, what);
    free(jti);
    return t;
}

static void assert_accepted(struct reply *r, const char *pull, const char *rows)
{
    cr_assert_eq(r->status, 202, "status %ld: %s", r->status, r->body ? r->body : "");
    cr_assert(r->json);
    cr_expect_str_eq(jstr(r->json, "status"), "accepted");
    cr_expect_str_eq(jstr(r->json, "pull"), pull, "%s", r->body);
    json_object *id = NULL;
    cr_expect(json_object_object_get_ex(r->json, "id", &id) && json_object_get_int64(id) > 0);
    if (rows)
        cr_expect_str_eq(jstr(r->json, "rows") ? jstr(r->json, "rows") : "(none)", rows, "%s",
                         r->body);
}

static void assert_refused(struct reply *r, long status, const char *token, const char *what)
{
    cr_expect_eq(r->status, status, "%s: status %ld, wanted %ld: %s", what, r->status, status,
                 r->body ? r->body : "");
    cr_expect_str_eq(r->ctype, "application/problem+json", "%s", what);
    cr_expect(r->json && jstr(r->json, "detail") && jstr(r->json, "title") && jstr(r->json, "type"),
              "%s: not a problem: %s", what, r->body ? r->body : "");
    if (r->body && token && strlen(token) > 10) {
        cr_expect(!strstr(r->body, token), "%s: the reply echoes the token", what);
        const char *sig = strrchr(token, '.');
        if (sig && strlen(sig) > 10)
            cr_expect(!strstr(r->body, sig + 1), "%s: the reply echoes the signature", what);
    }
    if (r->body)
        cr_expect(!strstr(r->body, SECRET), "%s: the reply echoes the secret", what);
}

/* The summary of issue `n` as the API serves it, or "" when absent. */
static char *issue_summary(int n)
{
    char path[64];
    snprintf(path, sizeof path, "/issues/%d", n);
    struct reply r = req("GET", path, NULL, NULL, 0);
    char *s = strdup(r.status == 200 && jstr(r.json, "summary") ? jstr(r.json, "summary") : "");
    reply_free(&r);
    return s;
}

/* The webhook counter of `outcome` in this process's /metrics text. */
static long metric(const char *outcome)
{
    struct buf b;
    char needle[128];
    buf_init(&b, 0);
    cr_assert_eq(metrics_write_process(&b), 0);
    snprintf(needle, sizeof needle, "sheetsync_webhook_notifications_total{outcome=\"%s\"} ",
             outcome);
    const char *p = b.data ? strstr(b.data, needle) : NULL;
    long v = p ? atol(p + strlen(needle)) : 0;
    buf_free(&b);
    return v;
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

static bool wait_for(const char *sql, long long want, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (db_int(sql) == want)
            return true;
        usleep(20000);
    }
    return false;
}

/* ---- in-process server and worker ---- */

static void serve(void)
{
    char err[512];
    struct worker_options wo = {
        .db_path = T.db,
        .api_base_url = T.emu.base,
        .credentials_path = T.emu.key_path,
        .sources = T.src,
        .nsources = 1,
        .debounce_ms = T.debounce_ms,
        .merge_gap_rows = 5, /* small enough for the 60-row test sheet */
    };
    T.worker = worker_start(&wo, err, sizeof err);
    cr_assert(T.worker, "worker_start: %s", err);
    worker_wait_idle(T.worker); /* the start-up full sync */
    T.app.worker = T.worker;
    T.app.sources = T.src;
    T.app.nsources = 1;
    struct http_options o = {.bind = "127.0.0.1", .db_path = T.db, .app = &T.app};
    T.srv = http_start(&o, err, sizeof err);
    cr_assert(T.srv, "http_start: %s", err);
    T.port = http_port(T.srv);
    /* Only what the webhook causes from here on. */
    cr_assert_eq(emu_control(&T.emu, NULL, "POST", "reset", NULL), 200);
}

static void unserve(void)
{
    http_stop(T.srv);
    T.srv = NULL;
    worker_stop(T.worker);
    T.worker = NULL;
}

static void setup_with(long debounce_ms, const char *secret, int issues)
{
    char err[512];
    memset(&T, 0, sizeof T);
    log_init(LOG_ERROR, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *csv = sheet_csv(issues);
    cr_assert_eq(emu_start_text(&T.emu, "csv", csv, NULL, err, sizeof err), 0, "%s", err);
    free(csv);
    strcpy(T.db, "/tmp/test_webhook_XXXXXX");
    int fd = mkstemp(T.db);
    cr_assert(fd >= 0);
    close(fd);
    struct store *st;
    cr_assert_eq(store_open(T.db, &st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, err, sizeof err), 0, "%s", err);
    store_close(st);
    T.src[0] = (struct sync_source){"default", "demo-sheet", "Issues", 1, NULL};
    T.debounce_ms = debounce_ms;
    T.app.webhook_secret = secret;
    T.app.webhook_secret_len = secret ? strlen(secret) : 0;
    T.app.webhook_audience = "sheetsync";
    serve();
}

static void setup(void)
{
    setup_with(0, SECRET, 60);
}

static void setup_debounced(void)
{
    setup_with(400, SECRET, 60);
}

static void setup_disabled(void)
{
    setup_with(0, NULL, 10);
}

static void unlink_db(void)
{
    char p[96];
    unlink(T.db);
    snprintf(p, sizeof p, "%s-wal", T.db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", T.db);
    unlink(p);
}

static void teardown(void)
{
    if (T.child > 0) {
        kill(T.child, SIGKILL);
        waitpid(T.child, NULL, 0);
        unlink(T.child_log);
    }
    unserve();
    emu_stop(&T.emu);
    unlink_db();
    curl_global_cleanup();
}

/* Criterion runs a suite's .init and then a test's own: one suite per setup. */
TestSuite(webhook, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(webhook_debounced, .init = setup_debounced, .fini = teardown, .timeout = 120);
TestSuite(webhook_disabled, .init = setup_disabled, .fini = teardown, .timeout = 60);

/* ---- refusals ---- */

Test(webhook, every_refusal_answers_its_status_and_pulls_nothing)
{
    long long now = time(NULL);
    char *claims;
    struct {
        const char *what;
        char *token;
        const char *ctype;
        long status;
    } cases[32];
    int n = 0;
#define CASE(w, t, c, s) (cases[n++] = (typeof(cases[0])){w, t, c, s})
    CASE("garbage", strdup("not a token"), "application/jwt", 400);
    CASE("empty body", strdup(""), "application/jwt", 400);
    claims = jws_claims("sheetsync", now, now + 300, "r-1", "demo-sheet", "Issues", "edit", "C5");
    CASE("alg none", jws_hs256("{\"alg\":\"none\"}", claims, SECRET), "application/jwt", 401);
    CASE("alg NONE", jws_hs256("{\"alg\":\"NONE\"}", claims, SECRET), "application/jwt", 401);
    CASE("alg HS512", jws_hs256("{\"alg\":\"HS512\"}", claims, SECRET), "application/jwt", 401);
    CASE("alg RS256", jws_hs256("{\"alg\":\"RS256\"}", claims, SECRET), "application/jwt", 401);
    CASE("wrong secret",
         jws_hs256("{\"alg\":\"HS256\"}", claims, "not-the-secret-but-long-enough!!"),
         "application/jwt", 401);
    char *good = jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET);
    char *t = malloc(strlen(good) + 2);
    sprintf(t, "%.*s", (int)strlen(good) - 4, good);
    CASE("truncated signature", t, "application/jwt", 401);
    t = malloc(strlen(good) + 2);
    sprintf(t, "%s=", good);
    CASE("padded signature", t, "application/jwt", 400);
    CASE("wrong content type", strdup(good), "application/json", 415);
    CASE("no content type", strdup(good), NULL, 415);
    free(claims);
    claims =
        jws_claims("sheetsync", now - 1000, now - 700, "r-2", "demo-sheet", "Issues", "edit", "C5");
    CASE("expired", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt", 401);
    free(claims);
    claims =
        jws_claims("sheetsync", now + 120, now + 300, "r-3", "demo-sheet", "Issues", "edit", "C5");
    CASE("iat in the future", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt",
         401);
    free(claims);
    claims = jws_claims("sheetsync", now, now + 601, "r-4", "demo-sheet", "Issues", "edit", "C5");
    CASE("lifetime over 600 s", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt",
         400);
    free(claims);
    claims = jws_claims("elsewhere", now, now + 300, "r-5", "demo-sheet", "Issues", "edit", "C5");
    CASE("wrong aud", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt", 401);
    free(claims);
    claims = jws_claims("sheetsync", now, now + 300, NULL, "demo-sheet", "Issues", "edit", "C5");
    CASE("missing jti", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt", 400);
    free(claims);
    char longjti[200];
    memset(longjti, 'j', 129);
    longjti[129] = '\0';
    claims = jws_claims("sheetsync", now, now + 300, longjti, "demo-sheet", "Issues", "edit", "C5");
    CASE("jti over 128", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt", 400);
    free(claims);
    CASE("non-JSON payload", jws_hs256("{\"alg\":\"HS256\"}", "this is not JSON", SECRET),
         "application/jwt", 400);
    claims =
        jws_claims("sheetsync", now, now + 300, "r-6", "demo-sheet", "Issues", "edit", "Issues!C5");
    CASE("range with a sheet name", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET),
         "application/jwt", 400);
    free(claims);
    claims =
        jws_claims("sheetsync", now, now + 300, "r-7", "another-sheet", "Issues", "edit", "C5");
    CASE("unknown spreadsheet", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt",
         404);
    free(claims);
    claims = jws_claims("sheetsync", now, now + 300, "r-8", "demo-sheet", "Archive", "edit", "C5");
    CASE("unknown tab", jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET), "application/jwt", 404);
    free(claims);
    free(good);
#undef CASE

    for (int i = 0; i < n; i++) {
        struct reply r =
            req("POST", "/webhooks/sheets", cases[i].ctype, cases[i].token, strlen(cases[i].token));
        assert_refused(&r, cases[i].status, cases[i].token, cases[i].what);
        reply_free(&r);
        free(cases[i].token);
    }
    worker_wait_idle(T.worker);
    usleep(100000); /* a pull, were one scheduled, would have started (debounce 0) */
    worker_wait_idle(T.worker);
    cr_expect_eq(values_reads(), 0, "a refused notification caused a pull");
    cr_expect_eq(db_int("SELECT count(*) FROM notifications"), 0);
    cr_expect_eq(db_int("SELECT count(*) FROM webhook_jtis"), 0,
                 "a refused notification must not use up its jti");
    /* each refusal counted by its reason, for /metrics */
    static const struct {
        const char *outcome;
        long n;
    } counted[] = {{"malformed", 4},
                   {"bad_alg", 4},
                   {"bad_signature", 2},
                   {"expired", 1},
                   {"not_yet_valid", 1},
                   {"bad_claims", 4},
                   {"bad_audience", 1},
                   {"unknown_spreadsheet", 2},
                   {"unsupported_media_type", 2},
                   {"accepted", 0}};
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        cr_expect_eq(metric(counted[i].outcome), counted[i].n, "%s: %ld", counted[i].outcome,
                     metric(counted[i].outcome));
}

Test(webhook, over_16_KiB_is_413)
{
    char *big = malloc(16385 + 1);
    memset(big, 'a', 16385);
    big[16385] = '\0';
    struct reply r = req("POST", "/webhooks/sheets", "application/jwt", big, 16385);
    assert_refused(&r, 413, NULL, "16385 bytes");
    reply_free(&r);
    /* 16 KiB exactly is read, and refused for what it is */
    r = req("POST", "/webhooks/sheets", "application/jwt", big, 16384);
    assert_refused(&r, 400, NULL, "16384 bytes");
    reply_free(&r);
    /* far beyond: refused without reading it all */
    char *huge = malloc(4 << 20);
    memset(huge, 'a', 4 << 20);
    expect_continue = true;
    r = req("POST", "/webhooks/sheets", "application/jwt", huge, 4 << 20);
    expect_continue = false;
    cr_expect_eq(r.status, 413);
    reply_free(&r);
    free(huge);
    free(big);
    worker_wait_idle(T.worker);
    cr_expect_eq(values_reads(), 0);
    cr_expect_eq(metric("too_large"), 2);
}

Test(webhook, wrong_method_is_405)
{
    struct reply r = req("GET", "/webhooks/sheets", NULL, NULL, 0);
    cr_expect_eq(r.status, 405);
    reply_free(&r);
}

Test(webhook_disabled, disabled_without_a_secret)
{
    char *t = note("edit", "C5");
    struct reply r = post(t);
    assert_refused(&r, 503, t, "disabled");
    cr_expect(strstr(r.body, "SHEETSYNC_WEBHOOK_SECRET"), "%s", r.body);
    reply_free(&r);
    free(t);
    worker_wait_idle(T.worker);
    cr_expect_eq(values_reads(), 0);
    cr_expect_eq(metric("disabled"), 1);
}

/* ---- accepted notifications ---- */

Test(webhook, edit_pulls_its_rows_and_the_value_shows)
{
    char *before = issue_summary(4);
    cr_expect_str_eq(before, "Summary 4");
    free(before);
    put_summary(5, "Brakes squeal after rain");
    char *t = note("edit", "C5");
    struct reply r = post(t);
    assert_accepted(&r, "range", "5:5");
    json_object *id = NULL;
    json_object_object_get_ex(r.json, "id", &id);
    long long nid = json_object_get_int64(id);
    reply_free(&r);
    free(t);
    /* Stored before the reply: the row exists whatever the worker did. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM notifications WHERE id = %lld", nid);
    cr_expect_eq(db_int(sql), 1);
    worker_wait_idle(T.worker);
    char *after = issue_summary(4);
    cr_expect_str_eq(after, "Brakes squeal after rain");
    free(after);
    cr_expect_eq(values_reads(), 1, "one values read for one edit");
    cr_expect(values_read_of("Issues!5:5"), "the pull reads whole row 5");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM notifications n JOIN sync_runs s ON s.id = n.sync_id"
             " WHERE n.id = %lld AND n.status = 'done' AND s.trigger = 'webhook'"
             " AND s.range = '5:5' AND s.status = 'ok'",
             nid);
    cr_expect_eq(db_int(sql), 1, "the notification is done, by a webhook range run");
}

Test(webhook, block_edit_pulls_every_row_it_covers)
{
    put_summary(7, "seven");
    put_summary(9, "nine");
    char *t = note("edit", "D9:B7");
    struct reply r = post(t);
    assert_accepted(&r, "range", "7:9");
    reply_free(&r);
    free(t);
    worker_wait_idle(T.worker);
    char *s6 = issue_summary(6), *s8 = issue_summary(8);
    cr_expect_str_eq(s6, "seven");
    cr_expect_str_eq(s8, "nine");
    free(s6), free(s8);
    cr_expect(values_read_of("Issues!7:9"));
}

Test(webhook, header_edit_and_structural_changes_pull_the_whole_sheet)
{
    static const struct {
        const char *event, *what;
    } full[] = {{"edit", "B1"},           {"edit", "A1:F3"},        {"edit", "C:C"},
                {"change", "INSERT_ROW"}, {"change", "REMOVE_ROW"}, {"change", "OTHER"}};
    for (size_t i = 0; i < sizeof full / sizeof full[0]; i++) {
        char *t = note(full[i].event, full[i].what);
        struct reply r = post(t);
        assert_accepted(&r, "full", NULL);
        reply_free(&r);
        free(t);
        worker_wait_idle(T.worker);
        cr_expect(values_read_of("Issues!1:1"), "%s %s: the header row is read again",
                  full[i].event, full[i].what);
        cr_assert_eq(emu_control(&T.emu, NULL, "POST", "reset", NULL), 200);
    }
    cr_expect_eq(db_int("SELECT count(*) FROM sync_runs WHERE trigger = 'webhook'"
                        " AND range IS NULL AND status = 'ok'"),
                 (long long)(sizeof full / sizeof full[0]));
}

Test(webhook, format_and_edit_changes_pull_nothing)
{
    const char *types[] = {"FORMAT", "EDIT"};
    for (int i = 0; i < 2; i++) {
        char *t = note("change", types[i]);
        struct reply r = post(t);
        assert_accepted(&r, "none", NULL);
        cr_expect(jstr(r.json, "detail"), "the reply says nothing is pulled: %s", r.body);
        reply_free(&r);
        free(t);
    }
    worker_wait_idle(T.worker);
    usleep(100000);
    worker_wait_idle(T.worker);
    cr_expect_eq(values_reads(), 0);
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'done'"
                        " AND pull = 'none'"),
                 2);
}

Test(webhook, replay_is_refused_also_after_a_restart)
{
    char *t = note("edit", "C5");
    struct reply r = post(t);
    assert_accepted(&r, "range", "5:5");
    reply_free(&r);
    r = post(t);
    assert_refused(&r, 409, t, "replay");
    reply_free(&r);

    unserve();
    serve(); /* same database */
    r = post(t);
    assert_refused(&r, 409, t, "replay after restart");
    reply_free(&r);
    free(t);
    t = note("edit", "C5"); /* a new jti is welcome */
    r = post(t);
    assert_accepted(&r, "range", "5:5");
    reply_free(&r);
    free(t);
}

/* A jti is kept until its token could no longer be accepted (exp + 60 s
 * leeway), then purged: an expired token is refused as expired anyway. */
Test(webhook, jti_kept_while_its_token_is_acceptable)
{
    long long now = time(NULL);
    char *claims = jws_claims("sheetsync", now - 330, now - 30, "old-jti", "demo-sheet", "Issues",
                              "edit", "C5");
    char *t = jws_hs256("{\"alg\":\"HS256\"}", claims, SECRET);
    struct reply r = post(t); /* expired 30 s ago: within the leeway */
    assert_accepted(&r, "range", "5:5");
    reply_free(&r);
    r = post(t);
    assert_refused(&r, 409, t, "replay within the leeway");
    reply_free(&r);
    cr_expect_eq(db_int("SELECT keep_until FROM webhook_jtis WHERE jti = 'old-jti'"),
                 now - 30 + 60);
    free(claims), free(t);
}

/* ---- coalescing and retries ---- */

Test(webhook_debounced, fifty_notifications_in_the_window_make_one_pull)
{
    /* Rows 2..51 in a scrambled order, some twice and some as blocks. */
    char value[32];
    for (int row = 2; row <= 51; row++) {
        snprintf(value, sizeof value, "edited %d", row);
        put_summary(row, value);
    }
    cr_assert_eq(emu_control(&T.emu, NULL, "POST", "reset", NULL), 200);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 50; i++) {
        int row = 2 + (i * 17) % 50;
        char range[32];
        if (i % 10 == 9)
            snprintf(range, sizeof range, "C%d:E%d", row, row + 1 > 51 ? 51 : row + 1);
        else
            snprintf(range, sizeof range, "C%d", row);
        char *t = note("edit", range);
        struct reply r = post(t);
        cr_assert_eq(r.status, 202, "%s", r.body);
        reply_free(&r);
        free(t);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double sent_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert(wait_for("SELECT count(*) FROM notifications WHERE status = 'pending'", 0, 10000));
    worker_wait_idle(T.worker);
    int reads = values_reads();
    /* All 50 within the 400 ms window: one pull of rows 2:51. Should the
     * machine be slow enough to split them, a second window adds one. */
    if (sent_ms < 350)
        cr_expect_eq(reads, 1, "%d values reads for 50 notifications in %.0f ms", reads, sent_ms);
    else
        cr_expect_leq(reads, 3, "%d values reads for 50 notifications in %.0f ms", reads, sent_ms);
    if (sent_ms < 350)
        cr_expect(values_read_of("Issues!2:51"), "one merged range");
    for (int n = 1; n <= 50; n++) {
        char *s = issue_summary(n);
        snprintf(value, sizeof value, "edited %d", n + 1);
        cr_expect_str_eq(s, value, "issue %d", n);
        free(s);
    }
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'done'"), 50);
}

Test(webhook_debounced, distant_ranges_pull_apart_near_ones_merge)
{
    /* Rows 3 and 10 are 6 rows apart (more than the gap of 5); 20 and 24
     * are 3 apart. */
    const char *ranges[] = {"C3", "C40:C41", "C10", "C24", "C11:D12", "C13", "B20"};
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        char *t = note("edit", ranges[i]);
        struct reply r = post(t);
        cr_assert_eq(r.status, 202);
        reply_free(&r);
        free(t);
    }
    cr_assert(wait_for("SELECT count(*) FROM notifications WHERE status = 'pending'", 0, 10000));
    worker_wait_idle(T.worker);
    cr_expect_eq(values_reads(), 4);
    cr_expect(values_read_of("Issues!3:3"));
    cr_expect(values_read_of("Issues!10:13"));
    cr_expect(values_read_of("Issues!20:24"));
    cr_expect(values_read_of("Issues!40:41"));
}

Test(webhook, google_failure_keeps_the_notification_and_retries)
{
    /* The next values read fails with a 403 (not retried by the client). */
    put_summary(12, "after the outage");
    cr_assert_eq(emu_control(&T.emu, NULL, "POST", "reset", NULL), 200);
    cr_assert_eq(emu_fail(&T.emu, "status", 403, 1, -1, NULL), 0);
    char *t = note("edit", "C12");
    struct reply r = post(t);
    assert_accepted(&r, "range", "12:12");
    reply_free(&r);
    free(t);
    cr_assert(wait_for("SELECT attempts FROM notifications", 1, 5000), "the failure is recorded");
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'pending'"
                        " AND last_error IS NOT NULL AND next_attempt_at > 0"),
                 1);
    cr_assert(wait_for("SELECT count(*) FROM notifications WHERE status = 'done'", 1, 10000),
              "retried after the backoff");
    char *s = issue_summary(11);
    cr_expect_str_eq(s, "after the outage");
    free(s);
    cr_expect_eq(values_reads(), 2, "one failed read, one retry");
}

/* A full sync covers the notifications stored before it started. */
Test(webhook_debounced, a_full_sync_covers_pending_notifications)
{
    worker_stop(T.worker); /* nobody pulls: the notification stays pending */
    T.worker = NULL;
    T.app.worker = NULL;
    put_summary(20, "covered by the full sync");
    char *t = note("edit", "C20");
    struct reply r = post(t);
    assert_accepted(&r, "range", "20:20");
    reply_free(&r);
    free(t);
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'pending'"), 1);
    http_stop(T.srv);
    T.srv = NULL;
    serve(); /* start-up: a full sync, which covers it */
    cr_expect(wait_for("SELECT count(*) FROM notifications WHERE status = 'done'", 1, 10000));
    char *s = issue_summary(19);
    cr_expect_str_eq(s, "covered by the full sync");
    free(s);
}

/* ---- kill -9 between the 202 and the pull ---- */

static void spawn(long debounce_ms)
{
    snprintf(T.child_log, sizeof T.child_log, "%s.log", T.db);
    static char debounce[48];
    snprintf(debounce, sizeof debounce, "SHEETSYNC_DEBOUNCE_MS=%ld", debounce_ms);
    const char *extra[] = {"SHEETSYNC_WEBHOOK_SECRET=" SECRET, debounce, NULL};
    struct child_env e = {T.db, T.child_log, T.emu.key_path, T.emu.base, extra};
    T.child = child_start(&e, "serve");
    T.port = child_wait_port(T.child, T.child_log);
}

static void setup_child(void)
{
    char err[512];
    memset(&T, 0, sizeof T);
    log_init(LOG_ERROR, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *csv = sheet_csv(30);
    cr_assert_eq(emu_start_text(&T.emu, "csv", csv, NULL, err, sizeof err), 0, "%s", err);
    free(csv);
    strcpy(T.db, "/tmp/test_webhook_XXXXXX");
    int fd = mkstemp(T.db);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(access(SHEETSYNC, X_OK), 0, "build the sheetsync binary first: %s", SHEETSYNC);
}

TestSuite(webhook_crash, .init = setup_child, .fini = teardown, .timeout = 120);

Test(webhook_crash, kill_9_after_the_202_loses_no_pull)
{
    spawn(3000);
    /* the start-up full sync has run once issue 9 is served */
    char *s = NULL;
    for (int i = 0; i < 400; i++) {
        free(s);
        s = issue_summary(9);
        if (strcmp(s, "Summary 9") == 0)
            break;
        usleep(25000);
    }
    cr_assert_str_eq(s, "Summary 9");
    free(s);

    put_summary(10, "edited before the crash");
    cr_assert_eq(emu_control(&T.emu, NULL, "POST", "reset", NULL), 200);
    char *t = note("edit", "C10");
    struct reply r = post(t);
    assert_accepted(&r, "range", "10:10");
    reply_free(&r);
    kill(T.child, SIGKILL); /* well inside the 3 s debounce window */
    waitpid(T.child, NULL, 0);
    T.child = 0;
    cr_expect_eq(values_reads(), 0, "the pull had not started");
    cr_expect_eq(db_int("SELECT count(*) FROM notifications WHERE status = 'pending'"
                        " AND first_row = 10 AND last_row = 10"),
                 1, "the accepted notification was on disk before the 202");

    unlink(T.child_log);
    spawn(0);
    s = NULL;
    for (int i = 0; i < 400; i++) {
        free(s);
        s = issue_summary(9);
        if (strcmp(s, "edited before the crash") == 0)
            break;
        usleep(25000);
    }
    cr_expect_str_eq(s, "edited before the crash");
    free(s);
    cr_expect(wait_for("SELECT count(*) FROM notifications WHERE status = 'pending'", 0, 10000),
              "the notification is done after the restart");
    /* and its jti survived the crash too */
    r = post(t);
    assert_refused(&r, 409, t, "replay after kill -9");
    reply_free(&r);
    free(t);
    kill(T.child, SIGTERM);
    int st = 0;
    waitpid(T.child, &st, 0);
    T.child = 0;
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sheetsync serve stops cleanly on SIGTERM");
}

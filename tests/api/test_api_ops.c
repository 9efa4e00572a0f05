/* The operator-facing endpoints against the real daemon on port 0: GET
 * /syncs (order, filters, cursor), POST /syncs (403 without an admin token,
 * 401 with a wrong one, 503 without a worker, 202 queuing a real full sync
 * through the sync worker and the sheets-emulator), GET /metrics (the text
 * format, counters that move), GET /openapi.yaml, GET / and /assets, and
 * gzip replies. The fixture is tests/api/harness.h's, plus sync runs. */
#include "tests/api/harness.h"

#ifdef SHEETSYNC_HAVE_ZLIB
#include <zlib.h>
#endif

#include "common/embedded.h"
#include "ingest/sheets.h"
#include "ingest/sync.h"
#include "ingest/worker.h"
#include "server/app.h"
#include "tests/support/emulator.h"

#define ADMIN "Authorization: Bearer ops-admin-token"

static struct app app;

/* Sync runs of both sources: ids 1-5, the newest a failure. */
static void add_runs(void)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(api.db, &db), SQLITE_OK);
    api_exec(db, "INSERT INTO sync_runs (id, source_id, trigger, range, started_at, finished_at,"
                 " status, rows_fetched, rows_changed, error) VALUES"
                 " (1, 1, 'import', NULL, '2024-02-01T10:00:00Z', '2024-02-01T10:00:01Z', 'ok',"
                 "  7, 7, NULL),"
                 " (2, 2, 'import', NULL, '2024-02-01T10:01:00Z', '2024-02-01T10:01:01Z', 'ok',"
                 "  37, 37, NULL),"
                 " (3, 1, 'webhook', '5:9', '2024-02-02T10:00:00Z', '2024-02-02T10:00:01Z', 'ok',"
                 "  5, 1, NULL),"
                 " (4, 1, 'reconcile', NULL, '2024-02-03T10:00:00Z', NULL, 'running', 0, 0, NULL),"
                 " (5, 1, 'manual', NULL, '2024-02-04T10:00:00Z', '2024-02-04T10:00:02Z',"
                 "  'failed', 0, 0, 'spreadsheet x: HTTP 403 PERMISSION_DENIED: no')");
    sqlite3_close(db);
}

static void start_ops(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, true);
    add_runs();
    memset(&app, 0, sizeof app);
    struct http_options o = {.admin_token = "ops-admin-token", .app = &app};
    api_serve(&o);
}

static void start_no_admin(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, true);
    memset(&app, 0, sizeof app);
    struct http_options o = {.app = &app};
    api_serve(&o);
}

TestSuite(ops, .init = start_ops, .fini = api_finish, .timeout = 60);

static long run_id(json_object *items, size_t i)
{
    return (long)json_object_get_int64(jget(json_object_array_get_idx(items, i), "id"));
}

Test(ops, syncs_newest_first_with_every_field)
{
    struct resp *r = api_get("/syncs");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json; charset=utf-8");
    cr_assert_str_eq(resp_header(r, "Cache-Control"), "no-store");
    cr_assert_null(resp_header(r, "ETag"));
    json_object *items = jget(r->json, "items");
    cr_assert_eq(json_object_array_length(items), 5);
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(run_id(items, i), 5 - (long)i);
    json_object *f = json_object_array_get_idx(items, 0);
    const char *keys[] = {"id",          "source", "trigger",      "range",        "started_at",
                          "finished_at", "status", "rows_fetched", "rows_changed", "error"};
    size_t k = 0;
    json_object_object_foreach(f, key, val)
    {
        (void)val;
        cr_assert(k < 10 && strcmp(key, keys[k]) == 0, "key %zu is %s", k, key);
        k++;
    }
    cr_assert_eq(k, 10);
    cr_assert_str_eq(jstr(f, "status"), "failed");
    cr_assert_str_eq(jstr(f, "trigger"), "manual");
    cr_assert(strstr(jstr(f, "error"), "PERMISSION_DENIED"));
    json_object *running = json_object_array_get_idx(items, 1);
    cr_assert(jnull(running, "finished_at"));
    cr_assert_str_eq(jstr(json_object_array_get_idx(items, 2), "range"), "5:9");
    cr_assert(jnull(json_object_array_get_idx(items, 3), "range"));
    cr_assert_str_eq(jstr(json_object_array_get_idx(items, 3), "source"), "fleet2");
    cr_assert(jnull(r->json, "next_cursor"));
    resp_free(r);
}

Test(ops, syncs_filters_and_cursor)
{
    struct resp *r = api_get("/syncs?source=default&limit=2");
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_object *items = jget(r->json, "items");
    cr_assert_eq(json_object_array_length(items), 2);
    cr_assert_eq(run_id(items, 0), 5);
    cr_assert_eq(run_id(items, 1), 4);
    char path[256];
    snprintf(path, sizeof path, "/syncs?source=default&limit=2&cursor=%s",
             jstr(r->json, "next_cursor"));
    struct resp *r2 = api_get(path);
    json_object *items2 = jget(r2->json, "items");
    cr_assert_eq(json_object_array_length(items2), 2);
    cr_assert_eq(run_id(items2, 0), 3);
    cr_assert_eq(run_id(items2, 1), 1); /* 2 is fleet2's */
    cr_assert(jnull(r2->json, "next_cursor"));

    struct resp *t = api_get("/syncs?trigger=import");
    cr_assert_eq(json_object_array_length(jget(t->json, "items")), 2);
    struct resp *s = api_get("/syncs?status=running");
    cr_assert_eq(json_object_array_length(jget(s->json, "items")), 1);
    resp_free(r);
    resp_free(r2);
    resp_free(t);
    resp_free(s);
}

Test(ops, syncs_bad_parameters)
{
    struct resp *r;
    assert_problem(r = api_get("/syncs?status=done"), 400, "status");
    resp_free(r);
    assert_problem(r = api_get("/syncs?trigger=cron"), 400, "trigger");
    resp_free(r);
    assert_problem(r = api_get("/syncs?limit=1001"), 400, "limit");
    resp_free(r);
    assert_problem(r = api_get("/syncs?cursor=aTEfMjAyNA"), 400, "cursor"); /* an /issues one */
    resp_free(r);
    assert_problem(r = api_get("/syncs?source=nope"), 404, "source");
    resp_free(r);
}

Test(ops, post_syncs_needs_the_admin_token)
{
    const char *wrong[] = {"Authorization: Bearer nope", NULL};
    const char *read_only[] = {"Authorization: Basic b3BzOmFkbWlu", NULL};
    struct resp *r = api_req("POST", "/syncs", NULL, NULL, 0);
    assert_problem(r, 401, NULL);
    cr_assert_str_eq(resp_header(r, "WWW-Authenticate"), "Bearer realm=\"sheetsync\"");
    resp_free(r);
    assert_problem(r = api_req("POST", "/syncs", wrong, NULL, 0), 401, NULL);
    cr_assert(strstr(resp_header(r, "WWW-Authenticate"), "invalid_token"));
    resp_free(r);
    assert_problem(r = api_req("POST", "/syncs", read_only, NULL, 0), 401, NULL);
    resp_free(r);
}

Test(ops, post_syncs_without_a_worker_is_503)
{
    const char *h[] = {ADMIN, NULL};
    struct resp *r = api_req("POST", "/syncs", h, NULL, 0);
    assert_problem(r, 503, NULL);
    cr_assert_str_eq(jstr(r->json, "type"), "urn:sheetsync:problem:sync-unavailable");
    resp_free(r);
}

Test(ops, post_syncs_bad_bodies)
{
    const char *h[] = {ADMIN, "Content-Type: application/json", NULL};
    const char *bodies[] = {"{", "[]", "{\"source\": 7}", "{\"source\": \"\"}", "{} x"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        struct resp *r = api_req("POST", "/syncs", h, bodies[i], strlen(bodies[i]));
        assert_problem(r, 400, NULL);
        cr_assert_str_eq(jstr(r->json, "type"), "urn:sheetsync:problem:invalid-body", "%s",
                         bodies[i]);
        resp_free(r);
    }
    char big[5000];
    memset(big, ' ', sizeof big);
    struct resp *r = api_req("POST", "/syncs", h, big, sizeof big);
    assert_problem(r, 413, NULL);
    resp_free(r);
}

Test(no_admin, post_syncs_is_403_without_an_admin_token, .init = start_no_admin, .fini = api_finish)
{
    const char *h[] = {"Authorization: Bearer anything", NULL};
    struct resp *r = api_req("POST", "/syncs", h, NULL, 0);
    assert_problem(r, 403, NULL);
    cr_assert_str_eq(jstr(r->json, "type"), "urn:sheetsync:problem:admin-disabled");
    resp_free(r);
    /* Reads stay open. */
    r = api_get("/syncs");
    cr_assert_eq(r->status, 200);
    resp_free(r);
}

/* ---- POST /syncs with a real worker on the sheets-emulator ------------- */

static struct emu E;
static struct worker *W;
static struct sheets_stats stats;

static void start_worker(void)
{
    char err[512];
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, false);
    memset(&E, 0, sizeof E);
    cr_assert_eq(
        emu_start(&E, "--csv", SHEETSYNC_SOURCE_DIR "/tests/data/messy.csv", NULL, err, sizeof err),
        0, "%s", err);
    static struct sync_source src = {.name = "default", .spreadsheet_id = "demo-sheet"};
    memset(&stats, 0, sizeof stats);
    struct worker_options wo = {.db_path = api.db,
                                .api_base_url = E.base,
                                .credentials_path = E.key_path,
                                .sources = &src,
                                .nsources = 1,
                                .stats = &stats};
    W = worker_start(&wo, err, sizeof err);
    cr_assert(W, "%s", err);
    worker_wait_idle(W); /* the startup sync */
    memset(&app, 0, sizeof app);
    app.worker = W;
    app.sheets = &stats;
    struct http_options o = {.admin_token = "ops-admin-token", .app = &app};
    api_serve(&o);
}

static void stop_worker(void)
{
    curl_easy_cleanup(api.curl);
    http_stop(api.srv);
    worker_stop(W);
    W = NULL;
    emu_stop(&E);
    api_unlink_db();
    curl_global_cleanup();
    memset(&api, 0, sizeof api);
}

/* The value of the first sample line starting with `prefix`, or -1. */
static double metric(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

Test(worker, post_syncs_queues_a_full_sync, .init = start_worker, .fini = stop_worker,
     .timeout = 60)
{
    const char *h[] = {ADMIN, "Content-Type: application/json", NULL};
    struct resp *m0 = api_get("/metrics");
    double manual0 =
        metric(m0->body, "sheetsync_sync_runs_total{source=\"default\",trigger=\"manual\","
                         "status=\"ok\"}");
    double calls0 = metric(m0->body, "sheetsync_google_api_calls_total{status=\"2xx\"}");
    cr_assert_gt(calls0, 0, "the startup sync called the API:\n%s", m0->body);

    struct resp *bad = api_req("POST", "/syncs", h, "{\"source\":\"other\"}", 18);
    assert_problem(bad, 404, "source");
    resp_free(bad);

    const char *body = "{\"source\": \"default\"}";
    struct resp *r = api_req("POST", "/syncs", h, body, strlen(body));
    cr_assert_eq(r->status, 202, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "accepted");
    cr_assert_str_eq(jstr(r->json, "source"), "default");
    cr_assert_str_eq(jstr(r->json, "trigger"), "manual");
    cr_assert_str_eq(resp_header(r, "Location"), "/syncs?trigger=manual");
    worker_wait_idle(W);

    struct resp *s = api_get("/syncs?trigger=manual");
    json_object *items = jget(s->json, "items");
    cr_assert_eq(json_object_array_length(items), 1, "%s", s->body);
    json_object *run = json_object_array_get_idx(items, 0);
    cr_assert_str_eq(jstr(run, "status"), "ok", "%s", s->body);
    cr_assert(jnull(run, "range"));
    cr_assert_gt(json_object_get_int(jget(run, "rows_fetched")), 0);

    /* No body: every source. */
    struct resp *all = api_req("POST", "/syncs", (const char *[]){ADMIN, NULL}, NULL, 0);
    cr_assert_eq(all->status, 202, "%s", all->body);
    cr_assert(jnull(all->json, "source"));
    worker_wait_idle(W);

    struct resp *m1 = api_get("/metrics");
    double manual1 =
        metric(m1->body, "sheetsync_sync_runs_total{source=\"default\",trigger=\"manual\","
                         "status=\"ok\"}");
    cr_assert_eq(manual1, (manual0 < 0 ? 0 : manual0) + 2, "%s", m1->body);
    cr_assert_gt(metric(m1->body, "sheetsync_google_api_calls_total{status=\"2xx\"}"), calls0);
    cr_assert_geq(metric(m1->body, "sheetsync_sync_runs_total{source=\"default\",trigger="
                                   "\"startup\",status=\"ok\"}"),
                  1);
    cr_assert_geq(metric(m1->body, "sheetsync_last_sync_success_age_seconds{source=\"default\"}"),
                  0);
    resp_free(m0);
    resp_free(m1);
    resp_free(r);
    resp_free(s);
    resp_free(all);
}

/* ---- /metrics ------------------------------------------------------------ */

/* Checks every line: a comment (# HELP / # TYPE name ...) or a sample
 * `name{label="value",...} number`, names and labels well formed. */
static void assert_exposition(const char *text)
{
    size_t nlines = 0;
    cr_assert(text && *text && text[strlen(text) - 1] == '\n');
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        char line[1024];
        size_t n = (size_t)(eol - p);
        cr_assert_lt(n, sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        p = eol + 1;
        nlines++;
        if (line[0] == '#') {
            cr_assert(strncmp(line, "# HELP sheetsync_", 17) == 0 ||
                          strncmp(line, "# TYPE sheetsync_", 17) == 0,
                      "%s", line);
            if (line[2] == 'T') {
                const char *type = strrchr(line, ' ') + 1;
                cr_assert(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                              strcmp(type, "histogram") == 0,
                          "%s", line);
            }
            continue;
        }
        size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_:0123456789");
        cr_assert(name > 0 && strncmp(line, "sheetsync_", 10) == 0, "%s", line);
        const char *rest = line + name;
        if (*rest == '{') {
            const char *q = rest + 1;
            while (*q != '}') {
                q += strspn(q, "abcdefghijklmnopqrstuvwxyz_");
                cr_assert(q[0] == '=' && q[1] == '"', "%s", line);
                q += 2;
                while (*q && *q != '"')
                    q += *q == '\\' ? 2 : 1;
                cr_assert(*q == '"', "%s", line);
                q++;
                if (*q == ',')
                    q++;
                else
                    cr_assert(*q == '}', "%s", line);
            }
            rest = q + 1;
        }
        cr_assert(*rest == ' ', "%s", line);
        char *end;
        strtod(rest + 1, &end);
        cr_assert(*end == '\0' || strcmp(rest + 1, "+Inf") == 0 || strcmp(rest + 1, "NaN") == 0,
                  "%s", line);
    }
    cr_assert_gt(nlines, 10);
}

Test(ops, metrics_format_and_counters_that_move)
{
    struct resp *a = api_get("/metrics");
    cr_assert_eq(a->status, 200);
    cr_assert_str_eq(resp_header(a, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    assert_exposition(a->body);
    cr_assert(strstr(a->body, "# TYPE sheetsync_http_requests_total counter\n"));
    cr_assert(strstr(a->body, "# TYPE sheetsync_http_request_duration_seconds histogram\n"));
    /* The fixture's runs: finished ones count, the running one is a gauge. */
    cr_assert_eq(metric(a->body, "sheetsync_sync_runs_total{source=\"default\",trigger=\"webhook\","
                                 "status=\"ok\"}"),
                 1);
    cr_assert_eq(metric(a->body, "sheetsync_sync_rows_fetched_total{source=\"fleet2\",trigger="
                                 "\"import\",status=\"ok\"}"),
                 37);
    cr_assert_eq(metric(a->body, "sheetsync_sync_runs_total{source=\"default\",trigger=\"manual\","
                                 "status=\"failed\"}"),
                 1);
    cr_assert_eq(metric(a->body, "sheetsync_sync_runs_running"), 1);
    cr_assert_eq(metric(a->body, "sheetsync_database_up"), 1);
    cr_assert_eq(metric(a->body, "sheetsync_data_version{source=\"default\"}"), 7);
    cr_assert_gt(metric(a->body, "sheetsync_last_sync_success_age_seconds{source=\"default\"}"), 0);
    cr_assert_eq(
        metric(a->body, "sheetsync_last_sync_success_timestamp_seconds{source=\"default\"}"),
        1706781600); /* 2024-02-01T10:00:00Z */
    cr_assert_eq(metric(a->body, "sheetsync_last_sync_success_age_seconds{source=\"fleet2\"}"), -1,
                 "never synced: no sample");

    const char *sel =
        "sheetsync_http_requests_total{route=\"/vehicles\",method=\"GET\",code=\"200\"}";
    const char *hist = "sheetsync_http_request_duration_seconds_count{route=\"/vehicles\","
                       "method=\"GET\"}";
    double before = metric(a->body, sel), hbefore = metric(a->body, hist);
    for (int i = 0; i < 3; i++)
        resp_free(api_get("/vehicles"));
    struct resp *nf = api_get("/no/such/path");
    resp_free(nf);
    struct resp *b = api_get("/metrics");
    assert_exposition(b->body);
    cr_assert_eq(metric(b->body, sel), (before < 0 ? 0 : before) + 3, "%s", b->body);
    cr_assert_eq(metric(b->body, hist), (hbefore < 0 ? 0 : hbefore) + 3);
    cr_assert_geq(
        metric(b->body,
               "sheetsync_http_requests_total{route=\"none\",method=\"GET\",code=\"404\"}"),
        1);
    cr_assert_eq(metric(b->body, "sheetsync_http_request_duration_seconds_bucket{route="
                                 "\"/vehicles\",method=\"GET\",le=\"+Inf\"}"),
                 metric(b->body, hist));
    resp_free(a);
    resp_free(b);
}

/* ---- the service's own files ----------------------------------------------- */

Test(ops, openapi_yaml_is_served)
{
    struct resp *r = api_get("/openapi.yaml");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/yaml");
    const struct embedded_file *f = embedded_find("openapi.yaml");
    cr_assert(f, "openapi.yaml is embedded");
    cr_assert_eq(r->len, f->len);
    cr_assert_eq(memcmp(r->body, f->data, f->len), 0);
    cr_assert(strncmp(r->body, "openapi: 3.1", 12) == 0);
    for (const char *p = "/healthz|/readyz|/webhooks/sheets|/trends/weekly|/issues:|/issues/"
                         "{number}|/vehicles|/quality|/syncs|/metrics|/openapi.yaml|/:";
         *p;) {
        char path[64];
        size_t n = strcspn(p, "|");
        snprintf(path, sizeof path, "\n  %.*s", (int)n, p);
        cr_assert(strstr(r->body, path), "%s is described", path + 3);
        p += n + (p[n] == '|');
    }
    resp_free(r);
}

Test(ops, dashboard_and_assets)
{
    struct resp *r = api_get("/");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "text/html; charset=utf-8");
    cr_assert(strstr(resp_header(r, "Content-Security-Policy"), "default-src 'self'"));
    cr_assert(strstr(r->body, "<script src=\"/assets/app.js\""));
    const char *etag = resp_header(r, "ETag");
    cr_assert(etag && strncmp(etag, "W/\"", 3) == 0);
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    struct resp *again = api_req("GET", "/", (const char *[]){inm, NULL}, NULL, 0);
    cr_assert_eq(again->status, 304);
    cr_assert_eq(again->len, 0);

    const struct {
        const char *path, *type;
    } assets[] = {
        {"/assets/app.js", "text/javascript; charset=utf-8"},
        {"/assets/style.css", "text/css; charset=utf-8"},
    };
    for (size_t i = 0; i < 2; i++) {
        struct resp *a = api_get(assets[i].path);
        cr_assert_eq(a->status, 200, "%s", assets[i].path);
        cr_assert_str_eq(resp_header(a, "Content-Type"), assets[i].type);
        cr_assert_gt(a->len, 100);
        resp_free(a);
    }
    if (embedded_find("web/vendor/chart.min.js")) {
        struct resp *c = api_get("/assets/chart.min.js");
        cr_assert_eq(c->status, 200);
        cr_assert_null(resp_header(c, "Content-Encoding"));
        cr_assert_eq(c->len, embedded_find("web/vendor/chart.min.js")->len);
        resp_free(c);
        struct resp *z = api_req("GET", "/assets/chart.min.js",
                                 (const char *[]){"Accept-Encoding: gzip", NULL}, NULL, 0);
        cr_assert_str_eq(resp_header(z, "Content-Encoding"), "gzip");
        cr_assert(strstr(resp_header(z, "Vary"), "Accept-Encoding"));
        cr_assert_eq((unsigned char)z->body[0], 0x1f);
        cr_assert_eq((unsigned char)z->body[1], 0x8b);
        resp_free(z);
    }
    const char *bad[] = {"/assets/nope.js", "/assets/%2e%2e", "/assets/chart.min.js.gz",
                         "/assets/index.html.gz"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct resp *n = api_get(bad[i]);
        assert_problem(n, 404, NULL);
        resp_free(n);
    }
    resp_free(r);
    resp_free(again);
}

#ifdef SHEETSYNC_HAVE_ZLIB
Test(ops, text_replies_are_gzipped_when_asked)
{
    struct resp *plain = api_get("/issues?source=fleet2&limit=1000");
    cr_assert_eq(plain->status, 200);
    cr_assert_gt(plain->len, 1024);
    cr_assert_null(resp_header(plain, "Content-Encoding"));
    cr_assert(strstr(resp_header(plain, "Vary"), "Accept-Encoding"));

    struct resp *z =
        api_req("GET", "/issues?source=fleet2&limit=1000",
                (const char *[]){"Accept-Encoding: br;q=1, gzip;q=0.5", NULL}, NULL, 0);
    cr_assert_str_eq(resp_header(z, "Content-Encoding"), "gzip");
    cr_assert_lt(z->len, plain->len);
    cr_assert_str_eq(resp_header(z, "ETag"), resp_header(plain, "ETag"));
    /* It inflates to the same bytes. */
    char *out = malloc(plain->len + 1);
    uLongf outlen = (uLongf)plain->len;
    z_stream s = {.next_in = (Bytef *)z->body,
                  .avail_in = (uInt)z->len,
                  .next_out = (Bytef *)out,
                  .avail_out = (uInt)outlen};
    cr_assert_eq(inflateInit2(&s, 16 + 15), Z_OK);
    cr_assert_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
    cr_assert_eq(s.total_out, plain->len);
    cr_assert_eq(memcmp(out, plain->body, plain->len), 0);
    inflateEnd(&s);
    free(out);

    struct resp *no =
        api_req("GET", "/issues?source=fleet2&limit=1000",
                (const char *[]){"Accept-Encoding: gzip;q=0, identity", NULL}, NULL, 0);
    cr_assert_null(resp_header(no, "Content-Encoding"));
    cr_assert_eq(no->len, plain->len);
    /* Small bodies are not worth it. */
    struct resp *small =
        api_req("GET", "/healthz", (const char *[]){"Accept-Encoding: gzip", NULL}, NULL, 0);
    cr_assert_null(resp_header(small, "Content-Encoding"));
    resp_free(plain);
    resp_free(z);
    resp_free(no);
    resp_free(small);
}
#endif

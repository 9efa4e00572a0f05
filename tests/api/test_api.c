/* The HTTP layer against the real daemon over real HTTP: probes, routing
 * errors, the body cap, conditional GET, authentication, CORS, request ids,
 * keep-alive and concurrent requests. tests/api/test_api_reads.c checks what
 * the read endpoints answer. */
#include "tests/api/harness.h"

TestSuite(http, .init = api_start, .fini = api_finish, .timeout = 60);

Test(http, healthz)
{
    struct resp *r = api_get("/healthz");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json; charset=utf-8");
    cr_assert_str_eq(r->body, "{\"status\":\"ok\"}");
    cr_assert(resp_header(r, "X-Request-Id"));
    resp_free(r);
}

Test(http, head_has_no_body)
{
    struct resp *r = api_req("HEAD", "/healthz", NULL, NULL, 0);
    cr_assert_eq(r->status, 200);
    cr_assert_eq(r->len, 0);
    resp_free(r);
}

Test(http, readyz_lists_sources)
{
    struct resp *r = api_get("/readyz");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "status"), "ready");
    json_object *src = jget(r->json, "sources");
    cr_assert_eq(json_object_array_length(src), 2);
    json_object *first = json_object_array_get_idx(src, 0);
    cr_assert_str_eq(jstr(first, "name"), "default");
    cr_assert_str_eq(jstr(first, "last_sync_ok_at"), "2024-02-01T10:00:00Z");
    cr_assert_str_eq(jstr(first, "data_version"), "7");
    cr_assert(jnull(json_object_array_get_idx(src, 1), "last_sync_ok_at"));
    resp_free(r);
}

Test(http, readyz_503_when_not_migrated)
{
    /* A second server on a database that was never migrated. */
    struct http_server *ready = api.srv;
    char keep[64];
    strcpy(keep, api.db);
    api_db(false, false);
    curl_easy_cleanup(api.curl);
    api_serve(NULL);
    struct resp *r = api_get("/readyz");
    assert_problem(r, 503, NULL);
    resp_free(r);
    r = api_get("/healthz"); /* alive all the same */
    cr_assert_eq(r->status, 200);
    resp_free(r);
    http_stop(api.srv);
    api_unlink_db();
    api.srv = ready;
    strcpy(api.db, keep);
}

Test(http, readyz_503_when_the_database_cannot_open)
{
    struct http_server *ready = api.srv;
    curl_easy_cleanup(api.curl);
    api_serve(&(struct http_options){.db_path = "/nonexistent-dir/x/sheetsync.db"});
    struct resp *r = api_get("/readyz");
    assert_problem(r, 503, NULL);
    resp_free(r);
    r = api_get("/issues");
    assert_problem(r, 503, NULL);
    resp_free(r);
    http_stop(api.srv);
    api.srv = ready;
}

Test(http, unknown_path_404)
{
    const char *paths[] = {"/nope", "/issues/", "/issues/1/extra", "/trends", "/healthz/"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct resp *r = api_get(paths[i]);
        assert_problem(r, 404, NULL);
        cr_assert(resp_header(r, "X-Request-Id"));
        resp_free(r);
    }
}

Test(http, wrong_method_405_with_allow)
{
    struct resp *r = api_req("POST", "/healthz", NULL, "{}", 2);
    assert_problem(r, 405, NULL);
    cr_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD, OPTIONS");
    resp_free(r);
    r = api_req("DELETE", "/issues/1", NULL, NULL, 0);
    assert_problem(r, 405, NULL);
    cr_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD, OPTIONS");
    resp_free(r);
}

Test(http, body_over_the_cap_413)
{
    size_t cap = 64 * 1024;
    char *body = malloc(cap + 1);
    memset(body, 'x', cap + 1);
    /* at the cap: accepted (the endpoint ignores it) */
    struct resp *r = api_req("GET", "/healthz", NULL, body, cap);
    cr_assert_eq(r->status, 200);
    resp_free(r);
    /* one byte over: refused, and the connection is still usable */
    r = api_req("GET", "/healthz", NULL, body, cap + 1);
    assert_problem(r, 413, NULL);
    resp_free(r);
    /* far over with Expect: 100-continue: refused before the body is sent */
    const char *expect[] = {"Expect: 100-continue", NULL};
    char *big = malloc(4 * cap);
    memset(big, 'y', 4 * cap);
    r = api_req("GET", "/healthz", expect, big, 4 * cap);
    assert_problem(r, 413, NULL);
    resp_free(r);
    r = api_get("/healthz");
    cr_assert_eq(r->status, 200);
    resp_free(r);
    free(big);
    free(body);
}

Test(http, etag_then_304)
{
    const char *paths[] = {"/trends/weekly?group_by=priority", "/issues?limit=2", "/issues/1",
                           "/vehicles", "/quality"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct resp *r = api_get(paths[i]);
        cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
        const char *tag = resp_header(r, "ETag");
        cr_assert(tag, "%s has no ETag", paths[i]);
        char h[160];
        snprintf(h, sizeof h, "If-None-Match: %s", tag);
        const char *hs[] = {h, NULL};
        struct resp *again = api_req("GET", paths[i], hs, NULL, 0);
        cr_assert_eq(again->status, 304, "%s: %ld", paths[i], again->status);
        cr_assert_eq(again->len, 0);
        cr_assert_str_eq(resp_header(again, "ETag"), tag);
        cr_assert(resp_header(again, "X-Request-Id"));
        resp_free(again);
        /* a list of tags, one of them current */
        snprintf(h, sizeof h, "If-None-Match: \"other\", %s", tag);
        again = api_req("GET", paths[i], hs, NULL, 0);
        cr_assert_eq(again->status, 304);
        resp_free(again);
        resp_free(r);
    }
}

Test(http, etag_follows_data_version_and_query)
{
    struct resp *a = api_get("/trends/weekly");
    struct resp *b = api_get("/trends/weekly");
    struct resp *c = api_get("/trends/weekly?group_by=vehicle");
    struct resp *d = api_get("/trends/weekly?format=csv");
    cr_assert_str_eq(resp_header(a, "ETag"), resp_header(b, "ETag"));
    cr_assert_str_neq(resp_header(a, "ETag"), resp_header(c, "ETag"));
    cr_assert_str_neq(resp_header(a, "ETag"), resp_header(d, "ETag"));

    sqlite3 *db;
    cr_assert_eq(sqlite3_open(api.db, &db), SQLITE_OK);
    api_exec(db, "UPDATE sources SET data_version = data_version + 1 WHERE id = 1");
    sqlite3_close(db);
    char h[160];
    snprintf(h, sizeof h, "If-None-Match: %s", resp_header(a, "ETag"));
    const char *hs[] = {h, NULL};
    struct resp *e = api_req("GET", "/trends/weekly", hs, NULL, 0);
    cr_assert_eq(e->status, 200);
    cr_assert_str_neq(resp_header(e, "ETag"), resp_header(a, "ETag"));
    cr_assert_str_eq(jstr(e->json, "data_version"), "8");
    resp_free(a);
    resp_free(b);
    resp_free(c);
    resp_free(d);
    resp_free(e);
}

Test(http, keep_alive_reuses_the_connection)
{
    struct resp *a = api_get("/healthz");
    cr_assert_eq(a->connects, 1);
    const char *paths[] = {"/healthz", "/issues?limit=1", "/trends/weekly", "/nope",
                           "/issues?limit=0"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct resp *b = api_get(paths[i]);
        cr_assert_eq(b->connects, 0, "%s opened a new connection", paths[i]);
        resp_free(b);
    }
    resp_free(a);
}

Test(http, request_id_generated_or_kept)
{
    struct resp *a = api_get("/healthz");
    struct resp *b = api_get("/healthz");
    const char *ia = resp_header(a, "X-Request-Id"), *ib = resp_header(b, "X-Request-Id");
    cr_assert(ia && ib && strlen(ia) == 16);
    cr_assert_str_neq(ia, ib);
    const char *mine[] = {"X-Request-Id: trace-42.a_b", NULL};
    struct resp *c = api_req("GET", "/healthz", mine, NULL, 0);
    cr_assert_str_eq(resp_header(c, "X-Request-Id"), "trace-42.a_b");
    const char *bad[] = {"X-Request-Id: <script>", NULL};
    struct resp *d = api_req("GET", "/healthz", bad, NULL, 0);
    cr_assert_str_neq(resp_header(d, "X-Request-Id"), "<script>");
    resp_free(a);
    resp_free(b);
    resp_free(c);
    resp_free(d);
}

/* Concurrent clients on several connections: every worker thread opens its
 * own database connection and all of them answer. */
Test(http, concurrent_requests)
{
    enum { N = 24 };
    CURLM *m = curl_multi_init();
    CURL *h[N];
    struct resp *rs[N];
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/issues?source=fleet2&limit=5",
             http_port(api.srv));
    for (int i = 0; i < N; i++) {
        rs[i] = calloc(1, sizeof *rs[i]);
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, api_sink);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, rs[i]);
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 30L);
        curl_multi_add_handle(m, h[i]);
    }
    int running = 1;
    while (running) {
        cr_assert_eq(curl_multi_perform(m, &running), CURLM_OK);
        if (running)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < N; i++) {
        long status = 0;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status);
        cr_assert_eq(status, 200);
        json_object *o = json_tokener_parse(rs[i]->body);
        cr_assert_eq(json_object_array_length(jget(o, "items")), 5);
        json_object_put(o);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        resp_free(rs[i]);
    }
    curl_multi_cleanup(m);
}

static void start_with_token(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, true);
    api_serve(&(struct http_options){.api_token = "read-token-0123456789",
                                     .admin_token = "admin-token-0123456789"});
}

TestSuite(auth, .init = start_with_token, .fini = api_finish, .timeout = 60);

Test(auth, reads_need_the_token)
{
    const char *paths[] = {"/issues", "/issues/1", "/trends/weekly", "/vehicles", "/quality"};
    const char *good[] = {"Authorization: Bearer read-token-0123456789", NULL};
    const char *admin[] = {"Authorization: bearer admin-token-0123456789", NULL};
    const char *wrong[] = {"Authorization: Bearer read-token-012345678", NULL};
    const char *basic[] = {"Authorization: Basic cmVhZDp0b2tlbg==", NULL};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        struct resp *r = api_get(paths[i]);
        assert_problem(r, 401, NULL);
        cr_assert_str_eq(resp_header(r, "WWW-Authenticate"), "Bearer realm=\"sheetsync\"");
        resp_free(r);
        r = api_req("GET", paths[i], wrong, NULL, 0);
        assert_problem(r, 401, NULL);
        cr_assert(strstr(resp_header(r, "WWW-Authenticate"), "invalid_token"));
        cr_assert(!strstr(r->body, "read-token"), "the token leaked: %s", r->body);
        resp_free(r);
        r = api_req("GET", paths[i], basic, NULL, 0);
        assert_problem(r, 401, NULL);
        resp_free(r);
        r = api_req("GET", paths[i], good, NULL, 0);
        cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
        resp_free(r);
        r = api_req("GET", paths[i], admin, NULL, 0);
        cr_assert_eq(r->status, 200, "%s: %s", paths[i], r->body);
        resp_free(r);
    }
}

Test(auth, probes_stay_open)
{
    struct resp *r = api_get("/healthz");
    cr_assert_eq(r->status, 200);
    resp_free(r);
    r = api_get("/readyz");
    cr_assert_eq(r->status, 200);
    resp_free(r);
}

static void start_with_cors(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, true);
    api_serve(&(struct http_options){.cors_origins =
                                         " https://dash.example.com/, http://localhost:3000 ,",
                                     .api_token = "read-token-0123456789"});
}

TestSuite(cors, .init = start_with_cors, .fini = api_finish, .timeout = 60);

Test(cors, preflight)
{
    const char *hs[] = {"Origin: https://dash.example.com", "Access-Control-Request-Method: GET",
                        "Access-Control-Request-Headers: authorization", NULL};
    struct resp *r = api_req("OPTIONS", "/trends/weekly", hs, NULL, 0);
    cr_assert_eq(r->status, 204, "%s", r->body ? r->body : "");
    cr_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "https://dash.example.com");
    cr_assert(strstr(resp_header(r, "Access-Control-Allow-Methods"), "GET"));
    cr_assert(strstr(resp_header(r, "Access-Control-Allow-Headers"), "Authorization"));
    cr_assert(strstr(resp_header(r, "Vary"), "Origin"));
    cr_assert_str_eq(resp_header(r, "Allow"), "GET, HEAD, OPTIONS");
    resp_free(r);

    const char *other[] = {"Origin: https://evil.example", "Access-Control-Request-Method: GET",
                           NULL};
    r = api_req("OPTIONS", "/trends/weekly", other, NULL, 0);
    cr_assert_eq(r->status, 204);
    cr_assert_null(resp_header(r, "Access-Control-Allow-Origin"));
    resp_free(r);

    r = api_req("OPTIONS", "/nope", hs, NULL, 0);
    assert_problem(r, 404, NULL);
    resp_free(r);
}

Test(cors, simple_request_echoes_allowed_origins_only)
{
    const char *ok[] = {"Origin: http://localhost:3000",
                        "Authorization: Bearer read-token-0123456789", NULL};
    struct resp *r = api_req("GET", "/vehicles", ok, NULL, 0);
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "http://localhost:3000");
    cr_assert(strstr(resp_header(r, "Access-Control-Expose-Headers"), "ETag"));
    cr_assert(strstr(resp_header(r, "Vary"), "Origin"));
    resp_free(r);

    const char *no[] = {"Origin: http://localhost:3001",
                        "Authorization: Bearer read-token-0123456789", NULL};
    r = api_req("GET", "/vehicles", no, NULL, 0);
    cr_assert_eq(r->status, 200);
    cr_assert_null(resp_header(r, "Access-Control-Allow-Origin"));
    cr_assert(strstr(resp_header(r, "Vary"), "Origin"));
    resp_free(r);

    /* errors carry the CORS headers too, so a browser can read them */
    const char *noauth[] = {"Origin: http://localhost:3000", NULL};
    r = api_req("GET", "/vehicles", noauth, NULL, 0);
    assert_problem(r, 401, NULL);
    cr_assert_str_eq(resp_header(r, "Access-Control-Allow-Origin"), "http://localhost:3000");
    resp_free(r);
}

static void start_on_empty(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, false);
    api_serve(NULL);
}

TestSuite(empty, .init = start_on_empty, .fini = api_finish, .timeout = 60);

Test(empty, reads_before_any_source)
{
    struct resp *r = api_get("/trends/weekly");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(jnull(r->json, "source"));
    cr_assert(jnull(r->json, "from"));
    cr_assert_eq(json_object_array_length(jget(r->json, "weeks")), 0);
    cr_assert(resp_header(r, "ETag"));
    resp_free(r);
    r = api_get("/issues");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "{\"items\":[],\"next_cursor\":null}");
    resp_free(r);
    r = api_get("/issues/1");
    assert_problem(r, 404, NULL);
    resp_free(r);
    r = api_get("/quality");
    cr_assert_str_eq(r->body, "{\"items\":[],\"next_cursor\":null}");
    resp_free(r);
    r = api_get("/vehicles");
    cr_assert_str_eq(r->body, "{\"items\":[]}");
    resp_free(r);
    r = api_get("/readyz");
    cr_assert_str_eq(r->body, "{\"status\":\"ready\",\"sources\":[]}");
    resp_free(r);
    r = api_get("/trends/weekly?source=nope");
    assert_problem(r, 404, "source");
    resp_free(r);
}

Test(empty, start_fails_on_a_taken_port)
{
    char err[256];
    struct http_options o = {.bind = "127.0.0.1", .port = http_port(api.srv), .db_path = api.db};
    struct http_server *s = http_start(&o, err, sizeof err);
    cr_assert_null(s);
    cr_assert(strstr(err, "in use"), "%s", err);
    o.bind = "no-such-host.invalid";
    o.port = 0;
    cr_assert_null(http_start(&o, err, sizeof err));
}

static int open_fds(void)
{
    int n = 0;
    char p[64];
    for (int fd = 0; fd < 4096; fd++) {
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        n += access(p, F_OK) == 0;
    }
    return n;
}

/* Starting and stopping servers (each worker with its database connection)
 * leaves no descriptor behind. */
Test(empty, stop_releases_everything)
{
    char err[256];
    struct http_options o = {.bind = "127.0.0.1", .db_path = api.db};
    http_stop(NULL);
    int before = open_fds();
    for (int i = 0; i < 5; i++) {
        struct http_server *s = http_start(&o, err, sizeof err);
        cr_assert(s, "%s", err);
        struct http_server *keep = api.srv;
        api.srv = s;
        for (int j = 0; j < 4; j++) {
            struct resp *r = api_get("/issues");
            cr_assert_eq(r->status, 200);
            resp_free(r);
        }
        curl_easy_reset(api.curl); /* drop the connection to s */
        curl_easy_cleanup(api.curl);
        api.curl = curl_easy_init();
        api.srv = keep;
        http_stop(s);
    }
    cr_assert_eq(open_fds(), before);
}

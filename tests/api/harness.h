#ifndef SHEETSYNC_TEST_API_HARNESS_H
#define SHEETSYNC_TEST_API_HARNESS_H

/* The API tests' harness: a temporary database prepared with store_open and
 * store_migrate and filled with known rows, the real daemon started with
 * http_start on port 0 in this process, and a small libcurl client that
 * talks to it over real HTTP. Shared by tests/api/test_*.c (static inline:
 * each test binary uses only part of it). */

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "server/http.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/trends.h"

struct api {
    char db[64];
    struct http_server *srv;
    CURL *curl; /* one handle: the connection is reused across requests */
};

static struct api api;

static inline void api_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s\n-- in: %.200s", msg ? msg : "?", sql);
    sqlite3_free(msg);
}

/* The fixture: source 1 "default" (America/Chicago) holds five current
 * issues spread over three weeks of January 2024, one deleted and one
 * invalid issue, and a few data problems; source 2 "fleet2" holds 37 issues
 * with many equal reported_at values, for pagination. */
static inline void api_fill(struct store *st)
{
    char err[256];
    api_exec(st->db, "BEGIN");
    api_exec(st->db,
             "INSERT INTO sources (id, name, kind, sheet, timezone, header_json, data_version,"
             " last_sync_ok_at, created_at) VALUES"
             " (1, 'default', 'csv', 'Issues', 'America/Chicago',"
             "  '[\"Issue #\",\"Vehicle\",\"Reported\",\"Status\",\"Priority\"]', 7,"
             "  '2024-02-01T10:00:00Z', '2024-01-01T00:00:00Z'),"
             " (2, 'fleet2', 'csv', 'Sheet1', 'UTC', '[]', 3, NULL, '2024-01-01T00:00:00Z')");
    api_exec(st->db,
             "INSERT INTO issues (source_id, issue_number, state, version, row, vehicle,"
             " vehicle_key, summary, description, priority, status, reported_at, reported_by,"
             " assigned_to, due_date, resolved_at, resolved_effective, odometer, labels, extra,"
             " hash, first_seen_at, updated_at) VALUES"
             " (1, '1', 'current', 2, 2, 'Truck 12', 'TRUCK12', 'Brakes squeal', 'front left',"
             "  'high', 'resolved', '2024-01-01 08:00:00', 'Dan', 'Alice', NULL,"
             "  '2024-01-03 20:00:00', '2024-01-03 20:00:00', NULL, '[\"brakes\"]', '{}', 1, "
             "  '2024-01-01T14:00:00Z', '2024-01-04T14:00:00Z'),"
             " (1, '2', 'current', 1, 3, 'Van 3', 'VAN3', 'Flat tire', NULL,"
             "  'critical', 'open', '2024-01-02 09:00:00', NULL, NULL, '2024-01-05 00:00:00',"
             "  NULL, NULL, 120500, '[]', '{}', 2, '2024-01-02T15:00:00Z', '2024-01-02T15:00:00Z'),"
             " (1, '3', 'current', 1, 4, 'truck-12', 'TRUCK12', 'Oil leak', NULL,"
             "  'low', 'resolved', '2024-01-09 10:00:00', NULL, 'Alice', NULL,"
             "  '2024-01-10 10:00:00', '2024-01-10 10:00:00', NULL, '[]', '{}', 3,"
             "  '2024-01-09T16:00:00Z', '2024-01-10T16:00:00Z'),"
             " (1, '4', 'current', 1, 5, 'Van 3', 'VAN3', 'Wipers', NULL,"
             "  'medium', 'open', '2024-01-10 12:00:00', NULL, 'Bob Smith', NULL, NULL, NULL,"
             "  12345, '[\"electrical\",\"cab\"]', '{\"Shop\":\"North\"}', 4,"
             "  '2024-01-10T18:00:00Z', '2024-01-10T18:00:00Z'),"
             " (1, '5', 'current', 1, 6, 'Truck 12', 'TRUCK12', 'Mirror', NULL,"
             "  'high', 'closed', '2024-01-16 00:00:00', NULL, NULL, NULL, NULL,"
             "  '2024-01-17 00:00:00', NULL, '[]', '{}', 5,"
             "  '2024-01-16T06:00:00Z', '2024-01-17T06:00:00Z'),"
             " (1, '6', 'deleted', 2, 7, 'Bus 1', 'BUS1', 'Seat', NULL,"
             "  'low', 'open', '2024-01-05 00:00:00', NULL, NULL, NULL, NULL, NULL,"
             "  NULL, '[]', '{}', 6, '2024-01-05T06:00:00Z', '2024-01-20T06:00:00Z'),"
             " (1, '7', 'invalid', 1, 8, 'Bus 1', 'BUS1', 'Horn', NULL,"
             "  'low', 'open', NULL, NULL, NULL, NULL, NULL, NULL,"
             "  NULL, '[]', '{}', 7, '2024-01-05T06:00:00Z', '2024-01-05T06:00:00Z')");
    api_exec(st->db,
             "INSERT INTO issue_versions (source_id, issue_number, version, observed_at, state,"
             " row, vehicle, vehicle_key, summary, priority, status, reported_at, assigned_to,"
             " resolved_at, resolved_effective, labels, extra) VALUES"
             " (1, '1', 1, '2024-01-01T14:00:00Z', 'current', 2, 'Truck 12', 'TRUCK12',"
             "  'Brakes squeal', 'high', 'open', '2024-01-01 08:00:00', 'Alice', NULL, NULL,"
             "  '[\"brakes\"]', '{}'),"
             " (1, '1', 2, '2024-01-04T14:00:00Z', 'current', 2, 'Truck 12', 'TRUCK12',"
             "  'Brakes squeal', 'high', 'resolved', '2024-01-01 08:00:00', 'Alice',"
             "  '2024-01-03 20:00:00', '2024-01-03 20:00:00', '[\"brakes\"]', '{}'),"
             " (1, '6', 1, '2024-01-05T06:00:00Z', 'current', 7, 'Bus 1', 'BUS1', 'Seat', 'low',"
             "  'open', '2024-01-05 00:00:00', NULL, NULL, NULL, '[]', '{}'),"
             " (1, '6', 2, '2024-01-20T06:00:00Z', 'deleted', 7, 'Bus 1', 'BUS1', 'Seat', 'low',"
             "  'open', '2024-01-05 00:00:00', NULL, NULL, NULL, '[]', '{}')");
    /* Problems: two on one cell (row 5, Priority), a whole-row one, a header one. */
    api_exec(st->db,
             "INSERT INTO row_problems VALUES"
             " (1, 8, NULL, 'reported_at', NULL, 'error', 'missing_reported_at',"
             "  'reported_at is empty'),"
             " (1, 5, 4, 'priority', 'urgentish', 'warning', 'unknown_priority',"
             "  'unknown priority'),"
             " (1, 5, 4, 'priority', 'urgentish', 'warning', 'unknown_priority',"
             "  'unknown priority'),"
             " (1, 3, 1, 'vehicle', NULL, 'warning', 'missing_vehicle', 'no vehicle'),"
             " (1, 6, 2, 'resolved_at', '2/30/2024', 'warning', 'invalid_date', 'not a date');"
             "INSERT INTO header_problems VALUES"
             " (1, 1, 3, 'status', 'State', 'warning', 'duplicate_column', 'second status')");
    /* fleet2: 37 issues on 4 reported_at values, numbers as text (so "10" < "9"). */
    sqlite3_stmt *s;
    cr_assert_eq(sqlite3_prepare_v2(st->db,
                                    "INSERT INTO issues (source_id, issue_number, state, version,"
                                    " row, vehicle_key, priority, status, reported_at, labels,"
                                    " extra, hash, first_seen_at, updated_at) VALUES"
                                    " (2, ?1, 'current', 1, ?2, 'CAR', 'none', 'open', ?3, '[]',"
                                    " '{}', 0, 'x', 'x')",
                                    -1, &s, NULL),
                 SQLITE_OK);
    for (int i = 0; i < 37; i++) {
        char num[16], at[24];
        snprintf(num, sizeof num, i == 36 ? "A 12" : "%d", i);
        snprintf(at, sizeof at, "2024-03-0%d 12:00:00", 1 + i % 4);
        sqlite3_bind_text(s, 1, num, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(s, 2, i + 2);
        sqlite3_bind_text(s, 3, at, -1, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    cr_assert_eq(store_trends_refresh(st, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_trends_refresh(st, 2, err, sizeof err), 0, "%s", err);
    api_exec(st->db, "COMMIT");
}

/* A fresh database at api.db: migrated, and filled when `fill`. */
static inline void api_db(bool migrate, bool fill)
{
    char err[256];
    struct store *st;
    strcpy(api.db, "/tmp/test_api_XXXXXX");
    int fd = mkstemp(api.db);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(store_open(api.db, &st, err, sizeof err), 0, "%s", err);
    if (migrate)
        cr_assert_eq(store_migrate(st, err, sizeof err), 0, "%s", err);
    if (fill)
        api_fill(st);
    store_close(st);
}

static inline void api_serve(const struct http_options *extra)
{
    char err[256];
    struct http_options o = extra ? *extra : (struct http_options){0};
    o.bind = "127.0.0.1";
    o.port = 0;
    if (!o.db_path)
        o.db_path = api.db;
    api.srv = http_start(&o, err, sizeof err);
    cr_assert(api.srv, "http_start: %s", err);
    cr_assert_gt(http_port(api.srv), 0);
    api.curl = curl_easy_init();
    cr_assert(api.curl);
}

static inline void api_start(void)
{
    log_init(LOG_WARN, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api_db(true, true);
    api_serve(NULL);
}

static inline void api_unlink_db(void)
{
    char p[96];
    if (!api.db[0])
        return;
    unlink(api.db);
    snprintf(p, sizeof p, "%s-wal", api.db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", api.db);
    unlink(p);
}

static inline void api_finish(void)
{
    curl_easy_cleanup(api.curl);
    http_stop(api.srv);
    api_unlink_db();
    curl_global_cleanup();
    memset(&api, 0, sizeof api);
}

/* One exchange. */
struct resp {
    long status;
    long connects; /* new connections this request needed (0: reused) */
    char *body;
    size_t len;
    char *head; /* every header line of the final response, "\r\n"-separated */
    size_t hlen;
    json_object *json; /* parsed body when it is JSON */
    char *hvals[16];   /* values returned by resp_header, freed with the resp */
    int nhvals;
};

static inline size_t api_sink(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    r->body = realloc(r->body, r->len + len + 1);
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static inline size_t api_head_sink(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
        r->hlen = 0; /* a new response (after 100 Continue): start over */
    r->head = realloc(r->head, r->hlen + len + 1);
    memcpy(r->head + r->hlen, p, len);
    r->hlen += len;
    r->head[r->hlen] = '\0';
    return len;
}

/* Sends `method` `path` (query included) with extra header lines (NULL-ended
 * array, may be NULL) and an optional body; returns the response. */
static inline struct resp *api_req(const char *method, const char *path, const char *const *headers,
                                   const char *body, size_t bodylen)
{
    struct resp *r = calloc(1, sizeof *r);
    char url[4096];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", http_port(api.srv), path);
    CURL *c = api.curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, api_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, api_head_sink);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0 || body)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)bodylen);
    }
    struct curl_slist *hl = NULL;
    for (const char *const *h = headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
    if (r->body)
        r->json = json_tokener_parse(r->body);
    return r;
}

static inline struct resp *api_get(const char *path)
{
    return api_req("GET", path, NULL, NULL, 0);
}

static inline void resp_free(struct resp *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->head);
    json_object_put(r->json);
    for (int i = 0; i < r->nhvals; i++)
        free(r->hvals[i]);
    free(r);
}

/* The value of header `name` (case-insensitive), or NULL. */
static inline const char *resp_header(struct resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->head; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t linelen = eol ? (size_t)(eol - p) : strlen(p);
        if (linelen > n && p[n] == ':' && strncasecmp(p, name, n) == 0 && r->nhvals < 16) {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            char *val = strndup(v, linelen - (size_t)(v - p));
            r->hvals[r->nhvals++] = val;
            return val;
        }
        p = eol ? eol + 2 : p + linelen;
    }
    return NULL;
}

/* Member `key` of the JSON body (or of `o` when not NULL). */
static inline json_object *jget(json_object *o, const char *key)
{
    json_object *v = NULL;
    cr_assert(o, "no JSON object to read %s from", key);
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static inline const char *jstr(json_object *o, const char *key)
{
    json_object *v = jget(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static inline bool jnull(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && v == NULL;
}

/* Asserts a problem+json answer with `status` and, when not NULL, the
 * `parameter` it names. */
static inline void assert_problem(struct resp *r, long status, const char *parameter)
{
    cr_assert_eq(r->status, status, "status %ld, wanted %ld: %s", r->status, status,
                 r->body ? r->body : "");
    const char *ct = resp_header(r, "Content-Type");
    cr_assert(ct && strcmp(ct, "application/problem+json") == 0, "content type %s",
              ct ? ct : "(none)");
    cr_assert(r->json, "problem body is not JSON: %s", r->body ? r->body : "");
    cr_assert(jstr(r->json, "type"));
    cr_assert(jstr(r->json, "title"));
    cr_assert(jstr(r->json, "detail"));
    cr_assert_eq(json_object_get_int(jget(r->json, "status")), status);
    if (parameter)
        cr_assert_str_eq(jstr(r->json, "parameter") ? jstr(r->json, "parameter") : "(none)",
                         parameter, "%s", r->body);
}

#endif

/* GET /syncs (recent sync runs) and POST /syncs (admin: queue a full sync).
 *
 * GET lists the runs of every source, newest first, unless `source` names
 * one; `status` and `trigger` filter. Pages hold `limit` runs (default 50,
 * at most 1000); `next_cursor` is base64url (no padding) of "s1" US id of
 * the last run, and the next page holds the older runs. The list changes
 * without the data changing (a failed run bumps no data_version), so it
 * carries no ETag and is marked Cache-Control: no-store.
 *
 * POST takes an optional JSON body {"source": "name"} (or ?source=name);
 * without one every Google source is queued. The sync runs after the reply:
 * 202 says it is queued, GET /syncs shows it running and then its outcome. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "handlers/handlers.h"
#include "ingest/worker.h"
#include "server/app.h"

static const char *const statuses[] = {"running", "ok", "failed", NULL};
static const char *const triggers[] = {"webhook", "reconcile", "manual", "startup", "import", NULL};

#define CURSOR_TAG "s1\x1f"

static bool parse_cursor(const char *text, long *id)
{
    char raw[64], tail;
    long n = http_cursor_decode(text, raw, sizeof raw);
    size_t tag = sizeof CURSOR_TAG - 1;
    if (n <= (long)tag || memcmp(raw, CURSOR_TAG, tag) != 0 || (long)strlen(raw) != n)
        return false;
    return sscanf(raw + tag, "%ld%c", id, &tail) == 1 && *id > 0;
}

static json_object *next_cursor(json_object *items, bool more)
{
    char raw[64], text[96];
    size_t n = json_object_array_length(items);
    json_object *id;
    if (!more || n == 0 ||
        !json_object_object_get_ex(json_object_array_get_idx(items, n - 1), "id", &id))
        return NULL;
    int len = snprintf(raw, sizeof raw, CURSOR_TAG "%lld", (long long)json_object_get_int64(id));
    if (len < 0 || http_cursor_encode(raw, (size_t)len, text, sizeof text))
        return NULL;
    return json_object_new_string(text);
}

int h_syncs_list(struct http_req *r)
{
    char err[512];
    struct syncs_query q = {.limit = 50};
    struct store *st;
    struct store_source src;
    json_object *items = NULL;
    int rc, result = 0;

    if (http_query_enum(r, "status", statuses, &q.status) < 0 ||
        http_query_enum(r, "trigger", triggers, &q.trigger) < 0 ||
        http_query_long(r, "limit", 1, 1000, &q.limit) < 0)
        return 0;
    const char *cursor = http_req_query(r, "cursor");
    if (cursor && !parse_cursor(cursor, &q.before_id))
        return http_bad_param(r, "cursor", "cursor is not a cursor this endpoint returned");
    if ((rc = http_read_begin(r, &st, &src)) < 0)
        return 0; /* 404 for an unknown source, 503 */

    bool more = false;
    if (rc == 0) {
        items = json_object_new_array(); /* no source yet, so no run either */
    } else {
        /* Without `source`, the runs of every source: an operator's view. */
        q.source_id = http_req_query(r, "source") ? src.id : 0;
        if (store_syncs_list(st, &q, &items, &more, err, sizeof err)) {
            log_error("http %s: syncs: %s", http_req_id(r), err);
            result = -1;
            goto out;
        }
    }
    json_object *o = json_object_new_object();
    json_object *next = next_cursor(items, more);
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "next_cursor", next);
    if (http_reply_json(r, 200, o) == 0)
        http_reply_header(r, "Cache-Control", "no-store");
out:
    http_read_end(st, &src);
    return result;
}

/* The source asked for: the body's "source" member, else ?source=, else
 * NULL (every source). Returns 0, or -1 when a 400 is set. `*owned` keeps
 * the parsed body alive while the name is used. */
static int wanted_source(struct http_req *r, json_object **owned, const char **out)
{
    size_t len;
    const char *body = http_req_body(r, &len);
    *out = NULL;
    *owned = NULL;
    size_t skip = strspn(body, " \t\r\n");
    if (skip < len) {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
        bool complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
                        strspn(body + json_tokener_get_parse_end(tok), " \t\r\n") ==
                            len - json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        json_object *v = NULL;
        if (!o || !complete || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            http_problem(r, 400, "invalid-body", NULL,
                         "the body must be a JSON object such as {\"source\": \"default\"}");
            return -1;
        }
        if (json_object_object_get_ex(o, "source", &v) && v) {
            if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0) {
                json_object_put(o);
                http_problem(r, 400, "invalid-body", "source",
                             "source must be the name of a configured source");
                return -1;
            }
            *out = json_object_get_string(v);
        }
        *owned = o;
    }
    if (!*out)
        *out = http_req_query(r, "source");
    return 0;
}

int h_syncs_create(struct http_req *r)
{
    struct app *app = http_req_app(r);
    json_object *body = NULL;
    const char *source = NULL;
    if (wanted_source(r, &body, &source) < 0)
        return 0;
    if (!app || !app->worker) {
        json_object_put(body);
        return http_problem(r, 503, "sync-unavailable", NULL,
                            "no Google source is configured (SHEETSYNC_SPREADSHEET_ID or "
                            "--config): there is nothing to sync");
    }
    if (worker_request_full(app->worker, source, "manual") != 0) {
        http_problem(r, 404, "unknown-source", "source", "there is no Google source named '%.100s'",
                     source ? source : "");
        json_object_put(body);
        return 0;
    }
    log_info("http %s: full sync of %s queued (manual)", http_req_id(r),
             source ? source : "every source");
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("accepted"));
    json_object_object_add(o, "source", source ? json_object_new_string(source) : NULL);
    json_object_object_add(o, "trigger", json_object_new_string("manual"));
    json_object_object_add(o, "full", json_object_new_boolean(1));
    json_object_put(body); /* `source` pointed into it */
    if (http_reply_json(r, 202, o) == 0)
        http_reply_header(r, "Location", "/syncs?trigger=manual");
    return 0;
}

/* GET /quality: the data problems found while cleaning (quality_problems),
 * filterable by severity and code, paginated like /issues.
 *
 * Items come by sheet row, then column (whole-row problems first). Several
 * problems can name one cell, so `next_cursor` is base64url (no padding) of
 * "q1" US row US col US skip, where skip counts the items of that cell
 * already returned; the next page starts at that cell and skips them. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "handlers/handlers.h"

static const char *const severities[] = {"error", "warning", NULL};

#define CURSOR_TAG "q1\x1f"

static bool parse_cursor(const char *text, struct quality_key *k)
{
    char raw[96], tail;
    long n = http_cursor_decode(text, raw, sizeof raw);
    size_t tag = sizeof CURSOR_TAG - 1;
    if (n <= (long)tag || memcmp(raw, CURSOR_TAG, tag) != 0 || (long)strlen(raw) != n)
        return false;
    return sscanf(raw + tag, "%ld\x1f%ld\x1f%ld%c", &k->row, &k->col, &k->skip, &tail) == 3 &&
           k->row >= 0 && k->col >= -1 && k->skip >= 1;
}

static json_object *next_cursor(bool more, const struct quality_key *k)
{
    char raw[96], text[160];
    if (!more)
        return NULL;
    int len = snprintf(raw, sizeof raw, CURSOR_TAG "%ld\x1f%ld\x1f%ld", k->row, k->col, k->skip);
    if (len < 0 || http_cursor_encode(raw, (size_t)len, text, sizeof text))
        return NULL;
    return json_object_new_string(text);
}

int h_quality_list(struct http_req *r)
{
    char err[512], variant[512];
    struct quality_query q = {.limit = 100};
    struct store *st;
    struct store_source src;
    json_object *items = NULL;
    int rc, result = 0;

    if (http_query_enum(r, "severity", severities, &q.severity) < 0 ||
        http_query_long(r, "limit", 1, 1000, &q.limit) < 0)
        return 0;
    q.code = http_req_query(r, "code");
    if (q.code && strlen(q.code) > 64)
        return http_bad_param(r, "code", "code is a problem code such as invalid_date");
    const char *cursor = http_req_query(r, "cursor");
    if (cursor) {
        if (!parse_cursor(cursor, &q.after))
            return http_bad_param(r, "cursor", "cursor is not a cursor this endpoint returned");
        q.has_after = true;
    }

    if ((rc = http_read_begin(r, &st, &src)) < 0)
        return 0;
    snprintf(variant, sizeof variant, "%s\x1f%s\x1f%ld\x1f%s", q.severity ? q.severity : "",
             q.code ? q.code : "", q.limit, cursor ? cursor : "");
    if (http_not_modified(r, rc ? &src : NULL, variant))
        goto out;

    bool more = false;
    struct quality_key next = {0, 0, 0};
    if (rc == 0) {
        items = json_object_new_array();
    } else {
        q.source_id = src.id;
        if (store_quality_list(st, &q, &items, &more, &next, err, sizeof err)) {
            log_error("http %s: quality: %s", http_req_id(r), err);
            result = -1;
            goto out;
        }
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "next_cursor", next_cursor(more, &next));
    http_reply_json(r, 200, o);
out:
    http_read_end(st, &src);
    return result;
}

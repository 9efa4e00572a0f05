/* GET /issues (clean issues, filtered, paginated) and GET /issues/{number}
 * (one issue with its history).
 *
 * Order and cursor: items come by (reported_at, issue_number) ascending, a
 * key that does not move when rows are inserted in the sheet. `next_cursor`
 * is base64url (no padding) of "i1" US reported_at US issue_number of the
 * last item (US = 0x1f); a page resumes strictly after that key, so a walk
 * returns every issue exactly once as long as the data does not change.
 *
 * One issue answers 200 whatever its state: `state` is "current" (also in
 * /issues), "invalid" (its winning row has an error) or "deleted" (no row
 * carries its number any more), with the fields last stored; its `history`
 * lists every version the service observed, oldest first. An issue number
 * the source never had answers 404. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "handlers/handlers.h"

static const char *const statuses[] = {"open", "resolved", "closed", NULL};
static const char *const priorities[] = {"critical", "high", "medium", "low", "none", NULL};

#define CURSOR_TAG "i1\x1f"
enum { DATETIME_LEN = 19, MAX_CURSOR = 1536 };

/* models.md §3: the vehicle key is the name upper-cased with everything
 * outside A-Z0-9 removed; UNKNOWN when nothing is left. */
static void vehicle_key(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 1 < outlen; p++) {
        int c = toupper((unsigned char)*p);
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, outlen, "UNKNOWN");
}

/* The assignee group value: trimmed, inner whitespace collapsed, ASCII
 * lower-cased; "unassigned" selects the issues without an assignee. */
static void assignee_group(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    bool space = false;
    for (const char *p = in; *p && n + 2 < outlen; p++) {
        if (isspace((unsigned char)*p)) {
            space = n > 0;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
}

static bool datetime_shape(const char *s)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd";
    for (int i = 0; i < DATETIME_LEN; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    }
    return true;
}

/* Decodes a cursor into q's after_* keys (pointing into `raw`). */
static bool parse_cursor(const char *text, char *raw, size_t rawlen, struct issues_query *q)
{
    long n = http_cursor_decode(text, raw, rawlen);
    size_t tag = sizeof CURSOR_TAG - 1;
    if (n < (long)(tag + DATETIME_LEN + 2) || memcmp(raw, CURSOR_TAG, tag) != 0 ||
        (long)strlen(raw) != n || !datetime_shape(raw + tag) || raw[tag + DATETIME_LEN] != '\x1f')
        return false;
    raw[tag + DATETIME_LEN] = '\0';
    q->after_reported_at = raw + tag;
    q->after_issue_number = raw + tag + DATETIME_LEN + 1;
    return true;
}

static json_object *next_cursor(json_object *items, bool more)
{
    json_object *last, *at, *num;
    char raw[MAX_CURSOR], text[MAX_CURSOR * 4 / 3 + 8];
    size_t n = json_object_array_length(items);
    if (!more || n == 0)
        return NULL;
    last = json_object_array_get_idx(items, n - 1);
    if (!json_object_object_get_ex(last, "reported_at", &at) ||
        !json_object_object_get_ex(last, "issue_number", &num))
        return NULL;
    int len = snprintf(raw, sizeof raw, CURSOR_TAG "%s\x1f%s", json_object_get_string(at),
                       json_object_get_string(num));
    if (len < 0 || (size_t)len >= sizeof raw ||
        http_cursor_encode(raw, (size_t)len, text, sizeof text))
        return NULL;
    return json_object_new_string(text);
}

int h_issues_list(struct http_req *r)
{
    char from[11], to[11], vkey[128], agroup[256], raw[MAX_CURSOR], err[512], limit_s[24];
    struct issues_query q = {.limit = 100};
    struct store *st;
    struct store_source src;
    json_object *items = NULL;
    int rc, result = 0;

    if (http_query_enum(r, "status", statuses, &q.status) < 0 ||
        http_query_enum(r, "priority", priorities, &q.priority) < 0)
        return 0;
    const char *v = http_req_query(r, "vehicle");
    if (v) {
        vehicle_key(v, vkey, sizeof vkey);
        q.vehicle_key = vkey;
    }
    const char *a = http_req_query(r, "assignee");
    if (a) {
        assignee_group(a, agroup, sizeof agroup);
        q.assignee_group = agroup[0] ? agroup : NULL;
    }
    int f = http_query_date(r, "reported_from", from);
    if (f < 0)
        return 0;
    int t = http_query_date(r, "reported_to", to);
    if (t < 0 || http_query_long(r, "limit", 1, 1000, &q.limit) < 0)
        return 0;
    q.reported_from = f ? from : NULL;
    q.reported_to = t ? to : NULL;
    const char *cursor = http_req_query(r, "cursor");
    if (cursor && !parse_cursor(cursor, raw, sizeof raw, &q))
        return http_bad_param(r, "cursor", "cursor is not a cursor this endpoint returned");

    if ((rc = http_read_begin(r, &st, &src)) < 0)
        return 0;
    /* Every parameter that shapes the body, normalized, in a fixed order. */
    struct buf variant;
    buf_init(&variant, 0);
    snprintf(limit_s, sizeof limit_s, "%ld", q.limit);
    const char *parts[] = {q.status,        q.priority,    q.vehicle_key, q.assignee_group,
                           q.reported_from, q.reported_to, limit_s,       cursor};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        buf_printf(&variant, "%s\x1f", parts[i] ? parts[i] : "");
    bool fresh = http_not_modified(r, rc ? &src : NULL, variant.data);
    buf_free(&variant);
    if (fresh)
        goto out;

    bool more = false;
    if (rc == 0) {
        items = json_object_new_array();
    } else {
        q.source_id = src.id;
        if (store_issues_list(st, &q, &items, &more, err, sizeof err)) {
            log_error("http %s: issues: %s", http_req_id(r), err);
            result = -1;
            goto out;
        }
    }
    json_object *o = json_object_new_object();
    json_object *next = next_cursor(items, more);
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "next_cursor", next);
    http_reply_json(r, 200, o);
out:
    http_read_end(st, &src);
    return result;
}

int h_issue_get(struct http_req *r)
{
    char err[512];
    struct store *st;
    struct store_source src;
    json_object *issue = NULL;
    const char *number = http_req_param(r);
    int rc = http_read_begin(r, &st, &src), result = 0;
    if (rc < 0)
        return 0;
    /* Read first, so that a 404 carries no ETag. */
    int found = rc == 0 ? 0 : store_issue_get(st, src.id, number, &issue, err, sizeof err);
    if (found < 0) {
        log_error("http %s: issue: %s", http_req_id(r), err);
        result = -1;
    } else if (found == 0) {
        http_problem(r, 404, "not-found", NULL, "there is no issue %.100s%s%.100s", number,
                     rc ? " in source " : "", rc ? src.name : "");
    } else if (http_not_modified(r, &src, "")) {
        json_object_put(issue);
    } else {
        http_reply_json(r, 200, issue);
    }
    http_read_end(st, &src);
    return result;
}

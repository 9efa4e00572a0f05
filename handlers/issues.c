/* GET /issues (clean issues, filtered, paginated) and GET /issues/{number}
 * (one issue with its history).
 *
 * Order and cursor: items come by (reported_at, issue_number) ascending, a
 * key that does not move when rows are inserted in the sheet. `next_cursor`
 * is base64url (no padding) of "i1" US reported_at US issue_number of the
 * last item (US = 0x1f); a page resumes strictly after that key, so a walk
 * returns every issue exactly once as long as the data does not change.
 *
 * format=csv (or Accept: text/csv) answers the same page as CSV; see
 * issues_csv below.
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
static const char *const formats[] = {"json", "csv", NULL};
static const char *const priorities[] = {"critical", "high", "medium", "low", "none", NULL};

#define CURSOR_TAG "i1\x1f"
enum { DATETIME_LEN = 19, MAX_CURSOR = 1536, CSV_MAX_ROWS = 10000 };

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

/* CSV (format=csv or Accept: text/csv), for spreadsheets and BI tools: one
 * header line, one issue a line, the JSON fields but `extra`, `labels`
 * joined with ";", empty fields for nulls. A page holds up to 10,000 issues
 * (the default); when more follow, a `Link: <...>; rel="next"` header and
 * X-Next-Cursor carry the cursor, since a CSV body has no room for it. */
static const char *const csv_fields[] = {
    "issue_number", "vehicle",     "vehicle_key",        "summary",     "description",
    "priority",     "status",      "reported_at",        "reported_by", "assigned_to",
    "due_date",     "resolved_at", "resolved_effective", "odometer",    "labels",
    "source",       "row"};
#define N_CSV_FIELDS (sizeof csv_fields / sizeof *csv_fields)

static int issues_csv(struct buf *b, json_object *items)
{
    int rc = 0;
    for (size_t f = 0; f < N_CSV_FIELDS; f++)
        rc |= buf_printf(b, "%s%s", f ? "," : "", csv_fields[f]);
    rc |= buf_puts(b, "\n");
    for (size_t i = 0; i < json_object_array_length(items) && rc == 0; i++) {
        json_object *it = json_object_array_get_idx(items, i), *v;
        for (size_t f = 0; f < N_CSV_FIELDS; f++) {
            if (f)
                rc |= buf_puts(b, ",");
            if (!json_object_object_get_ex(it, csv_fields[f], &v) || !v)
                continue;
            if (json_object_is_type(v, json_type_array)) {
                struct buf joined;
                buf_init(&joined, 0);
                for (size_t k = 0; k < json_object_array_length(v); k++)
                    rc |= buf_printf(&joined, "%s%s", k ? ";" : "",
                                     json_object_get_string(json_object_array_get_idx(v, k)));
                rc |= buf_csv_field(b, joined.data ? joined.data : "");
                buf_free(&joined);
            } else {
                rc |= buf_csv_field(b, json_object_get_string(v));
            }
        }
        rc |= buf_puts(b, "\n");
    }
    return rc ? -1 : 0;
}

/* The next page's address, same query with the new cursor, as a Link
 * header (RFC 8288) and the bare cursor as X-Next-Cursor. */
static void csv_next_link(struct http_req *r, const char *cursor)
{
    static const char *const keep[] = {
        "source",        "status",      "priority", "vehicle", "assignee",
        "reported_from", "reported_to", "limit",    "format",  NULL};
    struct buf link;
    buf_init(&link, 8192);
    int rc = buf_printf(&link, "<%s?", http_req_path(r));
    for (const char *const *k = keep; *k; k++) {
        const char *v = http_req_query(r, *k);
        if (!v)
            continue;
        rc |= buf_printf(&link, "%s=", *k);
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
            rc |= isalnum(*p) || strchr("-._~", *p) ? buf_append(&link, p, 1)
                                                    : buf_printf(&link, "%%%02X", *p);
        rc |= buf_puts(&link, "&");
    }
    rc |= buf_printf(&link, "cursor=%s>; rel=\"next\"", cursor);
    if (rc == 0)
        http_reply_header(r, "Link", link.data);
    http_reply_header(r, "X-Next-Cursor", cursor);
    buf_free(&link);
}

/* format=csv, or Accept: text/csv listed before application/json. */
static int wants_csv(struct http_req *r, bool *csv)
{
    const char *format = "json";
    int has = http_query_enum(r, "format", formats, &format);
    if (has < 0)
        return -1;
    if (!has) {
        const char *accept = http_req_header(r, "Accept");
        const char *c = accept ? strstr(accept, "text/csv") : NULL;
        const char *j = accept ? strstr(accept, "application/json") : NULL;
        format = c && (!j || c < j) ? "csv" : "json";
        http_vary_accept(r);
    }
    *csv = strcmp(format, "csv") == 0;
    return 0;
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
    bool csv = false;
    if (t < 0 || wants_csv(r, &csv) < 0)
        return 0;
    if (csv)
        q.limit = CSV_MAX_ROWS;
    if (http_query_long(r, "limit", 1, csv ? CSV_MAX_ROWS : 1000, &q.limit) < 0)
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
    const char *parts[] = {q.status,         q.priority,      q.vehicle_key,
                           q.assignee_group, q.reported_from, q.reported_to,
                           limit_s,          cursor,          csv ? "csv" : "json"};
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
    json_object *next = next_cursor(items, more);
    if (csv) {
        struct buf b;
        buf_init(&b, 0);
        if (issues_csv(&b, items) || http_reply_buf(r, 200, HTTP_CSV, &b))
            result = -1;
        if (result == 0 && next)
            csv_next_link(r, json_object_get_string(next));
        buf_free(&b);
        json_object_put(items);
        json_object_put(next);
        goto out;
    }
    json_object *o = json_object_new_object();
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

#include "ingest/sheets.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "ingest/a1.h"

#define META_FIELDS                                                                                \
    "properties(title,timeZone,locale),"                                                           \
    "sheets.properties(sheetId,title,index,gridProperties(rowCount,columnCount))"
#define VALUES_QUERY                                                                               \
    "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER&majorDimension=ROWS"   \
    "&prettyPrint=false" /* a standard Google parameter: a third fewer bytes */

/* A response is about 150,000 cells a chunk: ~2 MB at ~13 bytes a cell. */
#define CHUNK_CELLS    150000
#define CHUNK_ROWS_MIN 500
#define CHUNK_ROWS_MAX 50000

struct sheets_client {
    char *base; /* without a trailing slash */
    struct gauth *auth;
    struct fetch *fetch;
    struct backoff backoff;
    long chunk_rows;
    struct sheets_stats own_stats;
    struct sheets_stats *stats;
    struct cell *cells; /* reused for every row */
    size_t cells_cap;
};

static const char *const stat_labels[SHEETS_STAT_N] = {
    "2xx", "400", "401", "403", "404", "429", "5xx", "other", "network",
};

const char *sheets_stat_label(enum sheets_stat s)
{
    return s >= 0 && s < SHEETS_STAT_N ? stat_labels[s] : "?";
}

struct sheets_client *sheets_client_new(const char *api_base_url, struct gauth *auth,
                                        const struct sheets_options *o)
{
    struct sheets_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = strdup(api_base_url);
    c->fetch = fetch_new(o ? &o->fetch : NULL);
    if (!c->base || !c->fetch) {
        sheets_client_free(c);
        return NULL;
    }
    size_t n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->auth = auth;
    if (o && o->backoff)
        c->backoff = *o->backoff;
    else
        backoff_init(&c->backoff);
    c->chunk_rows = o ? o->chunk_rows : 0;
    c->stats = o && o->stats ? o->stats : &c->own_stats;
    return c;
}

void sheets_client_free(struct sheets_client *c)
{
    if (!c)
        return;
    free(c->base);
    fetch_free(c->fetch);
    free(c->cells);
    free(c);
}

struct sheets_stats *sheets_client_stats(struct sheets_client *c)
{
    return c->stats;
}

long sheets_chunk_rows(const struct sheets_client *c, long columns)
{
    if (c->chunk_rows > 0)
        return c->chunk_rows;
    long n = CHUNK_CELLS / (columns > 0 ? columns : 1);
    return n < CHUNK_ROWS_MIN ? CHUNK_ROWS_MIN : n > CHUNK_ROWS_MAX ? CHUNK_ROWS_MAX : n;
}

static void count(struct sheets_client *c, long status)
{
    enum sheets_stat s;
    switch (status) {
    case 400:
        s = SHEETS_STAT_400;
        break;
    case 401:
        s = SHEETS_STAT_401;
        break;
    case 403:
        s = SHEETS_STAT_403;
        break;
    case 404:
        s = SHEETS_STAT_404;
        break;
    case 429:
        s = SHEETS_STAT_429;
        break;
    default:
        s = status >= 200 && status < 300   ? SHEETS_STAT_2XX
            : status >= 500 && status < 600 ? SHEETS_STAT_5XX
            : status < 0                    ? SHEETS_STAT_NETWORK
                                            : SHEETS_STAT_OTHER;
    }
    atomic_fetch_add_explicit(&c->stats->calls[s], 1, memory_order_relaxed);
}

/* Copies at most n bytes of src as one printable line. */
static void one_line(char *dst, size_t dstlen, const char *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && src[i] && j + 1 < dstlen; i++)
        dst[j++] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? ' ' : src[i];
    if (dstlen)
        dst[j] = '\0';
}

/* The whole body as one JSON object, or NULL: truncated, trailing bytes,
 * not JSON, or not an object. */
static json_object *parse_object(const struct buf *b)
{
    json_tokener *tok = json_tokener_new();
    json_object *o = NULL;
    if (!tok || !b->data || b->len > 0x7fffffff)
        goto out;
    o = json_tokener_parse_ex(tok, b->data, (int)b->len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success)
        goto bad;
    for (size_t i = json_tokener_get_parse_end(tok); i < b->len; i++)
        if (!strchr(" \t\r\n", b->data[i]) || b->data[i] == '\0')
            goto bad;
    if (!json_object_is_type(o, json_type_object))
        goto bad;
    goto out;
bad:
    json_object_put(o);
    o = NULL;
out:
    json_tokener_free(tok);
    return o;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* "HTTP 403 PERMISSION_DENIED: The caller does not have permission" from
 * Google's error envelope, or "HTTP 502: <start of the body>" without one. */
static void describe_status(const struct fetch_response *r, char *out, size_t outlen)
{
    json_object *root = parse_object(&r->body), *e;
    char msg[600] = "", st[64] = "";
    if (root && json_object_object_get_ex(root, "error", &e) &&
        json_object_is_type(e, json_type_object)) {
        const char *m = get_string(e, "message"), *s = get_string(e, "status");
        if (m)
            one_line(msg, sizeof msg, m, strlen(m));
        if (s)
            one_line(st, sizeof st, s, strlen(s));
    } else if (r->body.len) {
        one_line(msg, sizeof msg, r->body.data, 160);
    }
    json_object_put(root);
    snprintf(out, outlen, "HTTP %ld%s%s%s%s", r->status, st[0] ? " " : "", st, msg[0] ? ": " : "",
             msg);
}

static bool retryable_status(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/* GETs url and parses the body, retrying as docs/google-apis.md §3 says. `what`
 * names the request in messages. Returns 0 with *out (caller puts), or -1
 * with err; *status_out is the last HTTP status (0 when none). */
static int call(struct sheets_client *c, const char *url, const char *what, json_object **out,
                long *status_out, char *err, size_t errlen)
{
    char token[GAUTH_TOKEN_MAX] = "";
    struct fetch_response resp = {.retry_after_s = -1};
    bool reauthed = false;
    int attempt = 0, rc = -1;

    *out = NULL;
    *status_out = 0;
    buf_init(&resp.body, 0);
    for (;;) {
        char why[800];
        long retry_after = -1;
        bool retry = false;

        fetch_response_free(&resp);
        if (c->auth) {
            int grc = gauth_token(c->auth, token, why, sizeof why);
            if (grc != 0) {
                if (grc != GAUTH_ERR_TRANSIENT) {
                    snprintf(err, errlen, "%s: %s", what, why);
                    goto out;
                }
                retry = true;
            }
        }
        if (!retry) {
            int frc = fetch_get(c->fetch, url, c->auth ? token : NULL, &resp, why, sizeof why);
            if (frc == FETCH_ERR_NETWORK) {
                count(c, -1);
                retry = true;
            } else if (frc == FETCH_ERR_CANCELLED) {
                /* Our stop, not Google's failure: no retry, not counted. */
                snprintf(err, errlen, "%s: %s", what, why);
                goto out;
            } else if (frc != 0) {
                count(c, resp.status);
                snprintf(err, errlen, "%s: %s", what, why);
                goto out;
            } else {
                count(c, resp.status);
                *status_out = resp.status;
                if (resp.status == 200) {
                    *out = parse_object(&resp.body);
                    if (!*out) {
                        snprintf(err, errlen, "%s: response is not valid JSON", what);
                        goto out;
                    }
                    rc = 0;
                    goto out;
                }
                describe_status(&resp, why, sizeof why);
                if (resp.status == 401 && c->auth && !reauthed) {
                    /* The token was revoked or expired early: one new one. */
                    log_warn("sheets: %s: %s; requesting a new access token", what, why);
                    gauth_invalidate(c->auth, token);
                    reauthed = true;
                    atomic_fetch_add_explicit(&c->stats->retries, 1, memory_order_relaxed);
                    continue;
                }
                if (!retryable_status(resp.status)) {
                    snprintf(err, errlen, "%s: %s", what, why);
                    goto out;
                }
                retry = true;
                retry_after = resp.retry_after_s;
            }
        }
        if (!backoff_may_retry(&c->backoff, attempt)) {
            snprintf(err, errlen, "%s: %s (gave up after %d attempts)", what, why, attempt + 1);
            goto out;
        }
        long wait = backoff_wait_ms(&c->backoff, attempt, retry_after);
        log_warn("sheets: %s: %s; retry %d of %d in %ld ms", what, why, attempt + 1,
                 c->backoff.max_retries, wait);
        atomic_fetch_add_explicit(&c->stats->retries, 1, memory_order_relaxed);
        if (backoff_pause(&c->backoff, wait)) {
            snprintf(err, errlen, "%s: %s (retry interrupted)", what, why);
            goto out;
        }
        attempt++;
    }
out:
    memset(token, 0, sizeof token);
    fetch_response_free(&resp);
    return rc;
}

/* ---- metadata ---- */

void sheets_meta_free(struct sheets_meta *m)
{
    free(m->title);
    free(m->locale);
    free(m->time_zone);
    for (size_t i = 0; i < m->ntabs; i++)
        free(m->tabs[i].title);
    free(m->tabs);
    memset(m, 0, sizeof *m);
}

static long get_long(json_object *o, const char *key, long dflt)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) ||
        !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
        return dflt;
    return (long)json_object_get_int64(v);
}

static char *dup_string(json_object *o, const char *key)
{
    const char *s = o ? get_string(o, key) : NULL;
    return strdup(s ? s : "");
}

static int parse_meta(json_object *root, struct sheets_meta *m)
{
    json_object *props = NULL, *sheets = NULL;
    json_object_object_get_ex(root, "properties", &props);
    m->title = dup_string(props, "title");
    m->locale = dup_string(props, "locale");
    m->time_zone = dup_string(props, "timeZone");
    if (!m->title || !m->locale || !m->time_zone)
        return -1;
    if (!json_object_object_get_ex(root, "sheets", &sheets))
        return 0; /* no tabs: find_tab reports it */
    if (!json_object_is_type(sheets, json_type_array))
        return -1;
    size_t n = json_object_array_length(sheets);
    m->tabs = calloc(n ? n : 1, sizeof *m->tabs);
    if (!m->tabs)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(sheets, i), *p = NULL, *grid = NULL;
        if (!json_object_object_get_ex(s, "properties", &p) || !get_string(p, "title"))
            return -1;
        json_object_object_get_ex(p, "gridProperties", &grid); /* absent for chart sheets */
        struct sheets_tab *t = &m->tabs[m->ntabs++];
        t->title = dup_string(p, "title");
        if (!t->title)
            return -1;
        t->sheet_id = get_long(p, "sheetId", 0);
        t->index = get_long(p, "index", 0);
        t->row_count = get_long(grid, "rowCount", 0);
        t->column_count = get_long(grid, "columnCount", 0);
    }
    return 0;
}

int sheets_get_meta(struct sheets_client *c, const char *spreadsheet_id, struct sheets_meta *out,
                    char *err, size_t errlen)
{
    struct buf url, what;
    json_object *root = NULL;
    long status;
    int rc = -1;

    memset(out, 0, sizeof *out);
    buf_init(&url, 0);
    buf_init(&what, 0);
    if (buf_printf(&what, "spreadsheet %s", spreadsheet_id) ||
        buf_printf(&url, "%s/v4/spreadsheets/", c->base) ||
        a1_append_url_encoded(&url, spreadsheet_id) || buf_puts(&url, "?fields=" META_FIELDS)) {
        snprintf(err, errlen, "spreadsheet %s: out of memory", spreadsheet_id);
        goto out;
    }
    if (call(c, url.data, what.data, &root, &status, err, errlen))
        goto out;
    if (parse_meta(root, out)) {
        sheets_meta_free(out);
        snprintf(err, errlen, "%s: unexpected metadata response", what.data);
        goto out;
    }
    rc = 0;
out:
    json_object_put(root);
    buf_free(&url);
    buf_free(&what);
    return rc;
}

const struct sheets_tab *sheets_meta_find_tab(const struct sheets_meta *m, const char *name,
                                              char *err, size_t errlen)
{
    const struct sheets_tab *first = NULL;
    for (size_t i = 0; i < m->ntabs; i++) {
        const struct sheets_tab *t = &m->tabs[i];
        if (name && name[0] && strcmp(t->title, name) == 0)
            return t;
        if (!first || t->index < first->index)
            first = t;
    }
    if ((!name || !name[0]) && first)
        return first;

    struct buf list;
    buf_init(&list, 1024);
    for (size_t i = 0; i < m->ntabs; i++)
        if (buf_printf(&list, "%s\"%s\"", i ? ", " : "", m->tabs[i].title))
            break;
    if (m->ntabs == 0)
        snprintf(err, errlen, "spreadsheet \"%s\" has no tabs", m->title ? m->title : "");
    else
        snprintf(err, errlen, "spreadsheet \"%s\" has no tab \"%s\" (tabs: %s)",
                 m->title ? m->title : "", name, list.data ? list.data : "");
    buf_free(&list);
    return NULL;
}

/* ---- values ---- */

/* The first row of an echoed range like `'My Sheet'!A5:Z9`, or -1 when it
 * cannot be read (the check is then skipped). */
static long echoed_first_row(const char *range)
{
    const char *bang = range ? strrchr(range, '!') : NULL;
    struct a1_block b;
    if (!bang || a1_parse_block(bang + 1, &b))
        return -1;
    return b.first_row;
}

/* Hands one chunk's rows to fn. */
static int deliver(struct sheets_client *c, json_object *root, long first, long last,
                   const char *what, sheets_row_fn fn, void *arg, long *rows, char *err,
                   size_t errlen)
{
    json_object *values;
    if (!json_object_object_get_ex(root, "values", &values))
        return 0; /* an empty range: Google leaves `values` out */
    long echoed = echoed_first_row(get_string(root, "range"));
    if (echoed > 0 && echoed != first) {
        snprintf(err, errlen, "%s: the response is for rows from %ld, not %ld", what, echoed,
                 first);
        return SHEETS_ERR;
    }
    if (!json_object_is_type(values, json_type_array)) {
        snprintf(err, errlen, "%s: unexpected response: \"values\" is not an array", what);
        return SHEETS_ERR;
    }
    size_t n = json_object_array_length(values);
    if (n > (size_t)(last - first + 1)) {
        snprintf(err, errlen, "%s: the response has %zu rows, more than the %ld asked for", what, n,
                 last - first + 1);
        return SHEETS_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(values, i);
        if (!json_object_is_type(r, json_type_array)) {
            snprintf(err, errlen, "%s: unexpected response: row %ld is not an array", what,
                     first + (long)i);
            return SHEETS_ERR;
        }
        size_t ncells = json_object_array_length(r);
        if (ncells > c->cells_cap) {
            struct cell *p = realloc(c->cells, ncells * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "%s: out of memory", what);
                return SHEETS_ERR;
            }
            c->cells = p;
            c->cells_cap = ncells;
        }
        bool any = false;
        for (size_t j = 0; j < ncells; j++) {
            json_object *v = json_object_array_get_idx(r, j);
            struct cell *cell = &c->cells[j];
            *cell = (struct cell){.type = CELL_EMPTY, .text = "", .len = 0, .num = 0};
            switch (json_object_get_type(v)) {
            case json_type_int:
            case json_type_double:
                cell->type = CELL_NUMBER;
                cell->num = json_object_get_double(v);
                break;
            case json_type_boolean:
                cell->type = CELL_BOOL;
                cell->num = json_object_get_boolean(v) ? 1 : 0;
                break;
            case json_type_string:
                if (json_object_get_string_len(v) > 0) {
                    cell->type = CELL_TEXT;
                    cell->text = json_object_get_string(v);
                    cell->len = (size_t)json_object_get_string_len(v);
                }
                break;
            default: /* null, objects, arrays: nothing a cell holds */
                break;
            }
            if (cell->type != CELL_EMPTY)
                any = true;
        }
        if (!any)
            continue; /* `[]` or only "": an empty row */
        struct sheet_row row = {.row = first + (long)i, .cells = c->cells, .ncells = ncells};
        (*rows)++;
        if (fn(arg, &row) != 0) {
            snprintf(err, errlen, "%s: stopped by the row callback at row %ld", what, row.row);
            return SHEETS_ERR_CALLBACK;
        }
    }
    return 0;
}

int sheets_read_rows(struct sheets_client *c, const char *spreadsheet_id,
                     const struct sheets_tab *tab, long first_row, long last_row, sheets_row_fn fn,
                     void *arg, long *rows_out, char *err, size_t errlen)
{
    struct buf range, url, what;
    json_object *root = NULL;
    long rows = 0;
    int rc = SHEETS_ERR;

    buf_init(&range, 0);
    buf_init(&url, 0);
    buf_init(&what, 0);
    if (!tab || !tab->title || first_row < 1 || last_row < 0 ||
        (last_row && last_row < first_row)) {
        snprintf(err, errlen, "spreadsheet %s: bad row range %ld:%ld", spreadsheet_id, first_row,
                 last_row);
        goto out;
    }
    long end = last_row ? last_row : tab->row_count;
    if (tab->row_count > 0 && end > tab->row_count)
        end = tab->row_count;
    if (end > A1_MAX_ROWS)
        end = A1_MAX_ROWS;
    long chunk = sheets_chunk_rows(c, tab->column_count);

    for (long lo = first_row; lo <= end; lo += chunk) {
        long hi = end - lo >= chunk ? lo + chunk - 1 : end, status;
        buf_reset(&range);
        buf_reset(&url);
        buf_reset(&what);
        if (a1_append_rows(&range, tab->title, lo, hi) ||
            buf_printf(&what, "spreadsheet %s range %s", spreadsheet_id, range.data) ||
            buf_printf(&url, "%s/v4/spreadsheets/", c->base) ||
            a1_append_url_encoded(&url, spreadsheet_id) || buf_puts(&url, "/values/") ||
            a1_append_url_encoded(&url, range.data) || buf_puts(&url, "?" VALUES_QUERY)) {
            snprintf(err, errlen, "spreadsheet %s: out of memory", spreadsheet_id);
            goto out;
        }
        if (call(c, url.data, what.data, &root, &status, err, errlen)) {
            if (status == 400 && strstr(err, "exceeds grid limits")) {
                /* Rows were deleted since the metadata was read: what is
                 * past the grid's new end does not exist. */
                log_info("sheets: %s: past the end of the sheet, stopping", what.data);
                break;
            }
            goto out;
        }
        rc = deliver(c, root, lo, hi, what.data, fn, arg, &rows, err, errlen);
        json_object_put(root);
        root = NULL;
        if (rc)
            goto out;
        rc = SHEETS_ERR;
    }
    rc = 0;
out:
    if (rows_out)
        *rows_out = rows;
    json_object_put(root);
    buf_free(&range);
    buf_free(&url);
    buf_free(&what);
    return rc;
}

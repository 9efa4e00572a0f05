/* The request context of server/request.h: accessors, replies, the one
 * problem+json helper, conditional GET and the query parameter parsers. */
#include "server/request.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/civil.h"
#include "common/log.h"
#include "server/http_internal.h"

#ifndef SHEETSYNC_VERSION
#define SHEETSYNC_VERSION "dev"
#endif

const char *http_req_method(const struct http_req *r)
{
    return r->method;
}

const char *http_req_path(const struct http_req *r)
{
    return r->path;
}

const char *http_req_param(const struct http_req *r)
{
    return r->param;
}

const char *http_req_query(struct http_req *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

const char *http_req_header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_body(const struct http_req *r, size_t *len)
{
    *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

const char *http_req_id(const struct http_req *r)
{
    return r->id;
}

const struct http_options *http_req_options(const struct http_req *r)
{
    return &r->srv->o;
}

void *http_req_app(const struct http_req *r)
{
    return r->srv->o.app;
}

/* Makes `resp` the reply (replacing an earlier one); destroys it on failure. */
static int set_response(struct http_req *r, unsigned status, const char *content_type,
                        struct MHD_Response *resp, size_t len)
{
    if (!resp)
        return -1;
    if (content_type &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) != MHD_YES) {
        MHD_destroy_response(resp);
        return -1;
    }
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    r->resp_len = len;
    return 0;
}

/* ---- compression --------------------------------------------------------
 *
 * Text bodies of 1 KiB and more are sent gzip-compressed to clients that
 * list gzip in Accept-Encoding (browsers, curl --compressed, BI tools): the
 * weekly model and CSV exports shrink five- to tenfold. Clients that do not
 * ask (load generators, most scripts) get the bytes as they are, at no cost.
 * The weak ETag is the same for both codings: they are the same content. */

enum { GZIP_MIN = 1024 };

#ifdef SHEETSYNC_HAVE_ZLIB
#include <zlib.h>

static bool compressible(const char *content_type)
{
    static const char *const types[] = {"application/json", "application/problem+json",
                                        "application/yaml", "text/"};
    for (size_t i = 0; content_type && i < sizeof types / sizeof *types; i++)
        if (strncmp(content_type, types[i], strlen(types[i])) == 0)
            return true;
    return false;
}

/* True when Accept-Encoding lists gzip (or *) without q=0. */
static bool accepts_gzip(struct http_req *r)
{
    const char *ae = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Encoding");
    for (const char *p = ae; p && *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",;");
        bool gzip = (n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 1 && *p == '*');
        const char *end = p + strcspn(p, ",");
        const char *q = strstr(p, "q=");
        bool zero = q && q < end && strspn(q + 2, "0.") == (size_t)(end - q - 2);
        if (gzip && !zero)
            return true;
        p = end;
    }
    return false;
}

/* A gzip response of `data`, or NULL (then the caller sends it as is). */
static struct MHD_Response *gzip_response(const char *data, size_t len, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(cap);
    struct MHD_Response *resp = NULL;
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (out && len <= UINT32_MAX && deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out < len) {
        *outlen = z.total_out;
        resp = MHD_create_response_from_buffer_with_free_callback(z.total_out, out, free);
    }
    deflateEnd(&z);
    if (!resp)
        free(out);
    return resp;
}

/* Sets a compressed reply when the body and the client allow it. Returns 1
 * when it did, 0 when the caller should send the bytes as they are, -1 out
 * of memory. */
static int reply_gzip(struct http_req *r, unsigned status, const char *content_type,
                      const char *data, size_t len)
{
    if (len < GZIP_MIN || !compressible(content_type))
        return 0;
    r->vary_encoding = true;
    if (!accepts_gzip(r))
        return 0;
    size_t zlen = 0;
    struct MHD_Response *resp = gzip_response(data, len, &zlen);
    if (!resp)
        return 0;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES) {
        MHD_destroy_response(resp);
        return -1;
    }
    return set_response(r, status, content_type, resp, zlen) == 0 ? 1 : -1;
}
#else
static int reply_gzip(struct http_req *r, unsigned status, const char *content_type,
                      const char *data, size_t len)
{
    (void)r, (void)status, (void)content_type, (void)data, (void)len;
    return 0;
}
#endif

int http_set_reply(struct http_req *r, unsigned status, const char *content_type, const char *data,
                   size_t len)
{
    int z = reply_gzip(r, status, content_type, data, len);
    if (z)
        return z > 0 ? 0 : -1;
    return set_response(
        r, status, content_type,
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_MUST_COPY), len);
}

int http_reply_encoded(struct http_req *r, unsigned status, const char *content_type,
                       const char *encoding, const char *data, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
    if (resp &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding) != MHD_YES) {
        MHD_destroy_response(resp);
        return -1;
    }
    r->vary_encoding = true;
    return set_response(r, status, content_type, resp, len);
}

int http_reply_buf(struct http_req *r, unsigned status, const char *content_type, struct buf *b)
{
    if (!b->data)
        return http_set_reply(r, status, content_type, "", 0);
    int z = reply_gzip(r, status, content_type, b->data, b->len);
    if (z)
        return z > 0 ? 0 : -1; /* the caller frees b as before */
    size_t len = b->len;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, b->data, free);
    if (!resp)
        return -1;
    buf_init(b, b->max); /* the reply owns the bytes now */
    return set_response(r, status, content_type, resp, len);
}

int http_reply_data(struct http_req *r, unsigned status, const char *content_type, const char *data,
                    size_t len)
{
    return http_set_reply(r, status, content_type, data, len);
}

int http_reply_text(struct http_req *r, unsigned status, const char *text)
{
    return http_set_reply(r, status, HTTP_TEXT, text, strlen(text));
}

int http_reply_empty(struct http_req *r, unsigned status)
{
    return http_set_reply(r, status, NULL, "", 0);
}

static int reply_json_typed(struct http_req *r, unsigned status, const char *content_type,
                            json_object *body)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    int rc = text ? http_set_reply(r, status, content_type, text, len) : -1;
    json_object_put(body);
    return rc;
}

int http_reply_json(struct http_req *r, unsigned status, struct json_object *body)
{
    return reply_json_typed(r, status, HTTP_JSON, body);
}

int http_reply_header(struct http_req *r, const char *name, const char *value)
{
    if (!r->resp)
        return -1;
    return MHD_add_response_header(r->resp, name, value) == MHD_YES ? 0 : -1;
}

static int problem_v(struct http_req *r, unsigned status, const char *slug, const char *parameter,
                     const char *fmt, va_list ap)
{
    char detail[512], type[96];
    vsnprintf(detail, sizeof detail, fmt, ap);
    if (slug)
        snprintf(type, sizeof type, "urn:sheetsync:problem:%s", slug);
    else
        snprintf(type, sizeof type, "about:blank");
    const char *title = MHD_get_reason_phrase_for(status);
    json_object *o = json_object_new_object();
    if (!o)
        return 0;
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "title", json_object_new_string(title && *title ? title : "Error"));
    json_object_object_add(o, "status", json_object_new_int((int)status));
    json_object_object_add(o, "detail", json_object_new_string(detail));
    if (parameter)
        json_object_object_add(o, "parameter", json_object_new_string(parameter));
    reply_json_typed(r, status, HTTP_PROBLEM, o);
    return 0;
}

int http_problem(struct http_req *r, unsigned status, const char *slug, const char *parameter,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(r, status, slug, parameter, fmt, ap);
    va_end(ap);
    return 0;
}

int http_bad_param(struct http_req *r, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem_v(r, 400, "invalid-parameter", name, fmt, ap);
    va_end(ap);
    return 0;
}

void http_vary_accept(struct http_req *r)
{
    r->vary_accept = true;
}

/* True when the If-None-Match list names `etag` (weak comparison, RFC 9110
 * §13.1.2) or is "*". */
static bool none_match(const char *header, const char *etag)
{
    const char *want = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t wlen = strlen(want);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        if (*p == '*')
            return true;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        const char *end = p;
        if (*end == '"') {
            end = strchr(end + 1, '"');
            end = end ? end + 1 : p + strlen(p);
        } else {
            end += strcspn(end, ", \t");
        }
        if ((size_t)(end - p) == wlen && memcmp(p, want, wlen) == 0)
            return true;
        p = end;
    }
    return false;
}

bool http_not_modified(struct http_req *r, const struct store_source *src, const char *variant)
{
    char key[256];
    snprintf(key, sizeof key, "%s\x1f%ld\x1f%s\x1f", SHEETSYNC_VERSION, src ? src->id : 0,
             src && src->created_at ? src->created_at : "");
    uint64_t h = buf_hash64(key, strlen(key), BUF_HASH_SEED);
    h = buf_hash64(r->path, strlen(r->path) + 1, h); /* the NUL separates path and variant */
    if (variant)
        h = buf_hash64(variant, strlen(variant), h);
    snprintf(r->etag, sizeof r->etag, "W/\"%ld-%016" PRIx64 "\"", src ? src->data_version : 0L, h);
    const char *inm = http_req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm && none_match(inm, r->etag)) {
        http_reply_empty(r, 304);
        return true;
    }
    return false;
}

int http_query_date(struct http_req *r, const char *name, char out[11])
{
    const char *v = http_req_query(r, name);
    if (!v)
        return 0;
    bool shape = strlen(v) == 10 && v[4] == '-' && v[7] == '-';
    for (int i = 0; shape && i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
            shape = false;
    if (shape) {
        int y = atoi(v), m = atoi(v + 5), d = atoi(v + 8);
        if (civil_valid(y, m, d)) {
            memcpy(out, v, 11);
            return 1;
        }
    }
    http_bad_param(r, name, "%s must be a calendar date YYYY-MM-DD, not '%.40s'", name, v);
    return -1;
}

int http_query_enum(struct http_req *r, const char *name, const char *const *allowed,
                    const char **out)
{
    const char *v = http_req_query(r, name);
    if (!v)
        return 0;
    char list[256] = "";
    for (const char *const *a = allowed; *a; a++) {
        if (strcmp(v, *a) == 0) {
            *out = *a;
            return 1;
        }
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
    }
    http_bad_param(r, name, "%s must be one of %s, not '%.40s'", name, list, v);
    return -1;
}

int http_query_long(struct http_req *r, const char *name, long min, long max, long *out)
{
    const char *v = http_req_query(r, name);
    if (!v)
        return 0;
    bool digits = strspn(v, "0123456789") == strlen(v) && strlen(v) <= 18;
    long n = digits ? strtol(v, NULL, 10) : 0;
    if (digits && n >= min && n <= max) {
        *out = n;
        return 1;
    }
    http_bad_param(r, name, "%s must be an integer from %ld to %ld, not '%.40s'", name, min, max,
                   v);
    return -1;
}

int http_req_source(struct http_req *r, struct store *st, struct store_source *out)
{
    char err[512];
    const char *name = http_req_query(r, "source");
    int rc = store_source_find(st, name, out, err, sizeof err);
    if (rc < 0) {
        log_error("http %s: %s", r->id, err);
        http_problem(r, 500, "internal", NULL, "the source could not be read");
        return -1;
    }
    if (rc == 0 && name) {
        http_problem(r, 404, "unknown-source", "source", "there is no source named '%.100s'", name);
        return -1;
    }
    return rc;
}

int http_read_begin(struct http_req *r, struct store **st, struct store_source *src)
{
    char err[512];
    memset(src, 0, sizeof *src);
    if (!(*st = http_req_store(r)))
        return -1;
    if (store_read_begin(*st, err, sizeof err)) {
        log_error("http %s: %s", r->id, err);
        http_problem(r, 503, "unavailable", NULL, "the database cannot be read");
        return -1;
    }
    int rc = http_req_source(r, *st, src);
    if (rc < 0)
        store_read_end(*st);
    return rc;
}

void http_read_end(struct store *st, struct store_source *src)
{
    store_source_cleanup(src);
    store_read_end(st);
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int http_cursor_encode(const char *raw, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)raw;
    size_t o = 0;
    if ((len + 2) / 3 * 4 + 1 > outlen)
        return -1;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return 0;
}

long http_cursor_decode(const char *text, char *out, size_t outlen)
{
    size_t n = strlen(text), o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *c = memchr(b64url, text[i], 64);
        if (!c || !text[i])
            return -1;
        acc = (acc << 6) | (uint32_t)(c - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= outlen)
                return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* The unused low bits of the last character must be zero (canonical). */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    out[o] = '\0';
    return (long)o;
}

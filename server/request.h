#ifndef SHEETSYNC_REQUEST_H
#define SHEETSYNC_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "store/read.h"

/* The request context handed to every handler of handlers/: what was asked
 * (method, path, query, headers, body) and the reply helpers. A handler
 * returns 0 once it has set a reply (any status), or -1 on an internal
 * failure, which the server answers with a 500 problem unless a reply was
 * set. Strings returned by the accessors live until the request completes.
 *
 * Handlers never include microhttpd.h or sqlite3.h: they reach the database
 * through http_req_store and the functions of store/read.h. */

struct buf;
struct http_req;
struct http_options;
struct json_object;

#define HTTP_JSON    "application/json; charset=utf-8"
#define HTTP_PROBLEM "application/problem+json"
#define HTTP_CSV     "text/csv; charset=utf-8"
#define HTTP_TEXT    "text/plain; charset=utf-8"

const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r);
/* The value of the route's {name} segment, URL-decoded; NULL when none. */
const char *http_req_param(const struct http_req *r);
/* A query parameter, URL-decoded. An empty value (`?from=`) counts as absent:
 * NULL either way. The first one wins when a name is repeated. */
const char *http_req_query(struct http_req *r, const char *name);
/* A request header (case-insensitive name), or NULL. */
const char *http_req_header(struct http_req *r, const char *name);
/* The request body (NUL-terminated, possibly empty); never past the cap. */
const char *http_req_body(const struct http_req *r, size_t *len);
/* The X-Request-Id of this request. */
const char *http_req_id(const struct http_req *r);
const struct http_options *http_req_options(const struct http_req *r);
void *http_req_app(const struct http_req *r);

/* This worker thread's database connection, opened on first use. NULL when
 * it cannot be opened: a 503 problem is then already the reply, so the
 * handler just returns 0. */
struct store *http_req_store(struct http_req *r);

/* Replies. Each replaces any earlier reply of the request and returns 0, or
 * -1 when memory runs out. */

/* `body` is consumed (json_object_put) in every case. */
int http_reply_json(struct http_req *r, unsigned status, struct json_object *body);
/* `data` is copied. Like every reply with a body, it is sent
 * gzip-compressed when it is text of 1 KiB or more and the client accepts
 * gzip (Vary: Accept-Encoding). */
int http_reply_data(struct http_req *r, unsigned status, const char *content_type, const char *data,
                    size_t len);
/* Bytes already encoded (`encoding`, e.g. "gzip") and living as long as the
 * process (an embedded file): sent as they are, without a copy, with
 * Content-Encoding and Vary: Accept-Encoding. */
int http_reply_encoded(struct http_req *r, unsigned status, const char *content_type,
                       const char *encoding, const char *data, size_t len);
/* Hands the bytes of `b` to the reply without a copy; `b` is left empty
 * (buf_free on it stays correct) when this returns 0. */
int http_reply_buf(struct http_req *r, unsigned status, const char *content_type, struct buf *b);
int http_reply_text(struct http_req *r, unsigned status, const char *text);
/* A reply without a body (204, 304). */
int http_reply_empty(struct http_req *r, unsigned status);
/* Adds a header to the reply set last. */
int http_reply_header(struct http_req *r, const char *name, const char *value);

/* The one error helper: an RFC 9457 application/problem+json reply with
 * `type` ("urn:sheetsync:problem:<slug>", or "about:blank" when slug is
 * NULL), `title` (the status phrase), `status`, `detail` (printf-style) and,
 * when `parameter` is not NULL, a `parameter` member naming the query
 * parameter at fault. Returns 0 so a handler can `return http_problem(...)`. */
int http_problem(struct http_req *r, unsigned status, const char *slug, const char *parameter,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A 400 invalid-parameter problem naming `name`. Returns 0. */
int http_bad_param(struct http_req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Conditional GET. Sets the reply's ETag, derived from the source (id,
 * created_at), its data_version, the binary's version and `variant` (the
 * handler's normalized query: every parameter that shapes the body, after
 * defaults), and marks the reply `Cache-Control: no-cache`. Returns true
 * when If-None-Match names that tag: a 304 without a body is then the reply
 * and the handler returns 0 at once. `src` may be NULL (no source yet). */
bool http_not_modified(struct http_req *r, const struct store_source *src, const char *variant);

/* Marks the body as depending on the Accept header (Vary: Accept). */
void http_vary_accept(struct http_req *r);

/* Query parameter parsers. Each returns 1 when the parameter is present and
 * valid, 0 when absent, -1 when invalid: the 400 problem naming it is then
 * the reply. */

/* YYYY-MM-DD, a real calendar date in years 0001-9999. */
int http_query_date(struct http_req *r, const char *name, char out[11]);
/* One of the NULL-terminated `allowed` values (exact, case-sensitive). */
int http_query_enum(struct http_req *r, const char *name, const char *const *allowed,
                    const char **out);
/* A decimal integer in [min, max]; absent leaves *out untouched. */
int http_query_long(struct http_req *r, const char *name, long min, long max, long *out);

/* The source named by the `source` query parameter, or the first source (by
 * id) when absent. Returns 1 found, 0 when there is no source at all and none
 * was named, -1 when a reply (404 naming an unknown source, 503, 500) is set.
 * `out` is cleaned by the caller with store_source_cleanup on 1. */
int http_req_source(struct http_req *r, struct store *st, struct store_source *out);

/* The common start of a read endpoint: this thread's store, a read snapshot
 * (store_read_begin) and the source of http_req_source. Returns 1 (source
 * found) or 0 (no source at all): call http_read_end when done; or -1 when a
 * reply (503, 404, 500) is already set and nothing needs ending. */
int http_read_begin(struct http_req *r, struct store **st, struct store_source *src);
void http_read_end(struct store *st, struct store_source *src);

/* Opaque pagination cursors: base64url (no padding) of `raw`. encode writes
 * at most outlen bytes including the NUL and returns 0 or -1 (too long);
 * decode returns the decoded length or -1 (not base64url, or too long). */
int http_cursor_encode(const char *raw, size_t len, char *out, size_t outlen);
long http_cursor_decode(const char *text, char *out, size_t outlen);

#endif

#ifndef SHEETSYNC_HTTP_INTERNAL_H
#define SHEETSYNC_HTTP_INTERNAL_H

/* Shared by server/http.c, server/request.c and server/routes.c only:
 * handlers see `struct http_req` through server/request.h. */

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "server/http.h"
#include "server/request.h"

/* Who may call a route. */
enum http_auth {
    HTTP_AUTH_NONE,  /* probes, the dashboard */
    HTTP_AUTH_READ,  /* needs the API token when one is configured */
    HTTP_AUTH_ADMIN, /* needs the admin token; 403 when none is configured */
};

/* One row of the route table. `path` is matched segment by segment; a
 * segment written `{name}` matches any one non-empty segment, which the
 * handler reads with http_req_param. A GET route answers HEAD too. */
struct http_route {
    const char *path;
    const char *method;
    int (*handler)(struct http_req *r);
    enum http_auth auth;
    size_t max_body; /* 0: the server's cap */
    /* Optional: called after the server set its 413 (body past max_body),
     * which the handler never sees; e.g. to count the refusal. */
    void (*too_large)(struct http_req *r);
};

extern const struct http_route http_routes[];
extern const size_t http_nroutes;

enum http_match { HTTP_MATCH_OK, HTTP_MATCH_NO_PATH, HTTP_MATCH_NO_METHOD };

/* Finds the route of (method, path). On HTTP_MATCH_OK, *route is set and
 * *param points into `path` (length *paramlen) when the route has a {name}
 * segment. On HTTP_MATCH_NO_METHOD, `allow` receives the methods the path
 * accepts ("GET, HEAD, OPTIONS"). OPTIONS itself is answered by the server
 * and matches any route of the path. */
enum http_match http_route_find(const char *method, const char *path,
                                const struct http_route **route, const char **param,
                                size_t *paramlen, char *allow, size_t allowlen);

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_options o; /* strings are copies */
    unsigned port;
    unsigned long gen; /* tells this server's thread-local stores from an earlier one's */
    bool api_token_set, admin_token_set;
    unsigned char api_token_hash[32], admin_token_hash[32];
    char **cors;
    size_t ncors;
    bool cors_any;
    pthread_mutex_t lock; /* guards stores */
    struct store **stores;
    size_t nstores, capstores;
    uint64_t rid_seed;
    atomic_uint_fast64_t rid_next;
};

/* Everything one request needs, hung on MHD's *req_cls when the request
 * starts and freed only by the NOTIFY_COMPLETED callback. */
struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *method, *path; /* MHD's, valid until the request completes */
    const struct http_route *route;
    enum http_match match;
    char allow[64];
    char *param;
    struct buf body;
    size_t discarded; /* body bytes past the cap, read and dropped */
    bool too_large;
    char id[68]; /* X-Request-Id */
    struct timespec started;
    /* The reply being built. */
    struct MHD_Response *resp;
    unsigned status;
    size_t resp_len;
    char etag[80];      /* added to the reply when not empty */
    bool vary_accept;   /* the body depends on Accept */
    bool vary_encoding; /* the body depends on Accept-Encoding (gzip) */
    bool queued;
};

/* Replaces the reply of `r` with a buffer (copied). Returns 0 or -1. */
int http_set_reply(struct http_req *r, unsigned status, const char *content_type, const char *data,
                   size_t len);

#endif

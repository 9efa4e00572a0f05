/* The libmicrohttpd daemon: listening socket, worker threads, the request
 * life cycle (body capping, routing, authentication, CORS, the headers every
 * reply carries) and the per-thread database connections.
 *
 * Request life cycle, and why it looks like this: MHD calls on_request once
 * when the headers are in, then once per chunk of body, then once more with
 * no data. Queuing a reply on the first call makes MHD close the connection
 * after it (docs/pitfalls.md: 118k → 24k req/s), so the first call only sets up
 * `struct http_req` on *req_cls, and the reply is queued on the last call.
 * The struct is freed in one place, on_completed (MHD_OPTION_NOTIFY_COMPLETED),
 * whether the request finished or was aborted. */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "server/http_internal.h"
#include "server/metrics.h"
#include "store/store.h"

enum {
    DEFAULT_MAX_BODY = 64 * 1024,
    /* Past the cap, this much more body is read and dropped so the 413 can be
     * sent on a healthy connection; beyond it the connection is closed. */
    DISCARD_MAX = 1024 * 1024,
    CONNECTION_TIMEOUT_S = 30,
};

/* ---- per-thread database connections -------------------------------- */

/* Each MHD worker thread opens its own connection on first use (SQLite
 * connections are not shared across threads here). The server keeps a list
 * of them to close in http_stop, after MHD has joined its threads. `gen`
 * tells a connection of this server from one of an earlier server that a
 * test started and stopped in the same process. */
static atomic_ulong next_gen = 1;
static _Thread_local unsigned long tls_gen;
static _Thread_local struct store *tls_store;

struct store *http_req_store(struct http_req *r)
{
    struct http_server *srv = r->srv;
    if (tls_gen == srv->gen && tls_store)
        return tls_store;
    char err[512];
    struct store *st = NULL;
    if (!srv->o.db_path || store_open(srv->o.db_path, &st, err, sizeof err)) {
        log_error("http %s: %s", r->id, srv->o.db_path ? err : "no database path");
        http_problem(r, 503, "unavailable", NULL, "the database cannot be opened");
        return NULL;
    }
    pthread_mutex_lock(&srv->lock);
    if (srv->nstores == srv->capstores) {
        size_t cap = srv->capstores ? srv->capstores * 2 : 8;
        struct store **v = realloc(srv->stores, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&srv->lock);
            store_close(st);
            http_problem(r, 503, "unavailable", NULL, "out of memory");
            return NULL;
        }
        srv->stores = v;
        srv->capstores = cap;
    }
    srv->stores[srv->nstores++] = st;
    pthread_mutex_unlock(&srv->lock);
    tls_gen = srv->gen;
    tls_store = st;
    return st;
}

/* ---- request ids ------------------------------------------------------ */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A client's X-Request-Id is kept when it is short and plain, so a caller
 * can follow its own id through our logs; otherwise one is made up. */
static void request_id(struct http_req *r)
{
    const char *in = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
    if (in) {
        size_t n = strlen(in);
        if (n >= 1 && n < sizeof r->id &&
            strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n) {
            memcpy(r->id, in, n + 1);
            return;
        }
    }
    uint64_t v = splitmix64(r->srv->rid_seed + atomic_fetch_add(&r->srv->rid_next, 1));
    snprintf(r->id, sizeof r->id, "%016llx", (unsigned long long)v);
}

/* ---- authentication --------------------------------------------------- */

static void sha256(const char *s, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32); /* never equal to a real digest of a presented token */
}

/* Compares the presented bearer token with one configured digest. Both sides
 * are hashed first, so the comparison takes the same time whatever the
 * length or content of the guess. */
static bool bearer_matches(const char *authz, const unsigned char want[32])
{
    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return false;
    const char *tok = authz + 7;
    while (*tok == ' ' || *tok == '\t')
        tok++;
    size_t n = strlen(tok);
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        n--;
    unsigned char got[32];
    sha256(tok, n, got);
    return n > 0 && CRYPTO_memcmp(got, want, 32) == 0;
}

/* Returns true when the request may go on; otherwise the 401/403 is set. */
static bool authorized(struct http_req *r)
{
    struct http_server *srv = r->srv;
    const char *authz = http_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    bool admin_ok = srv->admin_token_set && bearer_matches(authz, srv->admin_token_hash);
    switch (r->route->auth) {
    case HTTP_AUTH_NONE:
        return true;
    case HTTP_AUTH_READ:
        if (!srv->api_token_set || admin_ok || bearer_matches(authz, srv->api_token_hash))
            return true;
        break;
    case HTTP_AUTH_ADMIN:
        if (!srv->admin_token_set) {
            http_problem(r, 403, "admin-disabled", NULL,
                         "admin endpoints are disabled: no admin token is configured");
            return false;
        }
        if (admin_ok)
            return true;
        break;
    }
    http_problem(r, 401, "unauthorized", NULL,
                 authz ? "the bearer token is not valid for this endpoint"
                       : "this endpoint needs an Authorization: Bearer token");
    http_reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                      authz ? "Bearer realm=\"sheetsync\", error=\"invalid_token\""
                            : "Bearer realm=\"sheetsync\"");
    return false;
}

/* ---- CORS ------------------------------------------------------------- */

static int parse_origins(struct http_server *srv, const char *list)
{
    const char *p = list;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '/'))
            e--;
        if (e - s == 1 && *s == '*') {
            srv->cors_any = true;
        } else if (e > s) {
            char **v = realloc(srv->cors, (srv->ncors + 1) * sizeof *v);
            if (!v)
                return -1;
            srv->cors = v;
            if (!(srv->cors[srv->ncors] = strndup(s, (size_t)(e - s))))
                return -1;
            srv->ncors++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static bool cors_enabled(const struct http_server *srv)
{
    return srv->cors_any || srv->ncors > 0;
}

static bool origin_allowed(const struct http_server *srv, const char *origin)
{
    if (!origin || !*origin)
        return false;
    if (srv->cors_any)
        return true;
    for (size_t i = 0; i < srv->ncors; i++)
        if (strcasecmp(srv->cors[i], origin) == 0)
            return true;
    return false;
}

/* OPTIONS: the methods of the path, and for an allowed origin's preflight
 * the CORS answer. Authentication does not apply: browsers send no
 * credentials with a preflight. */
static void reply_options(struct http_req *r)
{
    const char *origin = http_req_header(r, "Origin");
    http_reply_empty(r, 204);
    http_reply_header(r, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (origin_allowed(r->srv, origin) && http_req_header(r, "Access-Control-Request-Method")) {
        http_reply_header(r, "Access-Control-Allow-Methods", r->allow);
        http_reply_header(r, "Access-Control-Allow-Headers",
                          "Authorization, Content-Type, If-None-Match, X-Request-Id");
        http_reply_header(r, "Access-Control-Max-Age", "600");
    }
}

/* ---- the request life cycle ------------------------------------------- */

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                                const char *method, const char *url)
{
    struct http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->srv = srv;
    r->conn = conn;
    r->method = strdup(method);
    r->path = strdup(url);
    if (!r->method || !r->path) {
        free((char *)r->method);
        free((char *)r->path);
        free(r);
        return NULL;
    }
    request_id(r);
    const char *param = NULL;
    size_t paramlen = 0;
    r->match = http_route_find(r->method, r->path, &r->route, &param, &paramlen, r->allow,
                               sizeof r->allow);
    if (param)
        r->param = strndup(param, paramlen);
    size_t cap = r->route && r->route->max_body ? r->route->max_body : srv->o.max_body;
    buf_init(&r->body, cap);
    return r;
}

static void req_free(struct http_req *r)
{
    if (r->resp)
        MHD_destroy_response(r->resp);
    buf_free(&r->body);
    free(r->param);
    free((char *)r->method);
    free((char *)r->path);
    free(r);
}

/* Sets the reply of `r`: routing errors, the body cap, authentication, then
 * the handler. */
static void dispatch(struct http_req *r)
{
    if (r->match == HTTP_MATCH_NO_PATH) {
        http_problem(r, 404, "not-found", NULL, "there is no resource at %.200s", r->path);
        return;
    }
    if (strcmp(r->method, "OPTIONS") == 0) {
        reply_options(r);
        return;
    }
    if (r->match == HTTP_MATCH_NO_METHOD) {
        http_problem(r, 405, "method-not-allowed", NULL, "%.200s accepts %s, not %.20s", r->path,
                     r->allow, r->method);
        http_reply_header(r, MHD_HTTP_HEADER_ALLOW, r->allow);
        return;
    }
    if (r->too_large) {
        http_problem(r, 413, "payload-too-large", NULL, "the request body is larger than %zu bytes",
                     r->body.max);
        if (r->route->too_large)
            r->route->too_large(r);
        return;
    }
    if (!authorized(r))
        return;
    if (r->route->handler(r) < 0 && !r->resp)
        http_problem(r, 500, "internal", NULL, "the request failed; see the server log for %s",
                     r->id);
}

/* Headers every reply carries, whoever built it. */
static void add_common_headers(struct http_req *r)
{
    const char *origin = http_req_header(r, "Origin");
    http_reply_header(r, "X-Request-Id", r->id);
    http_reply_header(r, "X-Content-Type-Options", "nosniff");
    if (r->etag[0] && r->status < 400) { /* an error is not a version of the resource */
        http_reply_header(r, MHD_HTTP_HEADER_ETAG, r->etag);
        http_reply_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    bool cors = cors_enabled(r->srv);
    char vary[64] = "";
    if (cors)
        strcat(vary, ", Origin");
    if (r->vary_accept)
        strcat(vary, ", Accept");
    if (r->vary_encoding)
        strcat(vary, ", Accept-Encoding");
    if (vary[0])
        http_reply_header(r, MHD_HTTP_HEADER_VARY, vary + 2);
    if (cors && origin_allowed(r->srv, origin)) {
        http_reply_header(r, "Access-Control-Allow-Origin", origin);
        http_reply_header(r, "Access-Control-Expose-Headers", "ETag, X-Request-Id");
    }
}

static enum MHD_Result finish(struct http_req *r)
{
    dispatch(r);
    if (!r->resp)
        http_problem(r, 500, "internal", NULL, "the request failed; see the server log for %s",
                     r->id);
    if (!r->resp)
        return MHD_NO; /* out of memory: MHD closes the connection */
    add_common_headers(r);
    r->queued = true;
    return MHD_queue_response(r->conn, r->status, r->resp);
}

/* A declared body that cannot fit is refused before it is sent when the
 * client waits for "100 Continue", or when draining it would cost too much. */
static bool refuse_early(struct http_req *r)
{
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return false;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    if (errno || end == cl || n <= r->body.max)
        return false;
    const char *expect = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Expect");
    return (expect && strcasecmp(expect, "100-continue") == 0) || n > r->body.max + DISCARD_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)version;
    struct http_req *r = *req_cls;
    if (!r) {
        if (!(r = req_new(cls, conn, method, url)))
            return MHD_NO;
        *req_cls = r;
        if (refuse_early(r)) {
            r->too_large = true;
            return finish(r);
        }
        return MHD_YES; /* reply on a later call: keeps the connection alive */
    }
    if (r->queued) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->too_large || buf_append(&r->body, upload, *upload_size) != 0) {
            r->too_large = true;
            r->discarded += *upload_size;
        }
        *upload_size = 0;
        if (r->discarded > DISCARD_MAX)
            return finish(r); /* MHD closes the connection after this reply */
        return MHD_YES;
    }
    return finish(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct http_req *r = *req_cls;
    if (!r)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - r->started.tv_sec) * 1e3 +
                (double)(now.tv_nsec - r->started.tv_nsec) / 1e6;
    bool done = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK;
    unsigned status = r->queued ? r->status : 0;
    metrics_http_observe(r->route ? (size_t)(r->route - http_routes) : METRICS_NO_ROUTE, r->method,
                         status, ms / 1e3);
    /* The access log: one line a request, its id as a field of its own;
     * probes (health, readiness, scrapes) only at debug, so they do not
     * drown the rest, and server errors as warnings. */
    char st[8], bytes[24], dur[24];
    snprintf(st, sizeof st, "%u", status);
    snprintf(bytes, sizeof bytes, "%zu", r->resp_len);
    snprintf(dur, sizeof dur, "%.2f", ms);
    const char *fields[] = {"request_id",  r->id,    "method", r->method, "path",
                            r->path,       "status", st,       "bytes",   bytes,
                            "duration_ms", dur,      NULL};
    bool probe = strcmp(r->path, "/healthz") == 0 || strcmp(r->path, "/readyz") == 0 ||
                 strcmp(r->path, "/metrics") == 0;
    enum log_level level = status >= 500 ? LOG_WARN : probe ? LOG_DEBUG : LOG_INFO;
    log_fields(level, fields, "http %s %s %u%s", r->method, r->path, status,
               done ? "" : " (aborted)");
    req_free(r);
    *req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* ---- start and stop --------------------------------------------------- */

/* Binds and listens ourselves (rather than through MHD) so that a failure
 * names its cause ("Address already in use"). */
static int open_listener(const char *host, unsigned port, int *fd_out, unsigned *port_out,
                         char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, port, strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void server_free(struct http_server *s)
{
    for (size_t i = 0; i < s->nstores; i++)
        store_close(s->stores[i]);
    free(s->stores);
    for (size_t i = 0; i < s->ncors; i++)
        free(s->cors[i]);
    free(s->cors);
    free((char *)s->o.bind);
    free((char *)s->o.db_path);
    free((char *)s->o.api_token);
    free((char *)s->o.admin_token);
    free((char *)s->o.cors_origins);
    OPENSSL_cleanse(s->api_token_hash, sizeof s->api_token_hash);
    OPENSSL_cleanse(s->admin_token_hash, sizeof s->admin_token_hash);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static unsigned worker_threads(unsigned asked)
{
    if (asked)
        return asked;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 2 ? 2 : n > 4 ? 4 : (unsigned)n;
}

struct http_server *http_start(const struct http_options *o, char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->o = *o;
    s->o.bind = dup_or_null(o->bind ? o->bind : "127.0.0.1");
    s->o.db_path = dup_or_null(o->db_path);
    s->o.api_token = dup_or_null(o->api_token);
    s->o.admin_token = dup_or_null(o->admin_token);
    s->o.cors_origins = dup_or_null(o->cors_origins);
    if (!s->o.max_body)
        s->o.max_body = DEFAULT_MAX_BODY;
    s->gen = atomic_fetch_add(&next_gen, 1);
    if (getrandom(&s->rid_seed, sizeof s->rid_seed, 0) != (ssize_t)sizeof s->rid_seed)
        s->rid_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    if (o->api_token && *o->api_token) {
        s->api_token_set = true;
        sha256(o->api_token, strlen(o->api_token), s->api_token_hash);
    }
    if (o->admin_token && *o->admin_token) {
        s->admin_token_set = true;
        sha256(o->admin_token, strlen(o->admin_token), s->admin_token_hash);
    }
    if (!s->o.bind || (o->db_path && !s->o.db_path) || (o->api_token && !s->o.api_token) ||
        (o->admin_token && !s->o.admin_token) || (o->cors_origins && !s->o.cors_origins) ||
        parse_origins(s, o->cors_origins) != 0) {
        snprintf(err, errlen, "out of memory");
        server_free(s);
        return NULL;
    }

    int fd;
    if (open_listener(s->o.bind, o->port, &fd, &s->port, err, errlen)) {
        server_free(s);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
#ifdef __linux__
    flags |= MHD_USE_EPOLL;
#else
    flags |= MHD_USE_AUTO;
#endif
    s->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                         s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
                         worker_threads(o->threads), MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot start the HTTP server on %s:%u", s->o.bind, s->port);
        close(fd);
        server_free(s);
        return NULL;
    }
    log_debug("http: %u worker threads on %s:%u", worker_threads(o->threads), s->o.bind, s->port);
    return s;
}

unsigned http_port(const struct http_server *s)
{
    return s->port;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon); /* joins the workers: no request is in flight after this */
    server_free(s);
}

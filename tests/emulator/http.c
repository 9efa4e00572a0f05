/* The HTTP side: libmicrohttpd daemon, routing, replies, injected latency and
 * failures.
 *
 * Every request gets a `struct ctx` on MHD's req_cls, freed in the completed
 * callback. The response is queued on the second call at the earliest (on
 * the first, MHD 0.9.75 would close the keep-alive connection, docs/pitfalls.md).
 * Latency and "hang" failures suspend the connection; a timer thread resumes
 * it, so no MHD thread ever sleeps. */
#include "tests/emulator/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"

#define BODY_MAX   (16u * 1024 * 1024)
#define LOAD_MAX   (4ull * 1024 * 1024 * 1024)
#define HANG_MS    30000
#define JSON_CTYPE "application/json; charset=UTF-8"
#define API_PREFIX "/v4/spreadsheets/"
#define CTL_PREFIX "/_emulator/"

struct ctx {
    struct jbuf body;
    bool too_big;
    bool control, load;
    FILE *load_fp;
    char load_path[256];
    bool delayed, fail_checked, has_fail, closing;
    struct fail_rule fail;
};

/* ---- replies ---- */

static const struct {
    unsigned code;
    const char *name, *message;
} statuses[] = {
    {400, "INVALID_ARGUMENT", "Request contains an invalid argument."},
    {401, "UNAUTHENTICATED",
     "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
     "cookie or other valid authentication credential. See "
     "https://developers.google.com/identity/sign-in/web/devconsole-project."},
    {403, "PERMISSION_DENIED", "The caller does not have permission"},
    {404, "NOT_FOUND", "Requested entity was not found."},
    {409, "ABORTED", "The operation was aborted."},
    {413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: 16777216 bytes."},
    {429, "RESOURCE_EXHAUSTED",
     "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per "
     "user' of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."},
    {500, "INTERNAL", "Internal error encountered."},
    {501, "UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."},
    {502, "UNAVAILABLE", "The service is currently unavailable."},
    {503, "UNAVAILABLE", "The service is currently unavailable."},
    {504, "DEADLINE_EXCEEDED", "The service was unable to fulfill your request."},
};

const char *emu_status_name(unsigned code)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].code == code)
            return statuses[i].name;
    return code >= 500 ? "INTERNAL" : code >= 400 ? "FAILED_PRECONDITION" : "UNKNOWN";
}

const char *emu_status_message(unsigned code)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (statuses[i].code == code)
            return statuses[i].message;
    return code >= 500 ? "Internal error encountered." : "The request failed.";
}

void emu_reply_error(struct emu_reply *r, unsigned code, const char *message)
{
    struct jbuf *b = &r->body;
    const char *status = emu_status_name(code);
    b->len = 0;
    b->failed = false;
    r->status = code;
    r->ctype = NULL;
    emu_jb_add(b, "{", 1);
    emu_jb_indent(b, 1);
    emu_jb_key(b, "error");
    emu_jb_add(b, "{", 1);
    emu_jb_indent(b, 2);
    emu_jb_key(b, "code");
    emu_jb_printf(b, "%u,", code);
    emu_jb_indent(b, 2);
    emu_jb_key(b, "message");
    emu_jb_str(b, message, strlen(message));
    emu_jb_add(b, ",", 1);
    emu_jb_indent(b, 2);
    emu_jb_key(b, "status");
    emu_jb_str(b, status, strlen(status));
    emu_jb_indent(b, 1);
    emu_jb_add(b, "}", 1);
    emu_jb_indent(b, 0);
    emu_jb_add(b, "}", 1);
    if (code == 401)
        r->www_auth = true;
}

struct short_body {
    char *p;
    size_t len, cut;
};

static ssize_t short_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct short_body *sb = cls;
    if (pos >= sb->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the connection drops here */
    size_t n = sb->cut - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, sb->p + pos, n);
    return (ssize_t)n;
}

static void short_free(void *cls)
{
    struct short_body *sb = cls;
    free(sb->p);
    free(sb);
}

/* Queues r. `mode` corrupts a successful answer for failure injection. */
static enum MHD_Result send_reply(struct MHD_Connection *c, struct emu_reply *r,
                                  enum fail_mode mode, bool corrupt)
{
    struct MHD_Response *resp = NULL;
    size_t len = 0;
    char *body = emu_jb_steal(&r->body, &len);
    if (!body) {
        r->status = 500;
        body = strdup("{\"error\":{\"code\":500,\"message\":\"out of memory\",\"status\":"
                      "\"INTERNAL\"}}");
        if (!body)
            return MHD_NO;
        len = strlen(body);
    }
    if (corrupt && mode == FM_GARBAGE) {
        free(body);
        body = strdup("<!DOCTYPE html>\n<html><head><title>Error 502 (Server Error)</title>"
                      "</head><body><p>That's an error. Not JSON.</p></body></html>\n");
        if (!body)
            return MHD_NO;
        len = strlen(body);
        r->status = 200;
        r->ctype = "text/html; charset=UTF-8";
    } else if (corrupt && mode == FM_TRUNCATE) {
        len = len > 1 ? len / 2 : len;
        r->status = 200;
    }
    if (corrupt && mode == FM_SHORT) {
        struct short_body *sb = malloc(sizeof *sb);
        if (!sb) {
            free(body);
            return MHD_NO;
        }
        sb->p = body;
        sb->len = len;
        sb->cut = len / 2;
        r->status = 200;
        resp = MHD_create_response_from_callback(len, 64 * 1024, short_read, sb, short_free);
        if (!resp) {
            short_free(sb);
            return MHD_NO;
        }
    } else {
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!resp) {
            free(body);
            return MHD_NO;
        }
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : JSON_CTYPE);
    MHD_add_response_header(resp, "Cache-Control", "private");
    if (r->retry_after[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
    if (r->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"https://accounts.google.com/\", "
                                "error=\"invalid_token\"");
    enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- request helpers ---- */

const char *emu_req_arg(const struct emu_req *q, const char *key)
{
    return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct args_iter {
    const char *key;
    const char **vals;
    size_t max, n;
};

static enum MHD_Result args_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct args_iter *it = cls;
    if (strcmp(key, it->key) == 0) {
        if (it->n < it->max)
            it->vals[it->n] = value ? value : "";
        it->n++;
    }
    return MHD_YES;
}

size_t emu_req_args(const struct emu_req *q, const char *key, const char **vals, size_t max)
{
    struct args_iter it = {key, vals, max, 0};
    MHD_get_connection_values(q->conn, MHD_GET_ARGUMENT_KIND, args_cb, &it);
    return it.n;
}

const char *emu_req_header(const struct emu_req *q, const char *key)
{
    return MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, key);
}

static enum MHD_Result query_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    struct jbuf *b = cls;
    emu_jb_add(b, b->len && memchr(b->p, '?', b->len) ? "&" : "?", 1);
    emu_jb_puts(b, key);
    if (value) {
        emu_jb_add(b, "=", 1);
        emu_jb_puts(b, value);
    }
    return MHD_YES;
}

/* The decoded path with its decoded query, for the request log. */
static char *full_path(struct MHD_Connection *c, const char *url)
{
    struct jbuf b;
    size_t len;
    emu_jb_init(&b, false);
    emu_jb_puts(&b, url);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_cb, &b);
    return emu_jb_steal(&b, &len);
}

/* ---- suspension: latency and hangs ---- */

static void ts_add_ms(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* Suspends c for ms; returns 0, or -1 when it cannot (shutting down, OOM):
 * the caller then goes on at once. */
static int sleep_conn(struct emu_server *s, struct MHD_Connection *c, long ms)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    if (s->stopping)
        goto out;
    if (s->nwait == s->capwait) {
        size_t cap = s->capwait ? 2 * s->capwait : 64;
        struct waiter *w = realloc(s->waiters, cap * sizeof *w);
        if (!w)
            goto out;
        s->waiters = w;
        s->capwait = cap;
    }
    MHD_suspend_connection(c);
    s->waiters[s->nwait].conn = c;
    ts_add_ms(&s->waiters[s->nwait].at, ms);
    s->nwait++;
    pthread_cond_signal(&s->cv);
    rc = 0;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void *timer_main(void *arg)
{
    struct emu_server *s = arg;
    struct MHD_Connection **due = NULL;
    size_t capdue = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        size_t ndue = 0;
        struct timespec next = {0, 0};
        bool have_next = false;
        for (size_t i = 0; i < s->nwait;) {
            if (s->stopping || ts_before(&s->waiters[i].at, &now)) {
                if (ndue == capdue) {
                    size_t cap = capdue ? 2 * capdue : 64;
                    struct MHD_Connection **p = realloc(due, cap * sizeof *p);
                    if (!p)
                        break; /* retried on the next round */
                    due = p;
                    capdue = cap;
                }
                due[ndue++] = s->waiters[i].conn;
                s->waiters[i] = s->waiters[--s->nwait];
                continue;
            }
            if (!have_next || ts_before(&s->waiters[i].at, &next)) {
                next = s->waiters[i].at;
                have_next = true;
            }
            i++;
        }
        if (ndue) {
            /* MHD takes its own lock in resume: not under ours. */
            pthread_mutex_unlock(&s->mu);
            for (size_t i = 0; i < ndue; i++)
                MHD_resume_connection(due[i]);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->stopping)
            break;
        if (have_next)
            pthread_cond_timedwait(&s->cv, &s->mu, &next);
        else
            pthread_cond_wait(&s->cv, &s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    free(due);
    return NULL;
}

/* ---- routing ---- */

static enum req_kind dispatch_api(struct emu_server *s, struct MHD_Connection *c,
                                  const struct emu_req *q, struct emu_reply *r)
{
    const char *url = q->path, *method = q->method;
    if (strcmp(url, "/token") == 0 && strcmp(method, "POST") == 0) {
        emu_auth_token(s->auth, q->body, q->body_len, r->body.pretty, &r->status, &r->body);
        return K_TOKEN;
    }
    if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0) {
        emu_reply_error(r, 404, emu_status_message(404));
        return K_OTHER;
    }
    const char *rest = url + strlen(API_PREFIX);
    size_t idlen = strcspn(rest, "/:");
    const char *suffix = rest + idlen;
    bool get = strcmp(method, "GET") == 0;
    enum req_kind kind = K_OTHER;
    int need = EMU_SCOPE_READ;
    if (idlen == 0)
        kind = K_OTHER;
    else if (*suffix == '\0' && get)
        kind = K_GET;
    else if (strcmp(suffix, ":batchUpdate") == 0 && strcmp(method, "POST") == 0)
        kind = K_BATCH_UPDATE;
    else if (strcmp(suffix, "/values:batchGet") == 0 && get)
        kind = K_BATCH_GET;
    else if (strncmp(suffix, "/values/", 8) == 0 && suffix[8] && get)
        kind = K_VALUES;
    else if (strncmp(suffix, "/values/", 8) == 0 && suffix[8] && strcmp(method, "PUT") == 0)
        kind = K_UPDATE;
    if (kind == K_OTHER) {
        emu_reply_error(r, 404, emu_status_message(404));
        return kind;
    }
    if (kind == K_UPDATE || kind == K_BATCH_UPDATE)
        need = EMU_SCOPE_WRITE;

    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!auth && emu_req_arg(q, "key")) {
        /* An API key reads public sheets only; this one is private. */
        emu_reply_error(r, 403, emu_status_message(403));
        return kind;
    }
    int scopes = 0;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *tok = auth + 7;
        while (*tok == ' ')
            tok++;
        scopes = emu_auth_check(s->auth, tok);
    }
    if (!scopes) {
        emu_reply_error(r, 401, emu_status_message(401));
        return kind;
    }
    if (!(scopes & need)) {
        emu_reply_error(r, 403, "Request had insufficient authentication scopes.");
        return kind;
    }

    char *id = strndup(rest, idlen);
    if (!id) {
        emu_reply_error(r, 500, emu_status_message(500));
        return kind;
    }
    switch (kind) {
    case K_GET:
        emu_api_get(s->book, q, id, r);
        break;
    case K_BATCH_UPDATE:
        emu_api_batch_update(s->book, q, id, r);
        break;
    case K_BATCH_GET:
        emu_api_values_batch_get(s->book, q, id, r);
        break;
    case K_VALUES:
        emu_api_values_get(s->book, q, id, suffix + 8, r);
        break;
    case K_UPDATE:
        emu_api_values_update(s->book, q, id, suffix + 8, r);
        break;
    default:
        break;
    }
    free(id);
    if (r->status == 0)
        emu_reply_error(r, 500, emu_status_message(500));
    return kind;
}

static enum req_kind guess_kind(const char *url, const char *method)
{
    if (strcmp(url, "/token") == 0)
        return K_TOKEN;
    if (strstr(url, ":batchGet"))
        return K_BATCH_GET;
    if (strstr(url, ":batchUpdate"))
        return K_BATCH_UPDATE;
    if (strstr(url, "/values/"))
        return strcmp(method, "PUT") == 0 ? K_UPDATE : K_VALUES;
    if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0)
        return K_GET;
    return K_OTHER;
}

static int body_add(struct ctx *x, const char *data, size_t n)
{
    if (x->load) {
        if (!x->load_fp) {
            const char *dir = getenv("TMPDIR");
            snprintf(x->load_path, sizeof x->load_path, "%s/sheets-emulator-load-XXXXXX",
                     dir && *dir ? dir : "/tmp");
            int fd = mkstemp(x->load_path);
            if (fd < 0 || !(x->load_fp = fdopen(fd, "w+"))) {
                if (fd >= 0) {
                    close(fd);
                    unlink(x->load_path);
                }
                x->load_path[0] = '\0';
                x->too_big = true;
                return -1;
            }
        }
        if (fwrite(data, 1, n, x->load_fp) != n)
            x->too_big = true;
        return 0;
    }
    if (x->too_big || x->body.len + n > BODY_MAX) {
        x->too_big = true;
        return 0;
    }
    emu_jb_add(&x->body, data, n);
    return 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)version;
    struct emu_server *s = cls;
    struct ctx *x = *req_cls;
    if (!x) {
        x = calloc(1, sizeof *x);
        if (!x)
            return MHD_NO;
        emu_jb_init(&x->body, false);
        x->control = strncmp(url, CTL_PREFIX, strlen(CTL_PREFIX)) == 0;
        x->load = x->control && strcmp(url, CTL_PREFIX "load") == 0 && strcmp(method, "POST") == 0;
        *req_cls = x;
        return MHD_YES;
    }
    if (*upload_size) {
        body_add(x, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (x->closing)
        return MHD_NO; /* a hang ends with a dropped connection */

    struct emu_req q = {method, url, x->body.p ? x->body.p : "", x->body.len, c};
    struct emu_reply r = {0};
    const char *pp = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "prettyPrint");
    emu_jb_init(&r.body, !(pp && strcmp(pp, "false") == 0));

    if (x->control) {
        r.body.html = false;
        if (x->load_fp)
            fflush(x->load_fp);
        if (x->too_big) {
            emu_reply_error(&r, 413, emu_status_message(413));
        } else {
            emu_ctl_dispatch(s, &q, x->load_fp ? x->load_path : NULL, &r);
        }
        return send_reply(c, &r, FM_STATUS, false);
    }

    if (!x->delayed) {
        x->delayed = true;
        pthread_mutex_lock(&s->mu);
        long ms = s->latency_ms;
        pthread_mutex_unlock(&s->mu);
        if (ms > 0 && sleep_conn(s, c, ms) == 0)
            return MHD_YES;
    }
    if (!x->fail_checked) {
        x->fail_checked = true;
        x->has_fail = emu_ctl_take_failure(s, url, &x->fail);
        if (x->has_fail && (x->fail.mode == FM_RESET || x->fail.mode == FM_HANG)) {
            char *path = full_path(c, url);
            emu_ctl_record(s, method, path ? path : url, 0, guess_kind(url, method));
            free(path);
            if (x->fail.mode == FM_RESET)
                return MHD_NO;
            x->closing = true;
            return sleep_conn(s, c, HANG_MS) == 0 ? MHD_YES : MHD_NO;
        }
    }

    enum req_kind kind;
    bool corrupt = false;
    if (x->has_fail && x->fail.mode == FM_STATUS) {
        kind = guess_kind(url, method);
        emu_reply_error(&r, x->fail.status, emu_status_message(x->fail.status));
        if (x->fail.retry_after >= 0)
            snprintf(r.retry_after, sizeof r.retry_after, "%ld", x->fail.retry_after);
    } else if (x->too_big) {
        kind = guess_kind(url, method);
        emu_reply_error(&r, 413, emu_status_message(413));
    } else {
        kind = dispatch_api(s, c, &q, &r);
        corrupt = x->has_fail;
    }
    char *path = full_path(c, url);
    emu_ctl_record(s, method, path ? path : url, corrupt ? 200 : r.status, kind);
    free(path);
    return send_reply(c, &r, x->has_fail ? x->fail.mode : FM_STATUS, corrupt);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct ctx *x = *req_cls;
    if (!x)
        return;
    if (x->load_fp) {
        fclose(x->load_fp);
        unlink(x->load_path);
    }
    emu_jb_free(&x->body);
    free(x);
    *req_cls = NULL;
}

struct emu_server *emu_server_start(struct emu_book *book, struct emu_auth *auth,
                                    const struct emu_options *opt, unsigned *port)
{
    struct emu_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->book = book;
    s->auth = auth;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, opt->bind, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)opt->port);
    } else if (inet_pton(AF_INET6, opt->bind, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)opt->port);
        flags |= MHD_USE_IPv6;
    } else {
        log_error("--bind %s: not an IPv4 or IPv6 address", opt->bind);
        goto fail;
    }
    if (pthread_create(&s->timer, NULL, timer_main, s)) {
        log_error("cannot start the timer thread");
        goto fail;
    }
    s->timer_started = true;
    s->daemon = MHD_start_daemon(flags, (uint16_t)opt->port, NULL, NULL, handler, s,
                                 MHD_OPTION_SOCK_ADDR, &ss, MHD_OPTION_THREAD_POOL_SIZE,
                                 (unsigned)opt->threads, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000, MHD_OPTION_END);
    if (!s->daemon) {
        log_error("cannot listen on %s:%u: %s", opt->bind, opt->port, strerror(errno));
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opt->port;
    *port = s->port;
    return s;
fail:
    emu_server_stop(s);
    return NULL;
}

void emu_server_stop(struct emu_server *s)
{
    if (!s)
        return;
    if (s->timer_started) {
        /* Resume every suspended connection first: MHD refuses to stop with
         * suspended connections. */
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->timer, NULL);
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    emu_ctl_cleanup(s);
    free(s->waiters);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The in-process metrics registry of server/metrics.h: fixed arrays of
 * atomic counters indexed by route, method and status code, so recording a
 * request is a few relaxed atomic adds and never takes a lock. */
#include "server/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "server/http_internal.h"

#ifndef SHEETSYNC_VERSION
#define SHEETSYNC_VERSION "dev"
#endif

enum {
    MAX_ROUTES = 48,         /* rows of http_routes we count; one more for "none" */
    NROUTE = MAX_ROUTES + 1, /* the last slot: no route matched */
    MAX_OUTCOMES = 32,       /* distinct webhook outcomes */
    OUTCOME_LEN = 32,        /* longest outcome kept */
    NBUCKETS = 14,           /* latency histogram buckets, +Inf excluded */
};

static const char *const methods[] = {"GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "other"};
#define NMETHOD (sizeof methods / sizeof *methods)

/* Status codes with their own counter; anything else is counted as "other". */
static const unsigned codes[] = {0,   200, 201, 202, 204, 206, 301, 302, 304, 400,
                                 401, 403, 404, 405, 406, 408, 409, 410, 412, 413,
                                 415, 422, 429, 500, 501, 502, 503, 504};
#define NCODE (sizeof codes / sizeof *codes + 1)

static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

static atomic_ulong requests[NROUTE][NMETHOD][NCODE];
static atomic_ulong latency_bucket[NROUTE][NBUCKETS]; /* non-cumulative; summed on output */
static atomic_ulong latency_count[NROUTE];
static atomic_ulong latency_sum_us[NROUTE];

static pthread_mutex_t outcome_lock = PTHREAD_MUTEX_INITIALIZER;
static char outcome_names[MAX_OUTCOMES][OUTCOME_LEN + 1];
static atomic_int noutcomes;
static atomic_ulong outcome_counts[MAX_OUTCOMES + 1]; /* the last: "other" */

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static long (*queue_fn)(void *);
static void *queue_arg;

static size_t route_slot(size_t route)
{
    return route < http_nroutes && route < MAX_ROUTES ? route : MAX_ROUTES;
}

static size_t method_slot(const char *m)
{
    for (size_t i = 0; m && i + 1 < NMETHOD; i++)
        if (strcmp(m, methods[i]) == 0)
            return i;
    return NMETHOD - 1;
}

static size_t code_slot(unsigned status)
{
    for (size_t i = 0; i < NCODE - 1; i++)
        if (codes[i] == status)
            return i;
    return NCODE - 1;
}

void metrics_http_observe(size_t route, const char *method, unsigned status, double seconds)
{
    size_t r = route_slot(route);
    atomic_fetch_add_explicit(&requests[r][method_slot(method)][code_slot(status)], 1,
                              memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    if (b < NBUCKETS)
        atomic_fetch_add_explicit(&latency_bucket[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_count[r], 1, memory_order_relaxed);
    unsigned long us = seconds > 0 ? (unsigned long)llround(seconds * 1e6) : 0;
    atomic_fetch_add_explicit(&latency_sum_us[r], us, memory_order_relaxed);
}

void metrics_webhook(const char *outcome)
{
    int n = atomic_load(&noutcomes);
    for (int i = 0; i < n; i++) {
        if (strcmp(outcome_names[i], outcome) == 0) {
            atomic_fetch_add_explicit(&outcome_counts[i], 1, memory_order_relaxed);
            return;
        }
    }
    /* A new outcome: add it under the lock (readers only look at the first
     * `noutcomes` names, which are complete before the count is raised). */
    pthread_mutex_lock(&outcome_lock);
    n = atomic_load(&noutcomes);
    int slot = MAX_OUTCOMES;
    for (int i = 0; i < n; i++)
        if (strcmp(outcome_names[i], outcome) == 0)
            slot = i;
    if (slot == MAX_OUTCOMES && n < MAX_OUTCOMES && strlen(outcome) <= OUTCOME_LEN) {
        snprintf(outcome_names[n], sizeof outcome_names[n], "%s", outcome);
        slot = n;
        atomic_store(&noutcomes, n + 1);
    }
    pthread_mutex_unlock(&outcome_lock);
    atomic_fetch_add_explicit(&outcome_counts[slot], 1, memory_order_relaxed);
}

void metrics_set_queue_depth_fn(long (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&queue_lock);
    queue_fn = fn;
    queue_arg = arg;
    pthread_mutex_unlock(&queue_lock);
}

/* ---- exposition ---------------------------------------------------------- */

int metrics_write_header(struct buf *out, const char *name, const char *type, const char *help)
{
    return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static int put_label_value(struct buf *out, const char *v)
{
    int rc = 0;
    for (const char *p = v; *p && rc == 0; p++) {
        if (*p == '\\')
            rc = buf_puts(out, "\\\\");
        else if (*p == '"')
            rc = buf_puts(out, "\\\"");
        else if (*p == '\n')
            rc = buf_puts(out, "\\n");
        else
            rc = buf_append(out, p, 1);
    }
    return rc;
}

static int put_value(struct buf *out, double v)
{
    if (isnan(v))
        return buf_puts(out, "NaN");
    if (isinf(v))
        return buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return buf_printf(out, "%.0f", v);
    return buf_printf(out, "%.9g", v);
}

int metrics_write_sample(struct buf *out, const char *name, const char *const *labels, double value)
{
    int rc = buf_puts(out, name);
    if (labels && labels[0]) {
        rc |= buf_puts(out, "{");
        for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
            rc |= buf_printf(out, "%s%s=\"", i ? "," : "", labels[i]);
            rc |= put_label_value(out, labels[i + 1]);
            rc |= buf_puts(out, "\"");
        }
        rc |= buf_puts(out, "}");
    }
    rc |= buf_puts(out, " ");
    rc |= put_value(out, value);
    rc |= buf_puts(out, "\n");
    return rc ? -1 : 0;
}

static const char *route_path(size_t r)
{
    return r < MAX_ROUTES ? http_routes[r].path : "none";
}

/* The method of the route row: GET /syncs and POST /syncs are two rows. */
static const char *route_method(size_t r)
{
    return r < MAX_ROUTES ? http_routes[r].method : "";
}

static int write_http(struct buf *out)
{
    int rc = metrics_write_header(out, "sheetsync_http_requests_total", "counter",
                                  "HTTP requests answered, by route pattern, method and status "
                                  "code (code 0: the client left before the reply).");
    size_t nroutes = http_nroutes < MAX_ROUTES ? http_nroutes : MAX_ROUTES;
    for (size_t r = 0; r < NROUTE; r++) {
        if (r >= nroutes && r != MAX_ROUTES)
            continue;
        for (size_t m = 0; m < NMETHOD; m++) {
            for (size_t c = 0; c < NCODE; c++) {
                unsigned long n = atomic_load_explicit(&requests[r][m][c], memory_order_relaxed);
                if (!n)
                    continue;
                char code[16];
                if (c < NCODE - 1)
                    snprintf(code, sizeof code, "%u", codes[c]);
                else
                    snprintf(code, sizeof code, "other");
                const char *labels[] = {"route", route_path(r), "method", methods[m],
                                        "code",  code,          NULL};
                rc |= metrics_write_sample(out, "sheetsync_http_requests_total", labels, (double)n);
            }
        }
    }
    rc |= metrics_write_header(out, "sheetsync_http_request_duration_seconds", "histogram",
                               "Time from the request's first byte to its reply, by route "
                               "(pattern and method).");
    for (size_t r = 0; r < NROUTE; r++) {
        unsigned long count = atomic_load_explicit(&latency_count[r], memory_order_relaxed);
        if ((r >= nroutes && r != MAX_ROUTES) || !count)
            continue;
        unsigned long cum = 0;
        char le[32];
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += atomic_load_explicit(&latency_bucket[r][b], memory_order_relaxed);
            snprintf(le, sizeof le, "%g", buckets[b]);
            const char *labels[] = {"route", route_path(r), "method", route_method(r), "le",
                                    le,      NULL};
            rc |= metrics_write_sample(out, "sheetsync_http_request_duration_seconds_bucket",
                                       labels, (double)cum);
        }
        /* The count is read last, so +Inf is never below a finite bucket. */
        if (count < cum)
            count = cum;
        const char *inf[] = {"route", route_path(r), "method", route_method(r), "le", "+Inf", NULL};
        rc |= metrics_write_sample(out, "sheetsync_http_request_duration_seconds_bucket", inf,
                                   (double)count);
        const char *labels[] = {"route", route_path(r), "method", route_method(r), NULL};
        rc |= metrics_write_sample(
            out, "sheetsync_http_request_duration_seconds_sum", labels,
            (double)atomic_load_explicit(&latency_sum_us[r], memory_order_relaxed) / 1e6);
        rc |= metrics_write_sample(out, "sheetsync_http_request_duration_seconds_count", labels,
                                   (double)count);
    }
    return rc ? -1 : 0;
}

static int write_webhook(struct buf *out)
{
    int rc = metrics_write_header(out, "sheetsync_webhook_notifications_total", "counter",
                                  "Webhook notifications, by outcome: accepted, or the reason "
                                  "they were refused.");
    int n = atomic_load(&noutcomes);
    for (int i = 0; i < n; i++) {
        const char *labels[] = {"outcome", outcome_names[i], NULL};
        rc |= metrics_write_sample(out, "sheetsync_webhook_notifications_total", labels,
                                   (double)atomic_load(&outcome_counts[i]));
    }
    unsigned long other = atomic_load(&outcome_counts[MAX_OUTCOMES]);
    if (other) {
        const char *labels[] = {"outcome", "other", NULL};
        rc |= metrics_write_sample(out, "sheetsync_webhook_notifications_total", labels,
                                   (double)other);
    }
    return rc ? -1 : 0;
}

int metrics_write_process(struct buf *out)
{
    int rc = metrics_write_header(out, "sheetsync_build_info", "gauge",
                                  "Always 1; the version of this binary is its label.");
    const char *labels[] = {"version", SHEETSYNC_VERSION, NULL};
    rc |= metrics_write_sample(out, "sheetsync_build_info", labels, 1);
    rc |= write_http(out);
    rc |= write_webhook(out);
    pthread_mutex_lock(&queue_lock);
    long (*fn)(void *) = queue_fn;
    void *arg = queue_arg;
    pthread_mutex_unlock(&queue_lock);
    if (fn) {
        rc |= metrics_write_header(out, "sheetsync_queue_depth", "gauge",
                                   "Syncs and notifications waiting for the sync worker.");
        rc |= metrics_write_sample(out, "sheetsync_queue_depth", NULL, (double)fn(arg));
    }
    return rc ? -1 : 0;
}

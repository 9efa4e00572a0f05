#ifndef SHEETSYNC_METRICS_H
#define SHEETSYNC_METRICS_H

/* The process's metrics for GET /metrics (Prometheus text format 0.0.4).
 *
 * Counters that happen in this process live here, as lock-free atomics that
 * any thread may bump: HTTP requests by route, method and status code, a
 * request latency histogram per route, and notifications by outcome.
 * What the database knows (sync runs, rows, freshness per source) and what
 * other modules count (Google API calls in struct sheets_stats, the queue
 * depth) is read when /metrics is scraped, by handlers/metrics.c, which
 * writes the exposition with the metrics_write_* helpers below.
 *
 * The registry is process-wide (static storage): counters never go down
 * while the process lives, as Prometheus expects; several servers started in
 * one process (tests) add to the same counters. */

#include <stddef.h>

struct buf;

/* Route index for requests that matched no route (404, or 405). */
#define METRICS_NO_ROUTE ((size_t)-1)

/* Records one finished request: `route` is its index in http_routes (or
 * METRICS_NO_ROUTE), `method` the request's method, `status` the status sent
 * (0 when the client went away before a reply), `seconds` from the first
 * byte of the request to the end of the reply. Called by server/http.c once
 * per request. */
void metrics_http_observe(size_t route, const char *method, unsigned status, double seconds);

/* Counts one webhook notification by outcome: "accepted", or the reason it
 * was refused (e.g. "bad_signature", "expired", "replay", "too_large",
 * "unsupported_media_type", "unknown_spreadsheet", "disabled", "malformed").
 * The outcome is copied; at most 32 distinct outcomes are kept, later new
 * ones are counted as "other". Called by handlers/webhook.c. */
void metrics_webhook(const char *outcome);

/* Registers the function that tells how many syncs and notifications wait
 * in the worker's queue, read at each scrape (NULL unregisters; `arg` is
 * passed back). The function must be safe to call from any thread. */
void metrics_set_queue_depth_fn(long (*fn)(void *arg), void *arg);

/* Appends the in-process metrics (HTTP, webhook, queue depth, build info)
 * to `out`. Returns 0 or -1 when memory runs out. */
int metrics_write_process(struct buf *out);

/* Exposition helpers: a "# HELP" and "# TYPE" header, and one sample line
 * whose labels are `labels`: name, value, name, value, ..., NULL (or NULL for
 * none); values are escaped as the format asks. */
int metrics_write_header(struct buf *out, const char *name, const char *type, const char *help);
int metrics_write_sample(struct buf *out, const char *name, const char *const *labels,
                         double value);

#endif

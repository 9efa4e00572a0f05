#ifndef SHEETSYNC_WORKER_H
#define SHEETSYNC_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest/sheets.h"
#include "ingest/sync.h"

/* The sync worker of `sheetsync serve`: one thread, its own SQLite
 * connection and Sheets client. It runs a full sync of every source at
 * start-up and every reconcile period, the full syncs asked for meanwhile,
 * and the pulls the webhook's notifications ask for:
 *
 *  - a notification is stored (store/notifications.h) before the webhook
 *    answers 202, then worker_notify wakes this thread (a condition
 *    variable: nothing polls);
 *  - the source's pull starts debounce_ms after its first pending
 *    notification; it takes every pending notification of the source, merges
 *    their row ranges (overlapping or adjacent ones into one range sync;
 *    any whole-sheet one into a single full sync), runs them, and marks the
 *    notifications done once each sync committed;
 *  - when Google fails they stay pending, and the source is retried after an
 *    exponential backoff (1 s doubling, capped at 5 min, persisted as
 *    next_attempt_at); nothing is dropped. A notification that failed 3
 *    times is pulled with a full sync, in case its rows no longer exist;
 *  - a full sync (start-up, reconcile, manual) covers every notification
 *    stored before it started, which is then marked done too;
 *  - at start-up, the notifications left pending by a crash are pulled.
 *
 * When Google fails, the store keeps the last good data. */
struct worker;

struct worker_options {
    const char *db_path;
    const char *api_base_url;
    const char *credentials_path;
    const struct sync_source *sources; /* copied (the strings are borrowed) */
    size_t nsources;
    long reconcile_seconds;     /* 0: no periodic reconcile */
    struct sheets_stats *stats; /* shared counters for /metrics; may be NULL */
    long debounce_ms;           /* notifications within this window make one pull */
    /* Edited ranges at most this many rows apart are pulled as one range: the
     * unchanged rows between cost a read and a hash each, where another pull
     * costs a Google request, a transaction and maybe a model refresh.
     * 0: WORKER_MERGE_GAP_ROWS; < 0: only overlapping or adjacent ranges. */
    long merge_gap_rows;
};

#define WORKER_MERGE_GAP_ROWS 1000

/* Reads the key file and starts the thread. Returns NULL with one line in
 * err when the key file is unusable. */
struct worker *worker_start(const struct worker_options *o, char *err, size_t errlen);

/* Queues a full sync of `source` (NULL: every source). Returns 0, or -1 when
 * the source is unknown. */
int worker_request_full(struct worker *w, const char *source, const char *trigger);

/* Tells the worker that a notification for `source` was stored (committed):
 * its pull runs when the debounce window that the source's first pending
 * notification opened has passed. Thread-safe, never blocks on I/O.
 * Returns 0, or -1 when the source is unknown. */
int worker_notify(struct worker *w, const char *source);

/* Full syncs queued plus notifications waiting for their pull, for
 * /metrics. Thread-safe. */
long worker_queue_depth(struct worker *w);

/* Waits until the queue is empty, no sync runs and no notification waits
 * for a pull (except those backing off after a failure) (tests, `sync`). */
void worker_wait_idle(struct worker *w);

/* Tells the worker to stop and returns at once. The Google call in flight
 * is cancelled (within about a second: libcurl's progress callback) and so
 * is a retry wait, so the sync in flight fails, rolls back whole and is
 * recorded as failed; one that already committed stays. Notifications not
 * yet pulled, or whose pull was cut short, stay pending, with no failed
 * attempt counted, for the next start. Thread-safe; NULL is fine. */
void worker_request_stop(struct worker *w);

/* worker_request_stop, then waits up to timeout_ms (< 0: as long as it
 * takes) for the thread to end, and frees w. Returns 0; or -1 when the
 * thread is still running (stuck in a call that ignores cancellation): w is
 * then left allocated, with the strings it borrows in use, and the caller
 * should end the process without freeing them. */
int worker_stop_within(struct worker *w, long timeout_ms);

/* worker_stop_within(w, -1). */
void worker_stop(struct worker *w);

#endif

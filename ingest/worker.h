#ifndef SHEETSYNC_WORKER_H
#define SHEETSYNC_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest/sheets.h"
#include "ingest/sync.h"

/* The sync worker of `sheetsync serve`: one thread, its own SQLite
 * connection and Sheets client. It runs a full sync of every source at
 * start-up and every reconcile period, and the syncs asked for meanwhile.
 * When Google fails, the store keeps the last good data and the next
 * period tries again. */
struct worker;

struct worker_options {
    const char *db_path;
    const char *api_base_url;
    const char *credentials_path;
    const struct sync_source *sources; /* copied */
    size_t nsources;
    long reconcile_seconds;     /* 0: no periodic reconcile */
    struct sheets_stats *stats; /* shared counters for /metrics; may be NULL */
};

/* Reads the key file and starts the thread. Returns NULL with one line in
 * err when the key file is unusable. */
struct worker *worker_start(const struct worker_options *o, char *err, size_t errlen);

/* Queues a full sync of `source` (NULL: every source). Returns 0, or -1 when
 * the source is unknown. */
int worker_request_full(struct worker *w, const char *source, const char *trigger);

/* Waits until the queue is empty and no sync runs (tests, `sync` command). */
void worker_wait_idle(struct worker *w);

/* Stops after the sync in flight (which commits or rolls back whole). */
void worker_stop(struct worker *w);

#endif

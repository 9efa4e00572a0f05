#ifndef SHEETSYNC_STORE_NOTIFICATIONS_H
#define SHEETSYNC_STORE_NOTIFICATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store/store.h"

/* The webhook's durable queue (sql/migrations/0003_notifications.sql): the
 * jti of every accepted token until it can no longer be accepted, and the
 * notifications waiting for a pull. Written by the HTTP threads (accept) and
 * the sync worker (take, done, retry), each on its own connection. */

/* A notification to accept. Strings are borrowed. */
struct store_notif_new {
    const char *source; /* the configured source it names */
    const char *jti;
    long long keep_until; /* seconds since the epoch: exp + leeway */
    const char *event;    /* "edit" or "change" */
    const char *change_type;
    const char *sheet;
    const char *range;
    const char *pull; /* "range", "full" or "none" (stored as done at once) */
    long first_row, last_row;
};

enum store_notif_accept_result {
    STORE_NOTIF_ACCEPTED = 0,
    STORE_NOTIF_REPLAY = 1, /* the jti was accepted before and is still kept */
    STORE_NOTIF_BUSY = 2,   /* the database stayed locked past the busy timeout */
};

/* Accepts one notification in one transaction: purges the jtis whose
 * keep_until has passed, records the jti (refusing a replay), inserts the
 * notification and commits with synchronous=FULL, so it survives a crash
 * (or a power cut) once this returns. Returns an accept result with *id
 * set on STORE_NOTIF_ACCEPTED, or -1 with err. */
int store_notif_accept(struct store *st, const struct store_notif_new *n, time_t now, long long *id,
                       char *err, size_t errlen);

/* A pending notification, as the worker plans its pull. */
struct store_notif_pending {
    long long id;
    bool full;
    long first_row, last_row;
    int attempts;
    long long next_attempt_at; /* ms since the epoch */
};

/* Every pending notification of `source`, by id. *out is malloc'd (free);
 * *n may be 0 (*out is then NULL). */
int store_notif_pending_list(struct store *st, const char *source, struct store_notif_pending **out,
                             size_t *n, char *err, size_t errlen);

/* The highest pending id of `source` (0: none), read before a full sync
 * starts: the full sync covers every notification up to it. */
int store_notif_max_pending(struct store *st, const char *source, long long *max_id, char *err,
                            size_t errlen);

/* Marks notifications done after the pull that covers them committed:
 * the `n` ids, or (ids NULL) every pending one of `source` with id <= upto.
 * sync_id is the run that pulled them (0: unknown). *changed (may be NULL)
 * receives how many were pending. */
int store_notif_done(struct store *st, const char *source, const long long *ids, size_t n,
                     long long upto, long sync_id, long *changed, char *err, size_t errlen);

/* After a failed pull: attempts + 1, next_attempt_at and the error, for the
 * `n` ids. */
int store_notif_retry(struct store *st, const long long *ids, size_t n, long long next_attempt_at,
                      const char *error, char *err, size_t errlen);

/* Calls fn for each source with pending notifications: how many, and the
 * earliest next_attempt_at among them (ms since the epoch). */
int store_notif_pending_sources(struct store *st,
                                void (*fn)(void *arg, const char *source, long count,
                                           long long next_attempt_at),
                                void *arg, char *err, size_t errlen);

/* Deletes the jtis past keep_until and the notifications done more than
 * `keep_done_days` days ago. */
int store_notif_purge(struct store *st, time_t now, int keep_done_days, char *err, size_t errlen);

#endif

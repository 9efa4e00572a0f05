#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "ingest/worker.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ingest/backoff.h"
#include "ingest/gauth.h"
#include "store/notifications.h"
#include "store/store.h"

enum {
    RETRY_BASE_MS = 1000,
    RETRY_JITTER_MS = 1000,
    RETRY_MAX_MS = 300000, /* 5 min */
    ESCALATE_AFTER = 3,    /* failed pulls of a notification before it is pulled in full */
    KEEP_DONE_DAYS = 7,    /* done notifications kept for inspection */
};

struct job {
    size_t source;       /* index into sources */
    const char *trigger; /* static string */
};

/* What the worker knows of a source's notifications. The database holds
 * them; this only says when to look. */
struct src_state {
    bool due;         /* notifications wait for a pull */
    int64_t due_at;   /* monotonic ms: end of the debounce window */
    int64_t retry_at; /* monotonic ms: no pull before (backoff); 0: none */
    long pending;     /* notifications waiting, for worker_queue_depth */
};

struct worker {
    struct worker_options o;
    struct sync_source *sources;
    struct src_state *state;
    struct gauth *auth;
    struct sheets_client *client;
    struct store *st;
    struct backoff retry; /* the schedule of notification pulls after a failure */
    /* Set once by worker_request_stop: cancels the Google call in flight
     * and the client's retry wait; set under `lock` too, so the loop's own
     * waits on `wake` cannot miss it. */
    struct backoff_stop stop;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle; /* both on CLOCK_MONOTONIC */
    struct job *jobs;          /* a small FIFO: at most one pending full sync per source */
    size_t njobs;
    bool busy;
};

static const char *const triggers[] = {"webhook", "reconcile", "manual", "startup"};

static bool stopping(struct worker *w)
{
    return backoff_stop_requested(&w->stop);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t real_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *static_trigger(const char *t)
{
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++)
        if (strcmp(t, triggers[i]) == 0)
            return triggers[i];
    return "manual";
}

static long source_index(const struct worker *w, const char *name)
{
    for (size_t i = 0; i < w->o.nsources; i++)
        if (strcmp(w->sources[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Queues under the lock; a full sync already pending for the source covers
 * the new one. */
static void enqueue(struct worker *w, size_t source, const char *trigger)
{
    for (size_t i = 0; i < w->njobs; i++)
        if (w->jobs[i].source == source)
            return;
    w->jobs[w->njobs++] = (struct job){source, static_trigger(trigger)};
    pthread_cond_signal(&w->wake);
}

/* Under the lock: pull the source's notifications at `at` (monotonic ms)
 * unless an earlier pull is already planned. */
static void schedule(struct worker *w, size_t i, int64_t at)
{
    struct src_state *s = &w->state[i];
    if (!s->due || at < s->due_at)
        s->due_at = at;
    s->due = true;
    pthread_cond_signal(&w->wake);
}

static void pending_sub(struct worker *w, size_t i, long n)
{
    pthread_mutex_lock(&w->lock);
    w->state[i].pending = w->state[i].pending > n ? w->state[i].pending - n : 0;
    pthread_mutex_unlock(&w->lock);
}

static void run_job(struct worker *w, const struct job *j)
{
    const struct sync_source *src = &w->sources[j->source];
    struct sync_request req = {.trigger = j->trigger, .full = true};
    struct load_stats s;
    char err[1024];
    struct timespec t0, t1;
    long long upto = 0;
    /* Every notification stored before the sync starts is covered by it:
     * the sheet already held its edit when it was sent. */
    if (store_notif_max_pending(w->st, src->name, &upto, err, sizeof err)) {
        log_warn("sync %s: %s", src->name, err);
        upto = 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sync_run(w->st, w->client, src, &req, &s, err, sizeof err)) {
        if (stopping(w))
            log_warn("sync %s (%s): cut short by the shutdown, nothing committed: %s", src->name,
                     j->trigger, err);
        else
            log_error("sync %s (%s): failed: %s", src->name, j->trigger, err);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("sync %s (%s): %ld rows read, %ld changed, %ld issue versions in %.2f s (run %ld)",
             src->name, j->trigger, s.rows_fetched, s.rows_changed, s.issues_changed,
             (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, s.sync_id);
    long done = 0;
    if (upto > 0) {
        if (store_notif_done(w->st, src->name, NULL, 0, upto, s.sync_id, &done, err, sizeof err))
            log_error("sync %s: cannot mark notifications done: %s", src->name, err);
        else if (done > 0)
            log_info("sync %s: the full sync covered %ld pending notification%s", src->name, done,
                     done == 1 ? "" : "s");
        pending_sub(w, j->source, done);
    }
}

static int by_first_row(const void *a, const void *b)
{
    const struct store_notif_pending *x = a, *y = b;
    if (x->first_row != y->first_row)
        return x->first_row < y->first_row ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* After a failed pull: the ids stay pending, with the next attempt after
 * the backoff of their most-failed member, and the source is scheduled
 * then. */
static void retry_later(struct worker *w, size_t i, const struct store_notif_pending *v, size_t n,
                        long long *ids, const char *error)
{
    int attempt = 0;
    for (size_t k = 0; k < n; k++) {
        ids[k] = v[k].id;
        if (v[k].attempts > attempt)
            attempt = v[k].attempts;
    }
    long delay = backoff_wait_ms(&w->retry, attempt, -1);
    char err[512];
    if (store_notif_retry(w->st, ids, n, (long long)(real_ms() + delay), error, err, sizeof err))
        log_error("webhook pull %s: cannot record the retry: %s", w->sources[i].name, err);
    log_warn("webhook pull %s: %zu notification%s stay pending; next try in %.1f s (attempt %d)",
             w->sources[i].name, n, n == 1 ? "" : "s", (double)delay / 1e3, attempt + 2);
    pthread_mutex_lock(&w->lock);
    w->state[i].retry_at = mono_ms() + delay;
    schedule(w, i, w->state[i].retry_at);
    pthread_mutex_unlock(&w->lock);
}

/* Takes every pending notification of source i and pulls what they ask:
 * one full sync when any asks for the whole sheet, else one range sync per
 * union of row ranges at most merge_gap_rows apart. */
static void pull_notifications(struct worker *w, size_t i)
{
    const struct sync_source *src = &w->sources[i];
    struct store_notif_pending *v = NULL;
    long long *ids = NULL;
    size_t n = 0;
    char err[1024];
    if (store_notif_pending_list(w->st, src->name, &v, &n, err, sizeof err)) {
        log_error("webhook pull %s: %s", src->name, err);
        pthread_mutex_lock(&w->lock);
        w->state[i].retry_at = mono_ms() + backoff_wait_ms(&w->retry, 0, -1);
        schedule(w, i, w->state[i].retry_at);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    if (n == 0)
        goto out; /* a full sync covered them meanwhile */
    if (!(ids = malloc(n * sizeof *ids))) {
        log_error("webhook pull %s: out of memory", src->name);
        goto out;
    }
    bool full = false;
    for (size_t k = 0; k < n; k++)
        full |= v[k].full || v[k].attempts >= ESCALATE_AFTER;
    if (!full)
        qsort(v, n, sizeof *v, by_first_row);

    /* Groups are runs of v: [start, end). */
    size_t start = 0;
    while (start < n) {
        if (stopping(w)) {
            log_info("webhook pull %s: stopping; %zu notification%s stay pending for the next "
                     "start",
                     src->name, n - start, n - start == 1 ? "" : "s");
            goto out;
        }
        size_t end = full ? n : start + 1;
        long first = v[start].first_row, last = v[start].last_row;
        while (end < n && v[end].first_row <= last + 1 + w->o.merge_gap_rows) {
            if (v[end].last_row > last)
                last = v[end].last_row;
            end++;
        }
        struct sync_request req = {
            .trigger = "webhook", .full = full, .first = full ? 0 : first, .last = full ? 0 : last};
        struct load_stats s;
        int64_t t0 = mono_ms();
        if (sync_run(w->st, w->client, src, &req, &s, err, sizeof err)) {
            if (stopping(w)) {
                /* Not a failure of Google's: no attempt counted, no backoff
                 * recorded; the next start pulls them at once. */
                log_warn("webhook pull %s: cut short by the shutdown, nothing committed; %zu "
                         "notification%s stay pending for the next start: %s",
                         src->name, n - start, n - start == 1 ? "" : "s", err);
                goto out;
            }
            log_error("webhook pull %s (%zu notification%s, %s%ld:%ld): failed: %s", src->name,
                      n - start, n - start == 1 ? "" : "s", full ? "full" : "rows ", first, last,
                      err);
            retry_later(w, i, v + start, n - start, ids, err);
            goto out;
        }
        for (size_t k = start; k < end; k++)
            ids[k - start] = v[k].id;
        long done = 0;
        if (store_notif_done(w->st, src->name, ids, end - start, 0, s.sync_id, &done, err,
                             sizeof err))
            log_error("webhook pull %s: cannot mark notifications done: %s", src->name, err);
        pending_sub(w, i, done);
        if (full)
            log_info("webhook pull %s: full sync for %zu notification%s: %ld rows read, %ld "
                     "changed in %lld ms (run %ld)",
                     src->name, end - start, end - start == 1 ? "" : "s", s.rows_fetched,
                     s.rows_changed, (long long)(mono_ms() - t0), s.sync_id);
        else
            log_info("webhook pull %s: rows %ld:%ld for %zu notification%s: %ld rows read, %ld "
                     "changed in %lld ms (run %ld)",
                     src->name, first, last, end - start, end - start == 1 ? "" : "s",
                     s.rows_fetched, s.rows_changed, (long long)(mono_ms() - t0), s.sync_id);
        start = end;
    }
    pthread_mutex_lock(&w->lock);
    w->state[i].retry_at = 0;
    pthread_mutex_unlock(&w->lock);
out:
    free(ids);
    free(v);
}

/* Under the lock: nothing queued, nothing running, no notification waiting
 * except those backing off after a failure. */
static bool idle_locked(const struct worker *w)
{
    if (w->busy || w->njobs > 0)
        return false;
    int64_t now = mono_ms();
    for (size_t i = 0; i < w->o.nsources; i++)
        if (w->state[i].due && w->state[i].retry_at <= now)
            return false;
    return true;
}

static void wait_until(struct worker *w, int64_t at)
{
    if (at == INT64_MAX) {
        pthread_cond_wait(&w->wake, &w->lock);
        return;
    }
    struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (long)(at % 1000) * 1000000};
    pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

static void purge(struct worker *w)
{
    char err[512];
    if (store_notif_purge(w->st, time(NULL), KEEP_DONE_DAYS, err, sizeof err))
        log_warn("webhook: purge: %s", err);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int64_t period = (int64_t)w->o.reconcile_seconds * 1000;
    int64_t next_reconcile = period > 0 ? mono_ms() + period : INT64_MAX;
    pthread_mutex_lock(&w->lock);
    while (!stopping(w)) {
        int64_t now = mono_ms();
        if (now >= next_reconcile) {
            for (size_t i = 0; i < w->o.nsources; i++)
                enqueue(w, i, "reconcile");
            next_reconcile = now + period;
            pthread_mutex_unlock(&w->lock);
            purge(w);
            pthread_mutex_lock(&w->lock);
            continue;
        }
        /* Full syncs first: each covers the notifications stored before it. */
        if (w->njobs > 0) {
            struct job j = w->jobs[0];
            memmove(w->jobs, w->jobs + 1, --w->njobs * sizeof *w->jobs);
            w->busy = true;
            pthread_mutex_unlock(&w->lock);
            run_job(w, &j);
            pthread_mutex_lock(&w->lock);
            w->busy = false;
            continue;
        }
        /* The source whose pull is due first, else when to wake up. */
        int64_t wake = next_reconcile, best = INT64_MAX;
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < w->o.nsources; i++) {
            const struct src_state *s = &w->state[i];
            if (!s->due)
                continue;
            int64_t at = s->due_at > s->retry_at ? s->due_at : s->retry_at;
            if (at <= now && at < best) {
                best = at;
                pick = i;
            } else if (at > now && at < wake) {
                wake = at;
            }
        }
        if (pick != SIZE_MAX) {
            w->state[pick].due = false;
            w->busy = true;
            pthread_mutex_unlock(&w->lock);
            pull_notifications(w, pick);
            pthread_mutex_lock(&w->lock);
            w->busy = false;
            continue;
        }
        if (idle_locked(w))
            pthread_cond_broadcast(&w->idle);
        wait_until(w, wake);
    }
    w->busy = false;
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void worker_free(struct worker *w)
{
    sheets_client_free(w->client);
    gauth_free(w->auth);
    store_close(w->st);
    free(w->sources);
    free(w->state);
    free(w->jobs);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    backoff_stop_cleanup(&w->stop);
    free(w);
}

/* At start-up: the notifications a crash or stop left pending are pulled
 * (after the start-up full sync, which usually covers them already). */
static void recover_one(void *arg, const char *source, long count, long long next_attempt_at)
{
    struct worker *w = arg;
    long i = source_index(w, source);
    if (i < 0) {
        log_warn("webhook: %ld notification%s pending for source '%s', which is no longer "
                 "configured: left as they are",
                 count, count == 1 ? "" : "s", source);
        return;
    }
    int64_t now = mono_ms(), wait = (int64_t)next_attempt_at - real_ms();
    w->state[i].pending = count;
    w->state[i].retry_at = wait > 0 ? now + wait : 0;
    schedule(w, (size_t)i, now);
    log_info("webhook: %ld notification%s of %s pending from before the start", count,
             count == 1 ? "" : "s", source);
}

struct worker *worker_start(const struct worker_options *o, char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->o = *o;
    if (w->o.debounce_ms < 0)
        w->o.debounce_ms = 0;
    if (w->o.merge_gap_rows == 0)
        w->o.merge_gap_rows = WORKER_MERGE_GAP_ROWS;
    else if (w->o.merge_gap_rows < 0)
        w->o.merge_gap_rows = 0;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_cond_init(&w->idle, &ca);
    pthread_condattr_destroy(&ca);
    backoff_stop_init(&w->stop);
    backoff_init(&w->retry);
    w->retry.base_ms = RETRY_BASE_MS;
    w->retry.jitter_ms = RETRY_JITTER_MS;
    w->retry.max_backoff_ms = RETRY_MAX_MS;
    size_t n = o->nsources ? o->nsources : 1;
    w->sources = calloc(n, sizeof *w->sources);
    w->state = calloc(n, sizeof *w->state);
    w->jobs = calloc(n, sizeof *w->jobs);
    if (!w->sources || !w->state || !w->jobs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    memcpy(w->sources, o->sources, o->nsources * sizeof *w->sources);
    /* Every Google call of this thread, token requests included, ends when
     * the worker is told to stop, and so do the client's retry waits. */
    struct fetch_options fo = {.cancel = backoff_stop_cancel, .cancel_arg = &w->stop};
    struct gauth_options go = {.fetch = fo};
    w->auth = gauth_new_from_file(o->credentials_path, &go, err, errlen);
    if (!w->auth)
        goto fail;
    struct backoff bo;
    backoff_init(&bo);
    bo.sleep_ms = backoff_stop_sleep_ms;
    bo.arg = &w->stop;
    struct sheets_options so = {.fetch = fo, .backoff = &bo, .stats = o->stats};
    w->client = sheets_client_new(o->api_base_url, w->auth, &so);
    if (!w->client) {
        snprintf(err, errlen, "cannot create the Sheets client");
        goto fail;
    }
    if (store_open(o->db_path, &w->st, err, errlen))
        goto fail;
    for (size_t i = 0; i < o->nsources; i++)
        enqueue(w, i, "startup");
    char msg[512];
    if (store_notif_pending_sources(w->st, recover_one, w, msg, sizeof msg))
        log_error("webhook: cannot read the pending notifications: %s", msg);
    purge(w);
    w->busy = true;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, errlen, "cannot start the sync worker thread");
        goto fail;
    }
    return w;
fail:
    worker_free(w);
    return NULL;
}

int worker_request_full(struct worker *w, const char *source, const char *trigger)
{
    int rc = source ? -1 : 0;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->o.nsources; i++) {
        if (!source || strcmp(w->sources[i].name, source) == 0) {
            enqueue(w, i, trigger);
            rc = 0;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int worker_notify(struct worker *w, const char *source)
{
    pthread_mutex_lock(&w->lock);
    long i = source_index(w, source);
    if (i >= 0) {
        w->state[i].pending++;
        /* The window opens with the source's first pending notification
         * and is not pushed back by later ones: the latency stays bounded
         * however fast edits come. */
        if (!w->state[i].due)
            schedule(w, (size_t)i, mono_ms() + w->o.debounce_ms);
    }
    pthread_mutex_unlock(&w->lock);
    return i >= 0 ? 0 : -1;
}

long worker_queue_depth(struct worker *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->lock);
    long n = (long)w->njobs;
    for (size_t i = 0; i < w->o.nsources; i++)
        n += w->state[i].pending;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void worker_wait_idle(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    while (!idle_locked(w))
        pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void worker_request_stop(struct worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    backoff_stop_request(&w->stop);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

int worker_stop_within(struct worker *w, long timeout_ms)
{
    if (!w)
        return 0;
    worker_request_stop(w);
    if (timeout_ms < 0) {
        pthread_join(w->thread, NULL);
    } else {
        /* pthread_timedjoin_np takes a CLOCK_REALTIME deadline. */
        struct timespec at;
        clock_gettime(CLOCK_REALTIME, &at);
        at.tv_sec += timeout_ms / 1000;
        at.tv_nsec += (timeout_ms % 1000) * 1000000L;
        if (at.tv_nsec >= 1000000000L) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(w->thread, NULL, &at) != 0)
            return -1; /* still running: w must stay allocated */
    }
    worker_free(w);
    return 0;
}

void worker_stop(struct worker *w)
{
    worker_stop_within(w, -1);
}

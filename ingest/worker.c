#include "ingest/worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "ingest/gauth.h"
#include "store/store.h"

struct job {
    size_t source;       /* index into sources */
    const char *trigger; /* static string */
};

struct worker {
    struct worker_options o;
    struct sync_source *sources;
    struct gauth *auth;
    struct sheets_client *client;
    struct store *st;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    struct job *jobs; /* a small FIFO: at most one pending full sync per source */
    size_t njobs;
    bool busy, stopping;
};

static const char *const triggers[] = {"webhook", "reconcile", "manual", "startup"};

static const char *static_trigger(const char *t)
{
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++)
        if (strcmp(t, triggers[i]) == 0)
            return triggers[i];
    return "manual";
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

static void run_job(struct worker *w, const struct job *j)
{
    const struct sync_source *src = &w->sources[j->source];
    struct sync_request req = {.trigger = j->trigger, .full = true};
    struct load_stats s;
    char err[1024];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sync_run(w->st, w->client, src, &req, &s, err, sizeof err)) {
        log_error("sync %s (%s): failed: %s", src->name, j->trigger, err);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("sync %s (%s): %ld rows read, %ld changed, %ld issue versions in %.2f s (run %ld)",
             src->name, j->trigger, s.rows_fetched, s.rows_changed, s.issues_changed,
             (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, s.sync_id);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct timespec next;
    clock_gettime(CLOCK_REALTIME, &next);
    next.tv_sec += w->o.reconcile_seconds;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        if (w->njobs == 0) {
            w->busy = false;
            pthread_cond_broadcast(&w->idle);
            int rc = w->o.reconcile_seconds > 0 ? pthread_cond_timedwait(&w->wake, &w->lock, &next)
                                                : pthread_cond_wait(&w->wake, &w->lock);
            if (w->stopping)
                break;
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            if (w->o.reconcile_seconds > 0 && (rc != 0 || now.tv_sec >= next.tv_sec)) {
                for (size_t i = 0; i < w->o.nsources; i++)
                    enqueue(w, i, "reconcile");
                next = now;
                next.tv_sec += w->o.reconcile_seconds;
            }
            continue;
        }
        struct job j = w->jobs[0];
        memmove(w->jobs, w->jobs + 1, --w->njobs * sizeof *w->jobs);
        w->busy = true;
        pthread_mutex_unlock(&w->lock);
        run_job(w, &j);
        pthread_mutex_lock(&w->lock);
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
    free(w->jobs);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    free(w);
}

struct worker *worker_start(const struct worker_options *o, char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->o = *o;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->idle, NULL);
    w->sources = calloc(o->nsources, sizeof *w->sources);
    w->jobs = calloc(o->nsources, sizeof *w->jobs);
    if (!w->sources || !w->jobs) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    memcpy(w->sources, o->sources, o->nsources * sizeof *w->sources);
    w->auth = gauth_new_from_file(o->credentials_path, NULL, err, errlen);
    if (!w->auth)
        goto fail;
    struct sheets_options so = {.stats = o->stats};
    w->client = sheets_client_new(o->api_base_url, w->auth, &so);
    if (!w->client) {
        snprintf(err, errlen, "cannot create the Sheets client");
        goto fail;
    }
    if (store_open(o->db_path, &w->st, err, errlen))
        goto fail;
    for (size_t i = 0; i < o->nsources; i++)
        enqueue(w, i, "startup");
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

void worker_wait_idle(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->busy || w->njobs > 0)
        pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    worker_free(w);
}

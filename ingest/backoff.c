#include "ingest/backoff.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* splitmix64 over an atomic counter: every call takes a distinct counter
 * value, so threads never share a draw and no lock is needed. Jitter only has
 * to decorrelate clients, not to be unpredictable. */
static _Atomic uint64_t prng_state;

static uint64_t prng_next(void)
{
    uint64_t s = atomic_load_explicit(&prng_state, memory_order_relaxed);
    if (s == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                        ((uint64_t)getpid() << 32) ^ 1;
        uint64_t expected = 0;
        atomic_compare_exchange_strong(&prng_state, &expected, seed);
    }
    uint64_t z =
        atomic_fetch_add_explicit(&prng_state, 0x9e3779b97f4a7c15ULL, memory_order_relaxed) +
        0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static long default_random_ms(void *arg, long max)
{
    (void)arg;
    if (max <= 0)
        return 0;
    return (long)(prng_next() % (uint64_t)(max + 1));
}

static int default_sleep_ms(void *arg, long ms)
{
    (void)arg;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

void backoff_init(struct backoff *b)
{
    *b = (struct backoff){
        .max_retries = 6,
        .base_ms = 1000,
        .jitter_ms = 1000,
        .max_backoff_ms = 32000,
        .max_retry_after_ms = 120000,
        .random_ms = default_random_ms,
        .sleep_ms = default_sleep_ms,
        .arg = NULL,
    };
}

long backoff_wait_ms(const struct backoff *b, int attempt, long retry_after_s)
{
    long wait = b->max_backoff_ms;
    /* 2^attempt * base, stopping before it can overflow. */
    if (attempt >= 0 && attempt < 31) {
        long exp = b->base_ms;
        for (int i = 0; i < attempt && exp < b->max_backoff_ms; i++)
            exp *= 2;
        long r = b->random_ms ? b->random_ms(b->arg, b->jitter_ms) : 0;
        if (r < 0)
            r = 0;
        if (r > b->jitter_ms)
            r = b->jitter_ms;
        if (exp < b->max_backoff_ms)
            wait = exp + r < b->max_backoff_ms ? exp + r : b->max_backoff_ms;
    }
    if (retry_after_s > 0) {
        long ra = retry_after_s > b->max_retry_after_ms / 1000 ? b->max_retry_after_ms
                                                               : retry_after_s * 1000;
        if (ra > wait)
            wait = ra;
    }
    return wait;
}

bool backoff_may_retry(const struct backoff *b, int attempt)
{
    return attempt >= 0 && attempt < b->max_retries;
}

int backoff_pause(const struct backoff *b, long ms)
{
    int (*sleep_fn)(void *, long) = b->sleep_ms ? b->sleep_ms : default_sleep_ms;
    return sleep_fn(b->arg, ms) != 0 ? -1 : 0;
}

long backoff_sleep(const struct backoff *b, int attempt, long retry_after_s)
{
    if (!backoff_may_retry(b, attempt))
        return -1;
    long ms = backoff_wait_ms(b, attempt, retry_after_s);
    return backoff_pause(b, ms) ? -1 : ms;
}

void backoff_stop_init(struct backoff_stop *s)
{
    atomic_init(&s->stopped, false);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
}

void backoff_stop_cleanup(struct backoff_stop *s)
{
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
}

void backoff_stop_request(struct backoff_stop *s)
{
    /* Under the lock: a sleeper between its check and its wait cannot miss
     * the broadcast. */
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stopped, true);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

bool backoff_stop_requested(struct backoff_stop *s)
{
    return atomic_load(&s->stopped);
}

int backoff_stop_cancel(void *arg)
{
    return backoff_stop_requested(arg);
}

int backoff_stop_sleep_ms(void *arg, long ms)
{
    struct backoff_stop *s = arg;
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    if (ms > 0) {
        at.tv_sec += ms / 1000;
        at.tv_nsec += (ms % 1000) * 1000000L;
        if (at.tv_nsec >= 1000000000L) {
            at.tv_sec++;
            at.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&s->lock);
    while (ms > 0 && !atomic_load(&s->stopped))
        if (pthread_cond_timedwait(&s->cond, &s->lock, &at) == ETIMEDOUT)
            break;
    bool stopped = atomic_load(&s->stopped);
    pthread_mutex_unlock(&s->lock);
    return stopped ? -1 : 0;
}

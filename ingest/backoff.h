#ifndef SHEETSYNC_BACKOFF_H
#define SHEETSYNC_BACKOFF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Google's truncated exponential backoff (docs/google-apis.md §3): before retry n
 * (n = 0, 1, 2, ...) wait min(2^n * base + random(0..jitter), max_backoff),
 * or the server's Retry-After when that is longer (itself capped by
 * max_retry_after, so one answer cannot park a worker for an hour); give up
 * after max_retries retries.
 *
 * The random source and the sleep are function pointers so tests run the
 * schedule instantly and deterministically, and so a worker can pass a sleep
 * that wakes early on shutdown. */

struct backoff {
    int max_retries;         /* retries after the first attempt; default 6 */
    long base_ms;            /* default 1000 */
    long jitter_ms;          /* random_ms draws from [0, jitter_ms]; default 1000 */
    long max_backoff_ms;     /* default 32000 */
    long max_retry_after_ms; /* cap on an honoured Retry-After; default 120000 */

    /* A value in [0, max]; default: a lock-free, thread-safe PRNG. */
    long (*random_ms)(void *arg, long max);
    /* Sleeps ms milliseconds; returns 0, or non-zero to give up (e.g. the
     * process is shutting down). Default: nanosleep, resumed after EINTR. */
    int (*sleep_ms)(void *arg, long ms);
    void *arg; /* passed to both */
};

/* The defaults above. */
void backoff_init(struct backoff *b);

/* The wait before retry `attempt` (0-based), in ms. retry_after_s is the
 * server's Retry-After in seconds, or -1 when it sent none. Draws one random
 * number. */
long backoff_wait_ms(const struct backoff *b, int attempt, long retry_after_s);

/* Whether retry `attempt` (0-based) is still allowed. */
bool backoff_may_retry(const struct backoff *b, int attempt);

/* Sleeps ms with the configured sleep function. Returns 0, or -1 when it
 * asked to stop. For callers that log the wait before sleeping. */
int backoff_pause(const struct backoff *b, long ms);

/* Sleeps before retry `attempt`. Returns the time slept in ms (>= 0), or -1
 * when the retry cap is reached or the sleep function asked to stop: the
 * caller then gives up. */
long backoff_sleep(const struct backoff *b, int attempt, long retry_after_s);

/* A stop signal for the waits of one worker: once backoff_stop_request is
 * called, a sleep in progress returns at once and every later one returns
 * at once, both with -1. Pass backoff_stop_sleep_ms as a backoff's sleep_ms
 * (arg = the struct) so a retry loop gives up when the process stops; read
 * backoff_stop_requested to cut other work short (e.g. from a transfer's
 * progress callback). The flag is atomic, so reading it takes no lock. */
struct backoff_stop {
    atomic_bool stopped;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC: a clock change moves no deadline */
};

void backoff_stop_init(struct backoff_stop *s);
void backoff_stop_cleanup(struct backoff_stop *s);

/* Sets the flag and wakes every sleeper. Thread-safe; idempotent. */
void backoff_stop_request(struct backoff_stop *s);

/* Whether backoff_stop_request was called. Thread-safe, lock-free. */
bool backoff_stop_requested(struct backoff_stop *s);

/* A sleep_ms for struct backoff: sleeps ms milliseconds unless the stop is
 * requested first. arg is the struct backoff_stop. Returns 0 after the full
 * sleep, -1 when stopped (before or during it). */
int backoff_stop_sleep_ms(void *arg, long ms);

/* backoff_stop_requested as a fetch cancel callback (struct fetch_options):
 * arg is the struct backoff_stop; non-zero once the stop is requested. */
int backoff_stop_cancel(void *arg);

#endif

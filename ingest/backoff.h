#ifndef SHEETSYNC_BACKOFF_H
#define SHEETSYNC_BACKOFF_H

#include <stdbool.h>

/* Google's truncated exponential backoff (google-apis.md §3): before retry n
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

#endif

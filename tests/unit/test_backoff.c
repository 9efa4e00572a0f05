#include <criterion/criterion.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "ingest/backoff.h"

/* A scripted random source and a sleep that only records. */
struct script {
    long randoms[16];
    int nrandom, next;
    long slept[16];
    int nslept;
    int stop_after; /* sleeps before the sleep function says stop; 0 = never */
};

static long scripted_random(void *arg, long max)
{
    struct script *s = arg;
    long r = s->next < s->nrandom ? s->randoms[s->next] : 0;
    s->next++;
    return r > max ? max : r;
}

static int recording_sleep(void *arg, long ms)
{
    struct script *s = arg;
    if (s->nslept < 16)
        s->slept[s->nslept] = ms;
    s->nslept++;
    return s->stop_after && s->nslept >= s->stop_after ? -1 : 0;
}

static void setup(struct backoff *b, struct script *s)
{
    backoff_init(b);
    b->random_ms = scripted_random;
    b->sleep_ms = recording_sleep;
    b->arg = s;
}

Test(backoff, defaults)
{
    struct backoff b;
    backoff_init(&b);
    cr_expect_eq(b.max_retries, 6);
    cr_expect_eq(b.base_ms, 1000);
    cr_expect_eq(b.jitter_ms, 1000);
    cr_expect_eq(b.max_backoff_ms, 32000);
    cr_expect_not_null(b.random_ms);
    cr_expect_not_null(b.sleep_ms);
}

Test(backoff, deterministic_schedule)
{
    struct script s = {.randoms = {0, 250, 999, 1000, 500, 7, 0, 1000}, .nrandom = 8};
    struct backoff b;
    setup(&b, &s);
    /* min(2^n * 1000 + random, 32000) */
    static const long want[] = {1000, 2250, 4999, 9000, 16500, 32000, 32000, 32000};
    for (int n = 0; n < 8; n++)
        cr_expect_eq(backoff_wait_ms(&b, n, -1), want[n], "attempt %d", n);
    /* Huge attempts neither overflow nor pass the cap. */
    cr_expect_eq(backoff_wait_ms(&b, 40, -1), 32000);
    cr_expect_eq(backoff_wait_ms(&b, 1000000, -1), 32000);
}

Test(backoff, random_is_clamped_to_the_jitter)
{
    struct script s = {.randoms = {5000}, .nrandom = 1};
    struct backoff b;
    setup(&b, &s);
    b.random_ms = NULL; /* no random source: no jitter */
    cr_expect_eq(backoff_wait_ms(&b, 0, -1), 1000);
}

Test(backoff, retry_cap)
{
    struct script s = {.nrandom = 0};
    struct backoff b;
    setup(&b, &s);
    int n = 0;
    while (backoff_sleep(&b, n, -1) >= 0)
        n++;
    cr_expect_eq(n, 6, "six retries, then give up");
    cr_expect_eq(s.nslept, 6);
    static const long want[] = {1000, 2000, 4000, 8000, 16000, 32000};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(s.slept[i], want[i], "sleep %d", i);
    cr_expect_not(backoff_may_retry(&b, 6));
    cr_expect(backoff_may_retry(&b, 5));
    b.max_retries = 0;
    cr_expect_eq(backoff_sleep(&b, 0, -1), -1);
}

Test(backoff, retry_after_when_larger)
{
    struct script s = {.randoms = {100, 100, 100, 100}, .nrandom = 4};
    struct backoff b;
    setup(&b, &s);
    cr_expect_eq(backoff_wait_ms(&b, 0, 5), 5000, "Retry-After 5 s beats 1.1 s");
    cr_expect_eq(backoff_wait_ms(&b, 3, 5), 8100, "8.1 s beats Retry-After 5 s");
    cr_expect_eq(backoff_wait_ms(&b, 0, 0), 1100, "Retry-After 0 changes nothing");
    cr_expect_eq(backoff_wait_ms(&b, 0, 100000), 120000, "capped at max_retry_after_ms");
}

Test(backoff, sleep_can_stop_early)
{
    struct script s = {.stop_after = 2};
    struct backoff b;
    setup(&b, &s);
    cr_expect_eq(backoff_sleep(&b, 0, -1), 1000);
    cr_expect_eq(backoff_sleep(&b, 1, -1), -1, "the sleep function asked to stop");
}

Test(backoff, default_random_spreads_within_bounds)
{
    struct backoff b;
    backoff_init(&b);
    long lo = 1000000, hi = -1;
    for (int i = 0; i < 10000; i++) {
        long r = b.random_ms(b.arg, 1000);
        cr_assert(r >= 0 && r <= 1000, "r = %ld", r);
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }
    cr_expect_lt(lo, 50);
    cr_expect_gt(hi, 950);
}

Test(backoff, default_sleep_sleeps)
{
    struct backoff b;
    backoff_init(&b);
    b.base_ms = 20;
    b.jitter_ms = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(backoff_sleep(&b, 0, -1), 20);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    cr_expect_geq(ms, 19);
}

/* ---- backoff_stop: the sleep a stop cuts short ---- */

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Requests the stop after `delay_ms`, from another thread. */
struct stopper {
    struct backoff_stop *stop;
    long delay_ms;
    pthread_t thread;
};

static void *stop_later(void *arg)
{
    struct stopper *s = arg;
    usleep((useconds_t)s->delay_ms * 1000);
    backoff_stop_request(s->stop);
    return NULL;
}

static void stopper_start(struct stopper *s, struct backoff_stop *stop, long delay_ms)
{
    s->stop = stop;
    s->delay_ms = delay_ms;
    cr_assert_eq(pthread_create(&s->thread, NULL, stop_later, s), 0);
}

Test(backoff_stop, sleeps_the_full_time_when_not_stopped)
{
    struct backoff_stop st;
    backoff_stop_init(&st);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_expect_eq(backoff_stop_sleep_ms(&st, 60), 0);
    cr_expect_geq(elapsed_ms(&t0), 59);
    cr_expect_eq(backoff_stop_sleep_ms(&st, 0), 0, "a zero sleep is not a stop");
    cr_expect_not(backoff_stop_requested(&st));
    backoff_stop_cleanup(&st);
}

Test(backoff_stop, a_stop_wakes_a_sleeper_at_once)
{
    struct backoff_stop st;
    backoff_stop_init(&st);
    struct stopper s;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stopper_start(&s, &st, 100);
    cr_expect_eq(backoff_stop_sleep_ms(&st, 60000), -1, "the sleep reports the stop");
    long ms = elapsed_ms(&t0);
    pthread_join(s.thread, NULL);
    /* 100 ms plus scheduling on a busy machine: far from the minute. */
    cr_expect_geq(ms, 99);
    cr_expect_lt(ms, 5000, "woke after %ld ms", ms);
    cr_expect(backoff_stop_requested(&st));
    backoff_stop_cleanup(&st);
}

Test(backoff_stop, every_sleep_after_the_stop_returns_at_once)
{
    struct backoff_stop st;
    backoff_stop_init(&st);
    backoff_stop_request(&st);
    backoff_stop_request(&st); /* idempotent */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(backoff_stop_sleep_ms(&st, 60000), -1);
    cr_expect_eq(backoff_stop_sleep_ms(&st, 0), -1);
    cr_expect_lt(elapsed_ms(&t0), 5000);
    backoff_stop_cleanup(&st);
}

Test(backoff_stop, a_retry_loop_gives_up_when_stopped)
{
    struct backoff_stop st;
    backoff_stop_init(&st);
    struct backoff b;
    backoff_init(&b);
    b.sleep_ms = backoff_stop_sleep_ms;
    b.arg = &st;
    b.base_ms = 1;
    b.jitter_ms = 0;
    cr_expect_eq(backoff_sleep(&b, 0, -1), 1, "not stopped: a normal retry wait");
    struct stopper s;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stopper_start(&s, &st, 100);
    /* Retry-After: 60 s, as a busy Google may send. */
    cr_expect_eq(backoff_sleep(&b, 1, 60), -1, "the caller gives up");
    cr_expect_lt(elapsed_ms(&t0), 5000);
    pthread_join(s.thread, NULL);
    cr_expect_eq(backoff_pause(&b, 10), -1);
    cr_expect_eq(backoff_sleep(&b, 0, -1), -1);
    backoff_stop_cleanup(&st);
}

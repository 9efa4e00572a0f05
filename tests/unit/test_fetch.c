/* fetch's cancel callback: a call that is asked to stop before it starts
 * sends nothing, one waiting on a slow server ends within about a second
 * (libcurl's progress callback), both with FETCH_ERR_CANCELLED; a callback
 * that never cancels changes nothing. */
#include <criterion/criterion.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/fetch.h"
#include "tests/support/mockg.h"

static struct mockg *m;
static atomic_bool stop;
static atomic_int asked; /* calls of the cancel callback */

static int cancel_when_stopped(void *arg)
{
    (void)arg;
    atomic_fetch_add(&asked, 1);
    return atomic_load(&stop);
}

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    m = mockg_start();
    cr_assert(m);
    atomic_store(&stop, false);
    atomic_store(&asked, 0);
}

static void teardown(void)
{
    mockg_stop(m); /* waits out a slow answer's sleep */
    curl_global_cleanup();
}

TestSuite(fetch, .init = setup, .fini = teardown, .timeout = 60);

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static struct fetch *new_fetch(void)
{
    struct fetch_options o = {.cancel = cancel_when_stopped};
    struct fetch *f = fetch_new(&o);
    cr_assert(f);
    return f;
}

static void url_of(char *out, size_t n, const char *path)
{
    snprintf(out, n, "%s%s", mockg_base_url(m), path);
}

Test(fetch, a_callback_that_never_cancels_changes_nothing)
{
    mockg_push_json(m, 200, "{\"ok\":true}");
    struct fetch *f = new_fetch();
    struct fetch_response r;
    char url[256], err[256] = "";
    url_of(url, sizeof url, "/v4/x");
    cr_expect_eq(fetch_get(f, url, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body.data, "{\"ok\":true}");
    cr_expect_gt(atomic_load(&asked), 0, "the callback was asked");
    fetch_response_free(&r);
    fetch_free(f);
}

Test(fetch, a_call_asked_to_stop_before_it_starts_sends_nothing)
{
    atomic_store(&stop, true);
    struct fetch *f = new_fetch();
    struct fetch_response r;
    char url[256], err[256] = "";
    url_of(url, sizeof url, "/v4/x");
    cr_expect_eq(fetch_get(f, url, NULL, &r, err, sizeof err), FETCH_ERR_CANCELLED);
    cr_expect_str_eq(err, "cancelled");
    cr_expect_eq(r.status, 0);
    fetch_response_free(&r);
    cr_expect_eq(fetch_post(f, url, "text/plain", "x", 1, &r, err, sizeof err),
                 FETCH_ERR_CANCELLED);
    fetch_response_free(&r);
    cr_expect_eq(mockg_nrequests(m), 0, "no request reached the server");
    fetch_free(f);
}

static void *stop_after_200ms(void *arg)
{
    (void)arg;
    usleep(200000);
    atomic_store(&stop, true);
    return NULL;
}

Test(fetch, a_call_waiting_on_a_slow_server_ends_soon_after_the_stop)
{
    /* The answer would come after 3 s; the stop comes after 0.2 s. */
    mockg_push(m, (struct mockg_reply){
                      .status = 200, .body = "{}", .action = MOCKG_SLOW, .delay_ms = 3000});
    struct fetch *f = new_fetch();
    struct fetch_response r;
    char url[256], err[256] = "";
    url_of(url, sizeof url, "/v4/slow");
    pthread_t t;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(pthread_create(&t, NULL, stop_after_200ms, NULL), 0);
    int rc = fetch_get(f, url, NULL, &r, err, sizeof err);
    long ms = elapsed_ms(&t0);
    pthread_join(t, NULL);
    cr_expect_eq(rc, FETCH_ERR_CANCELLED, "rc %d: %s", rc, err);
    cr_expect_str_eq(err, "cancelled");
    /* About a second at most after the stop; the server's 3 s not waited. */
    cr_expect_lt(ms, 2500, "ended after %ld ms", ms);
    cr_expect_eq(mockg_nrequests(m), 1);
    fetch_response_free(&r);

    /* The handle is usable again once the caller stops cancelling. */
    atomic_store(&stop, false);
    mockg_push_json(m, 200, "{\"again\":1}");
    cr_expect_eq(fetch_get(f, url, NULL, &r, err, sizeof err), 0, "%s", err);
    cr_expect_eq(r.status, 200);
    fetch_response_free(&r);
    fetch_free(f);
}

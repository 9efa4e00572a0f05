/* The webhook's durable queue (store/notifications.c): replay refusal until
 * keep_until, purge, the pending list the worker plans from, done (by ids,
 * and up to an id for a covering full sync), retry bookkeeping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "store/notifications.h"
#include "store/store.h"

static char path[64];
static struct store *st;

static void setup(void)
{
    char err[256];
    log_init(LOG_ERROR, false);
    strcpy(path, "/tmp/test_store_notif_XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(store_open(path, &st, err, sizeof err), 0, "%s", err);
    cr_assert_eq(store_migrate(st, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    char p[96];
    store_close(st);
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

TestSuite(store_notif, .init = setup, .fini = teardown);

static int accept_edit(const char *source, const char *jti, long long keep_until, time_t now,
                       long first, long last, long long *id)
{
    char err[256];
    struct store_notif_new n = {.source = source,
                                .jti = jti,
                                .keep_until = keep_until,
                                .event = "edit",
                                .sheet = "Issues",
                                .range = "C1",
                                .pull = first > 0 ? "range" : "full",
                                .first_row = first,
                                .last_row = last};
    int rc = store_notif_accept(st, &n, now, id, err, sizeof err);
    cr_assert_geq(rc, 0, "%s", err);
    return rc;
}

Test(store_notif, replay_until_keep_until_then_purged)
{
    long long id1, id2;
    cr_expect_eq(accept_edit("default", "a", 1000, 900, 5, 5, &id1), STORE_NOTIF_ACCEPTED);
    cr_expect_gt(id1, 0);
    cr_expect_eq(accept_edit("default", "a", 1000, 950, 5, 5, &id2), STORE_NOTIF_REPLAY);
    cr_expect_eq(id2, 0);
    cr_expect_eq(accept_edit("default", "a", 1000, 1000, 5, 5, &id2), STORE_NOTIF_REPLAY,
                 "still kept at keep_until itself");
    cr_expect_eq(accept_edit("default", "a", 2000, 1001, 6, 6, &id2), STORE_NOTIF_ACCEPTED,
                 "past keep_until the jti is forgotten");
    cr_expect_gt(id2, id1);
    /* a refused replay stored nothing */
    struct store_notif_pending *v;
    size_t n;
    char err[256];
    cr_assert_eq(store_notif_pending_list(st, "default", &v, &n, err, sizeof err), 0, "%s", err);
    cr_expect_eq(n, 2);
    free(v);
}

Test(store_notif, pending_done_retry)
{
    long long ids[4];
    char err[256];
    accept_edit("default", "j1", 5000, 100, 7, 9, &ids[0]);
    accept_edit("default", "j2", 5000, 100, 0, 0, &ids[1]); /* full */
    accept_edit("other", "j3", 5000, 100, 3, 3, &ids[2]);
    accept_edit("default", "j4", 5000, 100, 20, 20, &ids[3]);

    struct store_notif_pending *v;
    size_t n;
    cr_assert_eq(store_notif_pending_list(st, "default", &v, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 3);
    cr_expect_eq(v[0].id, ids[0]);
    cr_expect_eq(v[0].first_row, 7);
    cr_expect_eq(v[0].last_row, 9);
    cr_expect(!v[0].full);
    cr_expect(v[1].full);
    cr_expect_eq(v[2].first_row, 20);
    free(v);

    long long max;
    cr_assert_eq(store_notif_max_pending(st, "default", &max, err, sizeof err), 0);
    cr_expect_eq(max, ids[3]);

    cr_assert_eq(store_notif_retry(st, &ids[0], 1, 123456, "Google said no", err, sizeof err), 0);
    cr_assert_eq(store_notif_pending_list(st, "default", &v, &n, err, sizeof err), 0);
    cr_expect_eq(v[0].attempts, 1);
    cr_expect_eq(v[0].next_attempt_at, 123456);
    free(v);

    long changed = -1;
    cr_assert_eq(store_notif_done(st, "default", &ids[0], 1, 0, 0, &changed, err, sizeof err), 0);
    cr_expect_eq(changed, 1);
    /* a covering full sync: every pending one up to ids[1] */
    cr_assert_eq(store_notif_done(st, "default", NULL, 0, ids[1], 0, &changed, err, sizeof err), 0);
    cr_expect_eq(changed, 1);
    cr_assert_eq(store_notif_pending_list(st, "default", &v, &n, err, sizeof err), 0);
    cr_expect_eq(n, 1);
    cr_expect_eq(v[0].id, ids[3]);
    free(v);
    cr_assert_eq(store_notif_pending_list(st, "other", &v, &n, err, sizeof err), 0);
    cr_expect_eq(n, 1, "another source's notifications are untouched");
    free(v);
}

static void count_source(void *arg, const char *source, long count, long long next)
{
    char *out = arg;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%ld@%lld;", source, count, next);
}

Test(store_notif, pending_sources_and_purge)
{
    long long id;
    char err[256], seen[256] = "";
    accept_edit("b", "j1", 5000, 100, 2, 2, &id);
    accept_edit("a", "j2", 5000, 100, 2, 2, &id);
    accept_edit("a", "j3", 5000, 100, 2, 2, &id);
    cr_assert_eq(store_notif_retry(st, &id, 1, 777, NULL, err, sizeof err), 0);
    cr_assert_eq(store_notif_pending_sources(st, count_source, seen, err, sizeof err), 0);
    cr_expect_str_eq(seen, "a=2@0;b=1@0;");
    cr_assert_eq(store_notif_purge(st, 6000, 7, err, sizeof err), 0, "%s", err);
    cr_expect_eq(accept_edit("a", "j1", 9000, 6000, 2, 2, &id), STORE_NOTIF_ACCEPTED,
                 "purged jtis are free again");
}

/* A FORMAT change is recorded as done at once: it asks for no pull. */
Test(store_notif, no_pull_is_done_at_once)
{
    long long id;
    char err[256];
    struct store_notif_new n = {.source = "default",
                                .jti = "fmt",
                                .keep_until = 5000,
                                .event = "change",
                                .change_type = "FORMAT",
                                .sheet = "Issues",
                                .pull = "none"};
    cr_assert_eq(store_notif_accept(st, &n, 100, &id, err, sizeof err), STORE_NOTIF_ACCEPTED);
    struct store_notif_pending *v;
    size_t cnt;
    cr_assert_eq(store_notif_pending_list(st, "default", &v, &cnt, err, sizeof err), 0);
    cr_expect_eq(cnt, 0);
    free(v);
}

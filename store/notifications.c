/* The webhook's durable queue: accepted jtis and pending notifications
 * (store/notifications.h, sql/migrations/0003_notifications.sql). */
#include "store/notifications.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "store/store_internal.h"

static void rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static bool is_busy(struct store *st)
{
    int c = sqlite3_errcode(st->db) & 0xff;
    return c == SQLITE_BUSY || c == SQLITE_LOCKED;
}

static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

int store_notif_accept(struct store *st, const struct store_notif_new *n, time_t now, long long *id,
                       char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;
    char at[21];
    clock_iso_utc(now, at);
    *id = 0;
    /* A read transaction left open on this thread's connection would turn
     * BEGIN into an error. */
    rollback(st);
    /* The 202 promises the pull: make the commit reach the disk, whatever
     * the connection's default (NORMAL in WAL survives a process crash, not
     * a power cut). */
    if (store_exec(st, "PRAGMA synchronous=FULL", err, errlen))
        return -1;
    /* Handler threads take turns here rather than in SQLite's busy handler,
     * whose sleeps (up to 100 ms a try) gave a p99 of 1 s at 64 concurrent
     * notifications; the worker's writes still meet the busy handler. */
    pthread_mutex_lock(&accept_lock);
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = is_busy(st) ? STORE_NOTIF_BUSY : store_fail(st, err, errlen, "begin");
        goto out;
    }
    if (store_prepare(st, "DELETE FROM webhook_jtis WHERE keep_until < ?1", &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = is_busy(st) ? STORE_NOTIF_BUSY : store_fail(st, err, errlen, "webhook_jtis purge");
        goto out;
    }
    sqlite3_finalize(s);
    if (store_prepare(st, "INSERT INTO webhook_jtis (jti, keep_until) VALUES (?1, ?2)", &s, err,
                      errlen))
        goto out;
    sqlite3_bind_text(s, 1, n->jti, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n->keep_until);
    int step = sqlite3_step(s);
    if ((step & 0xff) == SQLITE_CONSTRAINT) { /* the jti is kept: a replay */
        rc = STORE_NOTIF_REPLAY;
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = is_busy(st) ? STORE_NOTIF_BUSY : store_fail(st, err, errlen, "webhook_jtis");
        goto out;
    }
    sqlite3_finalize(s);
    bool none = strcmp(n->pull, "none") == 0, range = strcmp(n->pull, "range") == 0;
    if (store_prepare(st,
                      "INSERT INTO notifications (source, received_at, event, change_type, sheet,"
                      " a1_range, pull, first_row, last_row, full, status, done_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                      &s, err, errlen))
        goto out;
    sqlite3_bind_text(s, 1, n->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, n->event, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, n->change_type, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 5, n->sheet, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, n->range, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 7, n->pull, -1, SQLITE_STATIC);
    if (range) {
        sqlite3_bind_int64(s, 8, n->first_row);
        sqlite3_bind_int64(s, 9, n->last_row);
    }
    sqlite3_bind_int(s, 10, strcmp(n->pull, "full") == 0);
    sqlite3_bind_text(s, 11, none ? "done" : "pending", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, none ? at : NULL, -1, SQLITE_STATIC); /* NULL binds NULL */
    if (sqlite3_step(s) != SQLITE_DONE) {
        rc = is_busy(st) ? STORE_NOTIF_BUSY : store_fail(st, err, errlen, "notifications");
        goto out;
    }
    *id = (long long)sqlite3_last_insert_rowid(st->db);
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = is_busy(st) ? STORE_NOTIF_BUSY : store_fail(st, err, errlen, "commit");
        goto out;
    }
    rc = STORE_NOTIF_ACCEPTED;
out:
    sqlite3_finalize(s);
    if (rc != STORE_NOTIF_ACCEPTED) {
        *id = 0;
        rollback(st);
    }
    pthread_mutex_unlock(&accept_lock);
    sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    return rc;
}

int store_notif_pending_list(struct store *st, const char *source, struct store_notif_pending **out,
                             size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    struct store_notif_pending *v = NULL;
    size_t len = 0, cap = 0;
    int rc = -1, step;
    *out = NULL;
    *n = 0;
    if (store_prepare(st,
                      "SELECT id, full, first_row, last_row, attempts, next_attempt_at"
                      " FROM notifications WHERE source = ?1 AND status = 'pending' ORDER BY id",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct store_notif_pending *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                snprintf(err, errlen, "notifications: out of memory");
                goto out;
            }
            v = nv;
            cap = ncap;
        }
        v[len++] = (struct store_notif_pending){
            .id = (long long)sqlite3_column_int64(s, 0),
            .full = sqlite3_column_int(s, 1) != 0,
            .first_row = (long)sqlite3_column_int64(s, 2),
            .last_row = (long)sqlite3_column_int64(s, 3),
            .attempts = sqlite3_column_int(s, 4),
            .next_attempt_at = (long long)sqlite3_column_int64(s, 5),
        };
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "notifications");
        goto out;
    }
    *out = v;
    *n = len;
    v = NULL;
    rc = 0;
out:
    free(v);
    sqlite3_finalize(s);
    return rc;
}

int store_notif_max_pending(struct store *st, const char *source, long long *max_id, char *err,
                            size_t errlen)
{
    sqlite3_stmt *s = NULL;
    *max_id = 0;
    if (store_prepare(st,
                      "SELECT coalesce(max(id), 0) FROM notifications"
                      " WHERE source = ?1 AND status = 'pending'",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : store_fail(st, err, errlen, "notifications");
    if (rc == 0)
        *max_id = (long long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

/* The ids as a JSON array, for `id IN (SELECT value FROM json_each(?))`. */
static int ids_json(struct buf *b, const long long *ids, size_t n)
{
    int rc = buf_puts(b, "[");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = buf_printf(b, "%s%lld", i ? "," : "", ids[i]);
    return rc ? rc : buf_puts(b, "]");
}

int store_notif_done(struct store *st, const char *source, const long long *ids, size_t n,
                     long long upto, long sync_id, long *changed, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    struct buf b;
    int rc = -1;
    char at[21];
    clock_iso_utc(time(NULL), at);
    buf_init(&b, 0);
    if (ids && ids_json(&b, ids, n)) {
        snprintf(err, errlen, "notifications: out of memory");
        goto out;
    }
    const char *sql =
        ids ? "UPDATE notifications SET status = 'done', done_at = ?1, sync_id = ?2,"
              " last_error = NULL WHERE status = 'pending'"
              " AND id IN (SELECT value FROM json_each(?3))"
            : "UPDATE notifications SET status = 'done', done_at = ?1, sync_id = ?2,"
              " last_error = NULL WHERE status = 'pending' AND source = ?3 AND id <= ?4";
    if (store_prepare(st, sql, &s, err, errlen))
        goto out;
    sqlite3_bind_text(s, 1, at, -1, SQLITE_STATIC);
    if (sync_id > 0)
        sqlite3_bind_int64(s, 2, sync_id);
    if (ids) {
        sqlite3_bind_text(s, 3, b.data, (int)b.len, SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, 3, source, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, upto);
    }
    if (sqlite3_step(s) != SQLITE_DONE) {
        store_fail(st, err, errlen, "notifications done");
        goto out;
    }
    if (changed)
        *changed = sqlite3_changes(st->db);
    rc = 0;
out:
    sqlite3_finalize(s);
    buf_free(&b);
    return rc;
}

int store_notif_retry(struct store *st, const long long *ids, size_t n, long long next_attempt_at,
                      const char *error, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    struct buf b;
    int rc = -1;
    buf_init(&b, 0);
    if (ids_json(&b, ids, n)) {
        snprintf(err, errlen, "notifications: out of memory");
        goto out;
    }
    if (store_prepare(st,
                      "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?1,"
                      " last_error = ?2 WHERE status = 'pending'"
                      " AND id IN (SELECT value FROM json_each(?3))",
                      &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, next_attempt_at);
    sqlite3_bind_text(s, 2, error, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(s, 3, b.data, (int)b.len, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        store_fail(st, err, errlen, "notifications retry");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(s);
    buf_free(&b);
    return rc;
}

int store_notif_pending_sources(struct store *st,
                                void (*fn)(void *arg, const char *source, long count,
                                           long long next_attempt_at),
                                void *arg, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int step;
    if (store_prepare(st,
                      "SELECT source, count(*), min(next_attempt_at) FROM notifications"
                      " WHERE status = 'pending' GROUP BY source ORDER BY source",
                      &s, err, errlen))
        return -1;
    while ((step = sqlite3_step(s)) == SQLITE_ROW)
        fn(arg, (const char *)sqlite3_column_text(s, 0), (long)sqlite3_column_int64(s, 1),
           (long long)sqlite3_column_int64(s, 2));
    int rc = step == SQLITE_DONE ? 0 : store_fail(st, err, errlen, "notifications");
    sqlite3_finalize(s);
    return rc;
}

int store_notif_purge(struct store *st, time_t now, int keep_done_days, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    char before[21];
    clock_iso_utc(now - (time_t)keep_done_days * 86400, before);
    if (store_prepare(st, "DELETE FROM webhook_jtis WHERE keep_until < ?1", &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
    int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, err, errlen, "webhook_jtis");
    sqlite3_finalize(s);
    if (rc)
        return rc;
    if (store_prepare(st, "DELETE FROM notifications WHERE status = 'done' AND done_at < ?1", &s,
                      err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, before, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, err, errlen, "notifications");
    sqlite3_finalize(s);
    return rc;
}

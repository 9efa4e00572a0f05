#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/embedded.h"
#include "common/log.h"

int store_fail(struct store *st, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, st && st->db ? sqlite3_errmsg(st->db) : "no database");
    return -1;
}

int store_exec(struct store *st, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
        return store_fail(st, err, errlen, "prepare");
    return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
    struct store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open database: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        store_close(st);
        return -1;
    }
    st->path = strdup(path);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    /* WAL lets readers (the API threads) run while a sync writes. */
    if (store_exec(st,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                   err, errlen) < 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "%s: %s", path, msg);
        store_close(st);
        return -1;
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

static bool is_migration(const struct embedded_file *f)
{
    return strncmp(f->path, "sql/migrations/", 15) == 0;
}

static bool is_model(const struct embedded_file *f)
{
    return strncmp(f->path, "sql/models/", 11) == 0;
}

/* Version of a migration file: the number its name starts with. */
static long migration_version(const struct embedded_file *f)
{
    return strtol(f->path + 15, NULL, 10);
}

static int applied(struct store *st, long version, bool *yes, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (store_prepare(st, "SELECT 1 FROM schema_migrations WHERE version = ?", &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, version);
    int rc = sqlite3_step(s);
    *yes = rc == SQLITE_ROW;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(st, err, errlen, "schema_migrations");
    return 0;
}

static int apply_one(struct store *st, const struct embedded_file *f, char *err, size_t errlen)
{
    char msg[512];
    sqlite3_stmt *s = NULL;
    if (store_exec(st, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    if (store_exec(st, f->data, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", f->path, msg);
        goto fail;
    }
    if (store_prepare(st,
                      "INSERT INTO schema_migrations (version, name, applied_at) "
                      "VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                      &s, err, errlen))
        goto fail;
    sqlite3_bind_int64(s, 1, migration_version(f));
    sqlite3_bind_text(s, 2, f->path + 15, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        store_fail(st, err, errlen, f->path);
        goto fail;
    }
    sqlite3_finalize(s);
    if (store_exec(st, "COMMIT", err, errlen))
        goto fail;
    log_info("migrate: applied %s", f->path);
    return 0;
fail:
    sqlite3_finalize(s);
    store_exec(st, "ROLLBACK", msg, sizeof msg);
    return -1;
}

/* Views hold no data, so they are dropped and recreated from sql/models/ on
 * every migrate: a new binary always serves its own model definitions. */
static int recreate_views(struct store *st, char *err, size_t errlen)
{
    char msg[512];
    if (store_exec(st, "BEGIN IMMEDIATE", err, errlen))
        return -1;
    sqlite3_stmt *s = NULL;
    if (store_prepare(st, "SELECT name FROM sqlite_master WHERE type = 'view'", &s, err, errlen))
        goto fail;
    while (sqlite3_step(s) == SQLITE_ROW) {
        char sql[300];
        snprintf(sql, sizeof sql, "DROP VIEW IF EXISTS \"%s\"", sqlite3_column_text(s, 0));
        if (store_exec(st, sql, err, errlen))
            goto fail;
    }
    sqlite3_finalize(s);
    s = NULL;
    for (const struct embedded_file *f = embedded_files; f->path; f++) {
        if (is_model(f) && store_exec(st, f->data, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: %s", f->path, msg);
            goto fail;
        }
    }
    return store_exec(st, "COMMIT", err, errlen);
fail:
    sqlite3_finalize(s);
    store_exec(st, "ROLLBACK", msg, sizeof msg);
    return -1;
}

int store_migrate(struct store *st, char *err, size_t errlen)
{
    if (store_exec(st,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                   err, errlen))
        return -1;
    /* embedded_files is sorted by path, so migrations come in numeric order. */
    for (const struct embedded_file *f = embedded_files; f->path; f++) {
        if (!is_migration(f))
            continue;
        bool done;
        if (applied(st, migration_version(f), &done, err, errlen))
            return -1;
        if (!done && apply_one(st, f, err, errlen))
            return -1;
    }
    return recreate_views(st, err, errlen);
}

bool store_is_migrated(struct store *st)
{
    char err[256];
    for (const struct embedded_file *f = embedded_files; f->path; f++) {
        bool done;
        if (is_migration(f) && (applied(st, migration_version(f), &done, err, sizeof err) || !done))
            return false;
    }
    return true;
}

int store_checkpoint(struct store *st, int timeout_ms, char *err, size_t errlen)
{
    /* A short wait of its own: shutdown must not hang on a reader elsewhere. */
    sqlite3_busy_timeout(st->db, timeout_ms);
    int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    if (rc != SQLITE_OK)
        return store_fail(st, err, errlen, "WAL checkpoint");
    log_debug("store: %s: WAL checkpointed and truncated", st->path);
    return 0;
}

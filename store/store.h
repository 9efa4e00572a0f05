#ifndef SHEETSYNC_STORE_H
#define SHEETSYNC_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* The SQLite store. One `struct store` is one connection: use it from one
 * thread at a time (open one per thread). Only store/ includes sqlite3.h.
 * Functions return 0 or -1 and, on -1, write one line into err. */
struct store;

/* Opens (creating when absent) the database file in WAL mode with a busy
 * timeout. Does not migrate. */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/* Applies the pending migrations of sql/migrations/ in order, each in its own
 * transaction and recorded in schema_migrations, then recreates the views of
 * sql/models/. Logs what it applied. */
int store_migrate(struct store *st, char *err, size_t errlen);

/* True when every embedded migration has been applied. */
bool store_is_migrated(struct store *st);

/* Copies every page of the write-ahead log into the database file and
 * truncates the log to zero bytes (PRAGMA wal_checkpoint(TRUNCATE)), so the
 * database file alone is complete: `serve` calls it at shutdown, after its
 * other connections have closed. Waits at most timeout_ms for readers and
 * writers of other processes (a BI tool, a running `.backup`). Returns 0, or
 * -1 with one line in err when the log stays in use; nothing is lost then,
 * the log stays valid and the next open or checkpoint completes it. */
int store_checkpoint(struct store *st, int timeout_ms, char *err, size_t errlen);

#endif

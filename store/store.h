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

#endif

#ifndef SHEETSYNC_STORE_INTERNAL_H
#define SHEETSYNC_STORE_INTERNAL_H

/* Shared by the files of store/ only. */

#include <sqlite3.h>

#include "store/store.h"

/* How long a connection waits for another's write lock (a sync, a BI tool's
 * read transaction) before SQLITE_BUSY. */
#define STORE_BUSY_TIMEOUT_MS 10000

struct store {
    sqlite3 *db;
    char *path;
};

/* Writes "what: sqlite message" into err and returns -1. */
int store_fail(struct store *st, char *err, size_t errlen, const char *what);

/* Runs statements without results (BEGIN, COMMIT, DDL). */
int store_exec(struct store *st, const char *sql, char *err, size_t errlen);

/* Prepares `sql` (cached per connection is not needed at our rates). */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out, char *err, size_t errlen);

/* store/columns.c: a copy of a text column, or NULL; a column as a JSON
 * string (its bytes as they are), or NULL (JSON null) for SQL NULL. */
struct json_object;
char *store_col_strdup(sqlite3_stmt *s, int col);
struct json_object *store_col_json_text(sqlite3_stmt *s, int col);

#endif

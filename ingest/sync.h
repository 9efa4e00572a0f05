#ifndef SHEETSYNC_SYNC_H
#define SHEETSYNC_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest/clean.h"
#include "ingest/sheets.h"
#include "store/load.h"
#include "store/store.h"

/* One pull from Google into the store: a full sync (the whole tab) or a
 * range sync (rows first..last, every column), each one load transaction. */

/* A configured Google source. */
struct sync_source {
    const char *name;
    const char *spreadsheet_id;
    const char *sheet; /* NULL: the first tab */
    long header_row;   /* 0 means 1 */
    const struct clean_aliases *aliases;
};

struct sync_request {
    const char *trigger; /* webhook, reconcile, manual, startup */
    bool full;
    bool reclean;     /* full syncs: clean every row again, changed or not */
    long first, last; /* range syncs: sheet rows, inclusive */
};

/* Runs one sync. A range sync of a source never synced in full becomes a
 * full one. Returns 0, or -1 with one line in err naming the spreadsheet,
 * range and Google's message; the store is then as it was, and the failed
 * run is recorded. */
int sync_run(struct store *st, struct sheets_client *c, const struct sync_source *src,
             const struct sync_request *req, struct load_stats *stats, char *err, size_t errlen);

#endif

#ifndef SHEETSYNC_IMPORT_H
#define SHEETSYNC_IMPORT_H

#include <stddef.h>
#include <time.h>

#include "ingest/clean.h"
#include "store/load.h"
#include "store/store.h"

/* `sheetsync import-csv`: a CSV export loaded as the whole content of a
 * source, exactly as a full sync would load the sheet (contract §3). */
struct import_options {
    const char *path;
    const char *source;   /* default "default" */
    const char *locale;   /* default en_US */
    const char *timezone; /* default UTC */
    const struct clean_aliases *aliases;
    time_t now; /* 0 = time(NULL) */
};

/* Returns 0, or -1 with one line in err naming the file and row; the
 * database is then as it was (but for the failed run in sync_runs). */
int import_csv(struct store *st, const struct import_options *o, struct load_stats *stats,
               char *err, size_t errlen);

#endif

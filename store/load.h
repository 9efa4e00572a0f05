#ifndef SHEETSYNC_LOAD_H
#define SHEETSYNC_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ingest/cell.h"
#include "ingest/clean.h"
#include "store/store.h"

/* One sync or import of one source, as one SQLite transaction: rows stream
 * in, are compared with what is stored by content hash, cleaned when they
 * changed, and turned into issue versions; the models are refreshed at the
 * end. Any failure before load_finish commits leaves the database as it was.
 *
 *   load_begin → load_header (full loads) → load_row × N → load_finish
 *                                      any failure → load_abort
 */
struct load;

struct load_options {
    const char *source;                  /* source name, e.g. "default" */
    const char *kind;                    /* "sheets" or "csv" */
    const char *spreadsheet_id;          /* NULL for CSV */
    const char *sheet;                   /* tab name (CSV: the file's stem): used in A1 cells */
    long header_row;                     /* 1-based; 0 means 1 */
    const char *locale;                  /* NULL = en_US */
    const char *timezone;                /* NULL = UTC */
    const struct clean_aliases *aliases; /* per-source header aliases, may be NULL */
    const char *trigger;                 /* webhook, reconcile, manual, startup, import */
    /* A full load replaces the whole source; a range load replaces rows
     * first..last only and reuses the stored header. */
    bool full;
    long first, last;
    bool reclean; /* clean every row again, even unchanged ones */
    time_t now;   /* 0 = time(NULL); tests pin it */
};

/* Records a sync run ('running') and opens the transaction. */
int load_begin(struct store *st, const struct load_options *o, struct load **out, char *err,
               size_t errlen);

/* Full loads: the header row's cells. Fails with "missing_column: ..." when
 * issue_number or reported_at has no column. */
int load_header(struct load *l, const struct sheet_row *header, char *err, size_t errlen);

/* A data row, in increasing row order. Rows the source had between the
 * previous row and this one are treated as deleted (the Sheets API omits
 * empty rows). */
int load_row(struct load *l, const struct sheet_row *row, char *err, size_t errlen);

/* Counters of a load, for progress logs and the caller's report. */
struct load_stats {
    long sync_id;
    long rows_fetched;
    long rows_changed;
    long issues_changed;
};

/* Deletes the rows past the last one seen (inside the range), derives the
 * issues, refreshes the models, commits and records the run as 'ok'.
 * Frees `l` whatever the outcome; on failure the run is recorded as failed.
 * `stats` (may be NULL) receives the final counters. */
int load_finish(struct load *l, struct load_stats *stats, char *err, size_t errlen);

/* Rolls back, records the run as failed with `error` (and, for a header
 * failure, the header problems), frees `l`. */
void load_abort(struct load *l, const char *error);

/* Records a run that failed before any row could be read (the spreadsheet
 * was unreachable): the source is created if new, nothing else changes. */
void load_record_failure(struct store *st, const struct load_options *o, const char *error);

/* Marks the runs left 'running' by a process that ended mid-sync (kill -9, a
 * crash, the shutdown backstop) as failed: their transactions were rolled
 * back, so none of their rows are stored. Called by `serve` at start-up,
 * only when no other process holds the write lock (a `sheetsync sync`
 * running beside it keeps its run). Returns how many it closed, or -1. */
long load_close_interrupted_runs(struct store *st, char *err, size_t errlen);

#endif

#ifndef SHEETSYNC_SHEETS_H
#define SHEETSYNC_SHEETS_H

#include <stdatomic.h>
#include <stddef.h>

#include "ingest/backoff.h"
#include "ingest/cell.h"
#include "ingest/fetch.h"
#include "ingest/gauth.h"

/* The Google Sheets API v4 client (docs/google-apis.md §1–3): spreadsheet
 * metadata, and whole rows read in chunks small enough that a response stays
 * around 2 MB and far from Google's 180 s limit. Retries 429, 500, 502, 503,
 * 504 and network errors with backoff (honouring Retry-After); on 401 gets a
 * new token once; never retries 400, 403 or 404.
 *
 * A client owns one curl handle, so it is for one thread at a time; clients
 * in several threads may share one gauth (thread-safe) and one stats. */

/* API calls by outcome, for /metrics. */
enum sheets_stat {
    SHEETS_STAT_2XX,
    SHEETS_STAT_400,
    SHEETS_STAT_401,
    SHEETS_STAT_403,
    SHEETS_STAT_404,
    SHEETS_STAT_429,
    SHEETS_STAT_5XX,
    SHEETS_STAT_OTHER,   /* any other HTTP status */
    SHEETS_STAT_NETWORK, /* no HTTP answer (refused, reset, timeout) */
    SHEETS_STAT_N
};

struct sheets_stats {
    atomic_ulong calls[SHEETS_STAT_N];
    atomic_ulong retries;
};

/* "2xx", "400", ..., "5xx", "other", "network": a label value for /metrics. */
const char *sheets_stat_label(enum sheets_stat s);

/* To stop a client's work early (a shutdown), set fetch.cancel (a call in
 * flight ends with "...: cancelled", never retried) and a backoff whose
 * sleep_ms returns non-zero when stopping (the retry wait ends, "retry
 * interrupted"); backoff_stop provides both. */
struct sheets_options {
    struct fetch_options fetch;    /* 0s = defaults: 10 s connect, 120 s total, 64 MiB body */
    const struct backoff *backoff; /* NULL: backoff_init's defaults; copied */
    long chunk_rows;               /* rows per request; 0 = clamp(150000 / columns, 500, 50000) */
    struct sheets_stats *stats;    /* NULL: the client's own; else shared (zeroed, e.g. static),
                                      and it must outlive the client */
};

struct sheets_client;

/* api_base_url is e.g. "https://sheets.googleapis.com" (a trailing `/` is
 * fine). auth may be NULL (no Authorization header, e.g. an emulator without
 * auth); it is borrowed and must outlive the client. o may be NULL. Returns
 * NULL when out of memory. */
struct sheets_client *sheets_client_new(const char *api_base_url, struct gauth *auth,
                                        const struct sheets_options *o);
void sheets_client_free(struct sheets_client *c);

/* The counters this client adds to. */
struct sheets_stats *sheets_client_stats(struct sheets_client *c);

struct sheets_tab {
    char *title;
    long sheet_id;
    long index; /* 0-based position among the tabs */
    long row_count, column_count;
};

struct sheets_meta {
    char *title, *locale, *time_zone;
    struct sheets_tab *tabs; /* in the order Google lists them */
    size_t ntabs;
};

/* Frees the strings and tabs; m itself is the caller's. */
void sheets_meta_free(struct sheets_meta *m);

/* Reads the spreadsheet's title, locale, timeZone and tabs. Returns 0, or -1
 * with one line in err, e.g. "spreadsheet 1AbC: HTTP 404 NOT_FOUND: Requested
 * entity was not found.". On error *out is left empty. */
int sheets_get_meta(struct sheets_client *c, const char *spreadsheet_id, struct sheets_meta *out,
                    char *err, size_t errlen);

/* The tab titled `name` (exact match), or the first tab (index 0) when name
 * is NULL or "". Returns NULL with one line in err naming the tabs there are. */
const struct sheets_tab *sheets_meta_find_tab(const struct sheets_meta *m, const char *name,
                                              char *err, size_t errlen);

/* Called once per non-empty row, in increasing row order. row->row is the
 * sheet row; cells are borrowed until the call returns (text is
 * NUL-terminated). Numbers are CELL_NUMBER (dates arrive as serial numbers),
 * true/false CELL_BOOL, strings CELL_TEXT, "" and anything else CELL_EMPTY;
 * rows are ragged. Return 0 to go on, anything else to stop. */
typedef int (*sheets_row_fn)(void *arg, const struct sheet_row *row);

enum {
    SHEETS_ERR = -1,          /* an API, network or response error; see err */
    SHEETS_ERR_CALLBACK = -2, /* the row callback stopped the read */
};

/* Reads rows first_row..last_row (1-based, inclusive; last_row 0 = to the
 * tab's row_count, which also caps last_row) of every column of `tab`, as
 * ranges like `'My Sheet'!5:9` with UNFORMATTED_VALUE, SERIAL_NUMBER and
 * ROWS, one chunk per request; memory is bounded by one chunk. The tab comes
 * from sheets_get_meta: its column_count sizes the chunks and its row_count
 * bounds a whole-sheet read (a chunk starting past the grid would be a 400).
 * If the sheet shrank since the metadata was read, reading stops at its new
 * end.
 *
 * Returns 0, SHEETS_ERR with one line in err, e.g. "spreadsheet 1AbC range
 * 'Issues'!2:20001: HTTP 403 PERMISSION_DENIED: The caller does not have
 * permission", or SHEETS_ERR_CALLBACK. `rows_out` (may be NULL) receives the
 * number of rows passed to fn. */
int sheets_read_rows(struct sheets_client *c, const char *spreadsheet_id,
                     const struct sheets_tab *tab, long first_row, long last_row, sheets_row_fn fn,
                     void *arg, long *rows_out, char *err, size_t errlen);

/* The rows per request used for a tab with `columns` columns. */
long sheets_chunk_rows(const struct sheets_client *c, long columns);

#endif

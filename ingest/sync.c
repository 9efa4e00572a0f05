#include "ingest/sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/read.h"

/* Rows flow from the Sheets client straight into the loader: one chunk in
 * memory at a time, whatever the size of the sheet. */
struct feed {
    struct load *load;
    bool header; /* the next row is the header row */
    long header_row;
    bool saw_header;
    char err[512];
};

static int feed_row(void *arg, const struct sheet_row *row)
{
    struct feed *f = arg;
    if (f->header) {
        f->saw_header = true;
        return load_header(f->load, row, f->err, sizeof f->err);
    }
    return load_row(f->load, row, f->err, sizeof f->err);
}

static int full_sync(struct store *st, struct sheets_client *c, const struct sync_source *src,
                     const struct sync_request *req, struct load_stats *stats, char *err,
                     size_t errlen)
{
    struct sheets_meta meta = {0};
    struct load *l = NULL;
    struct feed f = {.header_row = src->header_row > 0 ? src->header_row : 1};
    int rc = -1;
    struct load_options o = {
        .source = src->name,
        .kind = "sheets",
        .spreadsheet_id = src->spreadsheet_id,
        .sheet = src->sheet,
        .header_row = f.header_row,
        .aliases = src->aliases,
        .trigger = req->trigger,
        .full = true,
        .reclean = req->reclean,
    };
    if (sheets_get_meta(c, src->spreadsheet_id, &meta, err, errlen)) {
        load_record_failure(st, &o, err);
        goto out;
    }
    const struct sheets_tab *tab = sheets_meta_find_tab(&meta, src->sheet, err, errlen);
    if (!tab) {
        load_record_failure(st, &o, err);
        goto out;
    }
    o.sheet = tab->title;
    o.locale = meta.locale;
    o.timezone = meta.time_zone;
    if (load_begin(st, &o, &l, err, errlen))
        goto out;
    f.load = l;

    /* The header row alone first: a sheet whose header row is empty still
     * gets its missing_column report. */
    f.header = true;
    if (sheets_read_rows(c, src->spreadsheet_id, tab, f.header_row, f.header_row, feed_row, &f,
                         NULL, err, errlen))
        goto abort;
    if (!f.saw_header) {
        struct sheet_row empty = {.row = f.header_row};
        if (load_header(l, &empty, f.err, sizeof f.err))
            goto abort;
    }
    f.header = false;
    if (tab->row_count > f.header_row &&
        sheets_read_rows(c, src->spreadsheet_id, tab, f.header_row + 1, 0, feed_row, &f, NULL, err,
                         errlen))
        goto abort;
    rc = load_finish(l, stats, err, errlen);
    goto out;
abort:
    if (f.err[0]) /* the loader refused a row: its words are the better ones */
        snprintf(err, errlen, "%s", f.err);
    load_abort(l, err);
out:
    sheets_meta_free(&meta);
    return rc;
}

static int range_sync(struct store *st, struct sheets_client *c, const struct sync_source *src,
                      const struct sync_request *req, const struct store_source *stored,
                      struct load_stats *stats, char *err, size_t errlen)
{
    struct load *l = NULL;
    struct feed f = {.header_row = stored->header_row};
    struct load_options o = {
        .source = src->name,
        .kind = "sheets",
        .spreadsheet_id = src->spreadsheet_id,
        .sheet = stored->sheet,
        .header_row = stored->header_row,
        .locale = stored->locale,
        .timezone = stored->timezone,
        .aliases = src->aliases,
        .trigger = req->trigger,
        .first = req->first,
        .last = req->last,
    };
    if (load_begin(st, &o, &l, err, errlen))
        return -1;
    f.load = l;
    /* The stored tab stands in for spreadsheets.get: a range pull costs one
     * values request. Whole rows, every column. */
    struct sheets_tab tab = {.title = stored->sheet, .row_count = req->last, .column_count = 26};
    if (sheets_read_rows(c, src->spreadsheet_id, &tab, req->first, req->last, feed_row, &f, NULL,
                         err, errlen)) {
        if (f.err[0])
            snprintf(err, errlen, "%s", f.err);
        load_abort(l, err);
        return -1;
    }
    return load_finish(l, stats, err, errlen);
}

int sync_run(struct store *st, struct sheets_client *c, const struct sync_source *src,
             const struct sync_request *req, struct load_stats *stats, char *err, size_t errlen)
{
    struct load_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof *stats);
    if (req->full)
        return full_sync(st, c, src, req, stats, err, errlen);

    struct store_source stored = {0};
    int found = store_source_find(st, src->name, &stored, err, errlen);
    int rc;
    if (found < 0)
        return -1;
    /* Never synced in full, its header moved, or it is configured to read
     * another tab than the one stored: only a full sync is right. */
    long header_row = src->header_row > 0 ? src->header_row : 1;
    if (!found || !stored.last_sync_ok_at || !*stored.sheet || stored.header_row != header_row ||
        strcmp(stored.kind ? stored.kind : "", "sheets") != 0 || req->first <= header_row ||
        (src->sheet && *src->sheet && strcmp(src->sheet, stored.sheet) != 0)) {
        struct sync_request full = *req;
        full.full = true;
        rc = full_sync(st, c, src, &full, stats, err, errlen);
    } else {
        rc = range_sync(st, c, src, req, &stored, stats, err, errlen);
    }
    store_source_cleanup(&stored);
    return rc;
}

#include "ingest/import.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv.h"

/* The tab name a CSV stands for in A1 cells: the file name without its
 * extension ("exports/Issues.csv" -> "Issues"). */
static char *sheet_name(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *name = strdup(strcmp(path, "-") == 0 ? "stdin" : basename(copy));
    free(copy);
    char *dot = name ? strrchr(name, '.') : NULL;
    if (dot && dot != name)
        *dot = '\0';
    return name;
}

int import_csv(struct store *st, const struct import_options *o, struct load_stats *stats,
               char *err, size_t errlen)
{
    struct csv_reader *r = csv_open(o->path, err, errlen);
    struct load *l = NULL;
    char *sheet = sheet_name(o->path);
    char msg[512];
    int rc = -1;
    if (!r || !sheet)
        goto out;

    struct load_options lo = {
        .source = o->source ? o->source : "default",
        .kind = "csv",
        .sheet = sheet,
        .header_row = 1,
        .locale = o->locale,
        .timezone = o->timezone,
        .aliases = o->aliases,
        .trigger = "import",
        .full = true,
        .now = o->now,
    };
    struct sheet_row row;
    /* Read the header before opening the transaction: an empty or binary
     * file then fails without recording a run. */
    int got = csv_next(r, &row);
    if (got <= 0) {
        snprintf(err, errlen, "%s", csv_error(r));
        goto out;
    }
    if (load_begin(st, &lo, &l, err, errlen))
        goto out;
    /* The run records the loader's own words; the caller gets the file too. */
    if (load_header(l, &row, msg, sizeof msg)) {
        snprintf(err, errlen, "%s: %s", o->path, msg);
        goto abort;
    }
    while ((got = csv_next(r, &row)) == 1) {
        if (load_row(l, &row, msg, sizeof msg)) {
            snprintf(err, errlen, "%s: row %ld: %s", o->path, row.row, msg);
            goto abort;
        }
    }
    if (got < 0) {
        snprintf(msg, sizeof msg, "%s", csv_error(r));
        snprintf(err, errlen, "%s", msg);
        goto abort;
    }
    rc = load_finish(l, stats, err, errlen);
    goto out;
abort:
    load_abort(l, msg);
out:
    csv_close(r);
    free(sheet);
    return rc;
}

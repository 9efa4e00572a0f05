#ifndef SHEETSYNC_A1_H
#define SHEETSYNC_A1_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/* A1 notation as the Sheets API reads and echoes it (docs/google-apis.md §1).
 * Columns are 0-based indexes here (0 = A), rows 1-based sheet rows. */

#define A1_MAX_COLUMNS 18278    /* A..ZZZ, Google Sheets' column limit */
#define A1_MAX_ROWS    10000000 /* 10 M cells per spreadsheet bound any row number */

/* Writes the letters of column `col` (0 → "A", 25 → "Z", 26 → "AA",
 * 18277 → "ZZZ") into out, NUL-terminated. Returns 0, or -1 when col is
 * outside [0, A1_MAX_COLUMNS). */
int a1_col_to_letters(long col, char out[4]);

/* Parses n column letters (either case) into a 0-based index. Returns 0, or
 * -1 when empty, not letters, or past ZZZ. */
int a1_col_from_letters(const char *s, size_t n, long *col);

/* True when `name` must be quoted in a range: anything but an ASCII
 * identifier ([A-Za-z_][A-Za-z0-9_]*), or an identifier that reads as a cell
 * (`A1`, `CRM26`), an R1C1 reference (`R1C1`, `R2`, `C`), or a boolean. */
bool a1_sheet_needs_quotes(const char *name);

/* Appends the sheet name as it goes before `!`: bare when that is safe,
 * otherwise in single quotes with `'` doubled (`'Jon''s Data'`). Returns 0,
 * or -1 for an empty name or when the buffer is full. */
int a1_append_sheet(struct buf *out, const char *name);

/* Appends `<sheet>!<first>:<last>` (whole rows, every column), e.g.
 * `'My Sheet'!5:9`. Returns 0, or -1 for bad rows (first < 1, last < first)
 * or a full buffer. */
int a1_append_rows(struct buf *out, const char *sheet, long first_row, long last_row);

/* Appends `<sheet>!<col><row>`, e.g. `Issues!G17` for (17, 6). sheet may be
 * NULL for a bare cell (`G17`). Returns 0 or -1. */
int a1_append_cell(struct buf *out, const char *sheet, long row, long col);

/* An edited block without sheet name, as Apps Script's getA1Notation gives
 * it. Rows are 1-based and inclusive; last_row 0 means "to the last row of
 * the sheet" (whole columns `B:D`, or open-ended `B7:D`). Columns are
 * 0-based and inclusive; -1/-1 means every column (whole rows `7:9`). */
struct a1_block {
    long first_row, last_row;
    long first_col, last_col;
};

/* Parses `B7`, `B7:D9`, `7:9`, `B:D`, `B7:D` (also `$B$7`, lower case, and
 * reversed corners, which are normalised). Returns 0, or -1 for anything else
 * (a sheet name, row 0, rows past A1_MAX_ROWS, columns past ZZZ, mixed
 * forms like `B7:9`, trailing text). */
int a1_parse_block(const char *s, struct a1_block *out);

/* Appends s percent-encoded for a URL path segment: everything but the
 * unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX (so `'`, `!`, `:`
 * and space are encoded, which Google accepts). Returns 0 or -1. */
int a1_append_url_encoded(struct buf *out, const char *s);

#endif

#ifndef SHEETSYNC_CSV_H
#define SHEETSYNC_CSV_H

#include <stddef.h>

#include "ingest/cell.h"

/* A streaming RFC 4180 reader for `sheetsync import-csv` (contract.md §3).
 *
 * - Comma separator, `"` quoting with `""` as an escaped quote; CRLF, LF or a
 *   lone CR end a record; the last record may lack a line end; a UTF-8 BOM at
 *   the start of the file is dropped.
 * - Records, not lines, are counted: record N is sheet row N, so a quoted
 *   newline does not move the row number.
 * - Lenient like Google Sheets' import: a `"` inside an unquoted field is a
 *   literal character (`5" tire` stays `5" tire`), and text after the closing
 *   quote of a quoted field is kept (`"abc"def` reads `abcdef`).
 * - Strict about what Sheets could not hold: the file must be valid UTF-8
 *   (no overlong forms, surrogates or code points past U+10FFFF), contain no
 *   NUL or other C0 control byte except TAB, LF, VT, FF and CR, have no cell
 *   over CSV_MAX_CELL_CHARS characters (code points) and no record over
 *   CSV_MAX_COLUMNS columns or CSV_MAX_RECORD_BYTES bytes.
 * - Memory is bounded: one read buffer plus the current record.
 */

#define CSV_MAX_CELL_CHARS   50000               /* Google Sheets' per-cell limit */
#define CSV_MAX_COLUMNS      18278               /* column ZZZ, Google Sheets' limit */
#define CSV_MAX_RECORD_BYTES (64u * 1024 * 1024) /* bounds memory on hostile input */

struct csv_reader;

/* Opens `path` ("-" = stdin, which is not closed by csv_close). Returns NULL
 * and writes a one-line message naming the file into err on failure. */
struct csv_reader *csv_open(const char *path, char *err, size_t errlen);

/* Reads the next record. Returns 1 with *row filled: row->row is the record's
 * 1-based number (= sheet row), cells are CELL_TEXT, or CELL_EMPTY when
 * zero-length (text "", len 0); nothing is trimmed. Each cell's text is also
 * NUL-terminated. Cells are owned by the reader and valid until the next call.
 * Returns 0 at the end of the file (an empty file is an error: "no header
 * row"), -1 on error; csv_error() then gives one line naming the file, the row
 * and, where it applies, the column letter, e.g.
 * "issues.csv: row 17, column D: unterminated quoted field". After 0 or -1
 * every later call returns the same. */
int csv_next(struct csv_reader *r, struct sheet_row *row);

/* The last error message ("" when none); owned by the reader. */
const char *csv_error(const struct csv_reader *r);

/* Closes the file (unless stdin) and frees the reader. NULL is fine. */
void csv_close(struct csv_reader *r);

/* For tests: read at most n bytes per fread (0 = the default, 256 KiB), so
 * that every split of a record across reads can be exercised. Call before
 * the first csv_next. */
void csv_set_read_size(struct csv_reader *r, size_t n);

#endif

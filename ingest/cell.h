#ifndef SHEETSYNC_CELL_H
#define SHEETSYNC_CELL_H

#include <stddef.h>

/* One cell as it arrives: the Sheets API gives text, numbers and booleans
 * (UNFORMATTED_VALUE, SERIAL_NUMBER); a CSV gives text only. */
enum cell_type { CELL_EMPTY, CELL_TEXT, CELL_NUMBER, CELL_BOOL };

struct cell {
    enum cell_type type;
    const char *text; /* CELL_TEXT: bytes, not necessarily NUL-terminated; borrowed */
    size_t len;       /* CELL_TEXT: length of text */
    double num;       /* CELL_NUMBER: the value; CELL_BOOL: 0 or 1 */
};

/* One sheet row as a person sees it: `row` is 1-based. Cells are borrowed. */
struct sheet_row {
    long row;
    const struct cell *cells;
    size_t ncells;
};

#endif

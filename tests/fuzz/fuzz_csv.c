/* libFuzzer driver: the CSV reader on arbitrary bytes. Every record it
 * returns must be well formed; errors must come with a message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_csv_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size)
        abort();
    close(fd);
    char err[256];
    struct csv_reader *r = csv_open(path, err, sizeof err);
    if (!r)
        abort();
    csv_set_read_size(r, 1 + size % 7); /* split records across reads */
    struct sheet_row row;
    long last = 0;
    int got;
    while ((got = csv_next(r, &row)) == 1) {
        if (row.row != last + 1)
            abort();
        last = row.row;
        for (size_t i = 0; i < row.ncells; i++)
            if (row.cells[i].type == CELL_TEXT && strlen(row.cells[i].text) > row.cells[i].len)
                abort();
    }
    if (got < 0 && csv_error(r)[0] == '\0')
        abort();
    csv_close(r);
    unlink(path);
    return 0;
}

/* libFuzzer driver: A1 blocks as a notification names them ("B7:D9"). A
 * parsed block must be ordered. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/a1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[256];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct a1_block b;
    if (a1_parse_block(s, &b) == 0) {
        if (b.first_row < 1 || (b.last_row != 0 && b.last_row < b.first_row))
            abort();
        /* Whole rows have no columns (-1); otherwise an ordered pair. */
        if (b.last_col >= 0 && (b.first_col < 0 || b.last_col < b.first_col))
            abort();
    }
    return 0;
}

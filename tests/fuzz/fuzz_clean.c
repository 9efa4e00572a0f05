/* libFuzzer driver: the cleaning rules on arbitrary rows. The input is split
 * on 0x1f into cells; the first line is the header. A cell starting with
 * 0x01 is read as a number, 0x02 as a boolean, so typed Sheets cells are
 * exercised too. Every problem must name a known field and a code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/clean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t split(const char *s, size_t n, struct cell *cells, size_t max)
{
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= n && count < max; i++) {
        if (i < n && s[i] != 0x1f)
            continue;
        struct cell *c = &cells[count++];
        const char *p = s + start;
        size_t len = i - start;
        memset(c, 0, sizeof *c);
        if (len > 0 && p[0] == 0x01) {
            c->type = CELL_NUMBER;
            c->num = strtod(p + 1 < s + n ? p + 1 : "0", NULL); /* reads up to a non-digit */
        } else if (len > 0 && p[0] == 0x02) {
            c->type = CELL_BOOL;
            c->num = len > 1;
        } else {
            c->type = len ? CELL_TEXT : CELL_EMPTY;
            c->text = p;
            c->len = len;
        }
        start = i + 1;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* strtod needs an end */
    const char *nl = memchr(s, '\n', size);
    size_t hlen = nl ? (size_t)(nl - s) : size;
    struct cell header[32], cells[32];
    size_t nh = split(s, hlen, header, 32);
    size_t nc = nl ? split(nl + 1, size - hlen - 1, cells, 32) : 0;

    struct clean_problems probs = {0};
    struct clean_header_map map;
    const char *locale = size % 2 ? "en_US" : "de_DE";
    if (clean_header_map(header, nh, 1, NULL, &map, &probs) == 0) {
        struct sheet_row row = {.row = 2, .cells = cells, .ncells = nc};
        struct clean_issue ci;
        clean_row(&map, locale, &row, &ci, &probs);
        if (!ci.empty && (!ci.vehicle_key || !ci.priority || !ci.status || !ci.labels_json))
            abort();
        clean_issue_free(&ci);
        clean_header_map_free(&map);
    }
    for (size_t i = 0; i < probs.n; i++)
        if (!probs.v[i].code || !probs.v[i].message)
            abort();
    clean_problems_free(&probs);
    free(s);
    return 0;
}

/* A1 notation as the Sheets API reads and echoes it (docs/google-apis.md §1). */
#include "tests/emulator/emu.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COL 18278     /* ZZZ */
#define MAX_ROW 100000000 /* far past Sheets' 10M-cell limit */

/* One end of a range: either part may be absent (0). */
struct ep {
    long col, row;
};

static bool parse_ep(const char *s, size_t n, struct ep *e)
{
    size_t i = 0, letters = 0;
    e->col = e->row = 0;
    if (i < n && s[i] == '$')
        i++;
    while (i < n && isalpha((unsigned char)s[i])) {
        if (++letters > 3)
            return false;
        e->col = e->col * 26 + (toupper((unsigned char)s[i]) - 'A' + 1);
        i++;
    }
    if (i < n && s[i] == '$') {
        if (letters == 0)
            return false;
        i++;
    }
    size_t digits = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        e->row = e->row * 10 + (s[i] - '0');
        if (e->row > MAX_ROW)
            return false;
        digits++;
        i++;
    }
    if (i != n || (letters == 0 && digits == 0))
        return false;
    if (e->col > MAX_COL || (digits > 0 && e->row == 0))
        return false;
    if (s[0] == '$' && letters == 0 && digits == 0)
        return false;
    return true;
}

/* "A1", "A1:B2", "A:B", "1:2", "A5:A", ... */
static bool parse_cells(const char *s, size_t n, struct ep *a, struct ep *b, bool *two)
{
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        *two = false;
        return parse_ep(s, n, a) && a->col && a->row;
    }
    *two = true;
    size_t k = (size_t)(colon - s);
    if (!parse_ep(s, k, a) || !parse_ep(colon + 1, n - k - 1, b))
        return false;
    /* A row on one side and only a column on the other ("1:A") means nothing. */
    if ((!a->col && b->col && !b->row) || (!a->row && b->row && !b->col))
        return false;
    return true;
}

size_t emu_a1_col(long col, char *out)
{
    char tmp[8];
    size_t i = 0, k = 0;
    while (col > 0 && i < sizeof tmp) {
        col--;
        tmp[i++] = (char)('A' + col % 26);
        col /= 26;
    }
    while (i)
        out[k++] = tmp[--i];
    out[k] = '\0';
    return k;
}

/* Sheets quotes a name unless it is a plain identifier that cannot be read as
 * a cell (`A1`, `CRM26`) or an R1C1 reference (`R1C1`, `RC`). */
static bool needs_quote(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return true;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_') || (unsigned char)s[i] >= 0x80)
            return true;
    size_t i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    if (i >= 1 && i <= 3 && i < n) {
        size_t j = i;
        while (j < n && isdigit((unsigned char)s[j]))
            j++;
        if (j == n)
            return true;
    }
    i = 0;
    if (s[i] == 'R' || s[i] == 'r') {
        i++;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i < n && (s[i] == 'C' || s[i] == 'c')) {
            i++;
            while (i < n && isdigit((unsigned char)s[i]))
                i++;
            if (i == n)
                return true;
        }
    }
    return false;
}

void emu_a1_format(struct jbuf *out, const char *title, long r1, long c1, long r2, long c2)
{
    if (needs_quote(title)) {
        emu_jb_add(out, "'", 1);
        for (const char *p = title; *p; p++) {
            if (*p == '\'')
                emu_jb_add(out, "''", 2); /* an apostrophe is doubled */
            else
                emu_jb_add(out, p, 1);
        }
        emu_jb_add(out, "'", 1);
    } else {
        emu_jb_puts(out, title);
    }
    char col[8];
    emu_jb_add(out, "!", 1);
    emu_jb_add(out, col, emu_a1_col(c1, col));
    emu_jb_printf(out, "%ld", r1);
    if (r1 == r2 && c1 == c2)
        return;
    emu_jb_add(out, ":", 1);
    emu_jb_add(out, col, emu_a1_col(c2, col));
    emu_jb_printf(out, "%ld", r2);
}

int emu_a1_resolve(const struct emu_book *b, const char *in, struct emu_range *out, char *msg,
                   size_t msglen)
{
    size_t n = strlen(in);
    const char *cells = NULL;
    size_t ncells = 0;
    struct emu_tab *tab = NULL;
    struct ep a = {0, 0}, e = {0, 0};
    bool two = false, whole = false;
    char *name = NULL;
    memset(out, 0, sizeof *out);

    if (n == 0)
        goto parse_error;
    if (in[0] == '\'') {
        name = malloc(n);
        if (!name)
            goto parse_error;
        size_t k = 0, i = 1;
        for (;; i++) {
            if (i >= n)
                goto parse_error; /* unterminated */
            if (in[i] == '\'') {
                if (i + 1 < n && in[i + 1] == '\'') {
                    name[k++] = '\'';
                    i++;
                    continue;
                }
                break;
            }
            name[k++] = in[i];
        }
        if (k == 0)
            goto parse_error;
        i++;
        if (i == n) {
            whole = true;
        } else if (in[i] == '!' && i + 1 < n) {
            cells = in + i + 1;
            ncells = n - i - 1;
        } else {
            goto parse_error;
        }
        tab = emu_book_tab(b, name, k);
    } else {
        const char *bang = strrchr(in, '!');
        if (bang) {
            if (bang == in || bang[1] == '\0')
                goto parse_error;
            cells = bang + 1;
            ncells = strlen(cells);
            tab = emu_book_tab(b, in, (size_t)(bang - in));
        } else if (parse_cells(in, n, &a, &e, &two)) {
            cells = in;
            ncells = n;
            tab = b->ntabs ? b->tabs[0] : NULL; /* the first visible sheet */
        } else {
            whole = true;
            tab = emu_book_tab(b, in, n);
        }
    }
    if (!tab)
        goto parse_error;
    if (cells && !parse_cells(cells, ncells, &a, &e, &two))
        goto parse_error;

    out->tab = tab;
    long rows = tab->row_count, cols = tab->col_count;
    if (whole) {
        out->r1 = out->c1 = 1;
        out->r2 = rows;
        out->c2 = cols;
        out->ur2 = out->uc2 = LONG_MAX;
    } else if (!two) {
        out->r1 = out->r2 = out->ur2 = a.row;
        out->c1 = out->c2 = out->uc2 = a.col;
        out->single = true;
    } else {
        out->r1 = a.row ? a.row : 1;
        out->c1 = a.col ? a.col : 1;
        out->r2 = e.row ? e.row : rows;
        out->c2 = e.col ? e.col : cols;
        if (a.row && e.row && out->r1 > out->r2) {
            long t = out->r1;
            out->r1 = out->r2;
            out->r2 = t;
        }
        if (a.col && e.col && out->c1 > out->c2) {
            long t = out->c1;
            out->c1 = out->c2;
            out->c2 = t;
        }
        out->ur2 = e.row ? out->r2 : LONG_MAX;
        out->uc2 = e.col ? out->c2 : LONG_MAX;
    }
    if (out->r1 > rows || out->c1 > cols) {
        struct jbuf r;
        emu_jb_init(&r, false);
        emu_a1_format(&r, tab->title, out->r1, out->c1, out->r2, out->c2);
        snprintf(msg, msglen, "Range (%s) exceeds grid limits. Max rows: %ld, max columns: %ld",
                 r.p ? r.p : "", rows, cols);
        emu_jb_free(&r);
        free(name);
        return EMU_A1_GRID;
    }
    if (out->r2 > rows)
        out->r2 = rows;
    if (out->c2 > cols)
        out->c2 = cols;
    free(name);
    return EMU_A1_OK;

parse_error:
    free(name);
    snprintf(msg, msglen, "Unable to parse range: %s", in);
    return EMU_A1_PARSE;
}

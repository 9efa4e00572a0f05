#include "ingest/a1.h"

#include <string.h>
#include <strings.h>

static bool is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int a1_col_to_letters(long col, char out[4])
{
    if (col < 0 || col >= A1_MAX_COLUMNS)
        return -1;
    /* Bijective base 26: A..Z, AA..ZZ, AAA..ZZZ. */
    char tmp[4];
    int n = 0;
    long v = col + 1;
    while (v > 0) {
        v--;
        tmp[n++] = (char)('A' + v % 26);
        v /= 26;
    }
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return 0;
}

int a1_col_from_letters(const char *s, size_t n, long *col)
{
    if (n == 0 || n > 3)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return -1;
        v = v * 26 + (c - 'A' + 1);
    }
    *col = v - 1; /* three letters top out at ZZZ = 18277 */
    return 0;
}

/* `A1`, `CRM26`, `ab7`: one to three letters (a column up to ZZZ), then a
 * row number. `Sheet1` has five letters, so it is not a cell. */
static bool looks_like_cell(const char *s)
{
    size_t letters = 0;
    while (is_alpha(s[letters]))
        letters++;
    if (letters == 0 || letters > 3 || !is_digit(s[letters]))
        return false;
    for (const char *p = s + letters; *p; p++)
        if (!is_digit(*p))
            return false;
    return true;
}

/* R1C1 references: `R`, `C`, `R1`, `C1`, `RC`, `R1C1`, `R1C`, `RC1`. */
static bool looks_like_r1c1(const char *s)
{
    const char *p = s;
    bool any = false;
    if (*p == 'R' || *p == 'r') {
        p++;
        any = true;
        while (is_digit(*p))
            p++;
    }
    if (*p == 'C' || *p == 'c') {
        p++;
        any = true;
        while (is_digit(*p))
            p++;
    }
    return any && *p == '\0';
}

bool a1_sheet_needs_quotes(const char *name)
{
    if (!name[0])
        return true;
    if (!(is_alpha(name[0]) || name[0] == '_'))
        return true; /* digits first (`2024`), punctuation, non-ASCII */
    for (const char *p = name; *p; p++)
        if (!(is_alpha(*p) || is_digit(*p) || *p == '_'))
            return true;
    return looks_like_cell(name) || looks_like_r1c1(name) || strcasecmp(name, "TRUE") == 0 ||
           strcasecmp(name, "FALSE") == 0;
}

int a1_append_sheet(struct buf *out, const char *name)
{
    if (!name || !name[0])
        return -1;
    if (!a1_sheet_needs_quotes(name))
        return buf_puts(out, name);
    size_t start = out->len;
    if (buf_append(out, "'", 1))
        return -1;
    for (const char *p = name; *p; p++) {
        const char *q = strchr(p, '\'');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (buf_append(out, p, n))
            goto fail;
        if (!q)
            break;
        if (buf_append(out, "''", 2))
            goto fail;
        p = q;
    }
    if (buf_append(out, "'", 1) == 0)
        return 0;
fail:
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return -1;
}

int a1_append_rows(struct buf *out, const char *sheet, long first_row, long last_row)
{
    if (first_row < 1 || last_row < first_row)
        return -1;
    size_t start = out->len;
    if (a1_append_sheet(out, sheet) == 0 && buf_printf(out, "!%ld:%ld", first_row, last_row) == 0)
        return 0;
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return -1;
}

int a1_append_cell(struct buf *out, const char *sheet, long row, long col)
{
    char letters[4];
    if (row < 1 || a1_col_to_letters(col, letters))
        return -1;
    size_t start = out->len;
    if (sheet && (a1_append_sheet(out, sheet) || buf_append(out, "!", 1)))
        goto fail;
    if (buf_printf(out, "%s%ld", letters, row) == 0)
        return 0;
fail:
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    return -1;
}

/* One corner of a block: `$B$7`, `B`, `7`. Sets col/row to -1 when absent.
 * Returns the number of characters read, or 0 when none form a reference. */
static size_t parse_ref(const char *s, long *col, long *row)
{
    const char *p = s;
    *col = *row = -1;
    if (*p == '$')
        p++;
    const char *letters = p;
    while (is_alpha(*p))
        p++;
    if (p > letters) {
        if (a1_col_from_letters(letters, (size_t)(p - letters), col))
            return 0;
        if (*p == '$')
            p++;
    }
    if (is_digit(*p)) {
        long v = 0;
        while (is_digit(*p)) {
            v = v * 10 + (*p - '0');
            if (v > A1_MAX_ROWS)
                return 0;
            p++;
        }
        if (v < 1)
            return 0;
        *row = v;
    }
    if (*col < 0 && *row < 0)
        return 0;
    if (p[-1] == '$')
        return 0; /* a dangling `$` */
    return (size_t)(p - s);
}

static void order(long *a, long *b)
{
    if (*a > *b) {
        long t = *a;
        *a = *b;
        *b = t;
    }
}

int a1_parse_block(const char *s, struct a1_block *out)
{
    long c1, r1, c2, r2;
    size_t n = parse_ref(s, &c1, &r1);
    if (n == 0)
        return -1;
    s += n;
    if (*s == '\0') {
        if (c1 < 0 || r1 < 0)
            return -1; /* `B` or `7` alone is not a range */
        *out = (struct a1_block){r1, r1, c1, c1};
        return 0;
    }
    if (*s != ':')
        return -1;
    s++;
    n = parse_ref(s, &c2, &r2);
    if (n == 0 || s[n] != '\0')
        return -1;

    struct a1_block b;
    if (c1 >= 0 && r1 >= 0 && c2 >= 0 && r2 >= 0) { /* B7:D9 */
        order(&r1, &r2);
        b = (struct a1_block){r1, r2, c1, c2};
    } else if (c1 < 0 && c2 < 0) { /* 7:9 */
        order(&r1, &r2);
        b = (struct a1_block){r1, r2, -1, -1};
    } else if (r1 < 0 && r2 < 0) { /* B:D */
        b = (struct a1_block){1, 0, c1, c2};
    } else if (c1 >= 0 && r1 >= 0 && c2 >= 0) { /* B7:D, open-ended */
        b = (struct a1_block){r1, 0, c1, c2};
    } else {
        return -1; /* B7:9, 7:B9, B:D9 */
    }
    if (b.first_col >= 0)
        order(&b.first_col, &b.last_col);
    *out = b;
    return 0;
}

int a1_append_url_encoded(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = out->len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if (is_alpha((char)*p) || is_digit((char)*p) || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~') {
            rc = buf_append(out, p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = buf_append(out, esc, 3);
        }
        if (rc) {
            out->len = start;
            if (out->data)
                out->data[start] = '\0';
            return -1;
        }
    }
    return 0;
}

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/csv.h"

/* ---- helpers ---- */

/* Writes n bytes to a new temporary file; returns its malloc'd path. */
static char *write_temp(const char *data, size_t n)
{
    char *path = strdup("/tmp/test_csv_XXXXXX");
    cr_assert_not_null(path);
    int fd = mkstemp(path);
    cr_assert(fd >= 0, "mkstemp failed");
    FILE *f = fdopen(fd, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
    return path;
}

/* A growable string. */
struct str {
    char *s;
    size_t len, cap;
};

static void str_add(struct str *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = realloc(b->s, cap);
        cr_assert_not_null(b->s);
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void str_addz(struct str *b, const char *z)
{
    str_add(b, z, strlen(z));
}

/* Serialises one cell as <text>, escaping \ CR LF; checks the cell's type and
 * its NUL terminator on the way. */
static void add_cell(struct str *b, const char *text, size_t len)
{
    str_addz(b, "<");
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            str_addz(b, "\\n");
        else if (text[i] == '\r')
            str_addz(b, "\\r");
        else if (text[i] == '\\')
            str_addz(b, "\\\\");
        else
            str_add(b, text + i, 1);
    }
    str_addz(b, ">");
}

static void add_row(struct str *b, const struct sheet_row *row)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", row->row);
    str_addz(b, num);
    for (size_t i = 0; i < row->ncells; i++) {
        const struct cell *c = &row->cells[i];
        if (c->len == 0)
            cr_expect_eq(c->type, CELL_EMPTY, "row %ld cell %zu: zero-length but not CELL_EMPTY",
                         row->row, i);
        else
            cr_expect_eq(c->type, CELL_TEXT, "row %ld cell %zu: not CELL_TEXT", row->row, i);
        cr_expect_not_null(c->text);
        cr_expect_eq(c->text[c->len], '\0', "row %ld cell %zu: not NUL-terminated", row->row, i);
        add_cell(b, c->text, c->len);
    }
    str_addz(b, "\n");
}

/* Reads the whole file with the given read size. Returns csv_next's last
 * result (0 or -1); records go to out, the error message to err. */
static int read_all(const char *path, size_t read_size, struct str *out, char *err, size_t errlen)
{
    char oerr[256];
    struct csv_reader *r = csv_open(path, oerr, sizeof oerr);
    cr_assert_not_null(r, "csv_open: %s", oerr);
    csv_set_read_size(r, read_size);
    struct sheet_row row;
    int rc;
    long last = 0;
    while ((rc = csv_next(r, &row)) == 1) {
        cr_assert_eq(row.row, last + 1, "record numbers must be consecutive");
        last = row.row;
        add_row(out, &row);
    }
    snprintf(err, errlen, "%s", csv_error(r));
    /* Sticky end and error. */
    cr_expect_eq(csv_next(r, &row), rc);
    csv_close(r);
    return rc;
}

/* ---- the table ---- */

struct parse_case {
    const char *name;
    const char *in;
    size_t inlen;
    const char *want; /* serialised records read before the end or the error */
    const char *err;  /* NULL: reading succeeds; else a substring of the error */
    long err_row;     /* the row the error names */
};

#define IN(s) s, sizeof(s) - 1

static const struct parse_case cases[] = {
    {"simple", IN("a,b,c\n1,2,3\n"), "1<a><b><c>\n2<1><2><3>\n", NULL, 0},
    {"no final newline", IN("a,b\n1,2"), "1<a><b>\n2<1><2>\n", NULL, 0},
    {"crlf", IN("a,b\r\n1,2\r\n"), "1<a><b>\n2<1><2>\n", NULL, 0},
    {"crlf no final newline", IN("a,b\r\n1,2"), "1<a><b>\n2<1><2>\n", NULL, 0},
    {"lone cr ends a record", IN("a,b\r1,2\r"), "1<a><b>\n2<1><2>\n", NULL, 0},
    {"mixed line ends", IN("a\r\nb\nc\rd"), "1<a>\n2<b>\n3<c>\n4<d>\n", NULL, 0},
    {"bom stripped", IN("\xEF\xBB\xBFIssue #,Vehicle\n1,Truck 12\n"),
     "1<Issue #><Vehicle>\n2<1><Truck 12>\n", NULL, 0},
    {"bom only at the start",
     IN("a\n\xEF\xBB\xBF"
        "b\n"),
     "1<a>\n2<\xEF\xBB\xBF"
     "b>\n",
     NULL, 0},
    {"quoted newline keeps row numbers",
     IN("h1,h2\n1,\"line one\nline two\"\n2,x\n3,\"a\r\nb\"\n4,y\n"),
     "1<h1><h2>\n2<1><line one\\nline two>\n3<2><x>\n4<3><a\\r\\nb>\n5<4><y>\n", NULL, 0},
    {"many quoted newlines", IN("h\n\"\n\n\n\"\nz\n"), "1<h>\n2<\\n\\n\\n>\n3<z>\n", NULL, 0},
    {"embedded doubled quotes", IN("\"say \"\"hi\"\"\",\"\"\"\",\"\"\n"), "1<say \"hi\"><\"><>\n",
     NULL, 0},
    {"quoted comma", IN("\"a,b\",c\n"), "1<a,b><c>\n", NULL, 0},
    {"empty cells", IN("a,,c\n,,\n,\n"), "1<a><><c>\n2<><><>\n3<><>\n", NULL, 0},
    {"blank line is a record", IN("a\n\nb\n"), "1<a>\n2<>\n3<b>\n", NULL, 0},
    {"blank crlf line", IN("a\r\n\r\nb\r\n"), "1<a>\n2<>\n3<b>\n", NULL, 0},
    {"trailing empty field", IN("a,\n"), "1<a><>\n", NULL, 0},
    {"ragged rows", IN("a,b,c\n1\n1,2,3,4,5\n\n1,2\n"),
     "1<a><b><c>\n2<1>\n3<1><2><3><4><5>\n4<>\n5<1><2>\n", NULL, 0},
    {"no trimming", IN("  a , b\t,\" c \"\n"), "1<  a >< b\t>< c >\n", NULL, 0},
    {"stray quote in unquoted field is literal", IN("5\" tire,a\"b\"\n"), "1<5\" tire><a\"b\">\n",
     NULL, 0},
    {"text after closing quote is kept", IN("\"abc\"def,\"x\" \n"), "1<abcdef><x >\n", NULL, 0},
    {"quote at field start only", IN("a, \"b\"\n"), "1<a>< \"b\">\n", NULL, 0},
    {"utf-8 ok", IN("caf\xC3\xA9,\xE2\x82\xAC,\xF0\x9F\x9A\x9A,\xF4\x8F\xBF\xBF,\xEF\xBF\xBF\n"),
     "1<caf\xC3\xA9><\xE2\x82\xAC><\xF0\x9F\x9A\x9A><\xF4\x8F\xBF\xBF><\xEF\xBF\xBF>\n", NULL, 0},
    {"tab vt ff allowed", IN("a\tb,\v,\f\n"), "1<a\tb><\v><\f>\n", NULL, 0},
    {"only a newline", IN("\n"), "1<>\n", NULL, 0},
    {"header only", IN("Issue #,Reported Date"), "1<Issue #><Reported Date>\n", NULL, 0},

    /* errors */
    {"empty file", IN(""), "", "row 1: no header row", 1},
    {"bom only file", IN("\xEF\xBB\xBF"), "", "no header row", 1},
    {"unterminated quote", IN("a,b\n1,\"open\n2,x\n3,y\n"), "1<a><b>\n",
     "row 2, column B: unterminated quoted field", 2},
    {"unterminated quote at eof", IN("a\n\""), "1<a>\n",
     "row 2, column A: unterminated quoted field", 2},
    {"nul byte", IN("a,b\n1,x\0y\n"), "1<a><b>\n", "row 2, column B: NUL byte", 2},
    {"nul byte in quotes", IN("a\n\"\0\"\n"), "1<a>\n", "row 2, column A: NUL byte", 2},
    {"control byte", IN("a,b,\x01\n"), "", "row 1, column C: control character 0x01", 1},
    {"binary garbage",
     IN("h\n\x7F"
        "ELF\x02\x01\x01\0\0\0"),
     "1<h>\n", "row 2, column A: control character 0x02", 2},
    {"utf-16 le", IN("\xFF\xFEI\0s\0"), "", "UTF-16", 1},
    {"utf-16 be", IN("\xFE\xFF\0I\0s"), "", "UTF-16", 1},
    {"latin-1 byte", IN("a\ncaf\xE9,x\n"), "1<a>\n", "row 2, column A: invalid UTF-8: bytes E9 2C",
     2},
    {"stray continuation", IN("a,\x80\n"), "",
     "row 1, column B: invalid UTF-8: byte 80 (save the file as UTF-8)", 1},
    {"overlong 2-byte", IN("\xC0\xAF\n"), "", "invalid UTF-8: byte C0", 1},
    {"overlong 2-byte c1", IN("\xC1\xBF\n"), "", "invalid UTF-8: byte C1", 1},
    {"overlong 3-byte", IN("x\n\xE0\x80\xAF\n"), "1<x>\n",
     "row 2, column A: invalid UTF-8: bytes E0 80", 2},
    {"overlong 4-byte", IN("\xF0\x8F\xBF\xBF\n"), "", "invalid UTF-8: bytes F0 8F", 1},
    {"surrogate", IN("a,b,\xED\xA0\x80\n"), "", "row 1, column C: invalid UTF-8: bytes ED A0", 1},
    {"surrogate low", IN("\xED\xBF\xBF\n"), "", "invalid UTF-8: bytes ED BF", 1},
    {"past U+10FFFF", IN("\xF4\x90\x80\x80\n"), "", "invalid UTF-8: bytes F4 90", 1},
    {"lead f5", IN("\xF5\x80\x80\x80\n"), "", "invalid UTF-8: byte F5", 1},
    {"lead ff", IN("ok\n\"\xFF\"\n"), "1<ok>\n", "invalid UTF-8: byte FF", 2},
    {"truncated sequence", IN("\xE2\x82,x\n"), "",
     "invalid UTF-8: bytes E2 82 2C (save the file as UTF-8)", 1},
    {"truncated at eof", IN("a\n\xF0\x9F\x9A"), "1<a>\n",
     "row 2, column A: invalid UTF-8: bytes F0 9F 9A cut off at the end of the file", 2},
    {"quoted newline then error", IN("h\n\"x\ny\"\n\xFF\n"), "1<h>\n2<x\\ny>\n",
     "row 3, column A: invalid UTF-8", 3},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* Every case is read with the default buffer and with tiny reads, so that
 * every CR LF, "", UTF-8 sequence and BOM is also split across reads. */
static const size_t read_sizes[] = {0, 1, 2, 3, 7};

ParameterizedTestParameters(csv, table)
{
    static int idx[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, NCASES);
}

ParameterizedTest(int *i, csv, table)
{
    const struct parse_case *tc = &cases[*i];
    char *path = write_temp(tc->in, tc->inlen);
    for (size_t k = 0; k < sizeof read_sizes / sizeof read_sizes[0]; k++) {
        struct str got = {0};
        char err[512];
        str_addz(&got, "");
        int rc = read_all(path, read_sizes[k], &got, err, sizeof err);
        cr_expect_str_eq(got.s, tc->want, "[%s, read size %zu] records", tc->name, read_sizes[k]);
        if (tc->err == NULL) {
            cr_expect_eq(rc, 0, "[%s, read size %zu] unexpected error: %s", tc->name, read_sizes[k],
                         err);
            cr_expect_str_eq(err, "", "[%s] error message without an error", tc->name);
        } else {
            char rowtxt[64];
            snprintf(rowtxt, sizeof rowtxt, "%s: row %ld", path, tc->err_row);
            cr_expect_eq(rc, -1, "[%s, read size %zu] expected an error", tc->name, read_sizes[k]);
            cr_expect(strstr(err, tc->err) != NULL, "[%s, read size %zu] error '%s' lacks '%s'",
                      tc->name, read_sizes[k], err, tc->err);
            cr_expect(strncmp(err, rowtxt, strlen(rowtxt)) == 0,
                      "[%s, read size %zu] error '%s' does not start with '%s'", tc->name,
                      read_sizes[k], err, rowtxt);
            cr_expect(strchr(err, '\n') == NULL, "[%s] error is not one line", tc->name);
        }
        free(got.s);
    }
    unlink(path);
    free(path);
}

/* ---- limits ---- */

/* A file "h\n" + prefix + n copies of unit + suffix. */
static char *make_cell_file(const char *prefix, const char *unit, size_t n, const char *suffix,
                            size_t *len)
{
    struct str b = {0};
    str_addz(&b, "h\n");
    str_addz(&b, prefix);
    for (size_t i = 0; i < n; i++)
        str_addz(&b, unit);
    str_addz(&b, suffix);
    char *path = write_temp(b.s, b.len);
    *len = b.len;
    free(b.s);
    return path;
}

/* Reads record 2 of a file; returns csv_next's result for it. */
static int read_second(const char *path, struct sheet_row *row, struct csv_reader **out)
{
    char err[256];
    struct csv_reader *r = csv_open(path, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(csv_next(r, row), 1);
    *out = r;
    return csv_next(r, row);
}

struct limit_case {
    const char *prefix, *unit, *suffix;
    size_t n;
    const char *err; /* NULL: fits */
    size_t bytes;    /* length of the cell when it fits */
};

static const struct limit_case limit_cases[] = {
    {"", "x", "\n", 50000, NULL, 50000},
    {"\"", "x", "\"\n", 50000, NULL, 50000},
    {"\"", "\xC3\xA9", "\"\n", 50000, NULL, 100000},       /* characters, not bytes */
    {"", "\xF0\x9F\x9A\x9A", ",x\n", 50000, NULL, 200000}, /* 4-byte characters */
    {"\"", "\"\"", "\"\n", 50000, NULL, 50000},            /* "" counts as one */
    {"", "x", "\n", 50001, "row 2, column A: cell longer than 50000 characters", 0},
    {"a,", "\xC3\xA9", "", 50001, "row 2, column B: cell longer than 50000 characters", 0},
    {"\"", "x", "\"\n", 50001, "a quoted field that never ends?", 0},
    {"\"", "\"\"", "\"\n", 50001, "cell longer than 50000 characters", 0},
};

ParameterizedTestParameters(csv, cell_limit)
{
    static int idx[sizeof limit_cases / sizeof limit_cases[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(int *i, csv, cell_limit)
{
    const struct limit_case *lc = &limit_cases[*i];
    size_t len;
    char *path = make_cell_file(lc->prefix, lc->unit, lc->n, lc->suffix, &len);
    struct sheet_row row;
    struct csv_reader *r;
    int rc = read_second(path, &row, &r);
    if (lc->err == NULL) {
        cr_assert_eq(rc, 1, "case %d: %s", *i, csv_error(r));
        cr_expect_eq(row.row, 2);
        cr_expect_eq(row.cells[0].len, lc->bytes);
        cr_expect_eq(csv_next(r, &row), 0);
    } else {
        cr_assert_eq(rc, -1, "case %d: expected an error", *i);
        cr_expect(strstr(csv_error(r), lc->err) != NULL, "case %d: '%s' lacks '%s'", *i,
                  csv_error(r), lc->err);
    }
    csv_close(r);
    unlink(path);
    free(path);
}

static int read_columns(size_t ncols, struct sheet_row *row, struct csv_reader **r, char **path)
{
    struct str b = {0};
    for (size_t i = 0; i < ncols; i++)
        str_addz(&b, i == 0 ? "c" : ",c");
    str_addz(&b, "\n");
    *path = write_temp(b.s, b.len);
    free(b.s);
    char err[256];
    *r = csv_open(*path, err, sizeof err);
    cr_assert_not_null(*r, "%s", err);
    return csv_next(*r, row);
}

Test(csv, max_columns_ok)
{
    struct sheet_row row;
    struct csv_reader *r;
    char *path;
    cr_assert_eq(read_columns(CSV_MAX_COLUMNS, &row, &r, &path), 1);
    cr_expect_eq(row.ncells, 18278);
    cr_expect_eq(row.cells[18277].len, 1);
    csv_close(r);
    unlink(path);
    free(path);
}

Test(csv, too_many_columns)
{
    struct sheet_row row;
    struct csv_reader *r;
    char *path;
    cr_assert_eq(read_columns(CSV_MAX_COLUMNS + 1, &row, &r, &path), -1);
    cr_expect(strstr(csv_error(r), ": row 1: more than 18278 columns") != NULL, "%s", csv_error(r));
    csv_close(r);
    unlink(path);
    free(path);
}

Test(csv, record_too_large, .timeout = 120)
{
    /* 1400 cells of 50,000 characters: every cell fits, the record does not. */
    struct str b = {0};
    char *cell = malloc(50001);
    cr_assert_not_null(cell);
    memset(cell, 'x', 50000);
    cell[50000] = ',';
    str_addz(&b, "h\n");
    for (int i = 0; i < 1400; i++)
        str_add(&b, cell, 50001);
    str_addz(&b, "\n");
    free(cell);
    char *path = write_temp(b.s, b.len);
    free(b.s);
    struct sheet_row row;
    struct csv_reader *r;
    cr_assert_eq(read_second(path, &row, &r), -1);
    cr_expect(strstr(csv_error(r), ": row 2: record larger than 64 MiB") != NULL, "%s",
              csv_error(r));
    csv_close(r);
    unlink(path);
    free(path);
}

/* ---- streaming: a large generated file, read with several read sizes ---- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

Test(csv, large_generated_input, .timeout = 120)
{
    static const char *pieces[] = {"a",
                                   "b",
                                   "Truck 12",
                                   " ",
                                   ",",
                                   "\"",
                                   "\n",
                                   "\r\n",
                                   "\t",
                                   "x",
                                   "\xC3\xA9",
                                   "\xE2\x82\xAC",
                                   "\xF0\x9F\x9A\x9A",
                                   "0",
                                   "#N/A",
                                   "\\",
                                   "y"};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    struct str file = {0}, want = {0};
    struct str cellbuf = {0};
    rng_state = 0x9E3779B97F4A7C15ull;
    const long nrec = 60000;
    for (long rec = 1; rec <= nrec; rec++) {
        char num[32];
        snprintf(num, sizeof num, "%ld", rec);
        str_addz(&want, num);
        size_t ncols = 1 + rng() % 12;
        for (size_t c = 0; c < ncols; c++) {
            cellbuf.len = 0;
            str_addz(&cellbuf, "");
            size_t len = rng() % 4 == 0 ? 0 : rng() % 40;
            if (rng() % 50 == 0)
                len = 2000 + rng() % 3000; /* a long cell spans reads */
            for (size_t k = 0; k < len; k++)
                str_addz(&cellbuf, pieces[rng() % npieces]);
            bool special = strpbrk(cellbuf.s, ",\"\r\n") != NULL;
            /* A lone empty field on a line would read back as a blank record:
             * still one empty cell, so no special case is needed. */
            bool quote = special || rng() % 3 == 0;
            if (c > 0)
                str_addz(&file, ",");
            if (quote) {
                str_addz(&file, "\"");
                for (size_t k = 0; k < cellbuf.len; k++) {
                    if (cellbuf.s[k] == '"')
                        str_addz(&file, "\"\"");
                    else
                        str_add(&file, cellbuf.s + k, 1);
                }
                str_addz(&file, "\"");
            } else {
                str_add(&file, cellbuf.s, cellbuf.len);
            }
            add_cell(&want, cellbuf.s, cellbuf.len);
        }
        str_addz(&want, "\n");
        if (rec < nrec)
            str_addz(&file, rng() % 2 ? "\r\n" : "\n");
    }
    /* The last record has no line end; make sure it is not one empty cell. */
    str_addz(&file, ",end");
    want.len -= 1;
    want.s[want.len] = '\0';
    str_addz(&want, "<end>\n");
    cr_assert_gt(file.len, 4u * 1024 * 1024, "the input must span many read buffers");

    char *path = write_temp(file.s, file.len);
    static const size_t sizes[] = {0, 4093, 1};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct str got = {0};
        char err[512];
        str_addz(&got, "");
        int rc = read_all(path, sizes[k], &got, err, sizeof err);
        cr_expect_eq(rc, 0, "read size %zu: %s", sizes[k], err);
        cr_expect_eq(got.len, want.len, "read size %zu: serialised length", sizes[k]);
        cr_expect(got.len == want.len && memcmp(got.s, want.s, want.len) == 0,
                  "read size %zu: records differ", sizes[k]);
        free(got.s);
    }
    unlink(path);
    free(path);
    free(file.s);
    free(want.s);
    free(cellbuf.s);
}

/* ---- opening, stdin, end of file ---- */

Test(csv, open_missing_file)
{
    char err[256];
    cr_assert_null(csv_open("/nonexistent/issues.csv", err, sizeof err));
    cr_expect(strstr(err, "/nonexistent/issues.csv: No such file or directory") != NULL, "%s", err);
}

Test(csv, open_directory)
{
    char err[256];
    cr_assert_null(csv_open("/tmp", err, sizeof err));
    cr_expect_str_eq(err, "/tmp: is a directory");
}

Test(csv, stdin_dash)
{
    static const char data[] = "a,b\n\"x\ny\",2\n";
    char *path = write_temp(data, sizeof data - 1);
    cr_assert_not_null(freopen(path, "rb", stdin));
    char err[256];
    struct csv_reader *r = csv_open("-", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    struct sheet_row row;
    cr_assert_eq(csv_next(r, &row), 1);
    cr_assert_eq(csv_next(r, &row), 1);
    cr_expect_eq(row.row, 2);
    cr_expect_eq(row.ncells, 2);
    cr_expect_str_eq(row.cells[0].text, "x\ny");
    cr_expect_eq(csv_next(r, &row), 0);
    csv_close(r);
    /* stdin stays open */
    cr_expect_neq(fileno(stdin), -1);
    unlink(path);
    free(path);
}

Test(csv, error_names_stdin)
{
    char *path = write_temp("a\n\"", 3);
    cr_assert_not_null(freopen(path, "rb", stdin));
    char err[256];
    struct csv_reader *r = csv_open("-", err, sizeof err);
    cr_assert_not_null(r);
    struct sheet_row row;
    cr_assert_eq(csv_next(r, &row), 1);
    cr_assert_eq(csv_next(r, &row), -1);
    cr_expect_str_eq(csv_error(r), "stdin: row 2, column A: unterminated quoted field");
    csv_close(r);
    unlink(path);
    free(path);
}

Test(csv, cells_borrowed_until_next_call)
{
    char *path = write_temp("first,row\nsecond,row\n", 21);
    char err[256];
    struct csv_reader *r = csv_open(path, err, sizeof err);
    cr_assert_not_null(r);
    struct sheet_row row;
    cr_assert_eq(csv_next(r, &row), 1);
    cr_expect_str_eq(row.cells[0].text, "first");
    cr_assert_eq(csv_next(r, &row), 1);
    cr_expect_str_eq(row.cells[0].text, "second");
    cr_expect_eq(csv_next(r, &row), 0);
    cr_expect_eq(csv_next(r, &row), 0);
    cr_expect_str_eq(csv_error(r), "");
    csv_close(r);
    unlink(path);
    free(path);
}

Test(csv, close_null)
{
    csv_close(NULL);
}

/* ---- the fixtures in tests/data and data/ ---- */

#ifndef SHEETSYNC_SOURCE_DIR
#define SHEETSYNC_SOURCE_DIR "."
#endif

struct fixture_case {
    const char *file;   /* relative to the source directory */
    long records;       /* records read before the end or the error */
    const char *err;    /* NULL, or the error after the path */
    long multiline_row; /* a row whose cells hold a newline; 0 when none */
    long short_row;     /* a row with fewer cells than the header; 0 when none */
};

static const struct fixture_case fixtures[] = {
    {"tests/data/messy.csv", 35, NULL, 28, 33},
    {"tests/data/missing_column.csv", 4, NULL, 0, 0},
    {"tests/data/bad_utf8.csv", 3,
     ": row 4, column C: invalid UTF-8: bytes E9 20 (save the file as UTF-8)", 0, 0},
    {"tests/data/unterminated.csv", 4, ": row 5, column D: unterminated quoted field", 3, 0},
    {"data/issues.csv", 1501, NULL, -1, 0}, /* 1,525 lines: quoted newlines */
};

ParameterizedTestParameters(csv, fixtures)
{
    static int idx[sizeof fixtures / sizeof fixtures[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(int *i, csv, fixtures)
{
    const struct fixture_case *fc = &fixtures[*i];
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s/%s", SHEETSYNC_SOURCE_DIR, fc->file);
    struct csv_reader *r = csv_open(path, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    struct sheet_row row;
    int rc;
    size_t header_cells = 0;
    bool saw_multiline = false, saw_short = false;
    long last = 0;
    while ((rc = csv_next(r, &row)) == 1) {
        last = row.row;
        if (row.row == 1)
            header_cells = row.ncells;
        else if (fc->short_row == 0 && fc->err == NULL)
            cr_expect_eq(row.ncells, header_cells, "%s row %ld: %zu cells", fc->file, row.row,
                         row.ncells);
        for (size_t k = 0; k < row.ncells; k++)
            if (memchr(row.cells[k].text, '\n', row.cells[k].len) != NULL) {
                cr_expect(fc->multiline_row < 0 || row.row == fc->multiline_row,
                          "%s: newline in row %ld", fc->file, row.row);
                saw_multiline = true;
            }
        if (row.row == fc->short_row) {
            cr_expect_lt(row.ncells, header_cells);
            saw_short = true;
        }
    }
    if (fc->err == NULL) {
        cr_expect_eq(rc, 0, "%s: %s", fc->file, csv_error(r));
    } else {
        char want[1200];
        snprintf(want, sizeof want, "%s%s", path, fc->err);
        cr_expect_eq(rc, -1);
        cr_expect_str_eq(csv_error(r), want);
    }
    cr_expect_eq(last, fc->records, "%s: %ld records", fc->file, last);
    cr_expect_eq(saw_multiline, fc->multiline_row != 0, "%s: multi-line cell", fc->file);
    cr_expect_eq(saw_short, fc->short_row != 0, "%s: short row", fc->file);
    csv_close(r);
}

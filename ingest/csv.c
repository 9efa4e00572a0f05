#include "ingest/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Big enough that fread's per-call cost vanishes, small enough to stay in L2. */
#define BUF_SIZE (256 * 1024)

/* Byte classes. Anything that is not C_PLAIN stops the fast scanning loop. */
enum {
    C_PLAIN = 0, /* copied as is */
    C_COMMA,
    C_QUOTE,
    C_LF,
    C_CR,
    C_CTRL, /* NUL and other C0 controls: binary data */
    C_HIGH  /* 0x80-0xFF: a UTF-8 sequence, validated byte by byte */
};

enum state {
    ST_FIELD_START, /* nothing of the field read yet */
    ST_UNQUOTED,
    ST_QUOTED,
    ST_QUOTE_SEEN /* a `"` inside a quoted field: `""` or the closing quote */
};

struct span {
    size_t off, len;
};

struct csv_reader {
    FILE *fp;
    bool owns_fp;
    char *name; /* as given, for messages; "stdin" for "-" */

    unsigned char *buf;
    size_t pos, end; /* unread bytes are buf[pos..end) */
    size_t read_size;
    bool eof;     /* fp is exhausted */
    bool started; /* first fill (BOM check) done */
    bool skip_lf; /* the last record ended in CR: a following LF belongs to it */
    int status;   /* 1 reading, 0 at end, -1 failed */
    long recno;   /* number of records returned */

    /* Classes outside and inside quotes: in quotes ',' CR LF are plain; outside,
     * a quote is plain (a stray quote is literal, as in Google Sheets). */
    unsigned char cls_unq[256], cls_q[256];

    /* The current record: field bytes, each followed by a NUL. */
    char *rec;
    size_t rec_len, rec_cap;
    struct span *spans;
    struct cell *cells;
    size_t nfields, fields_cap;

    char err[512];
};

/* The spreadsheet column letters of 1-based column n: 1 A, 27 AA, 18278 ZZZ. */
static void col_letters(size_t n, char out[16])
{
    char tmp[16];
    size_t i = 0;
    while (n > 0 && i < sizeof tmp) {
        n--;
        tmp[i++] = (char)('A' + n % 26);
        n /= 26;
    }
    size_t j = 0;
    while (i > 0)
        out[j++] = tmp[--i];
    out[j] = '\0';
}

/* Records an error "name: row N[, column C]: message" and makes it sticky.
 * col is 1-based, 0 when no single column is at fault. */
static int fail(struct csv_reader *r, long row, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct csv_reader *r, long row, size_t col, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (col > 0) {
        char letters[16];
        col_letters(col, letters);
        snprintf(r->err, sizeof r->err, "%s: row %ld, column %s: %s", r->name, row, letters, msg);
    } else {
        snprintf(r->err, sizeof r->err, "%s: row %ld: %s", r->name, row, msg);
    }
    r->status = -1;
    return -1;
}

static void init_classes(struct csv_reader *r)
{
    for (int c = 0; c < 256; c++) {
        unsigned char k = C_PLAIN;
        if (c >= 0x80)
            k = C_HIGH;
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r')
            k = C_CTRL;
        r->cls_q[c] = k;
        r->cls_unq[c] = k;
    }
    r->cls_unq[','] = C_COMMA;
    r->cls_unq['\n'] = C_LF;
    r->cls_unq['\r'] = C_CR;
    r->cls_q['"'] = C_QUOTE;
}

struct csv_reader *csv_open(const char *path, char *err, size_t errlen)
{
    struct csv_reader *r = NULL;
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;

    r = calloc(1, sizeof *r);
    if (r == NULL)
        goto oom;
    r->name = strdup(name);
    r->buf = malloc(BUF_SIZE);
    if (r->name == NULL || r->buf == NULL)
        goto oom;
    r->read_size = BUF_SIZE;
    r->status = 1;
    init_classes(r);

    if (is_stdin) {
        r->fp = stdin;
    } else {
        r->fp = fopen(path, "rb");
        if (r->fp == NULL) {
            snprintf(err, errlen, "%s: %s", name, strerror(errno));
            goto fail;
        }
        r->owns_fp = true;
    }
    struct stat st;
    if (fstat(fileno(r->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", name);
        goto fail;
    }
    return r;

oom:
    snprintf(err, errlen, "%s: out of memory", name);
fail:
    csv_close(r);
    return NULL;
}

void csv_set_read_size(struct csv_reader *r, size_t n)
{
    r->read_size = (n == 0 || n > BUF_SIZE) ? BUF_SIZE : n;
}

const char *csv_error(const struct csv_reader *r)
{
    return r->err;
}

void csv_close(struct csv_reader *r)
{
    if (r == NULL)
        return;
    if (r->fp != NULL && r->owns_fp)
        fclose(r->fp);
    free(r->name);
    free(r->buf);
    free(r->rec);
    free(r->spans);
    free(r->cells);
    free(r);
}

/* Reads up to read_size bytes into buf[end..). The first call strips a BOM and
 * refuses UTF-16. Returns 0 (r->eof set when nothing more comes) or -1. */
static int fill(struct csv_reader *r, long row)
{
    if (r->pos == r->end)
        r->pos = r->end = 0;
    size_t room = BUF_SIZE - r->end;
    size_t want = room < r->read_size ? room : r->read_size;
    size_t n = fread(r->buf + r->end, 1, want, r->fp);
    r->end += n;
    if (n < want) {
        if (ferror(r->fp))
            return fail(r, row, 0, "read error: %s", strerror(errno));
        r->eof = true;
    }
    if (!r->started) {
        /* The BOM may come in pieces when reads are tiny: gather 3 bytes. */
        if (r->end < 3 && !r->eof)
            return 0;
        r->started = true;
        const unsigned char *b = r->buf;
        if (r->end >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
            r->pos = 3;
        else if (r->end >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
            return fail(r, 1, 0, "invalid UTF-8: the file is UTF-16; export it as CSV UTF-8");
    }
    return 0;
}

/* Makes room for n more bytes and the field's NUL. */
static int rec_reserve(struct csv_reader *r, long row, size_t n)
{
    if (r->rec_len + n + 1 > r->rec_cap) {
        if (r->rec_len + n + 1 > CSV_MAX_RECORD_BYTES)
            return fail(r, row, 0, "record larger than %u MiB", CSV_MAX_RECORD_BYTES >> 20);
        size_t cap = r->rec_cap ? r->rec_cap : 4096;
        while (cap < r->rec_len + n + 1)
            cap *= 2;
        if (cap > CSV_MAX_RECORD_BYTES)
            cap = CSV_MAX_RECORD_BYTES;
        char *rec = realloc(r->rec, cap);
        if (rec == NULL)
            return fail(r, row, 0, "out of memory");
        r->rec = rec;
        r->rec_cap = cap;
    }
    return 0;
}

static int rec_append(struct csv_reader *r, long row, const unsigned char *p, size_t n)
{
    if (rec_reserve(r, row, n) < 0)
        return -1;
    memcpy(r->rec + r->rec_len, p, n);
    r->rec_len += n;
    return 0;
}

/* Ends the field that started at rec offset `start`. */
static int end_field(struct csv_reader *r, long row, size_t start)
{
    if (r->nfields == CSV_MAX_COLUMNS)
        return fail(r, row, 0, "more than %d columns (the last is ZZZ)", CSV_MAX_COLUMNS);
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 32;
        struct span *spans = realloc(r->spans, cap * sizeof *spans);
        if (spans == NULL)
            return fail(r, row, 0, "out of memory");
        r->spans = spans;
        struct cell *cells = realloc(r->cells, cap * sizeof *cells);
        if (cells == NULL)
            return fail(r, row, 0, "out of memory");
        r->cells = cells;
        r->fields_cap = cap;
    }
    r->spans[r->nfields].off = start;
    r->spans[r->nfields].len = r->rec_len - start;
    r->nfields++;
    if (rec_reserve(r, row, 0) < 0)
        return -1;
    r->rec[r->rec_len++] = '\0';
    return 0;
}

/* The valid range of the byte after UTF-8 lead byte c and the number of
 * continuation bytes (Unicode Table 3-7); 0 when c cannot start a sequence. */
static unsigned utf8_lead(unsigned c, unsigned *lo, unsigned *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        return 1;
    if (c == 0xE0) {
        *lo = 0xA0; /* no overlong 3-byte forms */
        return 2;
    }
    if (c == 0xED) {
        *hi = 0x9F; /* no surrogates */
        return 2;
    }
    if (c >= 0xE1 && c <= 0xEF)
        return 2;
    if (c == 0xF0) {
        *lo = 0x90; /* no overlong 4-byte forms */
        return 3;
    }
    if (c >= 0xF1 && c <= 0xF3)
        return 3;
    if (c == 0xF4) {
        *hi = 0x8F; /* nothing past U+10FFFF */
        return 3;
    }
    return 0;
}

/* "invalid UTF-8: bytes E9 20 (...)": the sequence up to the byte that broke it. */
static int bad_sequence(struct csv_reader *r, long row, size_t col, const unsigned char *seq,
                        unsigned n, const char *what)
{
    char hex[16] = "";
    size_t len = 0;
    for (unsigned i = 0; i < n && i < 4; i++)
        len += (size_t)snprintf(hex + len, sizeof hex - len, "%s%02X", i ? " " : "", seq[i]);
    return fail(r, row, col, "invalid UTF-8: bytes %s%s (save the file as UTF-8)", hex, what);
}

static int cell_too_long(struct csv_reader *r, long row, size_t col, bool quoted)
{
    return fail(r, row, col, "cell longer than %d characters%s", CSV_MAX_CELL_CHARS,
                quoted ? " (a quoted field that never ends?)" : "");
}

static int ctrl_byte(struct csv_reader *r, long row, size_t col, unsigned c)
{
    if (c == 0)
        return fail(r, row, col, "NUL byte (binary data, not a CSV text file?)");
    return fail(r, row, col, "control character 0x%02X (binary data, not a CSV text file?)", c);
}

int csv_next(struct csv_reader *r, struct sheet_row *row)
{
    if (r->status <= 0)
        return r->status;

    const long recno = r->recno + 1;
    enum state st = ST_FIELD_START;
    size_t start = 0;        /* rec offset of the current field */
    size_t chars = 0;        /* characters (code points) in the current field */
    bool any = false;        /* a byte of this record was read */
    unsigned need = 0;       /* UTF-8 continuation bytes still expected */
    unsigned lo = 0, hi = 0; /* valid range of the next continuation byte */
    unsigned char seq[4];    /* the UTF-8 sequence so far, for messages */
    unsigned nseq = 0;

    r->rec_len = 0;
    r->nfields = 0;

    for (;;) {
        if (r->pos == r->end || !r->started) {
            if (!r->eof && fill(r, recno) < 0)
                return -1;
            if (!r->started)
                continue; /* gathering the first bytes for the BOM check */
            if (r->pos == r->end) {
                if (r->eof)
                    break;
                continue;
            }
        }
        const unsigned char *p = r->buf + r->pos;
        const unsigned char *e = r->buf + r->end;

        if (r->skip_lf) {
            r->skip_lf = false;
            if (*p == '\n') {
                r->pos++;
                continue;
            }
        }
        if (need > 0) {
            unsigned c = *p;
            if (c < lo || c > hi) {
                seq[nseq++] = (unsigned char)c;
                return bad_sequence(r, recno, r->nfields + 1, seq, nseq, "");
            }
            seq[nseq++] = (unsigned char)c;
            if (rec_append(r, recno, p, 1) < 0)
                return -1;
            r->pos++;
            need--;
            lo = 0x80;
            hi = 0xBF;
            continue;
        }

        const unsigned char *cls;
        switch (st) {
        case ST_FIELD_START:
            any = true;
            if (*p == '"') {
                st = ST_QUOTED;
                r->pos++;
                continue;
            }
            st = ST_UNQUOTED;
            break;
        case ST_QUOTE_SEEN:
            if (*p == '"') { /* "" is one quote */
                if (++chars > CSV_MAX_CELL_CHARS)
                    return cell_too_long(r, recno, r->nfields + 1, true);
                if (rec_append(r, recno, p, 1) < 0)
                    return -1;
                r->pos++;
                st = ST_QUOTED;
                continue;
            }
            /* The closing quote. Whatever follows up to the next separator is
             * kept as unquoted text: "abc"def reads abcdef, as in Sheets. */
            st = ST_UNQUOTED;
            break;
        case ST_UNQUOTED:
        case ST_QUOTED:
            break;
        }

        /* The fast path: copy a run of plain bytes, then handle one special. */
        cls = st == ST_QUOTED ? r->cls_q : r->cls_unq;
        const unsigned char *q = p;
        while (q < e && cls[*q] == C_PLAIN)
            q++;
        if (q > p) {
            chars += (size_t)(q - p);
            if (chars > CSV_MAX_CELL_CHARS)
                return cell_too_long(r, recno, r->nfields + 1, st == ST_QUOTED);
            if (rec_append(r, recno, p, (size_t)(q - p)) < 0)
                return -1;
            r->pos += (size_t)(q - p);
            if (q == e)
                continue;
        }
        unsigned c = *q;
        r->pos++;
        switch (cls[c]) {
        case C_COMMA:
            if (end_field(r, recno, start) < 0)
                return -1;
            start = r->rec_len;
            chars = 0;
            st = ST_FIELD_START;
            break;
        case C_CR:
            r->skip_lf = true;
            /* fall through */
        case C_LF:
            if (end_field(r, recno, start) < 0)
                return -1;
            goto record_done;
        case C_QUOTE:
            st = ST_QUOTE_SEEN;
            break;
        case C_CTRL:
            return ctrl_byte(r, recno, r->nfields + 1, c);
        case C_HIGH:
            need = utf8_lead(c, &lo, &hi);
            if (need == 0)
                return fail(r, recno, r->nfields + 1,
                            "invalid UTF-8: byte %02X (save the file as UTF-8)", c);
            seq[0] = (unsigned char)c;
            nseq = 1;
            if (++chars > CSV_MAX_CELL_CHARS)
                return cell_too_long(r, recno, r->nfields + 1, st == ST_QUOTED);
            if (rec_append(r, recno, q, 1) < 0)
                return -1;
            break;
        }
    }

    /* End of file. */
    if (need > 0)
        return bad_sequence(r, recno, r->nfields + 1, seq, nseq, " cut off at the end of the file");
    if (st == ST_QUOTED)
        return fail(r, recno, r->nfields + 1, "unterminated quoted field");
    if (!any) {
        if (r->recno == 0)
            return fail(r, 1, 0, "no header row (the file is empty)");
        r->status = 0;
        return 0;
    }
    if (end_field(r, recno, start) < 0)
        return -1;

record_done:
    for (size_t i = 0; i < r->nfields; i++) {
        struct cell *cl = &r->cells[i];
        memset(cl, 0, sizeof *cl);
        cl->len = r->spans[i].len;
        cl->text = r->rec + r->spans[i].off;
        cl->type = cl->len > 0 ? CELL_TEXT : CELL_EMPTY;
    }
    r->recno = recno;
    row->row = recno;
    row->cells = r->cells;
    row->ncells = r->nfields;
    return 1;
}

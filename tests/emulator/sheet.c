/* The spreadsheet held in memory.
 *
 * Ten million cells must fit comfortably and serialize fast, so a cell is 16
 * bytes (a type, a length and a pointer or a double), each row owns one
 * malloc'd array of cells trimmed after its last non-empty one, and all text
 * lives in a per-tab arena of large chunks that is freed in one go. Writes
 * (PUT) add new text to the arena and never reclaim the old: an emulator
 * lives for a test run. */
#include "tests/emulator/emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/csv.h"

struct emu_chunk {
    struct emu_chunk *next;
    size_t used, size;
    char data[];
};

#define CHUNK_MIN (64u * 1024)
#define CHUNK_MAX (8u * 1024 * 1024)

static void *arena_alloc(struct emu_tab *t, size_t n, size_t align)
{
    struct emu_chunk *c = t->arena;
    if (c) {
        size_t at = (c->used + align - 1) & ~(align - 1);
        if (at + n <= c->size) {
            c->used = at + n;
            return c->data + at;
        }
    }
    size_t size = c ? c->size * 2 : CHUNK_MIN;
    if (size > CHUNK_MAX)
        size = CHUNK_MAX;
    if (size < n + align)
        size = n + align;
    struct emu_chunk *nc = malloc(sizeof *nc + size);
    if (!nc)
        return NULL;
    nc->size = size;
    nc->used = n;
    if (c && n > CHUNK_MAX / 2) {
        /* A big block gets its own chunk behind the current one, so the
         * current one keeps serving small strings. */
        nc->next = c->next;
        c->next = nc;
    } else {
        nc->next = c;
        t->arena = nc;
    }
    return nc->data;
}

static const char *arena_copy(struct emu_tab *t, const char *s, size_t n)
{
    if (n == 0)
        return "";
    char *p = arena_alloc(t, n, 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

int emu_book_init(struct emu_book *b, const char *id)
{
    memset(b, 0, sizeof *b);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Writers (PUT, batchUpdate) must not starve behind a stream of reads. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&b->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc)
        return -1;
    b->id = strdup(id);
    b->title = strdup("Issues");
    b->locale = strdup("en_US");
    b->time_zone = strdup("America/Chicago");
    if (!b->id || !b->title || !b->locale || !b->time_zone)
        return -1;
    return 0;
}

void emu_book_cleanup(struct emu_book *b)
{
    for (size_t i = 0; i < b->ntabs; i++)
        emu_tab_free(b->tabs[i]);
    free(b->tabs);
    free(b->id);
    free(b->title);
    free(b->locale);
    free(b->time_zone);
    pthread_rwlock_destroy(&b->lock);
}

struct emu_tab *emu_tab_new(const char *title, long sheet_id)
{
    struct emu_tab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->title = strdup(title);
    if (!t->title) {
        free(t);
        return NULL;
    }
    t->sheet_id = sheet_id;
    t->row_count = 1000;
    t->col_count = 26;
    return t;
}

void emu_tab_free(struct emu_tab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows; i++)
        free(t->rows[i].cells);
    free(t->rows);
    struct emu_chunk *c = t->arena;
    while (c) {
        struct emu_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(t->title);
    free(t);
}

static int ensure_rows(struct emu_tab *t, size_t n)
{
    if (n <= t->nrows)
        return 0;
    if (n > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < n)
            cap *= 2;
        struct emu_row *p = realloc(t->rows, cap * sizeof *p);
        if (!p)
            return -1;
        t->rows = p;
        t->cap = cap;
    }
    memset(t->rows + t->nrows, 0, (n - t->nrows) * sizeof *t->rows);
    t->nrows = n;
    return 0;
}

static int ensure_cells(struct emu_row *r, uint32_t n)
{
    if (n <= r->n)
        return 0;
    if (n > r->cap) {
        uint32_t cap = r->cap ? r->cap : 4;
        while (cap < n)
            cap *= 2;
        struct emu_cell *p = realloc(r->cells, cap * sizeof *p);
        if (!p)
            return -1;
        r->cells = p;
        r->cap = cap;
    }
    memset(r->cells + r->n, 0, (n - r->n) * sizeof *r->cells);
    r->n = n;
    return 0;
}

bool emu_cell_empty(const struct emu_cell *c)
{
    return c->type == EC_EMPTY || (c->type == EC_TEXT && c->len == 0);
}

static void trim_row(struct emu_row *r)
{
    while (r->n > 0 && emu_cell_empty(&r->cells[r->n - 1]))
        r->n--;
}

const struct emu_cell *emu_tab_cell(const struct emu_tab *t, long row, long col)
{
    if (row < 1 || (size_t)row > t->nrows)
        return NULL;
    const struct emu_row *r = &t->rows[row - 1];
    if (col < 1 || col > (long)r->n || emu_cell_empty(&r->cells[col - 1]))
        return NULL;
    return &r->cells[col - 1];
}

/* Copies a scalar cell's text into the arena. */
static int copy_scalar(struct emu_tab *t, const struct emu_cell *in, struct emu_cell *out)
{
    *out = *in;
    if (in->type == EC_TEXT) {
        out->u.s = arena_copy(t, in->u.s, in->len);
        if (!out->u.s)
            return -1;
    }
    return 0;
}

static int copy_cell(struct emu_tab *t, const struct emu_cell *in, struct emu_cell *out)
{
    if (in->type != EC_RICH)
        return copy_scalar(t, in, out);
    const struct emu_rich *src = in->u.rich;
    struct emu_rich *r = arena_alloc(t, sizeof *r, _Alignof(struct emu_rich));
    if (!r || copy_scalar(t, &src->value, &r->value))
        return -1;
    r->formatted = arena_copy(t, src->formatted ? src->formatted : "", src->flen);
    r->formula = arena_copy(t, src->formula ? src->formula : "", src->formula_len);
    if (!r->formatted || !r->formula)
        return -1;
    r->flen = src->flen;
    r->formula_len = src->formula_len;
    r->date = src->date;
    out->type = EC_RICH;
    out->len = 0;
    out->u.rich = r;
    return 0;
}

int emu_tab_set(struct emu_tab *t, long row, long col, const struct emu_cell *c)
{
    if (row < 1 || col < 1 || col > UINT32_MAX / 2)
        return -1;
    if (emu_cell_empty(c)) {
        if ((size_t)row <= t->nrows) {
            struct emu_row *r = &t->rows[row - 1];
            if (col <= (long)r->n) {
                r->cells[col - 1].type = EC_EMPTY;
                trim_row(r);
            }
        }
        return 0;
    }
    if (ensure_rows(t, (size_t)row) || ensure_cells(&t->rows[row - 1], (uint32_t)col))
        return -1;
    return copy_cell(t, c, &t->rows[row - 1].cells[col - 1]);
}

static bool typed_cell(const char *s, size_t n, struct emu_cell *c)
{
    double v;
    if (emu_parse_num(s, n, &v)) {
        c->type = EC_NUM;
        c->u.num = v;
        return true;
    }
    if ((n == 4 && strncasecmp(s, "TRUE", 4) == 0) || (n == 5 && strncasecmp(s, "FALSE", 5) == 0)) {
        c->type = EC_BOOL;
        c->u.num = n == 4;
        return true;
    }
    return false;
}

static void fit_grid(struct emu_tab *t)
{
    long width = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if ((long)t->rows[i].n > width)
            width = t->rows[i].n;
    t->row_count = (long)t->nrows > 1000 ? (long)t->nrows : 1000;
    t->col_count = width > 26 ? width : 26;
}

int emu_tab_load_csv(struct emu_tab *t, const char *path, bool typed, char *err, size_t errlen)
{
    struct csv_reader *rd = csv_open(path, err, errlen);
    if (!rd)
        return -1;
    struct sheet_row sr;
    int rc;
    while ((rc = csv_next(rd, &sr)) == 1) {
        size_t last = sr.ncells;
        while (last > 0 && sr.cells[last - 1].len == 0)
            last--;
        if (ensure_rows(t, (size_t)sr.row))
            goto oom;
        if (last == 0)
            continue;
        struct emu_row *r = &t->rows[sr.row - 1];
        r->cells = malloc(last * sizeof *r->cells);
        if (!r->cells)
            goto oom;
        r->n = r->cap = (uint32_t)last;
        for (size_t i = 0; i < last; i++) {
            const struct cell *in = &sr.cells[i];
            struct emu_cell *c = &r->cells[i];
            c->len = 0;
            if (in->len == 0) {
                c->type = EC_EMPTY;
            } else if (!typed || !typed_cell(in->text, in->len, c)) {
                c->type = EC_TEXT;
                c->len = (uint32_t)in->len;
                c->u.s = arena_copy(t, in->text, in->len);
                if (!c->u.s)
                    goto oom;
            }
        }
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", csv_error(rd));
        csv_close(rd);
        return -1;
    }
    csv_close(rd);
    fit_grid(t);
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
    csv_close(rd);
    return -1;
}

/* A JSON value as a scalar cell (text borrowed from the json-c object). */
static int json_scalar(struct json_object *v, struct emu_cell *c)
{
    memset(c, 0, sizeof *c);
    switch (json_object_get_type(v)) {
    case json_type_null:
        c->type = EC_EMPTY;
        return 0;
    case json_type_boolean:
        c->type = EC_BOOL;
        c->u.num = json_object_get_boolean(v) ? 1 : 0;
        return 0;
    case json_type_int:
    case json_type_double:
        c->type = EC_NUM;
        c->u.num = json_object_get_double(v);
        return 0;
    case json_type_string:
        c->type = EC_TEXT;
        c->u.s = json_object_get_string(v);
        c->len = (uint32_t)json_object_get_string_len(v);
        return 0;
    default:
        return -1;
    }
}

static int json_cell(struct json_object *v, struct emu_cell *c, struct emu_rich *rich)
{
    if (!json_object_is_type(v, json_type_object))
        return json_scalar(v, c);
    memset(rich, 0, sizeof *rich);
    struct json_object *x;
    if (json_object_object_get_ex(v, "v", &x) && json_scalar(x, &rich->value))
        return -1;
    if (json_object_object_get_ex(v, "f", &x)) {
        if (!json_object_is_type(x, json_type_string))
            return -1;
        rich->formatted = json_object_get_string(x);
        rich->flen = (uint32_t)json_object_get_string_len(x);
    }
    if (json_object_object_get_ex(v, "formula", &x)) {
        if (!json_object_is_type(x, json_type_string))
            return -1;
        rich->formula = json_object_get_string(x);
        rich->formula_len = (uint32_t)json_object_get_string_len(x);
    }
    if (json_object_object_get_ex(v, "date", &x))
        rich->date = json_object_get_boolean(x);
    memset(c, 0, sizeof *c);
    c->type = EC_RICH;
    c->u.rich = rich;
    return 0;
}

static long json_long(struct json_object *o, const char *key, long def)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int))
        return def;
    return (long)json_object_get_int64(x);
}

static int replace_str(char **dst, struct json_object *o, const char *key)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x))
        return 0;
    if (!json_object_is_type(x, json_type_string))
        return -1;
    char *s = strdup(json_object_get_string(x));
    if (!s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

static struct emu_tab *json_tab(struct json_object *sh, size_t index, char *err, size_t errlen)
{
    char name[32];
    snprintf(name, sizeof name, "Sheet%zu", index + 1);
    struct json_object *x;
    const char *title = name;
    if (json_object_object_get_ex(sh, "title", &x) && json_object_is_type(x, json_type_string))
        title = json_object_get_string(x);
    long def_id = index == 0 ? 0 : 1000000000L + (long)index * 7919;
    struct emu_tab *t = emu_tab_new(title, json_long(sh, "sheetId", def_id));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct json_object *rows = NULL;
    if (json_object_object_get_ex(sh, "rows", &rows) &&
        !json_object_is_type(rows, json_type_array)) {
        snprintf(err, errlen, "sheets[%zu].rows: not an array", index);
        goto fail;
    }
    size_t nr = rows ? json_object_array_length(rows) : 0;
    for (size_t i = 0; i < nr; i++) {
        struct json_object *row = json_object_array_get_idx(rows, i);
        if (!json_object_is_type(row, json_type_array)) {
            snprintf(err, errlen, "sheets[%zu].rows[%zu]: not an array", index, i);
            goto fail;
        }
        size_t nc = json_object_array_length(row);
        for (size_t j = 0; j < nc; j++) {
            struct emu_cell c;
            struct emu_rich rich;
            if (json_cell(json_object_array_get_idx(row, j), &c, &rich)) {
                snprintf(err, errlen, "sheets[%zu].rows[%zu][%zu]: not a cell value", index, i, j);
                goto fail;
            }
            if (emu_tab_set(t, (long)i + 1, (long)j + 1, &c)) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
        }
    }
    fit_grid(t);
    long rc = json_long(sh, "rowCount", 0), cc = json_long(sh, "columnCount", 0);
    if (rc > 0)
        t->row_count = rc > (long)t->nrows ? rc : (long)t->nrows;
    if (cc > 0) {
        long width = 0;
        for (size_t i = 0; i < t->nrows; i++)
            if ((long)t->rows[i].n > width)
                width = t->rows[i].n;
        t->col_count = cc > width ? cc : width;
    }
    return t;
fail:
    emu_tab_free(t);
    return NULL;
}

int emu_book_load_json(struct emu_book *b, struct json_object *doc, char *err, size_t errlen)
{
    struct json_object *sheets;
    if (!json_object_is_type(doc, json_type_object) ||
        !json_object_object_get_ex(doc, "sheets", &sheets) ||
        !json_object_is_type(sheets, json_type_array) || json_object_array_length(sheets) == 0) {
        snprintf(err, errlen, "expected an object with a non-empty \"sheets\" array");
        return -1;
    }
    if (replace_str(&b->title, doc, "title") || replace_str(&b->locale, doc, "locale") ||
        replace_str(&b->time_zone, doc, "timeZone")) {
        snprintf(err, errlen, "title, locale and timeZone must be strings");
        return -1;
    }
    for (size_t i = 0; i < json_object_array_length(sheets); i++) {
        struct emu_tab *t = json_tab(json_object_array_get_idx(sheets, i), i, err, errlen);
        if (!t)
            return -1;
        if (emu_book_tab(b, t->title, strlen(t->title)) || emu_book_tab_by_id(b, t->sheet_id)) {
            snprintf(err, errlen, "sheets[%zu]: duplicate title or sheetId", i);
            emu_tab_free(t);
            return -1;
        }
        if (emu_book_put_tab(b, t)) {
            snprintf(err, errlen, "out of memory");
            emu_tab_free(t);
            return -1;
        }
    }
    return 0;
}

int emu_book_put_tab(struct emu_book *b, struct emu_tab *t)
{
    for (size_t i = 0; i < b->ntabs; i++) {
        if (strcmp(b->tabs[i]->title, t->title) == 0) {
            t->sheet_id = b->tabs[i]->sheet_id;
            emu_tab_free(b->tabs[i]);
            b->tabs[i] = t;
            return 0;
        }
    }
    struct emu_tab **p = realloc(b->tabs, (b->ntabs + 1) * sizeof *p);
    if (!p)
        return -1;
    b->tabs = p;
    b->tabs[b->ntabs++] = t;
    return 0;
}

struct emu_tab *emu_book_tab(const struct emu_book *b, const char *name, size_t n)
{
    for (size_t i = 0; i < b->ntabs; i++)
        if (strlen(b->tabs[i]->title) == n && memcmp(b->tabs[i]->title, name, n) == 0)
            return b->tabs[i];
    for (size_t i = 0; i < b->ntabs; i++)
        if (strlen(b->tabs[i]->title) == n && strncasecmp(b->tabs[i]->title, name, n) == 0)
            return b->tabs[i];
    return NULL;
}

struct emu_tab *emu_book_tab_by_id(const struct emu_book *b, long sheet_id)
{
    for (size_t i = 0; i < b->ntabs; i++)
        if (b->tabs[i]->sheet_id == sheet_id)
            return b->tabs[i];
    return NULL;
}

int emu_tab_insert_rows(struct emu_tab *t, long start, long count)
{
    t->row_count += count;
    if ((size_t)start >= t->nrows)
        return 0; /* past the data: nothing moves */
    size_t old = t->nrows;
    if (ensure_rows(t, old + (size_t)count))
        return -1;
    memmove(t->rows + start + count, t->rows + start, (old - (size_t)start) * sizeof *t->rows);
    memset(t->rows + start, 0, (size_t)count * sizeof *t->rows);
    return 0;
}

void emu_tab_delete_rows(struct emu_tab *t, long start, long end)
{
    t->row_count -= end - start;
    if ((size_t)start >= t->nrows)
        return;
    size_t e = (size_t)end < t->nrows ? (size_t)end : t->nrows;
    for (size_t i = (size_t)start; i < e; i++)
        free(t->rows[i].cells);
    memmove(t->rows + start, t->rows + e, (t->nrows - e) * sizeof *t->rows);
    t->nrows -= e - (size_t)start;
}

int emu_tab_insert_cols(struct emu_tab *t, long start, long count)
{
    t->col_count += count;
    for (size_t i = 0; i < t->nrows; i++) {
        struct emu_row *r = &t->rows[i];
        if ((long)r->n <= start)
            continue;
        uint32_t old = r->n;
        if (ensure_cells(r, old + (uint32_t)count))
            return -1;
        memmove(r->cells + start + count, r->cells + start,
                (old - (size_t)start) * sizeof *r->cells);
        memset(r->cells + start, 0, (size_t)count * sizeof *r->cells);
    }
    return 0;
}

void emu_tab_delete_cols(struct emu_tab *t, long start, long end)
{
    t->col_count -= end - start;
    for (size_t i = 0; i < t->nrows; i++) {
        struct emu_row *r = &t->rows[i];
        if ((long)r->n <= start)
            continue;
        uint32_t e = (long)r->n < end ? r->n : (uint32_t)end;
        memmove(r->cells + start, r->cells + e, (r->n - e) * sizeof *r->cells);
        r->n -= e - (uint32_t)start;
        trim_row(r);
    }
}

size_t emu_tab_cells(const struct emu_tab *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        for (uint32_t j = 0; j < t->rows[i].n; j++)
            n += !emu_cell_empty(&t->rows[i].cells[j]);
    return n;
}

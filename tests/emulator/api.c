/* spreadsheets.values: get, batchGet and update (docs/google-apis.md §1).
 *
 * A values response for a 10-million-cell sheet is a few hundred megabytes,
 * so it is written by hand: room for a whole row is reserved once, then cells
 * are copied with a raw pointer (no json-c object per cell). */
#include "tests/emulator/emu.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum dim { DIM_ROWS, DIM_COLUMNS };
enum render { R_FORMATTED, R_UNFORMATTED, R_FORMULA };
enum dtr { DT_SERIAL, DT_STRING };

#define MAX_COLUMNS 18278 /* ZZZ, Google Sheets' limit */

struct vopts {
    enum dim dim;
    enum render render;
    enum dtr dtr;
};

#define ENUM_MSG "Invalid value at '%s' (type.googleapis.com/google.apps.sheets.v4.%s), \"%s\""

static void bad_enum(struct emu_reply *r, const char *field, const char *type, const char *v)
{
    char msg[512];
    snprintf(msg, sizeof msg, ENUM_MSG, field, type, v);
    emu_reply_error(r, 400, msg);
}

static bool parse_dim(const char *v, enum dim *d)
{
    if (!v || strcmp(v, "ROWS") == 0 || strcmp(v, "DIMENSION_UNSPECIFIED") == 0)
        *d = DIM_ROWS;
    else if (strcmp(v, "COLUMNS") == 0)
        *d = DIM_COLUMNS;
    else
        return false;
    return true;
}

static int parse_opts(const struct emu_req *q, struct vopts *o, struct emu_reply *r)
{
    const char *md = emu_req_arg(q, "majorDimension");
    const char *vr = emu_req_arg(q, "valueRenderOption");
    const char *dt = emu_req_arg(q, "dateTimeRenderOption");
    if (!parse_dim(md, &o->dim)) {
        bad_enum(r, "major_dimension", "Dimension", md);
        return -1;
    }
    if (!vr || strcmp(vr, "FORMATTED_VALUE") == 0) {
        o->render = R_FORMATTED;
    } else if (strcmp(vr, "UNFORMATTED_VALUE") == 0) {
        o->render = R_UNFORMATTED;
    } else if (strcmp(vr, "FORMULA") == 0) {
        o->render = R_FORMULA;
    } else {
        bad_enum(r, "value_render_option", "ValueRenderOption", vr);
        return -1;
    }
    if (!dt || strcmp(dt, "SERIAL_NUMBER") == 0) {
        o->dtr = DT_SERIAL;
    } else if (strcmp(dt, "FORMATTED_STRING") == 0) {
        o->dtr = DT_STRING;
    } else {
        bad_enum(r, "date_time_render_option", "DateTimeRenderOption", dt);
        return -1;
    }
    return 0;
}

static bool check_id(const struct emu_book *b, const char *id, struct emu_reply *r)
{
    if (strcmp(id, b->id) == 0)
        return true;
    emu_reply_error(r, 404, emu_status_message(404));
    return false;
}

/* ---- writing cells ---- */

static char *put_indent(char *o, bool pretty, int level)
{
    if (pretty) {
        *o++ = '\n';
        memset(o, ' ', 2 * (size_t)level);
        o += 2 * level;
    }
    return o;
}

static char *put_lit(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

static char *put_scalar(char *o, const struct emu_cell *c, enum render render, bool html)
{
    char num[32];
    switch (c->type) {
    case EC_TEXT:
        return emu_jb_str_fast(o, c->u.s, c->len, html);
    case EC_NUM:
        if (render == R_FORMATTED) {
            *o++ = '"';
            o = put_lit(o, num, emu_fmt_num(c->u.num, num));
            *o++ = '"';
            return o;
        }
        return put_lit(o, num, emu_fmt_num(c->u.num, num));
    case EC_BOOL:
        if (render == R_FORMATTED)
            return c->u.num ? put_lit(o, "\"TRUE\"", 6) : put_lit(o, "\"FALSE\"", 7);
        return c->u.num ? put_lit(o, "true", 4) : put_lit(o, "false", 5);
    default:
        return put_lit(o, "\"\"", 2);
    }
}

static char *put_cell(char *o, const struct emu_cell *c, const struct vopts *op, bool html)
{
    if (c->type != EC_RICH)
        return put_scalar(o, c, op->render, html);
    const struct emu_rich *x = c->u.rich;
    if (op->render == R_FORMULA && x->formula_len)
        return emu_jb_str_fast(o, x->formula, x->formula_len, html);
    if (x->flen && (op->render == R_FORMATTED || (x->date && op->dtr == DT_STRING)))
        return emu_jb_str_fast(o, x->formatted, x->flen, html);
    return put_scalar(o, &x->value, op->render, html);
}

/* An upper bound on what put_cell writes. */
static size_t cell_bound(const struct emu_cell *c)
{
    switch (c->type) {
    case EC_TEXT:
        return 6 * (size_t)c->len + 2;
    case EC_RICH: {
        const struct emu_rich *x = c->u.rich;
        size_t n = x->flen > x->formula_len ? x->flen : x->formula_len;
        if (x->value.len > n)
            n = x->value.len;
        return 6 * n + 34;
    }
    default:
        return 34;
    }
}

static const struct emu_cell *row_cells(const struct emu_tab *t, long row, long *n)
{
    if (row < 1 || (size_t)row > t->nrows) {
        *n = 0;
        return NULL;
    }
    *n = t->rows[row - 1].n;
    return t->rows[row - 1].cells;
}

/* The last column <= c2 of a row holding something, or c1 - 1. */
static long row_last(const struct emu_tab *t, long row, long c1, long c2)
{
    long n;
    const struct emu_cell *cells = row_cells(t, row, &n);
    long last = c2 < n ? c2 : n;
    while (last >= c1 && emu_cell_empty(&cells[last - 1]))
        last--;
    return last;
}

static void write_rows(struct jbuf *b, const struct emu_range *rg, const struct vopts *op,
                       long rlast, int level)
{
    const struct emu_tab *t = rg->tab;
    bool pretty = b->pretty;
    size_t ind = pretty ? 2 * (size_t)level + 8 : 0;
    for (long row = rg->r1; row <= rlast; row++) {
        long last = row_last(t, row, rg->c1, rg->c2), n;
        const struct emu_cell *cells = row_cells(t, row, &n);
        size_t need = 2 * ind + 16;
        for (long c = rg->c1; c <= last; c++)
            need += cell_bound(&cells[c - 1]) + ind;
        if (!emu_jb_reserve(b, need))
            return;
        char *o = b->p + b->len;
        if (row > rg->r1)
            *o++ = ',';
        o = put_indent(o, pretty, level + 2);
        if (last < rg->c1) {
            o = put_lit(o, "[]", 2);
        } else {
            *o++ = '[';
            for (long c = rg->c1; c <= last; c++) {
                if (c > rg->c1)
                    *o++ = ',';
                o = put_indent(o, pretty, level + 3);
                o = put_cell(o, &cells[c - 1], op, b->html);
            }
            o = put_indent(o, pretty, level + 2);
            *o++ = ']';
        }
        b->len = (size_t)(o - b->p);
    }
    b->p[b->len] = '\0';
}

static void write_columns(struct jbuf *b, const struct emu_range *rg, const struct vopts *op,
                          long clast, int level)
{
    const struct emu_tab *t = rg->tab;
    long rmax = rg->r2 < (long)t->nrows ? rg->r2 : (long)t->nrows;
    for (long c = rg->c1; c <= clast; c++) {
        long last = rmax;
        while (last >= rg->r1 && !emu_tab_cell(t, last, c))
            last--;
        if (c > rg->c1)
            emu_jb_add(b, ",", 1);
        emu_jb_indent(b, level + 2);
        if (last < rg->r1) {
            emu_jb_add(b, "[]", 2);
            continue;
        }
        emu_jb_add(b, "[", 1);
        for (long row = rg->r1; row <= last; row++) {
            static const struct emu_cell empty = {.type = EC_EMPTY};
            const struct emu_cell *cell = emu_tab_cell(t, row, c);
            if (!cell)
                cell = &empty;
            if (row > rg->r1)
                emu_jb_add(b, ",", 1);
            emu_jb_indent(b, level + 3);
            if (!emu_jb_reserve(b, cell_bound(cell)))
                return;
            b->len = (size_t)(put_cell(b->p + b->len, cell, op, b->html) - b->p);
            b->p[b->len] = '\0';
        }
        emu_jb_indent(b, level + 2);
        emu_jb_add(b, "]", 1);
    }
}

static void write_range_str(struct jbuf *b, const struct emu_tab *t, long r1, long c1, long r2,
                            long c2)
{
    struct jbuf tmp;
    emu_jb_init(&tmp, false);
    emu_a1_format(&tmp, t->title, r1, c1, r2, c2);
    if (tmp.failed)
        b->failed = true;
    else
        emu_jb_str(b, tmp.p, tmp.len);
    emu_jb_free(&tmp);
}

/* One ValueRange object, its opening brace at the current position. */
static void write_value_range(struct jbuf *b, const struct emu_range *rg, const struct vopts *op,
                              int level)
{
    const struct emu_tab *t = rg->tab;
    emu_jb_add(b, "{", 1);
    emu_jb_indent(b, level + 1);
    emu_jb_key(b, "range");
    write_range_str(b, t, rg->r1, rg->c1, rg->r2, rg->c2);
    emu_jb_add(b, ",", 1);
    emu_jb_indent(b, level + 1);
    emu_jb_key(b, "majorDimension");
    emu_jb_puts(b, op->dim == DIM_ROWS ? "\"ROWS\"" : "\"COLUMNS\"");

    long rmax = rg->r2 < (long)t->nrows ? rg->r2 : (long)t->nrows;
    long rlast = rmax;
    while (rlast >= rg->r1 && row_last(t, rlast, rg->c1, rg->c2) < rg->c1)
        rlast--;
    if (rlast >= rg->r1) {
        emu_jb_add(b, ",", 1);
        emu_jb_indent(b, level + 1);
        emu_jb_key(b, "values");
        emu_jb_add(b, "[", 1);
        if (op->dim == DIM_ROWS) {
            write_rows(b, rg, op, rlast, level);
        } else {
            long clast = rg->c1 - 1;
            for (long row = rg->r1; row <= rlast; row++) {
                long l = row_last(t, row, rg->c1, rg->c2);
                if (l > clast)
                    clast = l;
            }
            write_columns(b, rg, op, clast, level);
        }
        emu_jb_indent(b, level + 1);
        emu_jb_add(b, "]", 1);
    }
    emu_jb_indent(b, level);
    emu_jb_add(b, "}", 1);
}

static int resolve(const struct emu_book *b, const char *range, struct emu_range *rg,
                   struct emu_reply *r)
{
    char msg[1024];
    if (emu_a1_resolve(b, range, rg, msg, sizeof msg) == EMU_A1_OK)
        return 0;
    emu_reply_error(r, 400, msg);
    return -1;
}

void emu_api_values_get(struct emu_book *b, const struct emu_req *q, const char *id,
                        const char *range, struct emu_reply *r)
{
    struct vopts op;
    if (!check_id(b, id, r) || parse_opts(q, &op, r))
        return;
    pthread_rwlock_rdlock(&b->lock);
    struct emu_range rg;
    if (resolve(b, range, &rg, r) == 0) {
        write_value_range(&r->body, &rg, &op, 0);
        r->status = 200;
    }
    pthread_rwlock_unlock(&b->lock);
}

void emu_api_values_batch_get(struct emu_book *b, const struct emu_req *q, const char *id,
                              struct emu_reply *r)
{
    struct vopts op;
    if (!check_id(b, id, r) || parse_opts(q, &op, r))
        return;
    size_t n = emu_req_args(q, "ranges", NULL, 0);
    const char **ranges = calloc(n ? n : 1, sizeof *ranges);
    struct emu_range *rgs = calloc(n ? n : 1, sizeof *rgs);
    if (!ranges || !rgs) {
        emu_reply_error(r, 500, emu_status_message(500));
        goto out;
    }
    emu_req_args(q, "ranges", ranges, n);
    pthread_rwlock_rdlock(&b->lock);
    for (size_t i = 0; i < n; i++) {
        if (resolve(b, ranges[i], &rgs[i], r)) {
            pthread_rwlock_unlock(&b->lock);
            goto out;
        }
    }
    struct jbuf *o = &r->body;
    emu_jb_add(o, "{", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, "spreadsheetId");
    emu_jb_str(o, b->id, strlen(b->id));
    if (n) {
        emu_jb_add(o, ",", 1);
        emu_jb_indent(o, 1);
        emu_jb_key(o, "valueRanges");
        emu_jb_add(o, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                emu_jb_add(o, ",", 1);
            emu_jb_indent(o, 2);
            write_value_range(o, &rgs[i], &op, 2);
        }
        emu_jb_indent(o, 1);
        emu_jb_add(o, "]", 1);
    }
    emu_jb_indent(o, 0);
    emu_jb_add(o, "}", 1);
    pthread_rwlock_unlock(&b->lock);
    r->status = 200;
out:
    free(ranges);
    free(rgs);
}

/* ---- update ---- */

/* A JSON value from a ValueRange as a cell; text is borrowed. Returns 1 to
 * skip (null: leave the cell alone), 0, or -1 when not a scalar. */
static int input_cell(struct json_object *v, bool user_entered, struct emu_cell *c)
{
    memset(c, 0, sizeof *c);
    switch (json_object_get_type(v)) {
    case json_type_null:
        return 1;
    case json_type_boolean:
        c->type = EC_BOOL;
        c->u.num = json_object_get_boolean(v);
        return 0;
    case json_type_int:
    case json_type_double:
        c->type = EC_NUM;
        c->u.num = json_object_get_double(v);
        return 0;
    case json_type_string: {
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        c->type = n ? EC_TEXT : EC_EMPTY;
        c->u.s = s;
        c->len = (uint32_t)n;
        if (!user_entered || n == 0)
            return 0;
        /* What typing it into the sheet would do, for the common cases. */
        double d;
        if (s[0] == '\'') {
            c->u.s = s + 1;
            c->len = (uint32_t)n - 1;
            c->type = n > 1 ? EC_TEXT : EC_EMPTY;
        } else if (emu_parse_num(s, n, &d)) {
            c->type = EC_NUM;
            c->u.num = d;
        } else if (strcasecmp(s, "TRUE") == 0 || strcasecmp(s, "FALSE") == 0) {
            c->type = EC_BOOL;
            c->u.num = n == 4;
        }
        return 0;
    }
    default:
        return -1;
    }
}

static void count_field(struct jbuf *o, const char *key, long v)
{
    if (v == 0) /* proto3 JSON leaves out zero values */
        return;
    emu_jb_add(o, ",", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, key);
    emu_jb_printf(o, "%ld", v);
}

void emu_api_values_update(struct emu_book *b, const struct emu_req *q, const char *id,
                           const char *range, struct emu_reply *r)
{
    struct json_object *doc = NULL, *values = NULL, *x;
    char msg[1024];
    bool locked = false;
    if (!check_id(b, id, r))
        return;
    const char *vio = emu_req_arg(q, "valueInputOption");
    if (!vio) {
        emu_reply_error(r, 400, "'valueInputOption' is required but not specified");
        return;
    }
    bool user = strcmp(vio, "USER_ENTERED") == 0;
    if (!user && strcmp(vio, "RAW") != 0) {
        bad_enum(r, "value_input_option", "ValueInputOption", vio);
        return;
    }
    enum json_tokener_error jerr = json_tokener_success;
    doc = q->body_len ? json_tokener_parse_verbose(q->body, &jerr) : json_object_new_object();
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        snprintf(msg, sizeof msg, "Invalid JSON payload received. %s",
                 doc ? "Expected an object." : json_tokener_error_desc(jerr));
        emu_reply_error(r, 400, msg);
        goto out;
    }
    enum dim dim = DIM_ROWS;
    if (json_object_object_get_ex(doc, "majorDimension", &x) &&
        !parse_dim(json_object_get_string(x), &dim)) {
        bad_enum(r, "data.major_dimension", "Dimension", json_object_get_string(x));
        goto out;
    }
    if (json_object_object_get_ex(doc, "values", &values) &&
        !json_object_is_type(values, json_type_array)) {
        emu_reply_error(r, 400, "Invalid JSON payload received. 'values' must be a list of lists");
        goto out;
    }

    pthread_rwlock_wrlock(&b->lock);
    locked = true;
    struct emu_range rg, brg;
    if (resolve(b, range, &rg, r))
        goto out;
    if (json_object_object_get_ex(doc, "range", &x)) {
        const char *br = json_object_get_string(x);
        if (emu_a1_resolve(b, br, &brg, msg, sizeof msg) != EMU_A1_OK || brg.tab != rg.tab ||
            brg.r1 != rg.r1 || brg.c1 != rg.c1 || brg.r2 != rg.r2 || brg.c2 != rg.c2) {
            snprintf(msg, sizeof msg,
                     "Requested range [%.300s] and the range in the body [%.300s] do not match.",
                     range, br);
            emu_reply_error(r, 400, msg);
            goto out;
        }
    }

    /* Validate everything before the first write: a failed call changes nothing. */
    size_t nout = values ? json_object_array_length(values) : 0, width = 0, cells = 0;
    long rmax = rg.single ? LONG_MAX : rg.ur2, cmax = rg.single ? LONG_MAX : rg.uc2;
    for (size_t i = 0; i < nout; i++) {
        struct json_object *line = json_object_array_get_idx(values, i);
        if (!json_object_is_type(line, json_type_array)) {
            snprintf(msg, sizeof msg, "Invalid values[%zu]: must be a list", i);
            emu_reply_error(r, 400, msg);
            goto out;
        }
        size_t nin = json_object_array_length(line);
        for (size_t j = 0; j < nin; j++) {
            struct emu_cell c;
            if (input_cell(json_object_array_get_idx(line, j), user, &c) < 0) {
                snprintf(msg, sizeof msg, "Invalid values[%zu][%zu]: not a string, number or bool",
                         i, j);
                emu_reply_error(r, 400, msg);
                goto out;
            }
        }
        if (nin > width)
            width = nin;
        cells += nin;
    }
    long nrows = dim == DIM_ROWS ? (long)nout : (long)width;
    long ncols = dim == DIM_ROWS ? (long)width : (long)nout;
    if (ncols > 0 && rg.c1 + ncols - 1 > MAX_COLUMNS) {
        snprintf(msg, sizeof msg, "Invalid values: a sheet holds at most %d columns", MAX_COLUMNS);
        emu_reply_error(r, 400, msg);
        goto out;
    }
    if (nrows > 0 && ncols > 0) {
        char what[32] = "", col[8];
        if (rg.r1 + nrows - 1 > rmax) {
            snprintf(what, sizeof what, "row [%ld]", rmax + 1);
        } else if (rg.c1 + ncols - 1 > cmax) {
            emu_a1_col(cmax + 1, col);
            snprintf(what, sizeof what, "column [%s]", col);
        }
        if (what[0]) {
            struct jbuf e;
            emu_jb_init(&e, false);
            emu_a1_format(&e, rg.tab->title, rg.r1, rg.c1, rg.r2, rg.c2);
            snprintf(msg, sizeof msg,
                     "Requested writing within range [%s], but tried writing to %s", e.p ? e.p : "",
                     what);
            emu_jb_free(&e);
            emu_reply_error(r, 400, msg);
            goto out;
        }
    }

    for (size_t i = 0; i < nout; i++) {
        struct json_object *line = json_object_array_get_idx(values, i);
        size_t nin = json_object_array_length(line);
        for (size_t j = 0; j < nin; j++) {
            struct emu_cell c;
            if (input_cell(json_object_array_get_idx(line, j), user, &c))
                continue;
            long row = rg.r1 + (long)(dim == DIM_ROWS ? i : j);
            long col = rg.c1 + (long)(dim == DIM_ROWS ? j : i);
            if (emu_tab_set(rg.tab, row, col, &c)) {
                emu_reply_error(r, 500, emu_status_message(500));
                goto out;
            }
        }
    }
    /* Writing past the grid grows it, as the API does. */
    if (nrows > 0 && rg.r1 + nrows - 1 > rg.tab->row_count)
        rg.tab->row_count = rg.r1 + nrows - 1;
    if (ncols > 0 && rg.c1 + ncols - 1 > rg.tab->col_count)
        rg.tab->col_count = rg.c1 + ncols - 1;

    struct jbuf *o = &r->body;
    emu_jb_add(o, "{", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, "spreadsheetId");
    emu_jb_str(o, b->id, strlen(b->id));
    emu_jb_add(o, ",", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, "updatedRange");
    if (nrows > 0 && ncols > 0)
        write_range_str(o, rg.tab, rg.r1, rg.c1, rg.r1 + nrows - 1, rg.c1 + ncols - 1);
    else
        write_range_str(o, rg.tab, rg.r1, rg.c1, rg.r1, rg.c1);
    count_field(o, "updatedRows", nrows);
    count_field(o, "updatedColumns", ncols);
    count_field(o, "updatedCells", (long)cells);
    emu_jb_indent(o, 0);
    emu_jb_add(o, "}", 1);
    r->status = 200;
out:
    if (locked)
        pthread_rwlock_unlock(&b->lock);
    json_object_put(doc);
}

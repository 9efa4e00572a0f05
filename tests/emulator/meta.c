/* spreadsheets.get with field masks, and spreadsheets.batchUpdate for row and
 * column insertion and deletion (docs/google-apis.md §2). */
#include "tests/emulator/emu.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- field masks: "a,b.c,d(e,f(g))" ---- */

struct fm {
    char *name;
    struct fm *kids;
    size_t n;
    bool all; /* selected whole */
};

static void fm_free(struct fm *f)
{
    for (size_t i = 0; i < f->n; i++)
        fm_free(&f->kids[i]);
    free(f->kids);
    free(f->name);
}

static struct fm *fm_child(struct fm *f, const char *name, size_t len)
{
    for (size_t i = 0; i < f->n; i++)
        if (strlen(f->kids[i].name) == len && memcmp(f->kids[i].name, name, len) == 0)
            return &f->kids[i];
    struct fm *k = realloc(f->kids, (f->n + 1) * sizeof *k);
    if (!k)
        return NULL;
    f->kids = k;
    k = &f->kids[f->n];
    memset(k, 0, sizeof *k);
    k->name = strndup(name, len);
    if (!k->name)
        return NULL;
    f->n++;
    return k;
}

static int fm_list(struct fm *f, const char *s, size_t *pos, int depth);

static int fm_item(struct fm *f, const char *s, size_t *pos, int depth)
{
    struct fm *node = f;
    for (;;) {
        size_t start = *pos;
        while (isalnum((unsigned char)s[*pos]) || s[*pos] == '_' || s[*pos] == '*')
            (*pos)++;
        if (*pos == start)
            return -1;
        node = fm_child(node, s + start, *pos - start);
        if (!node)
            return -1;
        if (s[*pos] != '.')
            break;
        (*pos)++;
    }
    if (s[*pos] == '(') {
        (*pos)++;
        if (fm_list(node, s, pos, depth + 1) || s[*pos] != ')')
            return -1;
        (*pos)++;
    } else {
        node->all = true;
    }
    return 0;
}

static int fm_list(struct fm *f, const char *s, size_t *pos, int depth)
{
    if (depth > 32)
        return -1;
    for (;;) {
        if (fm_item(f, s, pos, depth))
            return -1;
        if (s[*pos] != ',')
            return 0;
        (*pos)++;
    }
}

static struct json_object *fm_apply(const struct fm *f, struct json_object *o)
{
    if (f->all || f->n == 0)
        return json_object_get(o);
    if (json_object_is_type(o, json_type_array)) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < json_object_array_length(o); i++) {
            struct json_object *v = fm_apply(f, json_object_array_get_idx(o, i));
            if (!v || json_object_array_add(a, v)) {
                json_object_put(v);
                json_object_put(a);
                return NULL;
            }
        }
        return a;
    }
    if (!json_object_is_type(o, json_type_object))
        return json_object_get(o);
    struct json_object *out = json_object_new_object();
    if (!out)
        return NULL;
    /* The output keeps the resource's field order, not the mask's. */
    json_object_object_foreach(o, key, val)
    {
        const struct fm *k = NULL;
        for (size_t i = 0; i < f->n && !k; i++)
            if (strcmp(f->kids[i].name, key) == 0 || strcmp(f->kids[i].name, "*") == 0)
                k = &f->kids[i];
        if (!k)
            continue;
        struct json_object *v = fm_apply(k, val);
        if (!v || json_object_object_add(out, key, v)) {
            json_object_put(v);
            json_object_put(out);
            return NULL;
        }
    }
    return out;
}

int emu_fields_apply(const char *mask, struct json_object *o, struct json_object **out)
{
    struct fm root = {0};
    size_t pos = 0;
    *out = NULL;
    if (fm_list(&root, mask, &pos, 0) || mask[pos] != '\0') {
        fm_free(&root);
        return -1;
    }
    *out = fm_apply(&root, o);
    fm_free(&root);
    return *out ? 0 : -1;
}

/* ---- spreadsheets.get ---- */

static struct json_object *add(struct json_object *o, const char *k, struct json_object *v)
{
    if (!v || json_object_object_add(o, k, v)) {
        json_object_put(v);
        return NULL;
    }
    return v;
}

static struct json_object *describe(const struct emu_book *b)
{
    char url[512];
    struct json_object *o = json_object_new_object(), *props, *sheets;
    if (!o || !add(o, "spreadsheetId", json_object_new_string(b->id)) ||
        !(props = add(o, "properties", json_object_new_object())) ||
        !add(props, "title", json_object_new_string(b->title)) ||
        !add(props, "locale", json_object_new_string(b->locale)) ||
        !add(props, "autoRecalc", json_object_new_string("ON_CHANGE")) ||
        !add(props, "timeZone", json_object_new_string(b->time_zone)) ||
        !(sheets = add(o, "sheets", json_object_new_array())))
        goto fail;
    for (size_t i = 0; i < b->ntabs; i++) {
        const struct emu_tab *t = b->tabs[i];
        struct json_object *s = json_object_new_object(), *p, *g;
        if (!s || json_object_array_add(sheets, s)) {
            json_object_put(s);
            goto fail;
        }
        if (!(p = add(s, "properties", json_object_new_object())) ||
            !add(p, "sheetId", json_object_new_int64(t->sheet_id)) ||
            !add(p, "title", json_object_new_string(t->title)) ||
            !add(p, "index", json_object_new_int64((int64_t)i)) ||
            !add(p, "sheetType", json_object_new_string("GRID")) ||
            !(g = add(p, "gridProperties", json_object_new_object())) ||
            !add(g, "rowCount", json_object_new_int64(t->row_count)) ||
            !add(g, "columnCount", json_object_new_int64(t->col_count)))
            goto fail;
    }
    snprintf(url, sizeof url, "https://docs.google.com/spreadsheets/d/%s/edit", b->id);
    if (!add(o, "spreadsheetUrl", json_object_new_string(url)))
        goto fail;
    return o;
fail:
    json_object_put(o);
    return NULL;
}

void emu_api_get(struct emu_book *b, const struct emu_req *q, const char *id, struct emu_reply *r)
{
    if (strcmp(id, b->id) != 0) {
        emu_reply_error(r, 404, emu_status_message(404));
        return;
    }
    pthread_rwlock_rdlock(&b->lock);
    struct json_object *all = describe(b), *sel = NULL;
    pthread_rwlock_unlock(&b->lock);
    const char *mask = emu_req_arg(q, "fields");
    if (!all) {
        emu_reply_error(r, 500, emu_status_message(500));
    } else if (mask && emu_fields_apply(mask, all, &sel)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Invalid field selection: %.500s", mask);
        emu_reply_error(r, 400, msg);
    } else {
        emu_jb_json(&r->body, sel ? sel : all, 0);
        r->status = 200;
    }
    json_object_put(sel);
    json_object_put(all);
}

/* ---- spreadsheets.batchUpdate ---- */

struct dimop {
    bool insert, rows;
    struct emu_tab *tab;
    long start, end;
};

static long get_long(struct json_object *o, const char *key)
{
    struct json_object *x;
    if (!json_object_object_get_ex(o, key, &x))
        return 0; /* proto3: absent = 0 */
    return (long)json_object_get_int64(x);
}

/* Parses and checks requests[i] against the grid sizes as earlier requests
 * of the same call leave them (sizes[k] = rows, cols of tab k). */
static int check_request(struct emu_book *b, struct json_object *req, size_t i, long (*sizes)[2],
                         struct dimop *op, char *msg, size_t msglen)
{
    struct json_object *body = NULL, *range, *x;
    const char *kind = NULL;
    if (json_object_is_type(req, json_type_object) && json_object_object_length(req) == 1) {
        json_object_object_foreach(req, k, v)
        {
            kind = k;
            body = v;
        }
    }
    if (!kind) {
        snprintf(msg, msglen, "Invalid requests[%zu]: exactly one kind of request must be set", i);
        return -1;
    }
    op->insert = strcmp(kind, "insertDimension") == 0;
    if (!op->insert && strcmp(kind, "deleteDimension") != 0) {
        snprintf(msg, msglen,
                 "Invalid requests[%zu]: %.100s is not supported by the emulator (only "
                 "insertDimension and deleteDimension are)",
                 i, kind);
        return -1;
    }
    if (!json_object_is_type(body, json_type_object) ||
        !json_object_object_get_ex(body, "range", &range) ||
        !json_object_is_type(range, json_type_object)) {
        snprintf(msg, msglen, "Invalid requests[%zu].%s: range must be set", i, kind);
        return -1;
    }
    const char *dim =
        json_object_object_get_ex(range, "dimension", &x) ? json_object_get_string(x) : "";
    if (strcmp(dim, "ROWS") != 0 && strcmp(dim, "COLUMNS") != 0) {
        snprintf(msg, msglen, "Invalid requests[%zu].%s: range.dimension must be ROWS or COLUMNS",
                 i, kind);
        return -1;
    }
    op->rows = dim[0] == 'R';
    long sid = get_long(range, "sheetId");
    op->tab = emu_book_tab_by_id(b, sid);
    if (!op->tab) {
        snprintf(msg, msglen, "Invalid requests[%zu].%s: No grid with id: %ld", i, kind, sid);
        return -1;
    }
    op->start = get_long(range, "startIndex");
    op->end = get_long(range, "endIndex");
    size_t k = 0;
    while (b->tabs[k] != op->tab)
        k++;
    long *count = &sizes[k][op->rows ? 0 : 1];
    const char *what = op->rows ? "rows" : "columns";
    if (op->start < 0 || op->end <= op->start) {
        snprintf(msg, msglen,
                 "Invalid requests[%zu].%s: range.startIndex must be less than range.endIndex", i,
                 kind);
        return -1;
    }
    if (op->insert) {
        if (op->start > *count) {
            snprintf(msg, msglen,
                     "Invalid requests[%zu].%s: range.startIndex (%ld) is past the end of the grid "
                     "(%ld %s)",
                     i, kind, op->start, *count, what);
            return -1;
        }
        *count += op->end - op->start;
    } else {
        if (op->end > *count) {
            snprintf(msg, msglen,
                     "Invalid requests[%zu].%s: range.endIndex (%ld) is past the end of the grid "
                     "(%ld %s)",
                     i, kind, op->end, *count, what);
            return -1;
        }
        if (op->end - op->start == *count) {
            snprintf(msg, msglen,
                     "Invalid requests[%zu].%s: You can't delete all the %s on the sheet.", i, kind,
                     what);
            return -1;
        }
        *count -= op->end - op->start;
    }
    return 0;
}

void emu_api_batch_update(struct emu_book *b, const struct emu_req *q, const char *id,
                          struct emu_reply *r)
{
    struct json_object *doc = NULL, *reqs;
    struct dimop *ops = NULL;
    long(*sizes)[2] = NULL;
    char msg[600];
    bool locked = false;
    if (strcmp(id, b->id) != 0) {
        emu_reply_error(r, 404, emu_status_message(404));
        return;
    }
    enum json_tokener_error jerr = json_tokener_success;
    doc = json_tokener_parse_verbose(q->body_len ? q->body : "", &jerr);
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        snprintf(msg, sizeof msg, "Invalid JSON payload received. %s",
                 doc ? "Expected an object." : json_tokener_error_desc(jerr));
        emu_reply_error(r, 400, msg);
        goto out;
    }
    if (!json_object_object_get_ex(doc, "requests", &reqs) ||
        !json_object_is_type(reqs, json_type_array) || json_object_array_length(reqs) == 0) {
        emu_reply_error(r, 400, "Invalid requests: Must specify at least one request.");
        goto out;
    }
    size_t n = json_object_array_length(reqs);
    pthread_rwlock_wrlock(&b->lock);
    locked = true;
    ops = calloc(n, sizeof *ops);
    sizes = calloc(b->ntabs ? b->ntabs : 1, sizeof *sizes);
    if (!ops || !sizes) {
        emu_reply_error(r, 500, emu_status_message(500));
        goto out;
    }
    for (size_t k = 0; k < b->ntabs; k++) {
        sizes[k][0] = b->tabs[k]->row_count;
        sizes[k][1] = b->tabs[k]->col_count;
    }
    /* All requests are checked before any is applied: the call is atomic. */
    for (size_t i = 0; i < n; i++) {
        if (check_request(b, json_object_array_get_idx(reqs, i), i, sizes, &ops[i], msg,
                          sizeof msg)) {
            emu_reply_error(r, 400, msg);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct dimop *op = &ops[i];
        int rc = 0;
        if (op->insert && op->rows)
            rc = emu_tab_insert_rows(op->tab, op->start, op->end - op->start);
        else if (op->insert)
            rc = emu_tab_insert_cols(op->tab, op->start, op->end - op->start);
        else if (op->rows)
            emu_tab_delete_rows(op->tab, op->start, op->end);
        else
            emu_tab_delete_cols(op->tab, op->start, op->end);
        if (rc) {
            emu_reply_error(r, 500, emu_status_message(500));
            goto out;
        }
    }
    struct jbuf *o = &r->body;
    emu_jb_add(o, "{", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, "spreadsheetId");
    emu_jb_str(o, b->id, strlen(b->id));
    emu_jb_add(o, ",", 1);
    emu_jb_indent(o, 1);
    emu_jb_key(o, "replies");
    emu_jb_add(o, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            emu_jb_add(o, ",", 1);
        emu_jb_indent(o, 2);
        emu_jb_add(o, "{}", 2);
    }
    emu_jb_indent(o, 1);
    emu_jb_add(o, "]", 1);
    emu_jb_indent(o, 0);
    emu_jb_add(o, "}", 1);
    r->status = 200;
out:
    if (locked)
        pthread_rwlock_unlock(&b->lock);
    free(ops);
    free(sizes);
    json_object_put(doc);
}

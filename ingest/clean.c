/* One sheet row -> one clean issue (models.md §3). The rules themselves live
 * in clean_text.c, clean_value.c and clean_date.c; this file applies them in
 * order, reports every problem with the column's header text, and decides
 * whether the row is excluded. */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ingest/clean.h"
#include "ingest/clean_internal.h"

static const struct cell empty_cell = {.type = CELL_EMPTY};

struct row_ctx {
    const struct clean_header_map *map;
    const struct sheet_row *row;
    struct clean_problems *problems;
    struct clean_issue *out;
    int rc; /* sticky: -1 once memory ran out */
    /* Per field: the cell as cleaned (a formula error reads as empty), the
     * cell as typed, as text (NULL when empty after trimming), and that text
     * quoted for messages. */
    struct cell cell[FIELD_COUNT];
    char *typed[FIELD_COUNT];
    char quoted[FIELD_COUNT][CLEAN_QUOTE_SIZE];
};

static const struct cell *row_cell(const struct sheet_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->ncells)
        return &empty_cell;
    return &row->cells[col];
}

static bool cell_is_blank(const struct cell *c)
{
    const char *s;
    size_t len;

    if (c->type == CELL_NUMBER || c->type == CELL_BOOL)
        return false;
    if (c->type != CELL_TEXT || c->text == NULL)
        return true;
    s = c->text;
    len = c->len;
    clean_trim(&s, &len);
    return len == 0;
}

static const char *column_name(const struct row_ctx *x, enum clean_field f)
{
    int col = x->map->col[f];
    if (col < 0 || (size_t)col >= x->map->ncols)
        return clean_field_name(f);
    return x->map->names[col];
}

/* Adds a problem about field f's cell, printf-style. */
#define PROBLEM(x, f, sev, code, ...)                                                              \
    do {                                                                                           \
        if (clean_problem_addf((x)->problems, (x)->row->row, (x)->map->col[f], (f), (sev), (code), \
                               (x)->typed[f], __VA_ARGS__) != 0)                                   \
            (x)->rc = -1;                                                                          \
        if ((sev) == SEV_ERROR)                                                                    \
            (x)->out->excluded = true;                                                             \
    } while (0)

/* Text of the cleaned cell of field f, trimmed: [*s, *s + *len). */
static const char *field_text(struct row_ctx *x, enum clean_field f, char **owned, size_t *len)
{
    const char *s;

    *owned = NULL;
    *len = 0;
    if (x->cell[f].type == CELL_EMPTY)
        return "";
    if ((*owned = clean_cell_text(&x->cell[f])) == NULL) {
        x->rc = -1;
        return "";
    }
    s = *owned;
    *len = strlen(s);
    clean_trim(&s, len);
    return s;
}

/* A trimmed (not collapsed) copy; NULL when empty. */
static char *field_trimmed(struct row_ctx *x, enum clean_field f)
{
    char *owned, *r = NULL;
    size_t len;
    const char *s = field_text(x, f, &owned, &len);

    if (len > 0 && (r = clean_strndup(s, len)) == NULL)
        x->rc = -1;
    free(owned);
    return r;
}

static char *field_collapsed(struct row_ctx *x, enum clean_field f)
{
    char *owned, *r = NULL;
    size_t len;
    const char *s = field_text(x, f, &owned, &len);

    if (len > 0 && (r = clean_collapse(s, len)) == NULL)
        x->rc = -1;
    free(owned);
    return r;
}

/* Formula errors in every headed column, left to right: the cell reads as
 * empty from here on. Columns without a header are ignored (they only count
 * for the empty-row rule). */
static void scan_formula_errors(struct row_ctx *x)
{
    const struct clean_header_map *m = x->map;

    for (size_t i = 0; i < m->ncols && i < x->row->ncells; i++) {
        const struct cell *c = &x->row->cells[i];
        enum clean_field f = m->field_of[i];
        char q[CLEAN_QUOTE_SIZE], *typed;

        if (m->names[i][0] == '\0' || c->type != CELL_TEXT ||
            !clean_is_formula_error(c->text, c->len))
            continue;
        if (f != FIELD_NONE && m->col[f] != (int)i)
            continue; /* a duplicate column: ignored */
        if ((typed = clean_cell_text(c)) == NULL) {
            x->rc = -1;
            continue;
        }
        if (clean_problem_addf(x->problems, x->row->row, (int)i, f, SEV_WARNING, "formula_error",
                               typed, "%s %s is a formula error; the cell is read as empty",
                               m->names[i], clean_quote(typed, q, sizeof q)) != 0)
            x->rc = -1;
        free(typed);
        if (f != FIELD_NONE)
            x->cell[f] = empty_cell;
    }
}

static void load_fields(struct row_ctx *x)
{
    for (int f = 0; f < FIELD_COUNT; f++) {
        const struct cell *c = row_cell(x->row, x->map->col[f]);
        x->cell[f] = *c;
        x->typed[f] = NULL;
        x->quoted[f][0] = '\0';
        if (cell_is_blank(c))
            continue;
        if ((x->typed[f] = clean_cell_text(c)) == NULL) {
            x->rc = -1;
            continue;
        }
        clean_quote(x->typed[f], x->quoted[f], sizeof x->quoted[f]);
    }
}

static void do_issue_number(struct row_ctx *x)
{
    enum clean_field f = FIELD_ISSUE_NUMBER;

    x->out->issue_number = clean_issue_number(&x->cell[f]);
    if (x->out->issue_number != NULL)
        return;
    if (x->typed[f] == NULL)
        PROBLEM(x, f, SEV_ERROR, "missing_issue_number", "%s is empty; the row is excluded",
                column_name(x, f));
    else
        PROBLEM(x, f, SEV_ERROR, "missing_issue_number",
                "%s %s holds no issue number; the row is excluded", column_name(x, f),
                x->quoted[f]);
}

static void do_vehicle(struct row_ctx *x)
{
    enum clean_field f = FIELD_VEHICLE;
    struct clean_issue *o = x->out;

    o->vehicle = field_collapsed(x, f);
    if ((o->vehicle_key = clean_vehicle_key(o->vehicle)) == NULL)
        x->rc = -1;
    /* Without a vehicle column the partner could not type one: no warning. */
    if (o->vehicle == NULL && x->map->col[f] >= 0)
        PROBLEM(x, f, SEV_WARNING, "missing_vehicle",
                "%s is empty; the issue is filed under vehicle UNKNOWN", column_name(x, f));
}

static void do_priority(struct row_ctx *x)
{
    enum clean_field f = FIELD_PRIORITY;
    char *owned;
    size_t len;
    const char *s = field_text(x, f, &owned, &len);
    bool unknown;

    x->out->priority = clean_priority(s, len, &unknown);
    free(owned);
    if (unknown)
        PROBLEM(x, f, SEV_WARNING, "unknown_priority",
                "%s %s is not a known priority; \"none\" is used", column_name(x, f), x->quoted[f]);
}

/* reported_at, then due_date and resolved_at; a resolved_at earlier than
 * reported_at is dropped. */
static void do_dates(struct row_ctx *x, const char *locale)
{
    static const struct {
        enum clean_field f;
        size_t off;
    } optional[] = {
        {FIELD_DUE_DATE, offsetof(struct clean_issue, due_date)},
        {FIELD_RESOLVED_AT, offsetof(struct clean_issue, resolved_at)},
    };
    struct clean_issue *o = x->out;
    enum clean_field f = FIELD_REPORTED_AT;

    switch (clean_date(&x->cell[f], locale, o->reported_at)) {
    case DATE_OK:
        break;
    case DATE_EMPTY:
        if (x->typed[f] == NULL)
            PROBLEM(x, f, SEV_ERROR, "missing_reported_at", "%s is empty; the row is excluded",
                    column_name(x, f));
        else /* a formula error */
            PROBLEM(x, f, SEV_ERROR, "missing_reported_at",
                    "%s %s holds no date; the row is excluded", column_name(x, f), x->quoted[f]);
        break;
    case DATE_INVALID:
        PROBLEM(x, f, SEV_ERROR, "invalid_date", "%s %s is not a valid date; the row is excluded",
                column_name(x, f), x->quoted[f]);
        break;
    }
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        enum clean_field g = optional[i].f;
        char *dst = (char *)o + optional[i].off;
        if (clean_date(&x->cell[g], locale, dst) == DATE_INVALID) {
            dst[0] = '\0';
            PROBLEM(x, g, SEV_WARNING, "invalid_date", "%s %s is not a valid date; it is ignored",
                    column_name(x, g), x->quoted[g]);
        }
    }
    /* Same fixed-width format: byte order is time order. */
    if (o->resolved_at[0] != '\0' && o->reported_at[0] != '\0' &&
        strcmp(o->resolved_at, o->reported_at) < 0) {
        o->resolved_at[0] = '\0';
        PROBLEM(x, FIELD_RESOLVED_AT, SEV_WARNING, "resolved_before_reported",
                "%s %s is earlier than %s %s; it is ignored", column_name(x, FIELD_RESOLVED_AT),
                x->quoted[FIELD_RESOLVED_AT], column_name(x, FIELD_REPORTED_AT),
                x->quoted[FIELD_REPORTED_AT]);
    }
}

/* Status after resolved_at is final, then resolved_effective's warnings. */
static void do_status(struct row_ctx *x)
{
    enum clean_field f = FIELD_STATUS;
    struct clean_issue *o = x->out;
    char *owned;
    size_t len;
    const char *s = field_text(x, f, &owned, &len);
    bool unknown, resolved = o->resolved_at[0] != '\0';
    const char *typed = clean_status(s, len, &unknown);

    free(owned);
    o->status = typed ? typed : resolved ? "resolved" : "open";
    if (unknown)
        PROBLEM(x, f, SEV_WARNING, "unknown_status", "%s %s is not a known status; \"%s\" is used",
                column_name(x, f), x->quoted[f], o->status);
    if (resolved && typed != NULL && strcmp(typed, "open") == 0)
        PROBLEM(x, f, SEV_WARNING, "status_conflict",
                "%s %s says open but %s is %s; the issue counts as resolved then",
                column_name(x, f), x->quoted[f], column_name(x, FIELD_RESOLVED_AT),
                x->quoted[FIELD_RESOLVED_AT]);
    if (!resolved && strcmp(o->status, "open") != 0) {
        o->needs_observed_resolution = true;
        PROBLEM(x, f, SEV_WARNING, "resolved_without_date",
                "%s %s has no valid resolved date; the time the service first saw it %s is used",
                column_name(x, f), x->quoted[f], o->status);
    }
}

static void do_odometer(struct row_ctx *x)
{
    enum clean_field f = FIELD_ODOMETER;
    char *owned;
    size_t len;
    const char *s = field_text(x, f, &owned, &len);
    int r = clean_odometer(s, len, &x->out->odometer);

    free(owned);
    x->out->has_odometer = r == 0;
    if (r < 0) {
        x->out->odometer = 0;
        PROBLEM(x, f, SEV_WARNING, "invalid_number", "%s %s is not a number; it is ignored",
                column_name(x, f), x->quoted[f]);
    }
}

static void do_labels(struct row_ctx *x)
{
    char *owned, *labels;
    size_t len;
    const char *s = field_text(x, FIELD_LABELS, &owned, &len);

    labels = clean_labels(s, len);
    free(owned);
    if (labels == NULL) {
        x->rc = -1;
        return;
    }
    free(x->out->labels_json);
    x->out->labels_json = labels;
}

/* Unknown columns with a header: {"Header text": "cell text"} for the
 * non-empty cells, trimmed. Two unknown columns with the same header text:
 * the leftmost non-empty one is kept. */
static void do_extra(struct row_ctx *x)
{
    const struct clean_header_map *m = x->map;
    struct json_object *obj = json_object_new_object();
    char *json;

    if (obj == NULL)
        goto oom;
    for (size_t i = 0; i < m->ncols && i < x->row->ncells; i++) {
        const struct cell *c = &x->row->cells[i];
        char *text;
        const char *s;
        size_t len;
        struct json_object *v;

        if (m->field_of[i] != FIELD_NONE || m->names[i][0] == '\0' || cell_is_blank(c) ||
            (c->type == CELL_TEXT && clean_is_formula_error(c->text, c->len)) ||
            json_object_object_get_ex(obj, m->names[i], NULL))
            continue;
        if ((text = clean_cell_text(c)) == NULL)
            goto oom;
        s = text;
        len = strlen(text);
        clean_trim(&s, &len);
        v = json_object_new_string_len(s, (int)len);
        free(text);
        if (v == NULL)
            goto oom;
        if (json_object_object_add(obj, m->names[i], v) != 0) {
            json_object_put(v);
            goto oom;
        }
    }
    json = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    if (json == NULL)
        goto oom;
    json_object_put(obj);
    free(x->out->extra_json);
    x->out->extra_json = json;
    return;
oom:
    json_object_put(obj);
    x->rc = -1;
}

static bool row_is_empty(const struct sheet_row *row)
{
    for (size_t i = 0; i < row->ncells; i++) {
        if (!cell_is_blank(&row->cells[i]))
            return false;
    }
    return true;
}

void clean_issue_free(struct clean_issue *ci)
{
    free(ci->issue_number);
    free(ci->vehicle);
    free(ci->vehicle_key);
    free(ci->summary);
    free(ci->description);
    free(ci->reported_by);
    free(ci->assigned_to);
    free(ci->labels_json);
    free(ci->extra_json);
    memset(ci, 0, sizeof *ci);
}

int clean_row(const struct clean_header_map *map, const char *locale, const struct sheet_row *row,
              struct clean_issue *out, struct clean_problems *problems)
{
    struct row_ctx x = {.map = map, .row = row, .problems = problems, .out = out};

    memset(out, 0, sizeof *out);
    out->row = row->row;
    out->priority = "none";
    out->status = "open";
    out->labels_json = strdup("[]");
    out->extra_json = strdup("{}");
    if (out->labels_json == NULL || out->extra_json == NULL)
        return -1;
    if (row_is_empty(row)) {
        out->empty = true;
        out->vehicle_key = strdup("UNKNOWN");
        return out->vehicle_key ? 0 : -1;
    }
    load_fields(&x);
    scan_formula_errors(&x);
    do_issue_number(&x);
    do_vehicle(&x);
    out->summary = field_trimmed(&x, FIELD_SUMMARY);
    out->description = field_trimmed(&x, FIELD_DESCRIPTION);
    do_priority(&x);
    do_dates(&x, locale);
    do_status(&x);
    out->reported_by = field_collapsed(&x, FIELD_REPORTED_BY);
    out->assigned_to = field_collapsed(&x, FIELD_ASSIGNED_TO);
    do_odometer(&x);
    do_labels(&x);
    do_extra(&x);
    for (int f = 0; f < FIELD_COUNT; f++)
        free(x.typed[f]);
    return x.rc;
}

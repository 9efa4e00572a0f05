/* Header row -> fields (models.md §2): normalisation, the built-in aliases,
 * duplicate and missing columns. */

#include <stdlib.h>
#include <string.h>

#include "ingest/clean.h"
#include "ingest/clean_internal.h"

struct alias {
    const char *header; /* normalised */
    enum clean_field field;
};

static const struct alias builtin_aliases[] = {
    {"issue #", FIELD_ISSUE_NUMBER},
    {"issue#", FIELD_ISSUE_NUMBER},
    {"issue number", FIELD_ISSUE_NUMBER},
    {"issue no", FIELD_ISSUE_NUMBER},
    {"issue no.", FIELD_ISSUE_NUMBER},
    {"issue id", FIELD_ISSUE_NUMBER},
    {"number", FIELD_ISSUE_NUMBER},
    {"no.", FIELD_ISSUE_NUMBER},
    {"id", FIELD_ISSUE_NUMBER},
    {"#", FIELD_ISSUE_NUMBER},
    {"vehicle", FIELD_VEHICLE},
    {"asset", FIELD_VEHICLE},
    {"unit", FIELD_VEHICLE},
    {"vehicle name", FIELD_VEHICLE},
    {"unit #", FIELD_VEHICLE},
    {"truck", FIELD_VEHICLE},
    {"summary", FIELD_SUMMARY},
    {"issue", FIELD_SUMMARY},
    {"title", FIELD_SUMMARY},
    {"issue summary", FIELD_SUMMARY},
    {"name", FIELD_SUMMARY},
    {"problem", FIELD_SUMMARY},
    {"description", FIELD_DESCRIPTION},
    {"details", FIELD_DESCRIPTION},
    {"notes", FIELD_DESCRIPTION},
    {"priority", FIELD_PRIORITY},
    {"severity", FIELD_PRIORITY},
    {"urgency", FIELD_PRIORITY},
    {"status", FIELD_STATUS},
    {"state", FIELD_STATUS},
    {"reported date", FIELD_REPORTED_AT},
    {"date reported", FIELD_REPORTED_AT},
    {"reported on", FIELD_REPORTED_AT},
    {"reported at", FIELD_REPORTED_AT},
    {"reported", FIELD_REPORTED_AT},
    {"date", FIELD_REPORTED_AT},
    {"reported by", FIELD_REPORTED_BY},
    {"reporter", FIELD_REPORTED_BY},
    {"submitted by", FIELD_REPORTED_BY},
    {"driver", FIELD_REPORTED_BY},
    {"assigned to", FIELD_ASSIGNED_TO},
    {"assignee", FIELD_ASSIGNED_TO},
    {"owner", FIELD_ASSIGNED_TO},
    {"technician", FIELD_ASSIGNED_TO},
    {"mechanic", FIELD_ASSIGNED_TO},
    {"due date", FIELD_DUE_DATE},
    {"due", FIELD_DUE_DATE},
    {"due on", FIELD_DUE_DATE},
    {"due by", FIELD_DUE_DATE},
    {"resolved date", FIELD_RESOLVED_AT},
    {"date resolved", FIELD_RESOLVED_AT},
    {"resolved on", FIELD_RESOLVED_AT},
    {"resolved at", FIELD_RESOLVED_AT},
    {"resolved", FIELD_RESOLVED_AT},
    {"closed date", FIELD_RESOLVED_AT},
    {"date closed", FIELD_RESOLVED_AT},
    {"completed date", FIELD_RESOLVED_AT},
    {"odometer", FIELD_ODOMETER},
    {"mileage", FIELD_ODOMETER},
    {"meter", FIELD_ODOMETER},
    {"odometer (mi)", FIELD_ODOMETER},
    {"miles", FIELD_ODOMETER},
    {"labels", FIELD_LABELS},
    {"tags", FIELD_LABELS},
    {"category", FIELD_LABELS},
    {"categories", FIELD_LABELS},
};

/* Lowercased, trimmed, inner whitespace collapsed, one trailing ':' dropped
 * -- and trimmed once more, so "Reported Date :" matches like
 * "Reported Date:" does. */
char *clean_header_normalize(const char *s, size_t len)
{
    char *d;
    size_t n;

    if ((d = clean_collapse(s, len)) == NULL)
        return strdup("");
    n = strlen(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (char)clean_lower((unsigned char)d[i]);
    if (n > 0 && d[n - 1] == ':') {
        d[--n] = '\0';
        if (n > 0 && d[n - 1] == ' ')
            d[--n] = '\0';
    }
    return d;
}

static enum clean_field lookup_normalized(const char *norm, const struct clean_aliases *extra,
                                          bool *oom)
{
    if (norm[0] == '\0')
        return FIELD_NONE;
    for (size_t i = 0; extra != NULL && i < extra->n; i++) {
        const char *h = extra->v[i].header;
        char *en = clean_header_normalize(h ? h : "", h ? strlen(h) : 0);
        bool eq;
        if (en == NULL) {
            *oom = true;
            return FIELD_NONE;
        }
        eq = strcmp(en, norm) == 0;
        free(en);
        if (eq)
            return extra->v[i].field;
    }
    for (size_t i = 0; i < sizeof builtin_aliases / sizeof builtin_aliases[0]; i++) {
        if (strcmp(builtin_aliases[i].header, norm) == 0)
            return builtin_aliases[i].field;
    }
    return FIELD_NONE;
}

static enum clean_field header_field(const char *header, size_t len,
                                     const struct clean_aliases *extra, bool *oom)
{
    char *norm = clean_header_normalize(header ? header : "", header ? len : 0);
    enum clean_field f;

    if (norm == NULL) {
        *oom = true;
        return FIELD_NONE;
    }
    f = lookup_normalized(norm, extra, oom);
    free(norm);
    return f;
}

enum clean_field clean_header_field(const char *header, size_t len,
                                    const struct clean_aliases *extra)
{
    bool oom = false;
    return header_field(header, len, extra, &oom);
}

/* "A", "Z", "AA": the column letters a person sees. */
static void column_letters(int col, char buf[8])
{
    char tmp[8];
    int n = 0, k = 0;

    for (col++; col > 0 && n < 7; col = (col - 1) / 26)
        tmp[n++] = (char)('A' + (col - 1) % 26);
    while (n > 0)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
}

/* An example header for a missing field, for the message. */
static const char *example_header(enum clean_field f)
{
    return f == FIELD_ISSUE_NUMBER ? "Issue #" : "Reported Date";
}

void clean_header_map_free(struct clean_header_map *m)
{
    if (m->names != NULL) {
        for (size_t i = 0; i < m->ncols; i++)
            free(m->names[i]);
    }
    free(m->names);
    free(m->field_of);
    m->names = NULL;
    m->field_of = NULL;
    m->ncols = 0;
}

static int map_column(struct clean_header_map *out, size_t i, const struct cell *cell,
                      long header_row, const struct clean_aliases *extra,
                      struct clean_problems *problems)
{
    char *text = clean_cell_text(cell);
    const char *s = text;
    size_t len;
    bool oom = false;
    enum clean_field f;
    char here[8], there[8], q1[CLEAN_QUOTE_SIZE], q2[CLEAN_QUOTE_SIZE];
    int rc = -1;

    if (text == NULL)
        goto out;
    len = strlen(text);
    clean_trim(&s, &len);
    if ((out->names[i] = clean_strndup(s, len)) == NULL)
        goto out;
    f = header_field(s, len, extra, &oom);
    if (oom)
        goto out;
    out->field_of[i] = f;
    if (f != FIELD_NONE) {
        int first = out->col[f];
        if (first < 0) {
            out->col[f] = (int)i;
        } else {
            column_letters((int)i, here);
            column_letters(first, there);
            if (clean_problem_addf(
                    problems, header_row, (int)i, f, SEV_WARNING, "duplicate_column", out->names[i],
                    "Column %s %s is a second column for %s; column %s %s, "
                    "the leftmost, is used",
                    here, clean_quote(out->names[i], q1, sizeof q1), clean_field_name(f), there,
                    clean_quote(out->names[first], q2, sizeof q2)) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    free(text);
    return rc;
}

int clean_header_map(const struct cell *cells, size_t n, long header_row,
                     const struct clean_aliases *extra, struct clean_header_map *out,
                     struct clean_problems *problems)
{
    static const enum clean_field required[] = {FIELD_ISSUE_NUMBER, FIELD_REPORTED_AT};
    int rc = -2;

    memset(out, 0, sizeof *out);
    for (int f = 0; f < FIELD_COUNT; f++)
        out->col[f] = -1;
    out->names = calloc(n ? n : 1, sizeof *out->names);
    out->field_of = calloc(n ? n : 1, sizeof *out->field_of);
    if (out->names == NULL || out->field_of == NULL)
        goto out;
    out->ncols = n;
    for (size_t i = 0; i < n; i++) {
        out->field_of[i] = FIELD_NONE;
        if (map_column(out, i, &cells[i], header_row, extra, problems) != 0)
            goto out;
    }
    rc = 0;
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
        enum clean_field f = required[k];
        if (out->col[f] >= 0)
            continue;
        if (clean_problem_addf(problems, header_row, -1, f, SEV_ERROR, "missing_column",
                               clean_field_name(f),
                               "No column for %s: the header row needs one such as \"%s\"",
                               clean_field_name(f), example_header(f)) != 0) {
            rc = -2;
            goto out;
        }
        rc = -1;
    }
out:
    if (rc != 0)
        clean_header_map_free(out);
    return rc;
}

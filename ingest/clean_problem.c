/* Data problems found while cleaning (models.md §3), and the field names
 * they carry. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/clean.h"
#include "ingest/clean_internal.h"

static const char *const field_names[FIELD_COUNT] = {
    [FIELD_ISSUE_NUMBER] = "issue_number",
    [FIELD_VEHICLE] = "vehicle",
    [FIELD_SUMMARY] = "summary",
    [FIELD_DESCRIPTION] = "description",
    [FIELD_PRIORITY] = "priority",
    [FIELD_STATUS] = "status",
    [FIELD_REPORTED_AT] = "reported_at",
    [FIELD_REPORTED_BY] = "reported_by",
    [FIELD_ASSIGNED_TO] = "assigned_to",
    [FIELD_DUE_DATE] = "due_date",
    [FIELD_RESOLVED_AT] = "resolved_at",
    [FIELD_ODOMETER] = "odometer",
    [FIELD_LABELS] = "labels",
};

const char *clean_field_name(enum clean_field f)
{
    if (f < 0 || f >= FIELD_COUNT)
        return NULL;
    return field_names[f];
}

enum clean_field clean_field_from_name(const char *name)
{
    if (name == NULL)
        return FIELD_NONE;
    for (int f = 0; f < FIELD_COUNT; f++) {
        if (strcmp(field_names[f], name) == 0)
            return (enum clean_field)f;
    }
    return FIELD_NONE;
}

char *clean_strndup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d == NULL)
        return NULL;
    if (len > 0)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static void problem_clear(struct clean_problem *pr)
{
    free(pr->value);
    free(pr->message);
    pr->value = NULL;
    pr->message = NULL;
}

void clean_problems_reset(struct clean_problems *p)
{
    for (size_t i = 0; i < p->n; i++)
        problem_clear(&p->v[i]);
    p->n = 0;
}

void clean_problems_free(struct clean_problems *p)
{
    clean_problems_reset(p);
    free(p->v);
    p->v = NULL;
    p->cap = 0;
}

int clean_problem_addf(struct clean_problems *p, long row, int col, enum clean_field field,
                       enum clean_severity sev, const char *code, const char *value,
                       const char *fmt, ...)
{
    char *msg = NULL, *val = NULL;
    va_list ap;
    int rc;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        struct clean_problem *v = realloc(p->v, cap * sizeof *v);
        if (v == NULL)
            goto fail;
        p->v = v;
        p->cap = cap;
    }
    va_start(ap, fmt);
    rc = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (rc < 0 || (msg = malloc((size_t)rc + 1)) == NULL)
        goto fail;
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)rc + 1, fmt, ap);
    va_end(ap);
    if (value != NULL && (val = strdup(value)) == NULL)
        goto fail;
    p->v[p->n++] = (struct clean_problem){
        .row = row,
        .col = col,
        .field = field,
        .severity = sev,
        .code = code,
        .value = val,
        .message = msg,
    };
    return 0;
fail:
    free(msg);
    free(val);
    return -1;
}

const char *clean_quote(const char *value, char *buf, size_t size)
{
    const char *s = value ? value : "";
    size_t len = strlen(s), keep;
    const size_t room = size - 6; /* two quotes, "...", NUL */

    clean_trim(&s, &len);
    keep = len;
    if (keep > room) {
        keep = room;
        /* Back up to the first byte of a UTF-8 sequence. */
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
    }
    snprintf(buf, size, "\"%.*s%s\"", (int)keep, s, keep < len ? "..." : "");
    return buf;
}

/* Cells as text (models.md §1) and the text fields built from them:
 * formula errors, collapsed names, vehicle keys, issue numbers. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/clean.h"
#include "ingest/clean_internal.h"

/* Whole numbers below 1e21 are written with every digit (as JavaScript's
 * Number#toString does, so 2^53 + 2 stays "9007199254740994"); anything else
 * in the shortest "%.*g" form that reads back as the same double. */
static char *number_text(double x)
{
    char buf[512];

    if (isfinite(x) && x == trunc(x) && fabs(x) < 1e21) {
        if (x == 0)
            x = 0; /* -0 is written "0" */
        snprintf(buf, sizeof buf, "%.0f", x);
        return strdup(buf);
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return strdup(buf);
}

char *clean_cell_text(const struct cell *c)
{
    switch (c->type) {
    case CELL_TEXT:
        return clean_strndup(c->text ? c->text : "", c->text ? c->len : 0);
    case CELL_NUMBER:
        return number_text(c->num);
    case CELL_BOOL:
        return strdup(c->num != 0 ? "TRUE" : "FALSE");
    case CELL_EMPTY:
    default:
        return strdup("");
    }
}

/* The literals are matched exactly, as the spreadsheet writes them: the spec
 * lists them in upper case and a person typing "#n/a" by hand most likely
 * meant the text. */
static const char *const formula_errors[] = {
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!",
};

bool clean_is_formula_error(const char *s, size_t len)
{
    if (s == NULL)
        return false;
    clean_trim(&s, &len);
    for (size_t i = 0; i < sizeof formula_errors / sizeof formula_errors[0]; i++) {
        if (strlen(formula_errors[i]) == len && memcmp(formula_errors[i], s, len) == 0)
            return true;
    }
    return false;
}

char *clean_collapse(const char *s, size_t len)
{
    char *d;
    size_t n = 0;

    if (s == NULL)
        return NULL;
    clean_trim(&s, &len);
    if (len == 0)
        return NULL;
    if ((d = malloc(len + 1)) == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (clean_is_space((unsigned char)s[i])) {
            if (!clean_is_space((unsigned char)s[i - 1])) /* s[0] is never a space */
                d[n++] = ' ';
        } else {
            d[n++] = s[i];
        }
    }
    d[n] = '\0';
    return d;
}

char *clean_vehicle_key(const char *display)
{
    size_t len = display ? strlen(display) : 0, n = 0;
    char *d = malloc(len + sizeof "UNKNOWN");

    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)display[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if ((c >= 'A' && c <= 'Z') || clean_is_digit(c))
            d[n++] = (char)c;
    }
    if (n == 0)
        memcpy(d, "UNKNOWN", sizeof "UNKNOWN");
    else
        d[n] = '\0';
    return d;
}

/* "12.0", "012.00": digits, a point, zeros only. */
static bool whole_decimal_text(const char *s, size_t len, size_t *int_len)
{
    size_t i = 0;

    while (i < len && clean_is_digit((unsigned char)s[i]))
        i++;
    if (i == 0 || i + 1 >= len || s[i] != '.')
        return false;
    *int_len = i;
    for (i++; i < len; i++) {
        if (s[i] != '0')
            return false;
    }
    return true;
}

char *clean_issue_number(const struct cell *c)
{
    const char *s;
    size_t len, int_len;

    if (c->type != CELL_TEXT) {
        if (c->type == CELL_EMPTY)
            return NULL;
        return clean_cell_text(c); /* numbers are whole -> no fraction already */
    }
    s = c->text ? c->text : "";
    len = c->text ? c->len : 0;
    clean_trim(&s, &len);
    if (len > 0 && s[0] == '#') {
        s++;
        len--;
        clean_trim(&s, &len);
    }
    if (len == 0)
        return NULL;
    if (whole_decimal_text(s, len, &int_len))
        len = int_len;
    return clean_strndup(s, len);
}

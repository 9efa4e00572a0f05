/* Date cells (models.md §3): serial numbers and the accepted text forms,
 * as local wall-clock "YYYY-MM-DD HH:MM:SS". No time-zone conversion, no
 * locale-dependent libc call: every form is parsed by hand. */

#include <math.h>
#include <string.h>

#include "common/civil.h"
#include "ingest/clean.h"
#include "ingest/clean_internal.h"

#define SERIAL_MIN 1.0
#define SERIAL_MAX 2958465.0 /* 9999-12-31 */

struct dt {
    int y, mo, d, h, mi, s;
};

/* A cursor over the trimmed text. */
struct cur {
    const char *s;
    size_t n, i;
};

static bool at_end(const struct cur *c)
{
    return c->i == c->n;
}

static bool take_char(struct cur *c, char ch)
{
    if (c->i < c->n && clean_lower((unsigned char)c->s[c->i]) == (unsigned char)ch) {
        c->i++;
        return true;
    }
    return false;
}

/* Reads a whole run of digits; fails unless its length is in [min, max]. */
static bool take_digits(struct cur *c, size_t min, size_t max, int *val)
{
    size_t k = 0;
    int v = 0;

    while (c->i + k < c->n && clean_is_digit((unsigned char)c->s[c->i + k])) {
        if (k < max)
            v = v * 10 + (c->s[c->i + k] - '0');
        k++;
    }
    if (k < min || k > max)
        return false;
    c->i += k;
    *val = v;
    return true;
}

/* One or more ASCII whitespace characters. */
static bool take_spaces(struct cur *c)
{
    size_t start = c->i;
    while (c->i < c->n && clean_is_space((unsigned char)c->s[c->i]))
        c->i++;
    return c->i > start;
}

static bool valid_dt(const struct dt *t)
{
    return civil_valid(t->y, t->mo, t->d) && t->h >= 0 && t->h <= 23 && t->mi >= 0 && t->mi <= 59 &&
           t->s >= 0 && t->s <= 59;
}

static void put_num(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void format_dt(const struct dt *t, char out[CLEAN_DATETIME_LEN])
{
    memcpy(out, "0000-00-00 00:00:00", CLEAN_DATETIME_LEN);
    put_num(out, t->y, 4);
    put_num(out + 5, t->mo, 2);
    put_num(out + 8, t->d, 2);
    put_num(out + 11, t->h, 2);
    put_num(out + 14, t->mi, 2);
    put_num(out + 17, t->s, 2);
}

#define SERIAL_EPOCH_DAYS (-25569L) /* 1899-12-30 in days since 1970-01-01 */

/* Whole days since 1899-12-30; the fraction is the time of day, rounded to
 * the nearest second. x - floor(x) is exact in binary, so the fraction is
 * rounded once, and 23:59:59.5 carries into the next day. */
static bool parse_serial(double x, struct dt *t)
{
    double whole, frac;
    long days, secs;

    if (!isfinite(x) || x < SERIAL_MIN || x > SERIAL_MAX)
        return false;
    whole = floor(x);
    frac = x - whole;
    days = (long)whole;
    secs = lround(frac * 86400.0);
    if (secs >= 86400) {
        days++;
        secs -= 86400;
    }
    civil_from_days(SERIAL_EPOCH_DAYS + days, &t->y, &t->mo, &t->d);
    t->h = (int)(secs / 3600);
    t->mi = (int)(secs / 60 % 60);
    t->s = (int)(secs % 60);
    return valid_dt(t);
}

/* YYYY-MM-DD or YYYY/MM/DD, then optionally one T or one space and HH:MM or
 * HH:MM:SS (two digits each, 24-hour). */
static bool parse_iso(struct cur c, struct dt *t)
{
    char sep;

    if (!take_digits(&c, 4, 4, &t->y) || at_end(&c))
        return false;
    sep = c.s[c.i];
    if ((sep != '-' && sep != '/') || !take_char(&c, sep) || !take_digits(&c, 2, 2, &t->mo) ||
        !take_char(&c, sep) || !take_digits(&c, 2, 2, &t->d))
        return false;
    if (at_end(&c))
        return true;
    if (!take_char(&c, 't') && !take_char(&c, ' '))
        return false;
    if (!take_digits(&c, 2, 2, &t->h) || !take_char(&c, ':') || !take_digits(&c, 2, 2, &t->mi))
        return false;
    if (take_char(&c, ':') && !take_digits(&c, 2, 2, &t->s))
        return false;
    return at_end(&c);
}

/* Spaces, H:MM or H:MM:SS, then an optional AM/PM with at most one space
 * before it. With AM/PM the hour runs 1-12 (12 AM is 00); without, 0-23. */
static bool parse_clock(struct cur *c, struct dt *t)
{
    bool pm;

    if (!take_spaces(c) || !take_digits(c, 1, 2, &t->h) || !take_char(c, ':') ||
        !take_digits(c, 2, 2, &t->mi))
        return false;
    if (take_char(c, ':') && !take_digits(c, 2, 2, &t->s))
        return false;
    if (at_end(c))
        return true;
    take_char(c, ' ');
    if (take_char(c, 'a'))
        pm = false;
    else if (take_char(c, 'p'))
        pm = true;
    else
        return false;
    if (!take_char(c, 'm') || !at_end(c) || t->h < 1 || t->h > 12)
        return false;
    t->h = t->h % 12 + (pm ? 12 : 0);
    return true;
}

/* A/B/YYYY, A-B-YYYY, A.B.YYYY or with YY (20YY): month/day for en_US (or no
 * locale), day/month otherwise; then optionally a clock time. */
static bool parse_numeric(struct cur c, const char *locale, struct dt *t)
{
    int a, b, y;
    char sep;
    size_t start;

    if (!take_digits(&c, 1, 2, &a) || at_end(&c))
        return false;
    sep = c.s[c.i];
    if ((sep != '/' && sep != '-' && sep != '.') || !take_char(&c, sep) ||
        !take_digits(&c, 1, 2, &b) || !take_char(&c, sep))
        return false;
    start = c.i;
    if (!take_digits(&c, 2, 4, &y) || c.i - start == 3)
        return false;
    if (c.i - start == 2)
        y += 2000;
    t->y = y;
    if (locale == NULL || locale[0] == '\0' || strcmp(locale, "en_US") == 0) {
        t->mo = a;
        t->d = b;
    } else {
        t->d = a;
        t->mo = b;
    }
    if (at_end(&c))
        return true;
    return parse_clock(&c, t);
}

static const char *const month_names[12] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december",
};

/* English month name, full or three letters, or "sept"; 0 when none. */
static int take_month(struct cur *c)
{
    size_t k = 0;

    while (c->i + k < c->n) {
        unsigned char ch = clean_lower((unsigned char)c->s[c->i + k]);
        if (ch < 'a' || ch > 'z')
            break;
        k++;
    }
    for (int m = 0; m < 12; m++) {
        char abbr[4] = {month_names[m][0], month_names[m][1], month_names[m][2], '\0'};
        if (clean_eq_word(c->s + c->i, k, month_names[m]) || clean_eq_word(c->s + c->i, k, abbr) ||
            (m == 8 && clean_eq_word(c->s + c->i, k, "sept"))) {
            c->i += k;
            return m + 1;
        }
    }
    return 0;
}

/* D Mon YYYY, Mon D, YYYY or Mon D YYYY (full names too); no time. */
static bool parse_named(struct cur c, struct dt *t)
{
    if (take_digits(&c, 1, 2, &t->d)) {
        if (!take_spaces(&c) || (t->mo = take_month(&c)) == 0 || !take_spaces(&c))
            return false;
    } else {
        if ((t->mo = take_month(&c)) == 0 || !take_spaces(&c) || !take_digits(&c, 1, 2, &t->d))
            return false;
        take_char(&c, ',');
        if (!take_spaces(&c))
            return false;
    }
    return take_digits(&c, 4, 4, &t->y) && at_end(&c);
}

enum clean_date_result clean_date(const struct cell *c, const char *locale,
                                  char out[CLEAN_DATETIME_LEN])
{
    struct dt t = {0};
    bool ok = false;

    out[0] = '\0';
    switch (c->type) {
    case CELL_EMPTY:
        return DATE_EMPTY;
    case CELL_NUMBER:
        ok = parse_serial(c->num, &t);
        break;
    case CELL_BOOL:
        break;
    case CELL_TEXT: {
        struct cur cur = {.s = c->text ? c->text : "", .n = c->text ? c->len : 0};
        clean_trim(&cur.s, &cur.n);
        if (cur.n == 0)
            return DATE_EMPTY;
        /* The forms cannot overlap: ISO starts with four digits, the
         * numeric form with one or two, the named forms with a name or a
         * day followed by a space. */
        if (parse_iso(cur, &t))
            ok = true;
        else if (t = (struct dt){0}, parse_numeric(cur, locale, &t))
            ok = true;
        else if (t = (struct dt){0}, parse_named(cur, &t))
            ok = true;
        ok = ok && valid_dt(&t);
        break;
    }
    }
    if (!ok)
        return DATE_INVALID;
    format_dt(&t, out);
    return DATE_OK;
}

/* models.md §3, dates: serial numbers and every text form, valid and
 * invalid, with the locale's day/month order. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ingest/clean.h"

#define TXT(s)                                                                                     \
    {                                                                                              \
        .type = CELL_TEXT, .text = (s), .len = sizeof(s) - 1                                       \
    }
#define NUM(x)                                                                                     \
    {                                                                                              \
        .type = CELL_NUMBER, .num = (x)                                                            \
    }

struct date_case {
    struct cell cell;
    const char *locale;
    enum clean_date_result want;
    const char *out; /* when DATE_OK */
};

static void run_date_cases(const struct date_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct date_case *c = &cases[i];
        char out[CLEAN_DATETIME_LEN];
        enum clean_date_result r = clean_date(&c->cell, c->locale, out);
        const char *what = c->cell.type == CELL_TEXT ? c->cell.text : "(number)";

        cr_expect_eq(r, c->want, "case %zu %s [%s]: result %d, want %d", i, what,
                     c->locale ? c->locale : "NULL", (int)r, (int)c->want);
        if (r == DATE_OK && c->want == DATE_OK)
            cr_expect_str_eq(out, c->out, "case %zu %s: got %s want %s", i, what, out, c->out);
        if (r != DATE_OK)
            cr_expect_str_eq(out, "", "case %zu: out must be empty when not OK", i);
    }
}

#define RUN(cases) run_date_cases(cases, sizeof cases / sizeof cases[0])

Test(clean_date, iso_forms)
{
    static const struct date_case cases[] = {
        {TXT("2024-01-05"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("2024/01/05"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("  2024-01-05\t"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("2024-01-05T10:30"), NULL, DATE_OK, "2024-01-05 10:30:00"},
        {TXT("2024-01-05t10:30:15"), NULL, DATE_OK, "2024-01-05 10:30:15"},
        {TXT("2024-01-05 23:59:59"), NULL, DATE_OK, "2024-01-05 23:59:59"},
        {TXT("2024/12/31 00:00"), "de_DE", DATE_OK, "2024-12-31 00:00:00"},
        {TXT("0001-01-01"), NULL, DATE_OK, "0001-01-01 00:00:00"},
        {TXT("9999-12-31 23:59:59"), NULL, DATE_OK, "9999-12-31 23:59:59"},
        {TXT("2024-02-29"), NULL, DATE_OK, "2024-02-29 00:00:00"},
        {TXT("2000-02-29"), NULL, DATE_OK, "2000-02-29 00:00:00"},
        /* invalid */
        {TXT("2023-02-29"), NULL, DATE_INVALID, NULL},
        {TXT("1900-02-29"), NULL, DATE_INVALID, NULL},
        {TXT("2024-04-31"), NULL, DATE_INVALID, NULL},
        {TXT("2024-13-01"), NULL, DATE_INVALID, NULL},
        {TXT("2024-00-10"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-00"), NULL, DATE_INVALID, NULL},
        {TXT("0000-01-01"), NULL, DATE_INVALID, NULL},
        {TXT("2024-1-05"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-5"), NULL, DATE_INVALID, NULL},
        {TXT("2024-001-05"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01/05"), NULL, DATE_INVALID, NULL},
        {TXT("2024/01-05"), NULL, DATE_INVALID, NULL},
        {TXT("2024.01.05"), NULL, DATE_INVALID, NULL},
        {TXT("20240105"), NULL, DATE_INVALID, NULL},
        {TXT("12024-01-05"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 "), NULL, DATE_OK, "2024-01-05 00:00:00"}, /* trimmed */
        {TXT("2024-01-05T1:30"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10:3"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10:30:1"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05  10:30"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T 10:30"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 24:00"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 12:60"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 12:30:60"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10:30Z"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10:30:00.5"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05T10:30:00+01:00"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 10:30 PM"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05x"), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

Test(clean_date, numeric_forms_and_locale)
{
    static const struct date_case cases[] = {
        {TXT("1/5/2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1/5/2024"), "en_US", DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1/5/2024"), "", DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1/5/2024"), "de_DE", DATE_OK, "2024-05-01 00:00:00"},
        {TXT("1/5/2024"), "en_GB", DATE_OK, "2024-05-01 00:00:00"},
        {TXT("1/5/2024"), "en", DATE_OK, "2024-05-01 00:00:00"},    /* not exactly en_US */
        {TXT("1/5/2024"), "en-US", DATE_OK, "2024-05-01 00:00:00"}, /* not exactly en_US */
        {TXT("01/05/2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1-5-2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1.5.2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("31.12.2024"), "de_DE", DATE_OK, "2024-12-31 00:00:00"},
        {TXT("12/31/2024"), NULL, DATE_OK, "2024-12-31 00:00:00"},
        {TXT("1/5/24"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("12/31/99"), NULL, DATE_OK, "2099-12-31 00:00:00"},
        {TXT("1/5/00"), NULL, DATE_OK, "2000-01-05 00:00:00"},
        {TXT("2/29/2024"), NULL, DATE_OK, "2024-02-29 00:00:00"},
        {TXT("29/2/2024"), "fr_FR", DATE_OK, "2024-02-29 00:00:00"},
        {TXT("13/1/2024"), "de_DE", DATE_OK, "2024-01-13 00:00:00"},
        {TXT("1/1/0001"), NULL, DATE_OK, "0001-01-01 00:00:00"},
        /* invalid */
        {TXT("2/30/2024"), NULL, DATE_INVALID, NULL},
        {TXT("2/29/2023"), NULL, DATE_INVALID, NULL},
        {TXT("2/29/2100"), NULL, DATE_INVALID, NULL},
        {TXT("13/1/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/13/2024"), "de_DE", DATE_INVALID, NULL},
        {TXT("0/5/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/0/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/1/0000"), NULL, DATE_INVALID, NULL},
        {TXT("1/5-2024"), NULL, DATE_INVALID, NULL},
        {TXT("1.5/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/202"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/20245"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2"), NULL, DATE_INVALID, NULL},
        {TXT("001/5/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/005/2024"), NULL, DATE_INVALID, NULL},
        {TXT("1//2024"), NULL, DATE_INVALID, NULL},
        {TXT("1/5"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/"), NULL, DATE_INVALID, NULL},
        {TXT("1 5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("-1/5/2024"), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

Test(clean_date, numeric_with_time)
{
    static const struct date_case cases[] = {
        {TXT("1/5/2024 10:30"), NULL, DATE_OK, "2024-01-05 10:30:00"},
        {TXT("1/5/2024 9:05:07"), NULL, DATE_OK, "2024-01-05 09:05:07"},
        {TXT("1/5/2024   09:05"), NULL, DATE_OK, "2024-01-05 09:05:00"},
        {TXT("1/5/2024 0:30"), NULL, DATE_OK, "2024-01-05 00:30:00"},
        {TXT("1/5/2024 23:59:59"), NULL, DATE_OK, "2024-01-05 23:59:59"},
        {TXT("1/5/2024 10:30 PM"), NULL, DATE_OK, "2024-01-05 22:30:00"},
        {TXT("1/5/2024 10:30PM"), NULL, DATE_OK, "2024-01-05 22:30:00"},
        {TXT("1/5/2024 10:30 pm"), NULL, DATE_OK, "2024-01-05 22:30:00"},
        {TXT("1/5/2024 10:30 Am"), NULL, DATE_OK, "2024-01-05 10:30:00"},
        {TXT("1/5/2024 12:00 AM"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("1/5/2024 12:59:59 am"), NULL, DATE_OK, "2024-01-05 00:59:59"},
        {TXT("1/5/2024 12:00 PM"), NULL, DATE_OK, "2024-01-05 12:00:00"},
        {TXT("1/5/2024 12:30:15PM"), NULL, DATE_OK, "2024-01-05 12:30:15"},
        {TXT("1/5/2024 1:00 PM"), NULL, DATE_OK, "2024-01-05 13:00:00"},
        {TXT("1/5/2024 01:00 AM"), NULL, DATE_OK, "2024-01-05 01:00:00"},
        {TXT("1/5/2024 11:59 PM"), NULL, DATE_OK, "2024-01-05 23:59:00"},
        {TXT("5.1.24 18:45"), "de_DE", DATE_OK, "2024-01-05 18:45:00"},
        /* invalid */
        {TXT("1/5/2024 0:30 AM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 00:30 PM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 13:00 PM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 24:00"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:60"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30:60"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:3"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 100:30"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10 PM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30  PM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30 P.M."), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30 P"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30 XM"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30 AMX"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024T10:30"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/202410:30"), NULL, DATE_INVALID, NULL},
        {TXT("1/5/2024 10:30:00.5"), NULL, DATE_INVALID, NULL},
        {TXT("2/30/2024 10:30"), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

Test(clean_date, month_names)
{
    static const struct date_case cases[] = {
        {TXT("5 Jan 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("05 January 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("Jan 5, 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("January 5, 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("Jan 5 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("january 5 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("JAN 05 2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("Jan  5,   2024"), NULL, DATE_OK, "2024-01-05 00:00:00"},
        {TXT("Feb 1, 2024"), NULL, DATE_OK, "2024-02-01 00:00:00"},
        {TXT("Mar 1, 2024"), NULL, DATE_OK, "2024-03-01 00:00:00"},
        {TXT("1 April 2024"), NULL, DATE_OK, "2024-04-01 00:00:00"},
        {TXT("May 1, 2024"), NULL, DATE_OK, "2024-05-01 00:00:00"},
        {TXT("Jun 1 2024"), NULL, DATE_OK, "2024-06-01 00:00:00"},
        {TXT("July 4, 1776"), NULL, DATE_OK, "1776-07-04 00:00:00"},
        {TXT("Aug 31 2024"), NULL, DATE_OK, "2024-08-31 00:00:00"},
        {TXT("Sep 5, 2024"), NULL, DATE_OK, "2024-09-05 00:00:00"},
        {TXT("Sept 5, 2024"), NULL, DATE_OK, "2024-09-05 00:00:00"},
        {TXT("5 SEPT 2024"), NULL, DATE_OK, "2024-09-05 00:00:00"},
        {TXT("September 30 2024"), NULL, DATE_OK, "2024-09-30 00:00:00"},
        {TXT("Oct 1, 2024"), NULL, DATE_OK, "2024-10-01 00:00:00"},
        {TXT("Nov 1, 2024"), NULL, DATE_OK, "2024-11-01 00:00:00"},
        {TXT("25 Dec 2024"), "de_DE", DATE_OK, "2024-12-25 00:00:00"},
        {TXT("December 25, 2024"), "de_DE", DATE_OK, "2024-12-25 00:00:00"},
        {TXT("29 Feb 2024"), NULL, DATE_OK, "2024-02-29 00:00:00"},
        /* invalid */
        {TXT("29 Feb 2023"), NULL, DATE_INVALID, NULL},
        {TXT("31 Apr 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Sep 31 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 0, 2024"), NULL, DATE_INVALID, NULL},
        {TXT("5 Jan, 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5,2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5 ,2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5, 24"), NULL, DATE_INVALID, NULL},
        {TXT("5 Jan 24"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5, 2024 10:30"), NULL, DATE_INVALID, NULL},
        {TXT("5 Jan 2024 10:30"), NULL, DATE_INVALID, NULL},
        {TXT("5th Jan 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5th, 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan. 5, 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Janu 5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Ja 5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Septe 5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 123 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("5Jan 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Monday, Jan 5, 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Janvier 5 2024"), NULL, DATE_INVALID, NULL},
        {TXT("Jan 5 0000"), NULL, DATE_INVALID, NULL},
        {TXT("2024 Jan 5"), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

Test(clean_date, serial_numbers)
{
    static const struct date_case cases[] = {
        {NUM(1), NULL, DATE_OK, "1899-12-31 00:00:00"},
        {NUM(2), NULL, DATE_OK, "1900-01-01 00:00:00"},
        {NUM(60), NULL, DATE_OK, "1900-02-28 00:00:00"},
        {NUM(61), NULL, DATE_OK, "1900-03-01 00:00:00"},
        {NUM(45292), NULL, DATE_OK, "2024-01-01 00:00:00"},
        {NUM(45292), "de_DE", DATE_OK, "2024-01-01 00:00:00"},
        {NUM(45351), NULL, DATE_OK, "2024-02-29 00:00:00"},
        {NUM(45292.5), NULL, DATE_OK, "2024-01-01 12:00:00"},
        {NUM(45292.75), NULL, DATE_OK, "2024-01-01 18:00:00"},
        {NUM(45292 + (13 * 3600 + 14 * 60 + 15) / 86400.0), NULL, DATE_OK, "2024-01-01 13:14:15"},
        {NUM(45292 + 0.4 / 86400), NULL, DATE_OK, "2024-01-01 00:00:00"},
        {NUM(45292 + 0.6 / 86400), NULL, DATE_OK, "2024-01-01 00:00:01"},
        {NUM(45292 + 86399.4 / 86400), NULL, DATE_OK, "2024-01-01 23:59:59"},
        /* rounds up to midnight: carries into the next day (and month, year) */
        {NUM(45292 + 86399.6 / 86400), NULL, DATE_OK, "2024-01-02 00:00:00"},
        {NUM(45291.999999), NULL, DATE_OK, "2024-01-01 00:00:00"},
        {NUM(45351.9999999), NULL, DATE_OK, "2024-03-01 00:00:00"},
        {NUM(2958465), NULL, DATE_OK, "9999-12-31 00:00:00"},
        {NUM(2958464.5), NULL, DATE_OK, "9999-12-30 12:00:00"},
        {NUM(1.25), NULL, DATE_OK, "1899-12-31 06:00:00"},
        /* invalid */
        {NUM(0), NULL, DATE_INVALID, NULL},
        {NUM(0.5), NULL, DATE_INVALID, NULL},
        {NUM(0.99999), NULL, DATE_INVALID, NULL},
        {NUM(-1), NULL, DATE_INVALID, NULL},
        {NUM(2958465.5), NULL, DATE_INVALID, NULL},
        {NUM(2958466), NULL, DATE_INVALID, NULL},
        {NUM(1e300), NULL, DATE_INVALID, NULL},
        {NUM(NAN), NULL, DATE_INVALID, NULL},
        {NUM(INFINITY), NULL, DATE_INVALID, NULL},
        {NUM(-INFINITY), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

Test(clean_date, text_and_other_cells)
{
    static const struct date_case cases[] = {
        {{.type = CELL_EMPTY}, NULL, DATE_EMPTY, NULL},
        {TXT(""), NULL, DATE_EMPTY, NULL},
        {TXT("   \t "), NULL, DATE_EMPTY, NULL},
        {{.type = CELL_TEXT, .text = NULL, .len = 0}, NULL, DATE_EMPTY, NULL},
        /* text that only looks like a serial number is not a date */
        {TXT("45292"), NULL, DATE_INVALID, NULL},
        {TXT("45292.5"), NULL, DATE_INVALID, NULL},
        {TXT("1"), NULL, DATE_INVALID, NULL},
        {{.type = CELL_BOOL, .num = 1}, NULL, DATE_INVALID, NULL},
        {{.type = CELL_BOOL, .num = 0}, NULL, DATE_INVALID, NULL},
        {TXT("soon"), NULL, DATE_INVALID, NULL},
        {TXT("yesterday"), NULL, DATE_INVALID, NULL},
        {TXT("#N/A"), NULL, DATE_INVALID, NULL},
        {TXT("2024-01-05 / 2024-01-06"), NULL, DATE_INVALID, NULL},
    };
    RUN(cases);
}

/* The text need not be NUL-terminated: only `len` bytes are read. */
Test(clean_date, respects_length)
{
    const char buf[] = "2024-01-05T10:30:00 garbage";
    struct cell c = {.type = CELL_TEXT, .text = buf, .len = 10};
    char out[CLEAN_DATETIME_LEN];

    cr_assert_eq(clean_date(&c, NULL, out), DATE_OK);
    cr_assert_str_eq(out, "2024-01-05 00:00:00");
    c.len = 19;
    cr_assert_eq(clean_date(&c, NULL, out), DATE_OK);
    cr_assert_str_eq(out, "2024-01-05 10:30:00");
}

/* Leap years across the whole range, through both the serial and the text
 * path: every 1 March is the day after the last day of February. */
Test(clean_date, leap_years)
{
    static const struct {
        int year;
        bool leap;
    } years[] = {{1600, true},  {1700, false}, {1900, false}, {2000, true},
                 {2023, false}, {2024, true},  {2100, false}, {2400, true}};

    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        char text[16], out[CLEAN_DATETIME_LEN];
        struct cell c = {.type = CELL_TEXT, .text = text};
        snprintf(text, sizeof text, "%04d-02-29", years[i].year);
        c.len = strlen(text);
        cr_expect_eq(clean_date(&c, NULL, out), years[i].leap ? DATE_OK : DATE_INVALID, "%s", text);
        snprintf(text, sizeof text, "2/29/%04d", years[i].year);
        c.len = strlen(text);
        cr_expect_eq(clean_date(&c, NULL, out), years[i].leap ? DATE_OK : DATE_INVALID, "%s", text);
    }
}

/* models.md §1 and §3, one rule at a time: cells as text, formula errors,
 * issue numbers, priority, status, vehicle keys, names, odometer, labels. */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
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
#define BOOL(x)                                                                                    \
    {                                                                                              \
        .type = CELL_BOOL, .num = (x)                                                              \
    }
#define EMPTY                                                                                      \
    {                                                                                              \
        .type = CELL_EMPTY                                                                         \
    }
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

struct cell_case {
    struct cell cell;
    const char *want;
};

Test(clean_value, cell_text)
{
    static const struct cell_case cases[] = {
        {NUM(12), "12"},
        {NUM(12.0), "12"},
        {NUM(-12), "-12"},
        {NUM(0), "0"},
        {NUM(-0.0), "0"},
        {NUM(12.5), "12.5"},
        {NUM(-12.5), "-12.5"},
        {NUM(0.1), "0.1"},
        {NUM(0.1 + 0.2), "0.30000000000000004"},
        {NUM(1.0 / 3), "0.3333333333333333"},
        {NUM(123456789.125), "123456789.125"},
        {NUM(45292.5), "45292.5"},
        {NUM(9007199254740992.0), "9007199254740992"},   /* 2^53 */
        {NUM(9007199254740994.0), "9007199254740994"},   /* 2^53 + 2 */
        {NUM(-9007199254740992.0), "-9007199254740992"}, /* -2^53 */
        {NUM(1e15), "1000000000000000"},
        {NUM(1e20), "100000000000000000000"},
        {NUM(1e21), "1e+21"},
        {NUM(1.5e300), "1.5e+300"},
        {NUM(5e-324), "5e-324"},
        {BOOL(1), "TRUE"},
        {BOOL(0), "FALSE"},
        {TXT(" a b "), " a b "},
        {TXT("12.0"), "12.0"},
        {TXT(""), ""},
        {EMPTY, ""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_cell_text(&cases[i].cell);
        cr_expect(str_eq(got, cases[i].want), "case %zu: got '%s' want '%s'", i, got,
                  cases[i].want);
        free(got);
    }
}

/* Every non-whole value read back gives the same double (round trip). */
Test(clean_value, cell_text_round_trips)
{
    static const double values[] = {0.1,      2.0 / 3,          1e-7,    123.456,
                                    1e16 + 2, 3.14159265358979, -1e-300, 6.02214076e23};
    for (size_t i = 0; i < COUNT(values); i++) {
        struct cell c = NUM(values[i]);
        char *got = clean_cell_text(&c);
        cr_expect_eq(strtod(got, NULL), values[i], "%s", got);
        free(got);
    }
}

Test(clean_value, formula_errors)
{
    static const struct {
        const char *s;
        bool want;
    } cases[] = {
        {"#N/A", true},     {"#REF!", true},  {"#VALUE!", true}, {"#DIV/0!", true},
        {"#NAME?", true},   {"#NUM!", true},  {"#NULL!", true},  {"#ERROR!", true},
        {"  #N/A\t", true}, {"#n/a", false},  {"#N/A!", false},  {"N/A", false},
        {"#REF", false},    {"#", false},     {"", false},       {"#N/A #REF!", false},
        {"#DIV/0", false},  {"#NAME", false}, {"x#N/A", false},  {"#VALUE!x", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        cr_expect_eq(clean_is_formula_error(cases[i].s, strlen(cases[i].s)), cases[i].want, "%s",
                     cases[i].s);
    cr_expect_not(clean_is_formula_error(NULL, 0));
}

Test(clean_value, issue_numbers)
{
    static const struct cell_case cases[] = {
        {TXT("12"), "12"},
        {TXT("  12 "), "12"},
        {TXT("#12"), "12"},
        {TXT(" #12 "), "12"},
        {TXT("# 12"), "12"},
        {TXT("#\t12 "), "12"},
        {TXT("##12"), "#12"},
        {TXT("# #12"), "#12"},
        {TXT("12#"), "12#"},
        {TXT("012"), "012"},
        {TXT("12.0"), "12"},
        {TXT("12.00"), "12"},
        {TXT("#12.0"), "12"},
        {TXT("012.0"), "012"},
        {TXT("0.0"), "0"},
        {TXT("12.5"), "12.5"},
        {TXT("12.50"), "12.50"},
        {TXT("12."), "12."},
        {TXT(".0"), ".0"},
        {TXT("12.0.0"), "12.0.0"},
        {TXT("-12.0"), "-12.0"},
        {TXT("1,200.0"), "1,200.0"},
        {TXT("12.0a"), "12.0a"},
        {TXT("ABC-1"), "ABC-1"},
        {TXT("# Truck  1 "), "Truck  1"},
        {TXT("#"), NULL},
        {TXT(" # "), NULL},
        {TXT(""), NULL},
        {TXT("   "), NULL},
        {EMPTY, NULL},
        {NUM(12), "12"},
        {NUM(12.0), "12"},
        {NUM(-3), "-3"},
        {NUM(12.5), "12.5"},
        {NUM(0), "0"},
        {NUM(1e15), "1000000000000000"},
        {NUM(9007199254740993.0), "9007199254740992"}, /* as the double holds it */
        {BOOL(1), "TRUE"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_issue_number(&cases[i].cell);
        cr_expect(str_eq(got, cases[i].want), "case %zu: got '%s' want '%s'", i,
                  got ? got : "(null)", cases[i].want ? cases[i].want : "(null)");
        free(got);
    }
}

struct word_case {
    const char *s;
    const char *want;
    bool unknown;
};

Test(clean_value, priority)
{
    static const struct word_case cases[] = {
        {"critical", "critical", false},
        {"crit", "critical", false},
        {"urgent", "critical", false},
        {"p0", "critical", false},
        {"p1", "critical", false},
        {"highest", "critical", false},
        {"emergency", "critical", false},
        {"  CRITICAL ", "critical", false},
        {"P1", "critical", false},
        {"high", "high", false},
        {"h", "high", false},
        {"p2", "high", false},
        {"High", "high", false},
        {"medium", "medium", false},
        {"med", "medium", false},
        {"m", "medium", false},
        {"normal", "medium", false},
        {"moderate", "medium", false},
        {"p3", "medium", false},
        {"Medium\t", "medium", false},
        {"low", "low", false},
        {"l", "low", false},
        {"p4", "low", false},
        {"minor", "low", false},
        {"lowest", "low", false},
        {"LOW", "low", false},
        {"", "none", false},
        {"   ", "none", false},
        {"none", "none", false},
        {"no priority", "none", false},
        {"No Priority", "none", false},
        {"n/a", "none", false},
        {"N/A", "none", false},
        {"-", "none", false},
        /* unknown */
        {"p5", "none", true},
        {"asap", "none", true},
        {"hi", "none", true},
        {"no  priority", "none", true},
        {"1", "none", true},
        {"high!", "none", true},
        {"--", "none", true},
        {"TRUE", "none", true},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool unknown = !cases[i].unknown;
        const char *got = clean_priority(cases[i].s, strlen(cases[i].s), &unknown);
        cr_expect_str_eq(got, cases[i].want, "'%s': got %s", cases[i].s, got);
        cr_expect_eq(unknown, cases[i].unknown, "'%s': unknown flag", cases[i].s);
    }
}

Test(clean_value, status)
{
    static const struct word_case cases[] = {
        {"open", "open", false},
        {"new", "open", false},
        {"in progress", "open", false},
        {"in-progress", "open", false},
        {"pending", "open", false},
        {"reopened", "open", false},
        {"waiting", "open", false},
        {"on hold", "open", false},
        {" Open ", "open", false},
        {"In Progress", "open", false},
        {"resolved", "resolved", false},
        {"fixed", "resolved", false},
        {"done", "resolved", false},
        {"complete", "resolved", false},
        {"completed", "resolved", false},
        {"repaired", "resolved", false},
        {"DONE", "resolved", false},
        {"closed", "closed", false},
        {"won't fix", "closed", false},
        {"wont fix", "closed", false},
        {"wontfix", "closed", false},
        {"cancelled", "closed", false},
        {"canceled", "closed", false},
        {"duplicate", "closed", false},
        {"invalid", "closed", false},
        {"Won't Fix", "closed", false},
        /* empty: NULL, not unknown */
        {"", NULL, false},
        {" \t ", NULL, false},
        /* unknown: NULL and flagged */
        {"blocked", NULL, true},
        {"in  progress", NULL, true},
        {"inprogress", NULL, true},
        {"won\xe2\x80\x99t fix", NULL, true},
        {"opened", NULL, true},
        {"close", NULL, true},
        {"-", NULL, true},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool unknown = !cases[i].unknown;
        const char *got = clean_status(cases[i].s, strlen(cases[i].s), &unknown);
        cr_expect(str_eq(got, cases[i].want), "'%s': got %s", cases[i].s, got ? got : "(null)");
        cr_expect_eq(unknown, cases[i].unknown, "'%s': unknown flag", cases[i].s);
    }
}

Test(clean_value, collapse)
{
    static const struct {
        const char *s;
        const char *want;
    } cases[] = {
        {"Truck 12", "Truck 12"},
        {"  Truck   12  ", "Truck 12"},
        {"a\t\tb\nc\r\nd", "a b c d"},
        {"Jane  Doe", "Jane Doe"},
        {"\xc2\xa0x", "\xc2\xa0x"}, /* NBSP is not ASCII whitespace */
        {"", NULL},
        {" \t\n ", NULL},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_collapse(cases[i].s, strlen(cases[i].s));
        cr_expect(str_eq(got, cases[i].want), "'%s': got '%s'", cases[i].s, got ? got : "(null)");
        free(got);
    }
    cr_expect_null(clean_collapse(NULL, 0));
}

Test(clean_value, vehicle_key)
{
    static const struct {
        const char *display;
        const char *want;
    } cases[] = {
        {"Truck 12", "TRUCK12"},
        {"TRUCK-12", "TRUCK12"},
        {"truck12", "TRUCK12"},
        {"Truck #12 (old)", "TRUCK12OLD"},
        {"truck_12/a", "TRUCK12A"},
        {"7", "7"},
        {"\xc3\x9cnit 5", "NIT5"},               /* Ünit 5: non-ASCII dropped */
        {"\xe4\xb8\xad\xe6\x96\x87", "UNKNOWN"}, /* 中文 */
        {"\xe4\xb8\xad\xe6\x96\x87 7", "7"},
        {"---", "UNKNOWN"},
        {"", "UNKNOWN"},
        {NULL, "UNKNOWN"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_vehicle_key(cases[i].display);
        cr_expect_str_eq(got, cases[i].want, "'%s'", cases[i].display);
        free(got);
    }
}

Test(clean_value, odometer)
{
    static const struct {
        const char *s;
        int want;
        int64_t value;
    } cases[] = {
        {"12345", 0, 12345},
        {"  12345 ", 0, 12345},
        {"007", 0, 7},
        {"0", 0, 0},
        {"12,345", 0, 12345},
        {"1,2,3", 0, 123},
        {"12 345", 0, 12345},
        {"12345 mi", 0, 12345},
        {"12345mi", 0, 12345},
        {"12345 MI", 0, 12345},
        {"12345 miles", 0, 12345},
        {"12345 Miles", 0, 12345},
        {"12345 km", 0, 12345},
        {"12345 KM", 0, 12345},
        {"12345 kms", 0, 12345},
        {"12345 Kms", 0, 12345},
        {"1 2 3 4 5 m i", 0, 12345},
        {"12345.5", 0, 12346},
        {"12345.49", 0, 12345},
        {"12345.50", 0, 12346},
        {"12345.4999999999999999999", 0, 12345},
        {"0.5", 0, 1},
        {"0.4", 0, 0},
        {"1,234.5 km", 0, 1235},
        {"9223372036854775807", 0, INT64_MAX},
        {"9223372036854775806.5", 0, INT64_MAX},
        {"12345.000000000000000000000000000000000000000000000000000000000000000001", 0, 12345},
        /* empty */
        {"", 1, 0},
        {"  \t", 1, 0},
        /* invalid */
        {"-5", -1, 0},
        {"+5", -1, 0},
        {"1e5", -1, 0},
        {"12 ft", -1, 0},
        {"12345 m", -1, 0},
        {"12345 mile", -1, 0},
        {"12345 mi.", -1, 0},
        {"mi", -1, 0},
        {"miles", -1, 0},
        {",", -1, 0},
        {"12 mi mi", -1, 0},
        {"12 km mi", -1, 0},
        {"mi 12", -1, 0},
        {".5", -1, 0},
        {"5.", -1, 0},
        {"1.2.3", -1, 0},
        {"1.2e3", -1, 0},
        {"abc", -1, 0},
        {"12abc", -1, 0},
        {"0x10", -1, 0},
        {"9223372036854775808", -1, 0},
        {"9223372036854775807.5", -1, 0},
        {"99999999999999999999999", -1, 0},
        {"N/A", -1, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t v = -42;
        int r = clean_odometer(cases[i].s, strlen(cases[i].s), &v);
        cr_expect_eq(r, cases[i].want, "'%s': result %d", cases[i].s, r);
        if (r == 0 && cases[i].want == 0)
            cr_expect_eq(v, cases[i].value, "'%s': got %lld", cases[i].s, (long long)v);
    }
    cr_expect_eq(clean_odometer(NULL, 0, &(int64_t){0}), 1);
}

Test(clean_value, labels)
{
    static const struct {
        const char *s;
        const char *want;
    } cases[] = {
        {"", "[]"},
        {"   ", "[]"},
        {",;, ;", "[]"},
        {"brakes", "[\"brakes\"]"},
        {"a, b; c", "[\"a\",\"b\",\"c\"]"},
        {"A, a , B", "[\"a\",\"b\"]"},
        {"c;b;a;b;C", "[\"c\",\"b\",\"a\"]"},
        {"Brake Pads, brake pads,BRAKE PADS", "[\"brake pads\"]"},
        {"  Brake   Pads  ", "[\"brake   pads\"]"}, /* inner spaces kept */
        {"x/y, a\"b, back\\slash", "[\"x/y\",\"a\\\"b\",\"back\\\\slash\"]"},
        {"\xc3\x9c, \xc3\xbc", "[\"\xc3\x9c\",\"\xc3\xbc\"]"}, /* only ASCII folds */
        {"tires,,;;tires", "[\"tires\"]"},
        {"a\tb", "[\"a\\tb\"]"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_labels(cases[i].s, strlen(cases[i].s));
        cr_expect_str_eq(got, cases[i].want, "'%s'", cases[i].s);
        free(got);
    }
    char *got = clean_labels(NULL, 0);
    cr_expect_str_eq(got, "[]");
    free(got);
}

Test(clean_value, field_names)
{
    static const char *const names[FIELD_COUNT] = {
        "issue_number", "vehicle",     "summary",     "description", "priority",
        "status",       "reported_at", "reported_by", "assigned_to", "due_date",
        "resolved_at",  "odometer",    "labels",
    };
    for (int f = 0; f < FIELD_COUNT; f++) {
        cr_expect_str_eq(clean_field_name((enum clean_field)f), names[f]);
        cr_expect_eq(clean_field_from_name(names[f]), (enum clean_field)f);
    }
    cr_expect_null(clean_field_name(FIELD_NONE));
    cr_expect_null(clean_field_name(FIELD_COUNT));
    cr_expect_eq(clean_field_from_name("vehicle_key"), FIELD_NONE);
    cr_expect_eq(clean_field_from_name(""), FIELD_NONE);
    cr_expect_eq(clean_field_from_name(NULL), FIELD_NONE);
}

Test(clean_value, problems_reset_and_free)
{
    struct clean_problems p = {0};
    struct cell hdr[] = {TXT("Vehicle"), TXT("Vehicle")};
    struct clean_header_map m;

    for (int round = 0; round < 3; round++) {
        clean_problems_reset(&p);
        cr_assert_eq(clean_header_map(hdr, 2, 1, NULL, &m, &p), -1);
        cr_assert_eq(p.n, 3); /* duplicate_column + 2 missing_column */
        clean_header_map_free(&m);
    }
    cr_expect_geq(p.cap, 3);
    clean_problems_free(&p);
    cr_expect_null(p.v);
    cr_expect_eq(p.n, 0);
    cr_expect_eq(p.cap, 0);
    clean_problems_free(&p); /* twice is harmless */
}

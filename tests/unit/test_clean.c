/* models.md §1-3 end to end: the header row (normalisation, aliases,
 * duplicate and missing columns) and clean_row on whole rows, checking the
 * cleaned values and every problem's code, severity, column and field. */

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
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* ---- headers ---- */

Test(clean_header, normalize)
{
    static const struct {
        const char *s;
        const char *want;
    } cases[] = {
        {"Issue #", "issue #"},
        {"  Issue   #: ", "issue #"},
        {"ISSUE\t#", "issue #"},
        {"Reported Date:", "reported date"},
        {"Reported Date :", "reported date"},
        {"Reported Date::", "reported date:"},
        {"Odometer (mi)", "odometer (mi)"},
        {"No.", "no."},
        {":", ""},
        {"", ""},
        {"   ", ""},
        {"\xc3\x9c"
         "BER",
         "\xc3\x9c"
         "ber"}, /* ASCII folding only */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *got = clean_header_normalize(cases[i].s, strlen(cases[i].s));
        cr_expect_str_eq(got, cases[i].want, "'%s'", cases[i].s);
        free(got);
    }
}

Test(clean_header, builtin_aliases)
{
    static const struct {
        const char *header;
        enum clean_field field;
    } cases[] = {
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
        {"Issue #:", FIELD_ISSUE_NUMBER},
        {"  ISSUE  NUMBER ", FIELD_ISSUE_NUMBER},
        {"ID:", FIELD_ISSUE_NUMBER},
        {"vehicle", FIELD_VEHICLE},
        {"asset", FIELD_VEHICLE},
        {"unit", FIELD_VEHICLE},
        {"vehicle name", FIELD_VEHICLE},
        {"unit #", FIELD_VEHICLE},
        {"truck", FIELD_VEHICLE},
        {"Unit  #", FIELD_VEHICLE},
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
        /* unknown */
        {"", FIELD_NONE},
        {"Shop", FIELD_NONE},
        {"vehicle #", FIELD_NONE},
        {"issue_number", FIELD_NONE},
        {"reported_at", FIELD_NONE},
        {"no", FIELD_NONE},
        {"odometer (km)", FIELD_NONE},
        {"due date?", FIELD_NONE},
        {"label", FIELD_NONE},
        {"reported date :x", FIELD_NONE},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        cr_expect_eq(clean_header_field(cases[i].header, strlen(cases[i].header), NULL),
                     cases[i].field, "'%s'", cases[i].header);
}

Test(clean_header, extra_aliases_come_first)
{
    struct clean_alias v[] = {
        {"Date", FIELD_DUE_DATE},           /* overrides the built-in reported_at */
        {"  Ticket :", FIELD_ISSUE_NUMBER}, /* compared after normalisation */
        {"Opened", FIELD_REPORTED_AT},
        {"Ticket", FIELD_SUMMARY}, /* a later extra loses to an earlier one */
        {"Notes", FIELD_NONE},     /* can turn a built-in into an extra */
    };
    struct clean_aliases extra = {v, COUNT(v)};
    static const struct {
        const char *header;
        enum clean_field field;
    } cases[] = {
        {"Date", FIELD_DUE_DATE},       {"DATE:", FIELD_DUE_DATE},
        {"ticket", FIELD_ISSUE_NUMBER}, {"Opened", FIELD_REPORTED_AT},
        {"Notes", FIELD_NONE},          {"Reported Date", FIELD_REPORTED_AT},
        {"Vehicle", FIELD_VEHICLE},     {"Whatever", FIELD_NONE},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        cr_expect_eq(clean_header_field(cases[i].header, strlen(cases[i].header), &extra),
                     cases[i].field, "'%s'", cases[i].header);
}

#define END                                                                                        \
    {                                                                                              \
        .code = NULL                                                                               \
    } /* ends a list of wanted problems */

struct want {
    const char *code;
    enum clean_severity sev;
    int col;
    enum clean_field field;
    const char *value;
};

/* The problems of `p` are exactly `w` (terminated by a NULL code), in order. */
static void expect_problems(const struct clean_problems *p, long row, const struct want *w,
                            const char *name)
{
    size_t n = 0;

    while (w[n].code != NULL)
        n++;
    cr_expect_eq(p->n, n, "%s: %zu problems, want %zu", name, p->n, n);
    for (size_t i = 0; i < p->n; i++)
        cr_log_info("%s: problem %zu: %s col %d: %s", name, i, p->v[i].code, p->v[i].col,
                    p->v[i].message);
    for (size_t i = 0; i < n && i < p->n; i++) {
        const struct clean_problem *g = &p->v[i];
        cr_expect_str_eq(g->code, w[i].code, "%s: problem %zu code", name, i);
        cr_expect_eq(g->severity, w[i].sev, "%s: problem %zu (%s) severity", name, i, g->code);
        cr_expect_eq(g->col, w[i].col, "%s: problem %zu (%s) col %d", name, i, g->code, g->col);
        cr_expect_eq(g->field, w[i].field, "%s: problem %zu (%s) field", name, i, g->code);
        cr_expect_eq(g->row, row, "%s: problem %zu row", name, i);
        if (w[i].value != NULL)
            cr_expect(str_eq(g->value, w[i].value), "%s: problem %zu value '%s' want '%s'", name, i,
                      show(g->value), w[i].value);
        cr_expect(g->message != NULL && g->message[0] != '\0', "%s: problem %zu message", name, i);
    }
}

Test(clean_header, map_columns)
{
    struct cell hdr[] = {
        TXT(" Issue #: "), TXT("Vehicle"), TXT("Shop"), TXT(""),      TXT("Reported Date"),
        TXT("Status"),     NUM(2024),      BOOL(1),     TXT("Notes"),
    };
    struct clean_problems p = {0};
    struct clean_header_map m;

    cr_assert_eq(clean_header_map(hdr, COUNT(hdr), 1, NULL, &m, &p), 0);
    cr_expect_eq(p.n, 0);
    cr_expect_eq(m.ncols, COUNT(hdr));
    cr_expect_eq(m.col[FIELD_ISSUE_NUMBER], 0);
    cr_expect_eq(m.col[FIELD_VEHICLE], 1);
    cr_expect_eq(m.col[FIELD_REPORTED_AT], 4);
    cr_expect_eq(m.col[FIELD_STATUS], 5);
    cr_expect_eq(m.col[FIELD_DESCRIPTION], 8);
    cr_expect_eq(m.col[FIELD_SUMMARY], -1);
    cr_expect_eq(m.col[FIELD_RESOLVED_AT], -1);
    cr_expect_str_eq(m.names[0], "Issue #:");
    cr_expect_str_eq(m.names[2], "Shop");
    cr_expect_str_eq(m.names[3], "");
    cr_expect_str_eq(m.names[6], "2024");
    cr_expect_str_eq(m.names[7], "TRUE");
    cr_expect_eq(m.field_of[0], FIELD_ISSUE_NUMBER);
    cr_expect_eq(m.field_of[2], FIELD_NONE);
    cr_expect_eq(m.field_of[3], FIELD_NONE);
    cr_expect_eq(m.field_of[6], FIELD_NONE);
    cr_expect_eq(m.field_of[8], FIELD_DESCRIPTION);
    clean_header_map_free(&m);
    clean_header_map_free(&m); /* safe twice */
    clean_problems_free(&p);
}

Test(clean_header, header_problems)
{
    static const struct {
        const char *name;
        struct cell hdr[8];
        size_t n;
        long header_row;
        int rc;
        int issue_col, reported_col;
        struct want problems[5];
    } cases[] = {
        {"minimal", {TXT("#"), TXT("Date")}, 2, 1, 0, 0, 1, {END}},
        {"duplicates: leftmost wins",
         {TXT("ID"), TXT("Date"), TXT("Issue #"), TXT("Reported"), TXT("Vehicle"), TXT("truck")},
         6,
         3,
         0,
         0,
         1,
         {{"duplicate_column", SEV_WARNING, 2, FIELD_ISSUE_NUMBER, "Issue #"},
          {"duplicate_column", SEV_WARNING, 3, FIELD_REPORTED_AT, "Reported"},
          {"duplicate_column", SEV_WARNING, 5, FIELD_VEHICLE, "truck"},
          END}},
        {"same header twice",
         {TXT("Issue #"), TXT("Reported Date"), TXT("issue  # :")},
         3,
         1,
         0,
         0,
         1,
         {{"duplicate_column", SEV_WARNING, 2, FIELD_ISSUE_NUMBER, "issue  # :"}, END}},
        {"no issue number",
         {TXT("Vehicle"), TXT("Reported Date")},
         2,
         1,
         -1,
         -1,
         -1,
         {{"missing_column", SEV_ERROR, -1, FIELD_ISSUE_NUMBER, "issue_number"}, END}},
        {"no reported_at",
         {TXT("Issue #"), TXT("Due Date"), TXT("Resolved")},
         3,
         2,
         -1,
         -1,
         -1,
         {{"missing_column", SEV_ERROR, -1, FIELD_REPORTED_AT, "reported_at"}, END}},
        {"neither, with a duplicate",
         {TXT("Vehicle"), TXT("Unit")},
         2,
         1,
         -1,
         -1,
         -1,
         {{"duplicate_column", SEV_WARNING, 1, FIELD_VEHICLE, "Unit"},
          {"missing_column", SEV_ERROR, -1, FIELD_ISSUE_NUMBER, "issue_number"},
          {"missing_column", SEV_ERROR, -1, FIELD_REPORTED_AT, "reported_at"},
          END}},
        {"empty header row",
         {{.type = CELL_EMPTY}},
         0,
         1,
         -1,
         -1,
         -1,
         {{"missing_column", SEV_ERROR, -1, FIELD_ISSUE_NUMBER, "issue_number"},
          {"missing_column", SEV_ERROR, -1, FIELD_REPORTED_AT, "reported_at"},
          END}},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct clean_problems p = {0};
        struct clean_header_map m;
        int rc = clean_header_map(cases[i].hdr, cases[i].n, cases[i].header_row, NULL, &m, &p);

        cr_expect_eq(rc, cases[i].rc, "%s: rc %d", cases[i].name, rc);
        expect_problems(&p, cases[i].header_row, cases[i].problems, cases[i].name);
        if (rc == 0) {
            cr_expect_eq(m.col[FIELD_ISSUE_NUMBER], cases[i].issue_col, "%s", cases[i].name);
            cr_expect_eq(m.col[FIELD_REPORTED_AT], cases[i].reported_col, "%s", cases[i].name);
        } else {
            cr_expect_null(m.names, "%s: the map is freed on failure", cases[i].name);
        }
        clean_header_map_free(&m);
        clean_problems_free(&p);
    }
}

Test(clean_header, messages)
{
    struct cell hdr[] = {TXT("Issue #"), TXT("Date"), TXT("Reported Date")};
    struct cell none[] = {TXT("Vehicle")};
    struct clean_problems p = {0};
    struct clean_header_map m;

    cr_assert_eq(clean_header_map(hdr, COUNT(hdr), 1, NULL, &m, &p), 0);
    cr_assert_eq(p.n, 1);
    cr_expect_str_eq(p.v[0].message, "Column C \"Reported Date\" is a second column for "
                                     "reported_at; column B \"Date\", the leftmost, is used");
    clean_header_map_free(&m);
    clean_problems_reset(&p);
    cr_assert_eq(clean_header_map(none, COUNT(none), 1, NULL, &m, &p), -1);
    cr_assert_eq(p.n, 2);
    cr_expect_str_eq(p.v[0].message,
                     "No column for issue_number: the header row needs one such as \"Issue #\"");
    clean_problems_free(&p);
}

/* ---- rows ---- */

/* The sheet of every row case; column 14 has no header. */
static const struct cell sheet_header[] = {
    TXT("Issue #"),       TXT("Vehicle"),       TXT("Summary"),
    TXT("Description"),   TXT("Priority"),      TXT("Status"),
    TXT("Reported Date"), TXT("Reported By"),   TXT("Assigned To"),
    TXT("Due Date"),      TXT("Resolved Date"), TXT("Odometer"),
    TXT("Labels"),        TXT("Shop"),          TXT(""),
};
enum {
    C_ISSUE,
    C_VEHICLE,
    C_SUMMARY,
    C_DESC,
    C_PRIO,
    C_STATUS,
    C_REPORTED,
    C_BY,
    C_ASSIGNED,
    C_DUE,
    C_RESOLVED,
    C_ODO,
    C_LABELS,
    C_SHOP,
    C_NOHEADER,
    NCOLS
};

struct row_case {
    const char *name;
    const char *locale;
    struct cell cells[NCOLS + 1];
    size_t ncells; /* 0: all of cells */
    bool empty, excluded;
    const char *issue_number;
    const char *vehicle_key; /* NULL: "UNKNOWN" */
    const char *status;      /* NULL: "open" */
    const char *priority;    /* NULL: "none" */
    const char *reported_at; /* NULL: "" */
    const char *due_date;
    const char *resolved_at;
    bool needs_observed;
    struct want problems[10];
};

#define R_ISSUE [C_ISSUE] = TXT("12")
#define R_DATE  [C_REPORTED] = TXT("1/5/2024")
#define R_TRUCK [C_VEHICLE] = TXT("Truck 7")
#define D_JAN5  "2024-01-05 00:00:00"
#define W(code, sev, col, field)                                                                   \
    {                                                                                              \
        code, sev, col, field, NULL                                                                \
    }

static const struct row_case row_cases[] = {
    {.name = "minimal valid row",
     .cells = {R_ISSUE, R_DATE, R_TRUCK},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5},
    {.name = "all blank, headerless and trailing cells too",
     .cells = {[C_ISSUE] = TXT("  "),
               [C_SUMMARY] = TXT("\t"),
               [C_NOHEADER] = TXT(" "),
               [NCOLS] = TXT("")},
     .empty = true},
    {.name = "no cells at all", .ncells = (size_t)-1, .empty = true},
    {.name = "content only in a headerless column is content",
     .cells = {[C_NOHEADER] = TXT("x")},
     .excluded = true,
     .problems = {W("missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER),
                  W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "content past the last column is content",
     .cells = {[NCOLS] = NUM(0)},
     .excluded = true,
     .problems = {W("missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER),
                  W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "a lone formula error counts as content",
     .cells = {[C_SHOP] = TXT("#REF!")},
     .excluded = true,
     .problems = {W("formula_error", SEV_WARNING, C_SHOP, FIELD_NONE),
                  W("missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER),
                  W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "formula errors read as empty",
     .cells = {[C_ISSUE] = TXT("#N/A"),
               R_DATE,
               [C_VEHICLE] = TXT("#REF!"),
               [C_PRIO] = TXT("#VALUE!"),
               [C_DUE] = TXT("#DIV/0!"),
               [C_ODO] = TXT("#NUM!")},
     .excluded = true,
     .reported_at = D_JAN5,
     .problems = {{"formula_error", SEV_WARNING, C_ISSUE, FIELD_ISSUE_NUMBER, "#N/A"},
                  W("formula_error", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("formula_error", SEV_WARNING, C_PRIO, FIELD_PRIORITY),
                  W("formula_error", SEV_WARNING, C_DUE, FIELD_DUE_DATE),
                  W("formula_error", SEV_WARNING, C_ODO, FIELD_ODOMETER),
                  {"missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER, "#N/A"},
                  W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  END}},
    {.name = "formula error in reported_at is a missing date",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT(" #NAME? ")},
     .excluded = true,
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .problems = {W("formula_error", SEV_WARNING, C_REPORTED, FIELD_REPORTED_AT),
                  W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "a short row: missing cells are empty",
     .cells = {R_ISSUE},
     .ncells = 1,
     .excluded = true,
     .issue_number = "12",
     .problems = {W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "issue number: # dropped, 12.0 -> 12",
     .cells = {[C_ISSUE] = TXT(" # 12.0 "), R_DATE, R_TRUCK},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5},
    {.name = "issue number: only #",
     .cells = {[C_ISSUE] = TXT("#"), R_DATE, R_TRUCK},
     .excluded = true,
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {{"missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER, "#"}, END}},
    {.name = "numbers in text fields and serial dates",
     .cells = {[C_ISSUE] = NUM(12.0),
               [C_VEHICLE] = NUM(7),
               [C_REPORTED] = NUM(45292.5),
               [C_RESOLVED] = NUM(45293),
               [C_ODO] = NUM(1234.5)},
     .issue_number = "12",
     .vehicle_key = "7",
     .status = "resolved",
     .reported_at = "2024-01-01 12:00:00",
     .resolved_at = "2024-01-02 00:00:00"},
    {.name = "invalid reported date excludes",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT("2/30/2024")},
     .excluded = true,
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .problems = {{"invalid_date", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT, "2/30/2024"}, END}},
    {.name = "text serial is not a date",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT("45292")},
     .excluded = true,
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .problems = {W("invalid_date", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "locale: day/month",
     .locale = "de_DE",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT("13.1.2024"), [C_DUE] = TXT("1/2/2024")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = "2024-01-13 00:00:00",
     .due_date = "2024-02-01 00:00:00"},
    {.name = "locale: en_US month/day rejects 13/1",
     .locale = "en_US",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT("13/1/2024")},
     .excluded = true,
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .problems = {W("invalid_date", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "invalid due and resolved dates are warnings",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_DUE] = TXT("soon"), [C_RESOLVED] = TXT("2/30/2024")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {{"invalid_date", SEV_WARNING, C_DUE, FIELD_DUE_DATE, "soon"},
                  {"invalid_date", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT, "2/30/2024"},
                  END}},
    {.name = "resolved before reported is dropped",
     .cells = {R_ISSUE, R_TRUCK, [C_REPORTED] = TXT("2024-01-05 10:00"),
               [C_RESOLVED] = TXT("2024-01-05 09:59:59")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = "2024-01-05 10:00:00",
     .problems = {W("resolved_before_reported", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT), END}},
    {.name = "resolved at the reported moment is kept",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_RESOLVED] = TXT("Jan 5, 2024")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .reported_at = D_JAN5,
     .resolved_at = D_JAN5},
    {.name = "resolved before reported, status done: observed fallback",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_RESOLVED] = TXT("1/4/2024"), [C_STATUS] = TXT("Done")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .reported_at = D_JAN5,
     .needs_observed = true,
     .problems = {W("resolved_before_reported", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT),
                  W("resolved_without_date", SEV_WARNING, C_STATUS, FIELD_STATUS), END}},
    {.name = "no reported date: resolved_at is kept (row excluded anyway)",
     .cells = {R_ISSUE, R_TRUCK, [C_RESOLVED] = TXT("1/4/2024")},
     .excluded = true,
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .resolved_at = "2024-01-04 00:00:00",
     .problems = {W("missing_reported_at", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT), END}},
    {.name = "status empty + resolved_at -> resolved",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_RESOLVED] = TXT("2024-01-06")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .reported_at = D_JAN5,
     .resolved_at = "2024-01-06 00:00:00"},
    {.name = "status unknown + resolved_at -> resolved",
     .cells = {R_ISSUE, R_TRUCK,
               R_DATE, [C_STATUS] = TXT("Blocked"), [C_RESOLVED] = TXT("2024-01-06")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .reported_at = D_JAN5,
     .resolved_at = "2024-01-06 00:00:00",
     .problems = {{"unknown_status", SEV_WARNING, C_STATUS, FIELD_STATUS, "Blocked"}, END}},
    {.name = "status unknown, no resolved_at -> open",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_STATUS] = TXT("Blocked")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {W("unknown_status", SEV_WARNING, C_STATUS, FIELD_STATUS), END}},
    {.name = "status typed open + valid resolved_at: conflict",
     .cells = {R_ISSUE, R_TRUCK,
               R_DATE, [C_STATUS] = TXT("In Progress"), [C_RESOLVED] = TXT("2024-01-06")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "open",
     .reported_at = D_JAN5,
     .resolved_at = "2024-01-06 00:00:00",
     .problems = {{"status_conflict", SEV_WARNING, C_STATUS, FIELD_STATUS, "In Progress"}, END}},
    {.name = "status typed open + invalid resolved_at: no conflict",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_STATUS] = TXT("open"), [C_RESOLVED] = TXT("x")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {W("invalid_date", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT), END}},
    {.name = "status typed open + resolved before reported: no conflict",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_STATUS] = TXT("open"), [C_RESOLVED] = TXT("1/1/2024")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {W("resolved_before_reported", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT), END}},
    {.name = "status closed + resolved_at: no warning",
     .cells = {R_ISSUE, R_TRUCK,
               R_DATE, [C_STATUS] = TXT("Won't fix"), [C_RESOLVED] = TXT("2024-01-06")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "closed",
     .reported_at = D_JAN5,
     .resolved_at = "2024-01-06 00:00:00"},
    {.name = "status closed without a date",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_STATUS] = TXT("cancelled")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "closed",
     .reported_at = D_JAN5,
     .needs_observed = true,
     .problems = {W("resolved_without_date", SEV_WARNING, C_STATUS, FIELD_STATUS), END}},
    {.name = "status resolved with an invalid date",
     .cells = {R_ISSUE, R_TRUCK,
               R_DATE, [C_STATUS] = TXT("FIXED"), [C_RESOLVED] = TXT("yesterday")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .status = "resolved",
     .reported_at = D_JAN5,
     .needs_observed = true,
     .problems = {W("invalid_date", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT),
                  W("resolved_without_date", SEV_WARNING, C_STATUS, FIELD_STATUS), END}},
    {.name = "priority words and unknown priority",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_PRIO] = TXT("ASAP")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {{"unknown_priority", SEV_WARNING, C_PRIO, FIELD_PRIORITY, "ASAP"}, END}},
    {.name = "priority P1",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_PRIO] = TXT(" P1 ")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .priority = "critical",
     .reported_at = D_JAN5},
    {.name = "vehicle with no key characters: UNKNOWN, no warning",
     .cells = {R_ISSUE, R_DATE, [C_VEHICLE] = TXT("\xe4\xb8\xad\xe6\x96\x87")},
     .issue_number = "12",
     .reported_at = D_JAN5},
    {.name = "vehicle: blank",
     .cells = {R_ISSUE, R_DATE, [C_VEHICLE] = TXT("   ")},
     .issue_number = "12",
     .reported_at = D_JAN5,
     .problems = {W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE), END}},
    {.name = "odometer invalid",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_ODO] = TXT("-5 mi")},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {{"invalid_number", SEV_WARNING, C_ODO, FIELD_ODOMETER, "-5 mi"}, END}},
    {.name = "odometer: a negative number cell is invalid",
     .cells = {R_ISSUE, R_TRUCK, R_DATE, [C_ODO] = NUM(-5)},
     .issue_number = "12",
     .vehicle_key = "TRUCK7",
     .reported_at = D_JAN5,
     .problems = {{"invalid_number", SEV_WARNING, C_ODO, FIELD_ODOMETER, "-5"}, END}},
    {.name = "every problem is reported even when excluded",
     .cells = {[C_ISSUE] = TXT(" "),
               [C_REPORTED] = TXT("2024-02-30"),
               [C_PRIO] = TXT("?"),
               [C_STATUS] = TXT("?"),
               [C_DUE] = TXT("?"),
               [C_RESOLVED] = TXT("?"),
               [C_ODO] = TXT("?")},
     .excluded = true,
     .problems = {W("missing_issue_number", SEV_ERROR, C_ISSUE, FIELD_ISSUE_NUMBER),
                  W("missing_vehicle", SEV_WARNING, C_VEHICLE, FIELD_VEHICLE),
                  W("unknown_priority", SEV_WARNING, C_PRIO, FIELD_PRIORITY),
                  W("invalid_date", SEV_ERROR, C_REPORTED, FIELD_REPORTED_AT),
                  W("invalid_date", SEV_WARNING, C_DUE, FIELD_DUE_DATE),
                  W("invalid_date", SEV_WARNING, C_RESOLVED, FIELD_RESOLVED_AT),
                  W("unknown_status", SEV_WARNING, C_STATUS, FIELD_STATUS),
                  W("invalid_number", SEV_WARNING, C_ODO, FIELD_ODOMETER)}},
};

static void build_map(struct clean_header_map *m)
{
    struct clean_problems p = {0};

    cr_assert_eq(clean_header_map(sheet_header, COUNT(sheet_header), 1, NULL, m, &p), 0);
    cr_assert_eq(p.n, 0);
    clean_problems_free(&p);
}

Test(clean_row, table)
{
    struct clean_header_map m;

    build_map(&m);
    for (size_t i = 0; i < COUNT(row_cases); i++) {
        const struct row_case *c = &row_cases[i];
        struct sheet_row row = {.row = (long)i + 2, .cells = c->cells, .ncells = NCOLS + 1};
        struct clean_problems p = {0};
        struct clean_issue ci;

        if (c->ncells == (size_t)-1)
            row.ncells = 0;
        else if (c->ncells > 0)
            row.ncells = c->ncells;
        cr_assert_eq(clean_row(&m, c->locale, &row, &ci, &p), 0, "%s", c->name);
        cr_expect_eq(ci.row, row.row, "%s", c->name);
        cr_expect_eq(ci.empty, c->empty, "%s: empty", c->name);
        cr_expect_eq(ci.excluded, c->excluded, "%s: excluded", c->name);
        cr_expect(str_eq(ci.issue_number, c->issue_number), "%s: issue_number '%s'", c->name,
                  show(ci.issue_number));
        cr_expect_str_eq(ci.vehicle_key, c->vehicle_key ? c->vehicle_key : "UNKNOWN", "%s",
                         c->name);
        cr_expect_str_eq(ci.status, c->status ? c->status : "open", "%s: status", c->name);
        cr_expect_str_eq(ci.priority, c->priority ? c->priority : "none", "%s: priority", c->name);
        cr_expect_str_eq(ci.reported_at, c->reported_at ? c->reported_at : "", "%s: reported_at",
                         c->name);
        cr_expect_str_eq(ci.due_date, c->due_date ? c->due_date : "", "%s: due_date", c->name);
        cr_expect_str_eq(ci.resolved_at, c->resolved_at ? c->resolved_at : "", "%s: resolved_at",
                         c->name);
        cr_expect_eq(ci.needs_observed_resolution, c->needs_observed, "%s: needs_observed",
                     c->name);
        cr_expect_not_null(ci.labels_json, "%s", c->name);
        cr_expect_not_null(ci.extra_json, "%s", c->name);
        expect_problems(&p, row.row, c->problems, c->name);
        clean_issue_free(&ci);
        clean_problems_free(&p);
    }
    clean_header_map_free(&m);
}

/* Every field of a full row, and the problem messages. */
Test(clean_row, full_row)
{
    struct cell cells[NCOLS] = {
        [C_ISSUE] = TXT("#0042"),
        [C_VEHICLE] = TXT("  truck   12 "),
        [C_SUMMARY] = TXT("  Brakes   squeal "),
        [C_DESC] = TXT("\n Line one\n  line two \n"),
        [C_PRIO] = TXT("High"),
        [C_STATUS] = TXT("Done"),
        [C_REPORTED] = TXT("1/5/2024 9:30 AM"),
        [C_BY] = TXT(" Jane   Doe "),
        [C_ASSIGNED] = TXT("Bob\tSmith"),
        [C_DUE] = TXT("2024-01-10"),
        [C_RESOLVED] = TXT("Jan 8, 2024"),
        [C_ODO] = TXT("12,345.5 mi"),
        [C_LABELS] = TXT("Brakes; Safety, brakes"),
        [C_SHOP] = TXT("  North \"A\" / B "),
        [C_NOHEADER] = TXT("ignored"),
    };
    struct sheet_row row = {.row = 17, .cells = cells, .ncells = NCOLS};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    build_map(&m);
    cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
    cr_expect_eq(p.n, 0);
    cr_expect_not(ci.excluded);
    cr_expect_not(ci.empty);
    cr_expect_eq(ci.row, 17);
    cr_expect_str_eq(ci.issue_number, "0042");
    cr_expect_str_eq(ci.vehicle, "truck 12");
    cr_expect_str_eq(ci.vehicle_key, "TRUCK12");
    cr_expect_str_eq(ci.summary, "Brakes   squeal");
    cr_expect_str_eq(ci.description, "Line one\n  line two");
    cr_expect_str_eq(ci.priority, "high");
    cr_expect_str_eq(ci.status, "resolved");
    cr_expect_str_eq(ci.reported_at, "2024-01-05 09:30:00");
    cr_expect_str_eq(ci.reported_by, "Jane Doe");
    cr_expect_str_eq(ci.assigned_to, "Bob Smith");
    cr_expect_str_eq(ci.due_date, "2024-01-10 00:00:00");
    cr_expect_str_eq(ci.resolved_at, "2024-01-08 00:00:00");
    cr_expect(ci.has_odometer);
    cr_expect_eq(ci.odometer, 12346);
    cr_expect_str_eq(ci.labels_json, "[\"brakes\",\"safety\"]");
    cr_expect_str_eq(ci.extra_json, "{\"Shop\":\"North \\\"A\\\" / B\"}");
    cr_expect_not(ci.needs_observed_resolution);
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

Test(clean_row, empty_fields_are_null)
{
    struct cell cells[] = {[C_ISSUE] = TXT("1"),
                           [C_REPORTED] = TXT("2024-01-01"),
                           [C_SUMMARY] = TXT("  "),
                           [C_ODO] = TXT(" ")};
    struct sheet_row row = {.row = 2, .cells = cells, .ncells = COUNT(cells)};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    build_map(&m);
    cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
    cr_expect_null(ci.vehicle);
    cr_expect_str_eq(ci.vehicle_key, "UNKNOWN");
    cr_expect_null(ci.summary);
    cr_expect_null(ci.description);
    cr_expect_null(ci.reported_by);
    cr_expect_null(ci.assigned_to);
    cr_expect_not(ci.has_odometer);
    cr_expect_str_eq(ci.labels_json, "[]");
    cr_expect_str_eq(ci.extra_json, "{}");
    cr_expect_eq(p.n, 1); /* missing_vehicle */
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

Test(clean_row, empty_row_fields)
{
    struct cell cells[] = {TXT(" "), {.type = CELL_EMPTY}, TXT("")};
    struct sheet_row row = {.row = 9, .cells = cells, .ncells = COUNT(cells)};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    build_map(&m);
    cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
    cr_expect(ci.empty);
    cr_expect_not(ci.excluded);
    cr_expect_eq(p.n, 0);
    cr_expect_str_eq(ci.vehicle_key, "UNKNOWN");
    cr_expect_str_eq(ci.labels_json, "[]");
    cr_expect_str_eq(ci.extra_json, "{}");
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

Test(clean_row, messages)
{
    static const struct {
        struct cell cell;
        int col;
        const char *code;
        const char *message;
    } cases[] = {
        {TXT("2/30/2024"), C_REPORTED, "invalid_date",
         "Reported Date \"2/30/2024\" is not a valid date; the row is excluded"},
        {TXT("soon"), C_DUE, "invalid_date",
         "Due Date \"soon\" is not a valid date; it is ignored"},
        {TXT("12 ft"), C_ODO, "invalid_number",
         "Odometer \"12 ft\" is not a number; it is ignored"},
        {TXT("ASAP"), C_PRIO, "unknown_priority",
         "Priority \"ASAP\" is not a known priority; \"none\" is used"},
        {TXT("Blocked"), C_STATUS, "unknown_status",
         "Status \"Blocked\" is not a known status; \"open\" is used"},
        {TXT("#N/A"), C_SHOP, "formula_error",
         "Shop \"#N/A\" is a formula error; the cell is read as empty"},
        {TXT("Done"), C_STATUS, "resolved_without_date",
         "Status \"Done\" has no valid resolved date; the time the service first saw it resolved "
         "is used"},
    };
    struct clean_header_map m;

    build_map(&m);
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct cell cells[NCOLS] = {
            [C_ISSUE] = TXT("1"), [C_REPORTED] = TXT("2024-01-01"), [C_VEHICLE] = TXT("T1")};
        struct sheet_row row = {.row = 5, .cells = cells, .ncells = NCOLS};
        struct clean_problems p = {0};
        struct clean_issue ci;

        cells[cases[i].col] = cases[i].cell;
        cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
        cr_assert_eq(p.n, 1, "%s: %zu problems", cases[i].code, p.n);
        cr_expect_str_eq(p.v[0].code, cases[i].code);
        cr_expect_str_eq(p.v[0].message, cases[i].message);
        cr_expect_eq(p.v[0].col, cases[i].col);
        clean_issue_free(&ci);
        clean_problems_free(&p);
    }
    clean_header_map_free(&m);
}

/* A very long value is cut in the message (at a UTF-8 boundary) but kept
 * whole in `value`. */
Test(clean_row, long_values_are_cut_in_messages)
{
    char text[400];
    struct cell cells[NCOLS] = {[C_ISSUE] = TXT("1"), [C_VEHICLE] = TXT("T1")};
    struct sheet_row row = {.row = 5, .cells = cells, .ncells = NCOLS};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    for (size_t i = 0; i + 2 < sizeof text; i += 2)
        memcpy(text + i, "\xc3\xa9", 2); /* é */
    text[sizeof text - 2] = '\0';
    cells[C_REPORTED] = (struct cell){.type = CELL_TEXT, .text = text, .len = strlen(text)};
    build_map(&m);
    cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
    cr_assert_eq(p.n, 1);
    cr_expect_str_eq(p.v[0].value, text);
    cr_expect_lt(strlen(p.v[0].message), 200);
    cr_expect_not_null(strstr(p.v[0].message, "\xc3\xa9...\" is not a valid date"));
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

/* Unknown columns become extra attributes; duplicates of known fields are
 * ignored; a formula error in an extra column is dropped with a warning. */
Test(clean_row, extra_columns)
{
    static const struct cell hdr[] = {
        TXT("ID"),   TXT("Date"), TXT("Shop"),  TXT("Shop"), TXT(" Cost: "),
        TXT("Date"), TXT(""),     TXT("Notes"), TXT("a/b"),  TXT("Empty"),
    };
    static const struct cell cells[] = {
        TXT("7"),       TXT("2024-03-01"), TXT(" "), TXT("West"), NUM(12.5),
        TXT("garbage"), TXT("free"),       TXT("n"), BOOL(0),     TXT("#REF!"),
    };
    struct sheet_row row = {.row = 3, .cells = cells, .ncells = COUNT(cells)};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    cr_assert_eq(clean_header_map(hdr, COUNT(hdr), 1, NULL, &m, &p), 0);
    cr_assert_eq(p.n, 1); /* the second Date */
    clean_problems_reset(&p);
    cr_assert_eq(clean_row(&m, NULL, &row, &ci, &p), 0);
    cr_expect_str_eq(ci.extra_json, "{\"Shop\":\"West\",\"Cost:\":\"12.5\",\"a/b\":\"FALSE\"}");
    cr_expect_str_eq(ci.reported_at, "2024-03-01 00:00:00");
    cr_expect_str_eq(ci.description, "n");
    cr_expect_not(ci.excluded);
    /* formula_error on "Empty"; no vehicle column: no missing_vehicle */
    cr_assert_eq(p.n, 1);
    cr_expect_str_eq(p.v[0].code, "formula_error");
    cr_expect_eq(p.v[0].col, 9);
    cr_expect_eq(p.v[0].field, FIELD_NONE);
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

/* Configured aliases flow through clean_row. */
Test(clean_row, configured_aliases)
{
    struct clean_alias v[] = {{"Ticket", FIELD_ISSUE_NUMBER}, {"Opened", FIELD_REPORTED_AT}};
    struct clean_aliases extra = {v, COUNT(v)};
    static const struct cell hdr[] = {TXT("Ticket"), TXT("Opened"), TXT("Bus")};
    static const struct cell cells[] = {TXT("T-1"), TXT("Sept 3, 2024"), TXT("Bus 4")};
    struct sheet_row row = {.row = 2, .cells = cells, .ncells = COUNT(cells)};
    struct clean_header_map m;
    struct clean_problems p = {0};
    struct clean_issue ci;

    cr_assert_eq(clean_header_map(hdr, COUNT(hdr), 1, &extra, &m, &p), 0);
    cr_assert_eq(clean_row(&m, "en_GB", &row, &ci, &p), 0);
    cr_expect_eq(p.n, 0);
    cr_expect_str_eq(ci.issue_number, "T-1");
    cr_expect_str_eq(ci.reported_at, "2024-09-03 00:00:00");
    cr_expect_str_eq(ci.vehicle_key, "UNKNOWN");
    cr_expect_str_eq(ci.extra_json, "{\"Bus\":\"Bus 4\"}");
    clean_issue_free(&ci);
    clean_header_map_free(&m);
    clean_problems_free(&p);
}

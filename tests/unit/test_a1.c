#include <criterion/criterion.h>

#include <string.h>

#include "common/buf.h"
#include "ingest/a1.h"

/* ---- column letters ---- */

static const struct {
    long col;
    const char *letters;
} columns[] = {
    {0, "A"},       {1, "B"},       {25, "Z"},      {26, "AA"},   {27, "AB"},
    {51, "AZ"},     {52, "BA"},     {701, "ZZ"},    {702, "AAA"}, {703, "AAB"},
    {16383, "XFD"}, {18276, "ZZY"}, {18277, "ZZZ"},
};

Test(a1, col_letters_both_ways)
{
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        char out[4];
        cr_assert_eq(a1_col_to_letters(columns[i].col, out), 0, "col %ld", columns[i].col);
        cr_expect_str_eq(out, columns[i].letters, "col %ld", columns[i].col);
        long back = -2;
        cr_assert_eq(a1_col_from_letters(columns[i].letters, strlen(columns[i].letters), &back), 0,
                     "%s", columns[i].letters);
        cr_expect_eq(back, columns[i].col, "%s", columns[i].letters);
    }
}

Test(a1, col_letters_round_trip_every_column)
{
    for (long c = 0; c < A1_MAX_COLUMNS; c++) {
        char out[4];
        long back;
        cr_assert_eq(a1_col_to_letters(c, out), 0);
        cr_assert_eq(a1_col_from_letters(out, strlen(out), &back), 0);
        cr_assert_eq(back, c);
    }
}

Test(a1, col_letters_bounds_and_junk)
{
    char out[4];
    long col;
    cr_expect_eq(a1_col_to_letters(-1, out), -1);
    cr_expect_eq(a1_col_to_letters(18278, out), -1);
    cr_expect_eq(a1_col_from_letters("", 0, &col), -1);
    cr_expect_eq(a1_col_from_letters("AAAA", 4, &col), -1);
    cr_expect_eq(a1_col_from_letters("A1", 2, &col), -1);
    cr_expect_eq(a1_col_from_letters("É", strlen("É"), &col), -1);
    cr_assert_eq(a1_col_from_letters("zz", 2, &col), 0);
    cr_expect_eq(col, 701);
}

/* ---- sheet names ---- */

static const struct {
    const char *name;
    const char *quoted; /* as it goes before `!` */
} names[] = {
    {"Sheet1", "Sheet1"},
    {"Issues", "Issues"},
    {"_raw", "_raw"},
    {"Data_2024", "Data_2024"},
    {"ABCD1", "ABCD1"}, /* four letters: past column ZZZ, not a cell */
    {"My Sheet", "'My Sheet'"},
    {"Jon's Data", "'Jon''s Data'"},
    {"''", "''''''"},
    {"A1", "'A1'"},
    {"a1", "'a1'"},
    {"CRM26", "'CRM26'"},
    {"XFD1048576", "'XFD1048576'"},
    {"R1C1", "'R1C1'"},
    {"R2", "'R2'"},
    {"C3", "'C3'"},
    {"RC", "'RC'"},
    {"R", "'R'"},
    {"C", "'C'"},
    {"RC1", "'RC1'"},
    {"RCX", "RCX"},
    {"TRUE", "'TRUE'"},
    {"2024", "'2024'"},
    {"1st", "'1st'"},
    {"Q1-Q2", "'Q1-Q2'"},
    {"a.b", "'a.b'"},
    {"Sheet!1", "'Sheet!1'"},
    {"Données", "'Données'"},
    {"データ", "'データ'"},
};

Test(a1, sheet_quoting_table)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct buf b;
        buf_init(&b, 0);
        cr_assert_eq(a1_append_sheet(&b, names[i].name), 0, "%s", names[i].name);
        cr_expect_str_eq(b.data, names[i].quoted, "%s", names[i].name);
        cr_expect_eq(a1_sheet_needs_quotes(names[i].name), names[i].quoted[0] == '\'', "%s",
                     names[i].name);
        buf_free(&b);
    }
}

Test(a1, sheet_empty_name_refused)
{
    struct buf b;
    buf_init(&b, 0);
    cr_expect_eq(a1_append_sheet(&b, ""), -1);
    cr_expect_eq(a1_append_sheet(&b, NULL), -1);
    cr_expect_eq(b.len, 0);
    buf_free(&b);
}

Test(a1, sheet_quoting_respects_the_cap)
{
    struct buf b;
    buf_init(&b, 8);
    cr_assert_eq(buf_puts(&b, "x"), 0);
    cr_expect_eq(a1_append_sheet(&b, "Jon's Data"), -1);
    cr_expect_str_eq(b.data, "x"); /* unchanged on failure */
    buf_free(&b);
}

/* ---- ranges and cells ---- */

Test(a1, rows_and_cells)
{
    struct buf b;
    buf_init(&b, 0);
    cr_assert_eq(a1_append_rows(&b, "My Sheet", 5, 9), 0);
    cr_expect_str_eq(b.data, "'My Sheet'!5:9");
    buf_reset(&b);
    cr_assert_eq(a1_append_rows(&b, "Issues", 2, 20001), 0);
    cr_expect_str_eq(b.data, "Issues!2:20001");
    buf_reset(&b);
    cr_assert_eq(a1_append_rows(&b, "Jon's Data", 1, 1), 0);
    cr_expect_str_eq(b.data, "'Jon''s Data'!1:1");
    buf_reset(&b);
    cr_expect_eq(a1_append_rows(&b, "Issues", 0, 3), -1);
    cr_expect_eq(a1_append_rows(&b, "Issues", 5, 4), -1);
    cr_expect_eq(b.len, 0);

    cr_assert_eq(a1_append_cell(&b, "Issues", 17, 6), 0);
    cr_expect_str_eq(b.data, "Issues!G17");
    buf_reset(&b);
    cr_assert_eq(a1_append_cell(&b, "CRM26", 2, 26), 0);
    cr_expect_str_eq(b.data, "'CRM26'!AA2");
    buf_reset(&b);
    cr_assert_eq(a1_append_cell(&b, NULL, 1, 18277), 0);
    cr_expect_str_eq(b.data, "ZZZ1");
    buf_reset(&b);
    cr_expect_eq(a1_append_cell(&b, "Issues", 0, 0), -1);
    cr_expect_eq(a1_append_cell(&b, "Issues", 1, 18278), -1);
    cr_expect_eq(b.len, 0);
    buf_free(&b);
}

/* ---- edited blocks ---- */

#define ALL (-1)
static const struct {
    const char *in;
    int rc;
    struct a1_block want;
} blocks[] = {
    {"B7", 0, {7, 7, 1, 1}},
    {"A1", 0, {1, 1, 0, 0}},
    {"B7:D9", 0, {7, 9, 1, 3}},
    {"D9:B7", 0, {7, 9, 1, 3}}, /* reversed corners are normalised */
    {"B9:D7", 0, {7, 9, 1, 3}},
    {"7:9", 0, {7, 9, ALL, ALL}},
    {"9:7", 0, {7, 9, ALL, ALL}},
    {"1:1", 0, {1, 1, ALL, ALL}},
    {"B:D", 0, {1, 0, 1, 3}}, /* whole columns: every row */
    {"D:B", 0, {1, 0, 1, 3}},
    {"A:A", 0, {1, 0, 0, 0}},
    {"B7:D", 0, {7, 0, 1, 3}}, /* open-ended */
    {"$B$7:$D$9", 0, {7, 9, 1, 3}},
    {"b7:d9", 0, {7, 9, 1, 3}},
    {"ZZZ10000000", 0, {10000000, 10000000, 18277, 18277}},
    {"AA100:AB200", 0, {100, 200, 26, 27}},
    {"", -1, {0}},
    {"B", -1, {0}},
    {"7", -1, {0}},
    {"B0", -1, {0}},
    {"0:3", -1, {0}},
    {"B7:", -1, {0}},
    {":B7", -1, {0}},
    {"B7:D9:E1", -1, {0}},
    {"B7:9", -1, {0}},
    {"7:B9", -1, {0}},
    {"B:D9", -1, {0}},
    {"7:B", -1, {0}},
    {"AAAA1", -1, {0}},
    {"A10000001", -1, {0}},
    {"A99999999999999999999", -1, {0}},
    {"Sheet1!A1", -1, {0}},
    {"A1 ", -1, {0}},
    {" A1", -1, {0}},
    {"A1B", -1, {0}},
    {"B$", -1, {0}},
    {"$", -1, {0}},
    {"R1C1", -1, {0}},
    {"A-1", -1, {0}},
};

Test(a1, parse_block_table)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        struct a1_block got = {-9, -9, -9, -9};
        int rc = a1_parse_block(blocks[i].in, &got);
        cr_expect_eq(rc, blocks[i].rc, "\"%s\": rc %d", blocks[i].in, rc);
        if (rc != 0 || blocks[i].rc != 0)
            continue;
        cr_expect(got.first_row == blocks[i].want.first_row &&
                      got.last_row == blocks[i].want.last_row &&
                      got.first_col == blocks[i].want.first_col &&
                      got.last_col == blocks[i].want.last_col,
                  "\"%s\": got rows %ld..%ld cols %ld..%ld", blocks[i].in, got.first_row,
                  got.last_row, got.first_col, got.last_col);
    }
}

/* ---- URL encoding ---- */

Test(a1, url_encoding)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"Sheet1!A1:B2", "Sheet1%21A1%3AB2"}, {"'My Sheet'!5:9", "%27My%20Sheet%27%215%3A9"},
        {"a-b_c.d~e", "a-b_c.d~e"},           {"x/y?z#&=+%", "x%2Fy%3Fz%23%26%3D%2B%25"},
        {"Données", "Donn%C3%A9es"},          {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b, 0);
        cr_assert_eq(a1_append_url_encoded(&b, cases[i].in), 0);
        cr_expect_str_eq(b.data ? b.data : "", cases[i].out, "%s", cases[i].in);
        buf_free(&b);
    }
}

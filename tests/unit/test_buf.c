#include <criterion/criterion.h>

#include "common/buf.h"

static const struct {
    const char *in, *want;
} csv_cases[] = {
    {"", ""},
    {"Truck 12", "Truck 12"},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"two\nlines", "\"two\nlines\""},
    {"cr\rhere", "\"cr\rhere\""},
    {"\"", "\"\"\"\""},
    {"semi;colon 'quote'", "semi;colon 'quote'"},
};

Test(buf, csv_field_quotes_only_when_needed)
{
    for (size_t i = 0; i < sizeof csv_cases / sizeof *csv_cases; i++) {
        struct buf b = {0};
        cr_assert_eq(buf_csv_field(&b, csv_cases[i].in), 0);
        size_t n = strlen(csv_cases[i].want);
        cr_expect(b.len == n && (n == 0 || memcmp(b.data, csv_cases[i].want, n) == 0),
                  "[%s] gave [%.*s]", csv_cases[i].in, (int)b.len, b.data ? b.data : "");
        buf_free(&b);
    }
}

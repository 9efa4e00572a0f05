#include <criterion/criterion.h>

#include "common/civil.h"

static const struct {
    int y, m, d;
    long days;
} anchors[] = {
    {1970, 1, 1, 0},      {1969, 12, 31, -1},      {1899, 12, 30, -25569}, /* Sheets' day 0 */
    {2000, 2, 29, 11016}, {2000, 3, 1, 11017},     {2024, 12, 30, 20087},
    {1, 1, 1, -719162},   {9999, 12, 31, 2932896},
};

Test(civil, anchors_both_ways)
{
    for (size_t i = 0; i < sizeof anchors / sizeof *anchors; i++) {
        cr_expect_eq(civil_to_days(anchors[i].y, anchors[i].m, anchors[i].d), anchors[i].days,
                     "%04d-%02d-%02d", anchors[i].y, anchors[i].m, anchors[i].d);
        int y, m, d;
        civil_from_days(anchors[i].days, &y, &m, &d);
        cr_expect(y == anchors[i].y && m == anchors[i].m && d == anchors[i].d, "day %ld: %d-%d-%d",
                  anchors[i].days, y, m, d);
    }
}

/* Every day of years 1..9999 follows the one before, and round-trips. */
Test(civil, every_day_round_trips)
{
    long expect = civil_to_days(1, 1, 1);
    for (int y = 1; y <= 9999; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= civil_days_in_month(y, m); d++, expect++) {
                cr_assert_eq(civil_to_days(y, m, d), expect, "%d-%d-%d", y, m, d);
                int yy, mm, dd;
                civil_from_days(expect, &yy, &mm, &dd);
                cr_assert(yy == y && mm == m && dd == d, "%ld", expect);
            }
}

static const struct {
    int y, m, d;
    bool valid;
} dates[] = {
    {2024, 2, 29, true},  {2023, 2, 29, false}, {1900, 2, 29, false}, {2000, 2, 29, true},
    {2024, 4, 31, false}, {2024, 12, 31, true}, {2024, 13, 1, false}, {2024, 0, 1, false},
    {2024, 1, 0, false},  {0, 1, 1, false},     {9999, 12, 31, true}, {10000, 1, 1, false},
};

Test(civil, valid_dates)
{
    for (size_t i = 0; i < sizeof dates / sizeof *dates; i++)
        cr_expect_eq(civil_valid(dates[i].y, dates[i].m, dates[i].d), dates[i].valid, "%d-%d-%d",
                     dates[i].y, dates[i].m, dates[i].d);
}

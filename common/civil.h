#ifndef SHEETSYNC_COMMON_CIVIL_H
#define SHEETSYNC_COMMON_CIVIL_H

#include <stdbool.h>

/* The proleptic Gregorian calendar, as SQLite and Google Sheets count it.
 * Days are counted from 1970-01-01 (day 0); the conversions are
 * H. Hinnant's days_from_civil and civil_from_days, exact for every year. */

bool civil_is_leap(int y);
/* 28..31; m is 1..12. */
int civil_days_in_month(int y, int m);
/* True when y-m-d is a date of years 1..9999. */
bool civil_valid(int y, int m, int d);
long civil_to_days(int y, int m, int d);
void civil_from_days(long days, int *y, int *m, int *d);

#endif

#ifndef SHEETSYNC_CLOCK_H
#define SHEETSYNC_CLOCK_H

#include <stddef.h>
#include <time.h>

/* "YYYY-MM-DDTHH:MM:SSZ" for `t` (UTC). out needs 21 bytes. */
void clock_iso_utc(time_t t, char out[21]);

/* Wall-clock "YYYY-MM-DD HH:MM:SS" of `t` in the IANA zone `tz` (e.g.
 * "America/Chicago"); out needs 20 bytes. Returns 0, or -1 when the zone is
 * unknown (out is then the UTC wall clock). Thread-safe. */
int clock_local_in_zone(time_t t, const char *tz, char out[20]);

/* True when `tz` names a zone in the system's tz database. */
int clock_zone_exists(const char *tz);

#endif

#include "common/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void clock_iso_utc(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int clock_zone_exists(const char *tz)
{
    if (!tz || !*tz || tz[0] == '/' || strstr(tz, ".."))
        return 0;
    if (strcmp(tz, "UTC") == 0)
        return 1;
    char path[512];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
    return access(path, R_OK) == 0;
}

/* libc converts to a named zone only through the process-wide TZ variable, so
 * the switch is serialised; it happens once per sync, never per row. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int clock_local_in_zone(time_t t, const char *tz, char out[20])
{
    struct tm tm;
    int rc = 0;
    if (!clock_zone_exists(tz)) {
        gmtime_r(&t, &tm);
        rc = -1;
    } else {
        pthread_mutex_lock(&tz_lock);
        char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
        setenv("TZ", tz, 1);
        tzset();
        localtime_r(&t, &tm);
        if (old) {
            setenv("TZ", old, 1);
            free(old);
        } else {
            unsetenv("TZ");
        }
        tzset();
        pthread_mutex_unlock(&tz_lock);
    }
    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm);
    return rc;
}

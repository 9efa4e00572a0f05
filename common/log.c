#include "common/log.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static bool json_format;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(enum log_level min, bool json)
{
    min_level = min;
    json_format = json;
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

static void log_line(enum log_level level, const char *const *fields, const char *fmt, va_list ap)
{
    char msg[2048], ts[32];
    vsnprintf(msg, sizeof msg, fmt, ap);

    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);

    pthread_mutex_lock(&log_lock);
    if (json_format) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ts", json_object_new_string(ts));
        json_object_object_add(o, "level", json_object_new_string(level_names[level]));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        for (size_t i = 0; fields && fields[i] && fields[i + 1]; i += 2)
            json_object_object_add(o, fields[i], json_object_new_string(fields[i + 1]));
        fprintf(stderr, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        fprintf(stderr, "%s %s %s", ts, level_names[level], msg);
        for (size_t i = 0; fields && fields[i] && fields[i + 1]; i += 2)
            fprintf(stderr, " %s=%s", fields[i], fields[i + 1]);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, NULL, fmt, ap);
    va_end(ap);
}

void log_fields(enum log_level level, const char *const *fields, const char *fmt, ...)
{
    if (level < min_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line(level, fields, fmt, ap);
    va_end(ap);
}

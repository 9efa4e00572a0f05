#ifndef SHEETSYNC_LOG_H
#define SHEETSYNC_LOG_H

#include <stdbool.h>

/* Logs go to stderr, one line each: text ("2026-01-05T10:00:00Z info msg") or
 * one JSON object a line. Thread-safe. Never pass secrets or tokens. */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_init(enum log_level min, bool json);
/* Parses "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_level_parse(const char *s, enum log_level *out);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_msg with fields: `fields` is name, value, name, value, ..., NULL (may
 * be NULL). In JSON each becomes a member of the line's object (string
 * values), beside "ts", "level" and "msg"; in text they follow the message
 * as ` name=value`. The access log uses it for request_id, method, path,
 * status, bytes and duration_ms. */
void log_fields(enum log_level level, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif

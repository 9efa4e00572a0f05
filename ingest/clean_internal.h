#ifndef SHEETSYNC_CLEAN_INTERNAL_H
#define SHEETSYNC_CLEAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest/clean.h"

/* Helpers shared by the ingest/clean*.c files only; not part of the module's
 * interface. Whitespace and case are ASCII (models.md §1), never the locale's. */

static inline bool clean_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static inline bool clean_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline unsigned char clean_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Narrows [*s, *s + *len) to its ASCII-trimmed part. */
static inline void clean_trim(const char **s, size_t *len)
{
    while (*len > 0 && clean_is_space((unsigned char)(*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && clean_is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Case-insensitive (ASCII) comparison of s[0..len) with the NUL-terminated,
 * lowercase `word`. */
static inline bool clean_eq_word(const char *s, size_t len, const char *word)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (word[i] == '\0' || clean_lower((unsigned char)s[i]) != (unsigned char)word[i])
            return false;
    }
    return word[i] == '\0';
}

/* malloc'd copy of s[0..len), NUL-terminated; NULL when out of memory. */
char *clean_strndup(const char *s, size_t len);

/* Appends one problem; `value` is copied (NULL allowed), the message is
 * formatted. Returns 0, or -1 when out of memory (the list is unchanged). */
int clean_problem_addf(struct clean_problems *p, long row, int col, enum clean_field field,
                       enum clean_severity sev, const char *code, const char *value,
                       const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* Writes `"value"` (trimmed) into buf for a message, cut at a UTF-8 boundary with "..."
 * when long, so one pasted paragraph cannot make a message unreadable. */
const char *clean_quote(const char *value, char *buf, size_t size);
#define CLEAN_QUOTE_SIZE 96

#endif

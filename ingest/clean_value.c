/* The word tables and small value rules of models.md §3: priority, status,
 * odometer, labels. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ingest/clean.h"
#include "ingest/clean_internal.h"

struct word {
    const char *word; /* lowercase, as the spec writes it */
    const char *value;
};

/* Matching is on the lowercased, trimmed text only: inner whitespace is not
 * collapsed ("in  progress" is unknown), exactly as models.md §3 says. */
static const struct word priorities[] = {
    {"critical", "critical"},
    {"crit", "critical"},
    {"urgent", "critical"},
    {"p0", "critical"},
    {"p1", "critical"},
    {"highest", "critical"},
    {"emergency", "critical"},
    {"high", "high"},
    {"h", "high"},
    {"p2", "high"},
    {"medium", "medium"},
    {"med", "medium"},
    {"m", "medium"},
    {"normal", "medium"},
    {"moderate", "medium"},
    {"p3", "medium"},
    {"low", "low"},
    {"l", "low"},
    {"p4", "low"},
    {"minor", "low"},
    {"lowest", "low"},
    {"none", "none"},
    {"no priority", "none"},
    {"n/a", "none"},
    {"-", "none"},
};

static const struct word statuses[] = {
    {"open", "open"},          {"new", "open"},          {"in progress", "open"},
    {"in-progress", "open"},   {"pending", "open"},      {"reopened", "open"},
    {"waiting", "open"},       {"on hold", "open"},      {"resolved", "resolved"},
    {"fixed", "resolved"},     {"done", "resolved"},     {"complete", "resolved"},
    {"completed", "resolved"}, {"repaired", "resolved"}, {"closed", "closed"},
    {"won't fix", "closed"},   {"wont fix", "closed"},   {"wontfix", "closed"},
    {"cancelled", "closed"},   {"canceled", "closed"},   {"duplicate", "closed"},
    {"invalid", "closed"},
};

static const char *lookup(const struct word *t, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (clean_eq_word(s, len, t[i].word))
            return t[i].value;
    }
    return NULL;
}

const char *clean_priority(const char *s, size_t len, bool *unknown)
{
    const char *v;

    *unknown = false;
    if (s == NULL)
        return "none";
    clean_trim(&s, &len);
    if (len == 0)
        return "none";
    v = lookup(priorities, sizeof priorities / sizeof priorities[0], s, len);
    if (v == NULL) {
        *unknown = true;
        return "none";
    }
    return v;
}

const char *clean_status(const char *s, size_t len, bool *unknown)
{
    const char *v;

    *unknown = false;
    if (s == NULL)
        return NULL;
    clean_trim(&s, &len);
    if (len == 0)
        return NULL;
    v = lookup(statuses, sizeof statuses / sizeof statuses[0], s, len);
    if (v == NULL)
        *unknown = true;
    return v;
}

/* Length of a trailing unit (mi, miles, km, kms; any case) of s[0..len), or 0. */
static size_t unit_len(const char *s, size_t len)
{
    static const char *const units[] = {"miles", "kms", "mi", "km"};

    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i]);
        if (len >= n && clean_eq_word(s + len - n, n, units[i]))
            return n;
    }
    return 0;
}

/* Digits with an optional decimal part, rounded half away from zero (the value
 * is never negative: no sign is allowed). -1 when not of that form or past
 * INT64_MAX. */
static int parse_reading(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    uint64_t v = 0;

    while (i < n && clean_is_digit((unsigned char)s[i])) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        i++;
    }
    if (i == 0)
        return -1;
    if (i < n) {
        size_t frac = i + 1;
        if (s[i] != '.' || frac == n)
            return -1;
        for (size_t k = frac; k < n; k++) {
            if (!clean_is_digit((unsigned char)s[k]))
                return -1;
        }
        if (s[frac] >= '5') {
            if (v == (uint64_t)INT64_MAX)
                return -1;
            v++;
        }
    }
    *out = (int64_t)v;
    return 0;
}

int clean_odometer(const char *s, size_t len, int64_t *out)
{
    char *buf;
    size_t n = 0;
    int rc;

    if (s == NULL)
        return 1;
    clean_trim(&s, &len);
    if (len == 0)
        return 1;
    if ((buf = malloc(len)) == NULL)
        return -1;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c != ',' && !clean_is_space(c))
            buf[n++] = (char)c;
    }
    n -= unit_len(buf, n);
    rc = parse_reading(buf, n, out);
    free(buf);
    return rc;
}

char *clean_labels(const char *s, size_t len)
{
    struct json_object *arr = json_object_new_array();
    char *res = NULL;
    size_t start = 0;

    if (arr == NULL)
        return NULL;
    if (s == NULL)
        len = 0;
    for (size_t i = 0; i <= len; i++) {
        const char *tok;
        size_t tlen;
        char *low;
        struct json_object *js;
        bool dup = false;

        if (i < len && s[i] != ',' && s[i] != ';')
            continue;
        tok = s + start;
        tlen = i - start;
        start = i + 1;
        clean_trim(&tok, &tlen);
        if (tlen == 0)
            continue;
        if ((low = clean_strndup(tok, tlen)) == NULL)
            goto out;
        for (size_t k = 0; k < tlen; k++)
            low[k] = (char)clean_lower((unsigned char)low[k]);
        for (size_t k = 0; k < json_object_array_length(arr) && !dup; k++) {
            struct json_object *e = json_object_array_get_idx(arr, k);
            dup = (size_t)json_object_get_string_len(e) == tlen &&
                  memcmp(json_object_get_string(e), low, tlen) == 0;
        }
        js = dup ? NULL : json_object_new_string_len(low, (int)tlen);
        free(low);
        if (dup)
            continue;
        if (js == NULL)
            goto out;
        if (json_object_array_add(arr, js) != 0) {
            json_object_put(js);
            goto out;
        }
    }
    res = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
out:
    json_object_put(arr);
    return res;
}

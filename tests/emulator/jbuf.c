#include "tests/emulator/emu.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void emu_jb_init(struct jbuf *b, bool pretty)
{
    memset(b, 0, sizeof *b);
    b->pretty = pretty;
    b->html = true;
}

void emu_jb_free(struct jbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

bool emu_jb_reserve(struct jbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void emu_jb_add(struct jbuf *b, const void *p, size_t n)
{
    if (!emu_jb_reserve(b, n))
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void emu_jb_puts(struct jbuf *b, const char *s)
{
    emu_jb_add(b, s, strlen(s));
}

void emu_jb_printf(struct jbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !emu_jb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void emu_jb_indent(struct jbuf *b, int level)
{
    if (!b->pretty || !emu_jb_reserve(b, 1 + 2 * (size_t)level))
        return;
    b->p[b->len++] = '\n';
    memset(b->p + b->len, ' ', 2 * (size_t)level);
    b->len += 2 * (size_t)level;
    b->p[b->len] = '\0';
}

void emu_jb_key(struct jbuf *b, const char *key)
{
    emu_jb_str(b, key, strlen(key));
    emu_jb_add(b, b->pretty ? ": " : ":", b->pretty ? 2 : 1);
}

/* 1: always escaped; 2: escaped only in API output (Google's front end writes
 * < > & = as \u003c \u003e \u0026 \u003d, which clients must decode). */
static const unsigned char esc_class[256] = {
    [0 ... 31] = 1, ['"'] = 1, ['\\'] = 1, ['<'] = 2, ['>'] = 2, ['&'] = 2, ['='] = 2,
};

char *emu_jb_str_fast(char *o, const char *s, size_t n, bool html)
{
    static const char hex[] = "0123456789abcdef";
    unsigned lim = html ? 3 : 2; /* classes below lim are escaped (besides 0) */
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n) {
            unsigned c = esc_class[(unsigned char)s[j]];
            if (c != 0 && c < lim)
                break;
            j++;
        }
        memcpy(o, s + i, j - i);
        o += j - i;
        if (j == n)
            break;
        unsigned char c = (unsigned char)s[j];
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        i = j + 1;
    }
    *o++ = '"';
    return o;
}

void emu_jb_str(struct jbuf *b, const char *s, size_t n)
{
    if (!emu_jb_reserve(b, 6 * n + 2))
        return;
    char *end = emu_jb_str_fast(b->p + b->len, s, n, b->html);
    b->len = (size_t)(end - b->p);
    b->p[b->len] = '\0';
}

size_t emu_fmt_num(double v, char *out)
{
    if (v == 0)
        return (size_t)snprintf(out, 32, "0");
    if (v == floor(v) && fabs(v) < 1e15) {
        /* Whole numbers, the common case, without printf. */
        char tmp[24];
        size_t i = 0, k = 0;
        long long x = (long long)v;
        unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        do {
            tmp[i++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (x < 0)
            out[k++] = '-';
        while (i)
            out[k++] = tmp[--i];
        out[k] = '\0';
        return k;
    }
    if (!isfinite(v)) /* JSON has no NaN or infinities; never stored */
        return (size_t)snprintf(out, 32, "0");
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            break;
    }
    return (size_t)n;
}

void emu_jb_num(struct jbuf *b, double v)
{
    char tmp[32];
    size_t n = emu_fmt_num(v, tmp);
    emu_jb_add(b, tmp, n);
}

bool emu_parse_num(const char *s, size_t n, double *v)
{
    char tmp[128];
    size_t i = 0;
    if (n == 0 || n >= sizeof tmp)
        return false;
    if (s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i != n)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double x = strtod(tmp, NULL);
    if (!isfinite(x))
        return false;
    *v = x;
    return true;
}

void emu_jb_json(struct jbuf *b, struct json_object *o, int level)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        emu_jb_add(b, "null", 4);
        break;
    case json_type_boolean:
        emu_jb_puts(b, json_object_get_boolean(o) ? "true" : "false");
        break;
    case json_type_int:
        emu_jb_printf(b, "%lld", (long long)json_object_get_int64(o));
        break;
    case json_type_double:
        emu_jb_num(b, json_object_get_double(o));
        break;
    case json_type_string:
        emu_jb_str(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
        break;
    case json_type_array: {
        size_t n = json_object_array_length(o);
        if (n == 0) {
            emu_jb_add(b, "[]", 2);
            break;
        }
        emu_jb_add(b, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                emu_jb_add(b, ",", 1);
            emu_jb_indent(b, level + 1);
            emu_jb_json(b, json_object_array_get_idx(o, i), level + 1);
        }
        emu_jb_indent(b, level);
        emu_jb_add(b, "]", 1);
        break;
    }
    case json_type_object: {
        if (json_object_object_length(o) == 0) {
            emu_jb_add(b, "{}", 2);
            break;
        }
        emu_jb_add(b, "{", 1);
        bool first = true;
        json_object_object_foreach(o, key, val)
        {
            if (!first)
                emu_jb_add(b, ",", 1);
            first = false;
            emu_jb_indent(b, level + 1);
            emu_jb_key(b, key);
            emu_jb_json(b, val, level + 1);
        }
        emu_jb_indent(b, level);
        emu_jb_add(b, "}", 1);
        break;
    }
    }
}

char *emu_jb_steal(struct jbuf *b, size_t *len)
{
    if (b->failed || !emu_jb_reserve(b, 0)) {
        emu_jb_free(b);
        b->failed = false;
        return NULL;
    }
    char *p = b->p;
    *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

#ifndef SHEETSYNC_BUF_H
#define SHEETSYNC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, always NUL-terminated. `max` caps its size (0 = no
 * cap): appends past it fail, so outside input cannot grow it without bound. */
struct buf {
    char *data;
    size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
/* Each returns 0, or -1 when memory or the cap runs out (the buffer is then
 * unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal, quotes included. */
int buf_json_string(struct buf *b, const char *s, size_t n);
/* Appends `s` as one CSV field (RFC 4180): quoted, with quotes doubled, when
 * it holds a comma, a quote or a line break. */
int buf_csv_field(struct buf *b, const char *s);

/* FNV-1a, 64 bits: content hashes of rows and issues (not for security). */
uint64_t buf_hash64(const void *p, size_t n, uint64_t seed);
#define BUF_HASH_SEED 0xcbf29ce484222325ULL

#endif

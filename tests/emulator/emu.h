#ifndef SHEETSYNC_EMU_H
#define SHEETSYNC_EMU_H

/* sheets-emulator: a local stand-in for the Google Sheets API (v4) and
 * Google's OAuth 2 token endpoint, for tests, the demo and benchmarks. The wire
 * format follows the project's Google API reference (docs/google-apis.md); tests/emulator/README.md
 * lists what is emulated and the /_emulator/ test controls.
 *
 * Every exported symbol carries the `emu_` prefix: the executable links the
 * sheetsync_core static library, whose names must not collide with ours. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* ---- jbuf.c: output buffer and JSON writing ---- */

/* A growable output buffer. Appends never fail visibly: on out-of-memory the
 * buffer sets `failed` and ignores further appends; check it once at the end. */
struct jbuf {
    char *p;
    size_t len, cap;
    bool failed;
    bool pretty; /* Google's default prettyPrint=true: 2-space indentation */
    bool html;   /* escape < > & = as \u003c ... like Google's API front end */
};

void emu_jb_init(struct jbuf *b, bool pretty);
void emu_jb_free(struct jbuf *b);
/* Makes room for `extra` more bytes; returns false (and sets failed) on OOM. */
bool emu_jb_reserve(struct jbuf *b, size_t extra);
void emu_jb_add(struct jbuf *b, const void *p, size_t n);
void emu_jb_puts(struct jbuf *b, const char *s);
void emu_jb_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A newline and 2*level spaces when pretty, nothing otherwise. */
void emu_jb_indent(struct jbuf *b, int level);
/* `"key": ` (or `"key":` compact). */
void emu_jb_key(struct jbuf *b, const char *key);
/* A JSON string literal. Room for 6*n+2 bytes must have been reserved when
 * calling the _fast variant. */
void emu_jb_str(struct jbuf *b, const char *s, size_t n);
char *emu_jb_str_fast(char *out, const char *s, size_t n, bool html);
void emu_jb_num(struct jbuf *b, double v);
/* Serializes a json-c value at nesting `level` in Google's layout. */
void emu_jb_json(struct jbuf *b, struct json_object *o, int level);
/* Hands the bytes to the caller (malloc'd, NUL-terminated); the buffer is
 * left empty. Returns NULL when the buffer failed. */
char *emu_jb_steal(struct jbuf *b, size_t *len);

/* Shortest text that reads back as v ("4", "20.5", "1e+21"); returns its
 * length; out must hold 32 bytes. */
size_t emu_fmt_num(double v, char *out);
/* True when s[0..n) is a JSON number (RFC 8259 grammar); sets *v. */
bool emu_parse_num(const char *s, size_t n, double *v);

/* ---- sheet.c: the spreadsheet ---- */

enum emu_ctype { EC_EMPTY, EC_TEXT, EC_NUM, EC_BOOL, EC_RICH };

struct emu_rich;

/* 16 bytes. Text points into the tab's arena and is not NUL-terminated. */
struct emu_cell {
    union {
        const char *s;
        double num; /* EC_NUM; EC_BOOL: 0 or 1 */
        const struct emu_rich *rich;
    } u;
    uint32_t len; /* EC_TEXT */
    uint8_t type;
};

/* A cell given as an object in a JSON workbook: value, display text, formula. */
struct emu_rich {
    struct emu_cell value; /* EC_EMPTY, EC_TEXT, EC_NUM or EC_BOOL */
    const char *formatted, *formula;
    uint32_t flen, formula_len;
    bool date; /* dateTimeRenderOption=FORMATTED_STRING shows `formatted` */
};

struct emu_row {
    struct emu_cell *cells; /* malloc'd; NULL when n == 0 */
    uint32_t n, cap;        /* n: up to the last non-empty cell */
};

struct emu_chunk;

struct emu_tab {
    char *title;
    long sheet_id;
    long row_count, col_count; /* the grid */
    struct emu_row *rows;      /* rows[i] is sheet row i+1; rows past nrows are empty */
    size_t nrows, cap;
    struct emu_chunk *arena; /* text of every cell, freed with the tab */
};

struct emu_book {
    pthread_rwlock_t lock; /* readers: GET; writers: PUT, batchUpdate, load */
    char *id, *title, *locale, *time_zone;
    struct emu_tab **tabs;
    size_t ntabs;
    long next_sheet_id;
};

int emu_book_init(struct emu_book *b, const char *id);
void emu_book_cleanup(struct emu_book *b);
struct emu_tab *emu_tab_new(const char *title, long sheet_id);
void emu_tab_free(struct emu_tab *t);
/* Fills an empty tab from a CSV file (all text unless typed: then JSON
 * numbers become numbers and TRUE/FALSE booleans). Sets the grid to
 * max(1000, rows) x max(26, widest row). Returns 0 or -1 with err filled. */
int emu_tab_load_csv(struct emu_tab *t, const char *path, bool typed, char *err, size_t errlen);
/* Loads a JSON workbook ({"title","locale","timeZone","sheets":[{"title",
 * "rows":[[...]]}]}) into the empty book b. Returns 0 or -1 with err. */
int emu_book_load_json(struct emu_book *b, struct json_object *doc, char *err, size_t errlen);
/* Appends t to the book (taking it) or replaces the tab of the same title. */
int emu_book_put_tab(struct emu_book *b, struct emu_tab *t);
/* Sheet lookup: exact title first, then ASCII case-insensitive. */
struct emu_tab *emu_book_tab(const struct emu_book *b, const char *name, size_t n);
struct emu_tab *emu_book_tab_by_id(const struct emu_book *b, long sheet_id);
/* The cell at 1-based (row, col), or NULL when empty. */
const struct emu_cell *emu_tab_cell(const struct emu_tab *t, long row, long col);
bool emu_cell_empty(const struct emu_cell *c);
/* Writes one cell (copying text); EC_EMPTY clears. Returns 0 or -1 on OOM. */
int emu_tab_set(struct emu_tab *t, long row, long col, const struct emu_cell *c);
/* Row/column insertion and deletion, 0-based [start, end). No validation. */
int emu_tab_insert_rows(struct emu_tab *t, long start, long count);
void emu_tab_delete_rows(struct emu_tab *t, long start, long end);
int emu_tab_insert_cols(struct emu_tab *t, long start, long count);
void emu_tab_delete_cols(struct emu_tab *t, long start, long end);
size_t emu_tab_cells(const struct emu_tab *t);

/* ---- a1.c: A1 ranges ---- */

struct emu_range {
    struct emu_tab *tab;
    long r1, c1, r2, c2; /* 1-based, inclusive, clamped to the grid */
    long ur2, uc2;       /* r2/c2 before clamping; LONG_MAX when open-ended */
    bool single;         /* written as one cell (`A1`): a write anchor */
};

enum { EMU_A1_OK = 0, EMU_A1_PARSE = -1, EMU_A1_GRID = -2 };

/* Resolves `in` (already percent-decoded) against the book. Returns EMU_A1_OK,
 * EMU_A1_PARSE ("Unable to parse range: <in>") or EMU_A1_GRID; msg receives
 * Google's message for either error. */
int emu_a1_resolve(const struct emu_book *b, const char *in, struct emu_range *out, char *msg,
                   size_t msglen);
/* Appends "Sheet1!A1:B2" (1x1 collapses, name quoted when needed). */
void emu_a1_format(struct jbuf *out, const char *title, long r1, long c1, long r2, long c2);
/* Column letters of 1-based col; returns the length (out holds 8). */
size_t emu_a1_col(long col, char *out);

/* ---- token.c: service-account key and OAuth token endpoint ---- */

struct emu_auth;

enum { EMU_SCOPE_READ = 1, EMU_SCOPE_WRITE = 2 };

struct emu_auth *emu_auth_new(long ttl);
void emu_auth_free(struct emu_auth *a);
/* Fixes token_uri and writes the key file (mode 0600, atomically). */
int emu_auth_write_key(struct emu_auth *a, const char *token_uri, const char *path);
/* Handles the urlencoded token request body: fills *status and a body. */
void emu_auth_token(struct emu_auth *a, const char *body, size_t len, bool pretty, unsigned *status,
                    struct jbuf *out);
/* Checks an access token; returns the EMU_SCOPE_ bits (0 = not valid). */
int emu_auth_check(struct emu_auth *a, const char *token);
void emu_auth_expire_all(struct emu_auth *a);
void emu_auth_stats(struct emu_auth *a, long *issued, long *refused);

/* ---- http.c: the daemon ---- */

struct emu_server;

struct emu_options {
    const char *bind;
    unsigned port;
    unsigned threads;
};

struct emu_server *emu_server_start(struct emu_book *book, struct emu_auth *auth,
                                    const struct emu_options *opt, unsigned *port);
void emu_server_stop(struct emu_server *s);

/* A reply under construction: handlers fill it, http.c sends it. */
struct emu_reply {
    unsigned status;
    struct jbuf body;
    const char *ctype;    /* NULL: application/json; charset=UTF-8 */
    char retry_after[24]; /* a Retry-After header when not empty */
    bool www_auth;        /* add Google's WWW-Authenticate header (401) */
};

/* The Google error envelope. */
void emu_reply_error(struct emu_reply *r, unsigned code, const char *message);
/* The canonical status name and usual message of an HTTP code. */
const char *emu_status_name(unsigned code);
const char *emu_status_message(unsigned code);

/* A parsed request as the API handlers see it. */
struct emu_req {
    const char *method;
    const char *path; /* decoded, without the query */
    const char *body;
    size_t body_len;
    void *conn; /* struct MHD_Connection */
};

/* Query parameter lookup; emu_req_args lists all values of a repeated key. */
const char *emu_req_arg(const struct emu_req *q, const char *key);
size_t emu_req_args(const struct emu_req *q, const char *key, const char **vals, size_t max);
const char *emu_req_header(const struct emu_req *q, const char *key);

/* ---- api.c / meta.c: the Sheets API ---- */

void emu_api_values_get(struct emu_book *b, const struct emu_req *q, const char *id,
                        const char *range, struct emu_reply *r);
void emu_api_values_batch_get(struct emu_book *b, const struct emu_req *q, const char *id,
                              struct emu_reply *r);
void emu_api_values_update(struct emu_book *b, const struct emu_req *q, const char *id,
                           const char *range, struct emu_reply *r);
void emu_api_get(struct emu_book *b, const struct emu_req *q, const char *id, struct emu_reply *r);
void emu_api_batch_update(struct emu_book *b, const struct emu_req *q, const char *id,
                          struct emu_reply *r);

/* Field masks (meta.c): returns 0 and a filtered copy of o, or -1 when the
 * mask is malformed. */
int emu_fields_apply(const char *mask, struct json_object *o, struct json_object **out);

#endif

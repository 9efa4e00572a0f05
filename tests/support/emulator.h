#ifndef SHEETSYNC_TESTS_EMULATOR_H
#define SHEETSYNC_TESTS_EMULATOR_H

/* Running the real sheets-emulator (tests/emulator/README.md) from a test:
 * the built binary is started on port 0 with fork/exec, its port and
 * service-account key file are read back, and it is driven over HTTP with
 * libcurl: its API, its /_emulator/ controls, and writes (PUT values,
 * batchUpdate) with a read-write token. Used by tests/api/test_emulator.c
 * and the sync tests. Functions return 0 / an HTTP status, or -1 with one
 * line in err; they never abort the test themselves. */

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef SHEETSYNC_BINARY_DIR
#define EMU_BINARY SHEETSYNC_BINARY_DIR "/sheets-emulator"
#endif

#define EMU_SCOPE_RO "https://www.googleapis.com/auth/spreadsheets.readonly"
#define EMU_SCOPE_RW "https://www.googleapis.com/auth/spreadsheets"

struct json_object;
struct gauth;

struct emu {
    pid_t pid;
    unsigned port;
    char dir[64];            /* a temporary directory: data, port and key files */
    char base[64];           /* http://127.0.0.1:PORT */
    char key_path[128];      /* the service-account key the emulator wrote */
    struct json_object *key; /* that file, parsed */
    CURL *curl;              /* one handle: the connection is kept alive */
    bool fresh;              /* the next request opens a new connection */
    long timeout_ms;         /* of the next request only; 0 = 10 s */
    struct gauth *writer;    /* a spreadsheets (read-write) token for writes */
    char spreadsheet_id[64]; /* "demo-sheet" */
};

struct emu_resp {
    long status;
    CURLcode rc;
    char *body;
    size_t len;
    char retry_after[32];
    char ctype[128];
    struct json_object *json; /* NULL when the body is not JSON */
};

/* Starts `binary` (NULL: EMU_BINARY) with `flag data_path` (e.g. "--csv",
 * "tests/data/messy.csv"; flag NULL: an empty tab) and the extra arguments
 * (a NULL-terminated list, may be NULL), waiting up to 10 s for its port
 * file. The emulator's stderr goes to /dev/null unless EMU_TEST_VERBOSE is
 * set. On failure e is left stopped and cleaned up. */
int emu_start(struct emu *e, const char *flag, const char *data_path, const char *const *extra,
              char *err, size_t errlen);

/* The same with `text` written to <dir>/data.<kind> first; kind is "csv"
 * or "json" (the flag is --kind). */
int emu_start_text(struct emu *e, const char *kind, const char *text, const char *const *extra,
                   char *err, size_t errlen);

/* SIGTERM, wait, remove the directory, free. Returns 0 when the emulator
 * exited with status 0 (or was not running), -1 otherwise. */
int emu_stop(struct emu *e);

/* One request to base+path; token NULL = no Authorization header; body NULL
 * = no body; ctype NULL = no Content-Type. r is (re)initialised; free it
 * with emu_resp_free. Returns 0 when an HTTP answer arrived. */
int emu_request(struct emu *e, struct emu_resp *r, const char *method, const char *path,
                const char *body, const char *token, const char *ctype);
void emu_resp_free(struct emu_resp *r);

/* A control request to /_emulator/<what> (body JSON or NULL); returns the
 * HTTP status, or -1 when none came. r may be NULL. */
long emu_control(struct emu *e, struct emu_resp *r, const char *method, const char *what,
                 const char *body);

/* Queues `count` failures of `mode` ("status" with `status`, "truncate",
 * "short", "garbage", "reset", "hang") for requests whose path starts with
 * path_prefix (NULL: every /v4/ request); retry_after < 0 sends none.
 * Returns 0 or -1. */
int emu_fail(struct emu *e, const char *mode, int status, int count, long retry_after,
             const char *path_prefix);

/* The values path prefix of one A1 range (decoded, as the emulator's fail
 * filter compares it): "/v4/spreadsheets/demo-sheet/values/<range>". */
void emu_values_path(const struct emu *e, const char *range, char *out, size_t outlen);

/* PUT values (valueInputOption RAW or USER_ENTERED; body a ValueRange JSON)
 * and POST :batchUpdate, with a read-write token (asked for again after a
 * 401, e.g. after /_emulator/expire-tokens). Return the HTTP status, or -1
 * with err; a non-200 answer's body is in err. */
long emu_put_values(struct emu *e, const char *range, const char *input_option, const char *body,
                    char *err, size_t errlen);
long emu_batch_update(struct emu *e, const char *body, char *err, size_t errlen);

/* Structural edits of the tab with sheetId 0: insert or delete `count` rows
 * before/at the 1-based sheet row `row`. */
long emu_insert_rows(struct emu *e, long row, long count, char *err, size_t errlen);
long emu_delete_rows(struct emu *e, long row, long count, char *err, size_t errlen);

/* "a.b.c" through nested objects, as a string; NULL when absent. */
const char *emu_jstr(struct json_object *o, const char *path);

/* A number from GET /_emulator/stats ("tokens_issued", "by_status.429"),
 * -1 when absent. */
long emu_stat(struct emu *e, const char *path);

/* Whole-file helpers: emu_slurp returns the malloc'd, NUL-terminated
 * content (NULL when unreadable); emu_write_file returns 0 or -1. */
char *emu_slurp(const char *path, size_t *len);
int emu_write_file(const char *path, const char *data, size_t len);

#endif

#ifndef SHEETSYNC_NOTIFICATION_H
#define SHEETSYNC_NOTIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The webhook notification of contract §6: one compact JWS signed with
 * HS256, verified here with libjwt 1.10 and the checks libjwt leaves out
 * (docs/pitfalls.md): the token's shape before anything is decoded, the header's
 * `alg` (only HS256: none, HS512, RS256 ... are refused), the algorithm again
 * after decoding, and every claim (aud, iat/exp window, jti, spreadsheet_id,
 * sheet, event, range or change_type).
 *
 * What is refused and how it answers:
 *   400 NOTIFICATION_MALFORMED   not three base64url segments without `=`,
 *                                a header or payload that is not a JSON object
 *   400 NOTIFICATION_BAD_CLAIMS  a claim missing, of the wrong type or out of
 *                                bounds (exp - iat > 600, jti > 128 chars,
 *                                bad range or change_type, ...)
 *   401 NOTIFICATION_BAD_ALG        alg other than HS256
 *   401 NOTIFICATION_BAD_SIGNATURE  HMAC mismatch (wrong secret, truncated)
 *   401 NOTIFICATION_BAD_AUDIENCE   aud absent or not the configured one
 *   401 NOTIFICATION_EXPIRED        exp <= now - 60
 *   401 NOTIFICATION_NOT_YET_VALID  iat > now + 60 (or nbf > now + 60)
 * Claims are only looked at once the signature holds, so a forged token
 * learns nothing but "401". */

#define NOTIFICATION_MIN_SECRET   32  /* bytes; HS256 accepts 1 (docs/pitfalls.md) */
#define NOTIFICATION_MAX_LIFETIME 600 /* seconds, exp - iat */
#define NOTIFICATION_LEEWAY       60  /* seconds of clock skew allowed each way */
#define NOTIFICATION_MAX_JTI      128 /* characters */

enum notification_result {
    NOTIFICATION_OK = 0,
    NOTIFICATION_MALFORMED,
    NOTIFICATION_BAD_CLAIMS,
    NOTIFICATION_BAD_ALG,
    NOTIFICATION_BAD_SIGNATURE,
    NOTIFICATION_BAD_AUDIENCE,
    NOTIFICATION_EXPIRED,
    NOTIFICATION_NOT_YET_VALID,
    NOTIFICATION_INTERNAL, /* out of memory, no usable secret: answer 500 */
};

enum notification_event { NOTIFICATION_EDIT, NOTIFICATION_CHANGE };

/* A verified notification. Strings are owned: notification_cleanup. */
struct notification {
    char *jti;
    char *spreadsheet_id;
    char *sheet;
    enum notification_event event;
    /* edit: the rows of `range`, inclusive; whole_sheet when the range is
     * open-ended (`B:D`, `B7:D`), so no last row is known. */
    long first_row, last_row;
    bool whole_sheet;
    char range[72];       /* edit: the range as sent (at most 64 characters) */
    char change_type[16]; /* change: INSERT_ROW ... OTHER; "" for an edit */
    long long iat, exp;   /* seconds since the epoch */
};

/* What a token is checked against. */
struct notification_key {
    const unsigned char *secret; /* at least NOTIFICATION_MIN_SECRET bytes */
    size_t secret_len;
    const char *audience; /* NULL: "sheetsync" */
};

/* Verifies `token` (len bytes, surrounding ASCII whitespace ignored) at time
 * `now` (injectable for tests; the daemon passes time(NULL)). On
 * NOTIFICATION_OK fills *out (cleanup with notification_cleanup); otherwise
 * *out is zeroed and err holds one line saying what is wrong, which never
 * quotes the token or the secret. */
enum notification_result notification_verify(const char *token, size_t len,
                                             const struct notification_key *key, time_t now,
                                             struct notification *out, char *err, size_t errlen);

void notification_cleanup(struct notification *n);

/* The HTTP status of a result (contract §6): 202 for OK, 400, 401 or 500. */
unsigned notification_http_status(enum notification_result r);

/* A short stable name of a result ("bad_signature"), for problem types,
 * logs and metrics labels. */
const char *notification_result_name(enum notification_result r);

/* True for the change types that alter no cell value (FORMAT, and EDIT,
 * which the edit notification already covers with its range). */
bool notification_change_needs_no_pull(const char *change_type);

#endif

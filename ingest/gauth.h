#ifndef SHEETSYNC_GAUTH_H
#define SHEETSYNC_GAUTH_H

#include <stddef.h>
#include <time.h>

#include "ingest/fetch.h"

/* Service-account OAuth (docs/google-apis.md §4): a key file, an RS256-signed
 * assertion posted to the key's token_uri, and the access token it returns,
 * cached until 60 s before it expires. Signing parses the PEM each time
 * (docs/pitfalls.md), so the token is what is cached. Thread-safe: the worker and
 * the CLI may share one; a refresh holds the lock, so concurrent callers
 * wait for one token request instead of each sending their own.
 *
 * Neither the private key nor a token ever appears in an error message or a
 * log line. */

#define GAUTH_SCOPE_SHEETS_READONLY "https://www.googleapis.com/auth/spreadsheets.readonly"
#define GAUTH_TOKEN_MAX             4096 /* Google's tokens are about 200 bytes */
#define GAUTH_ASSERTION_LIFETIME    3600
#define GAUTH_EXPIRY_MARGIN         60
#define GAUTH_DEFAULT_TIMEOUT_MS    30000

struct gauth_options {
    const char *scope;        /* NULL: GAUTH_SCOPE_SHEETS_READONLY */
    time_t (*now)(void *arg); /* NULL: time(NULL); tests inject a clock */
    void *now_arg;
    struct fetch_options fetch; /* the token request; 0s = 10 s connect, 30 s total, 64 MiB */
};

/* What gauth_token returns besides 0. */
enum {
    GAUTH_ERR = -1,           /* refused, malformed answer: a retry will not help */
    GAUTH_ERR_TRANSIENT = -2, /* network error, 429 or 5xx from the token endpoint */
};

struct gauth;

/* Loads a service-account key file (the caller passes
 * GOOGLE_APPLICATION_CREDENTIALS). Returns NULL with one line in err naming
 * the file: missing or unreadable, not JSON, `type` not "service_account",
 * a missing `private_key`, `client_email`, `token_uri` or `private_key_id`,
 * or a private key that is not an RSA PEM key. o may be NULL. */
struct gauth *gauth_new_from_file(const char *path, const struct gauth_options *o, char *err,
                                  size_t errlen);

/* The same from the file's bytes; `origin` names them in messages. */
struct gauth *gauth_new_from_json(const char *json, size_t len, const char *origin,
                                  const struct gauth_options *o, char *err, size_t errlen);

/* Scrubs the key and the token, then frees. NULL is fine. */
void gauth_free(struct gauth *g);

/* Copies a valid access token into out (GAUTH_TOKEN_MAX bytes), asking the
 * token endpoint when none is cached or the cached one is within
 * GAUTH_EXPIRY_MARGIN of expiring. Returns 0, GAUTH_ERR or
 * GAUTH_ERR_TRANSIENT with one line in err, e.g. "token endpoint refused
 * the assertion: invalid_grant: Invalid JWT Signature.". */
int gauth_token(struct gauth *g, char out[GAUTH_TOKEN_MAX], char *err, size_t errlen);

/* Drops the cached token after the API answered 401. With `token` set, only
 * when that is still the cached one: another thread may have refreshed it
 * already. NULL drops whatever is cached. */
void gauth_invalidate(struct gauth *g, const char *token);

/* Builds the signed assertion for time `now` (malloc'd, caller frees): header
 * {"alg":"RS256","typ":"JWT","kid":<private_key_id>}, claims iss, scope,
 * aud = token_uri, iat = now, exp = now + 3600. Returns 0 or -1 with err.
 * Exposed for tests. */
int gauth_make_assertion(struct gauth *g, time_t now, char **out, char *err, size_t errlen);

/* The key's client_email (the address the sheet must be shared with) and
 * token_uri; owned by g. */
const char *gauth_client_email(const struct gauth *g);
const char *gauth_token_uri(const struct gauth *g);

/* Token requests sent so far (for tests and /metrics). */
unsigned long gauth_token_requests(struct gauth *g);

#endif

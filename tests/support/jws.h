#ifndef SHEETSYNC_TESTS_JWS_H
#define SHEETSYNC_TESTS_JWS_H

/* Building webhook tokens in tests and benchmarks: compact JWS by hand
 * (any header, any payload, signed with HMAC-SHA256 whatever the header
 * says), so malformed and hostile tokens can be made as easily as good
 * ones. Every returned string is malloc'd. */

#include <stddef.h>

/* base64url of n bytes, without padding. */
char *jws_b64url(const void *p, size_t n);

/* b64url(header).b64url(payload).b64url(HMAC-SHA256(secret, those two)). */
char *jws_hs256(const char *header_json, const char *payload_json, const char *secret);

/* The claims of a notification (contract §6). `what` is the range of an
 * edit or the change_type of a change; NULL leaves it out. */
char *jws_claims(const char *aud, long long iat, long long exp, const char *jti,
                 const char *spreadsheet_id, const char *sheet, const char *event,
                 const char *what);

/* A valid-looking HS256 notification token for `event` at time `now`
 * (iat = now, exp = now + 300, aud "sheetsync"). */
char *jws_notification(const char *secret, long long now, const char *jti,
                       const char *spreadsheet_id, const char *sheet, const char *event,
                       const char *what);

#endif

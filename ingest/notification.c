/* Webhook notification tokens (contract §6), verified in this order:
 *
 *   1. shape: exactly three non-empty base64url segments, no `=` padding,
 *      nothing else (400) -- before any byte is decoded;
 *   2. header: a JSON object whose `alg` is exactly "HS256" (401 otherwise),
 *      `typ` absent or "JWT", no `crit` (400);
 *   3. payload: a JSON object (400);
 *   4. signature: our own HMAC-SHA256 over "header.payload", compared in
 *      constant time (401), then libjwt's jwt_decode with the secret -- never
 *      NULL, which would verify nothing -- and jwt_get_alg == HS256 again;
 *   5. claims, which libjwt 1.10 never checks: aud, iat/exp, nbf, jti,
 *      spreadsheet_id, sheet, event, range / change_type.
 *
 * Why our own HMAC before libjwt's: libjwt answers EINVAL for every failure,
 * so it cannot tell a forged token (401) from one it could not parse (400).
 * With the HMAC known good, a libjwt refusal means a parse problem.
 *
 * Claims are read from json-c's parse of the payload bytes the signature
 * covers (strict mode, UTF-8 checked), not through jwt_get_grant: that
 * returns NULL for an array `aud` and converts types silently. */
#include "ingest/notification.h"

#include <errno.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/a1.h"

#define MAX_TEXT_CLAIM 256 /* bytes of spreadsheet_id and sheet */

static const char *const change_types[] = {
    "INSERT_ROW",  "REMOVE_ROW", "INSERT_COLUMN", "REMOVE_COLUMN", "INSERT_GRID",
    "REMOVE_GRID", "FORMAT",     "EDIT",          "OTHER",         NULL,
};

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes n base64url characters (no padding) into a malloc'd buffer with a
 * NUL after the *outlen bytes. Refuses a length of 1 mod 4 and non-zero
 * trailing bits, so each byte string has exactly one encoding. Returns NULL
 * on bad input or no memory (*oom tells which). */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen, bool *oom)
{
    *oom = false;
    if (n % 4 == 1)
        return NULL;
    unsigned char *out = malloc(n / 4 * 3 + 3);
    if (!out) {
        *oom = true;
        return NULL;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0)
            goto bad;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical: leftover bits must be zero */
        goto bad;
    out[o] = '\0';
    *outlen = o;
    return out;
bad:
    free(out);
    return NULL;
}

/* Parses exactly `len` bytes as one JSON object, strictly (no trailing
 * text, valid UTF-8). Returns the object or NULL. */
static json_object *parse_object(const unsigned char *s, size_t len, bool *oom)
{
    *oom = false;
    if (len > INT32_MAX || memchr(s, '\0', len))
        return NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        *oom = true;
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, (const char *)s, (int)len);
    size_t end = o ? json_tokener_get_parse_end(tok) : 0;
    while (o && end < len && (s[end] == ' ' || s[end] == '\t' || s[end] == '\r' || s[end] == '\n'))
        end++;
    if (o && (json_tokener_get_error(tok) != json_tokener_success || end != len ||
              !json_object_is_type(o, json_type_object))) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

static bool text_ok(const char *s, size_t maxbytes)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxbytes)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Code points of a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* A string member, or NULL when absent or not a string. */
static const char *str_member(json_object *o, const char *key, bool *present)
{
    json_object *v = NULL;
    *present = json_object_object_get_ex(o, key, &v) && v;
    return *present && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* An integer member (JSON integer, not a fraction or a string). Returns 1
 * found, 0 absent, -1 present but not an integer in [0, 2^40). */
static int int_member(json_object *o, const char *key, long long *out)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return -1;
    errno = 0;
    int64_t x = json_object_get_int64(v);
    if (errno || x < 0 || x >= (INT64_C(1) << 40))
        return -1;
    *out = (long long)x;
    return 1;
}

static bool audience_matches(json_object *aud, const char *want, bool *malformed)
{
    *malformed = false;
    if (json_object_is_type(aud, json_type_string))
        return strcmp(json_object_get_string(aud), want) == 0;
    if (!json_object_is_type(aud, json_type_array)) {
        *malformed = true;
        return false;
    }
    bool found = false;
    size_t n = json_object_array_length(aud);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(aud, i);
        if (!json_object_is_type(e, json_type_string)) {
            *malformed = true;
            return false;
        }
        if (strcmp(json_object_get_string(e), want) == 0)
            found = true;
    }
    return found;
}

#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        rc = (code);                                                                               \
        goto out;                                                                                  \
    } while (0)

/* Step 5: the claims of a token whose signature holds. */
static enum notification_result check_claims(json_object *claims, const char *audience, time_t now,
                                             struct notification *n, char *err, size_t errlen)
{
    enum notification_result rc = NOTIFICATION_OK;
    bool present, malformed;
    json_object *aud = NULL;

    if (!json_object_object_get_ex(claims, "aud", &aud) || !aud)
        FAIL(NOTIFICATION_BAD_AUDIENCE, "the token has no aud claim");
    if (!audience_matches(aud, audience, &malformed)) {
        if (malformed)
            FAIL(NOTIFICATION_BAD_CLAIMS, "claim aud must be a string or an array of strings");
        FAIL(NOTIFICATION_BAD_AUDIENCE, "claim aud does not name this service's audience");
    }

    int hi = int_member(claims, "iat", &n->iat), he = int_member(claims, "exp", &n->exp);
    if (hi <= 0)
        FAIL(NOTIFICATION_BAD_CLAIMS, "claim iat must be an integer (seconds since the epoch)");
    if (he <= 0)
        FAIL(NOTIFICATION_BAD_CLAIMS, "claim exp must be an integer (seconds since the epoch)");
    if (n->exp <= n->iat)
        FAIL(NOTIFICATION_BAD_CLAIMS, "claim exp must be later than iat");
    if (n->exp - n->iat > NOTIFICATION_MAX_LIFETIME)
        FAIL(NOTIFICATION_BAD_CLAIMS, "the token lives %lld s (exp - iat); at most %d s allowed",
             n->exp - n->iat, NOTIFICATION_MAX_LIFETIME);
    if (n->iat > (long long)now + NOTIFICATION_LEEWAY)
        FAIL(NOTIFICATION_NOT_YET_VALID, "the token is issued %lld s in the future (iat)",
             n->iat - (long long)now);
    if (n->exp <= (long long)now - NOTIFICATION_LEEWAY)
        FAIL(NOTIFICATION_EXPIRED, "the token expired %lld s ago (exp)", (long long)now - n->exp);
    long long nbf;
    int hn = int_member(claims, "nbf", &nbf);
    if (hn < 0)
        FAIL(NOTIFICATION_BAD_CLAIMS, "claim nbf must be an integer (seconds since the epoch)");
    if (hn > 0 && nbf > (long long)now + NOTIFICATION_LEEWAY)
        FAIL(NOTIFICATION_NOT_YET_VALID, "the token is not valid before %lld s from now (nbf)",
             nbf - (long long)now);

    const char *jti = str_member(claims, "jti", &present);
    if (!jti)
        FAIL(NOTIFICATION_BAD_CLAIMS,
             present ? "claim jti must be a string" : "claim jti is missing");
    if (!text_ok(jti, 4 * NOTIFICATION_MAX_JTI) || utf8_chars(jti) > NOTIFICATION_MAX_JTI)
        FAIL(NOTIFICATION_BAD_CLAIMS,
             "claim jti must be 1 to %d characters without control characters",
             NOTIFICATION_MAX_JTI);
    const char *sid = str_member(claims, "spreadsheet_id", &present);
    if (!sid || !text_ok(sid, MAX_TEXT_CLAIM))
        FAIL(NOTIFICATION_BAD_CLAIMS, present ? "claim spreadsheet_id must be a non-empty string"
                                              : "claim spreadsheet_id is missing");
    const char *sheet = str_member(claims, "sheet", &present);
    if (!sheet || !text_ok(sheet, MAX_TEXT_CLAIM))
        FAIL(NOTIFICATION_BAD_CLAIMS,
             present ? "claim sheet must be a non-empty tab name" : "claim sheet is missing");

    const char *event = str_member(claims, "event", &present);
    if (event && strcmp(event, "edit") == 0) {
        n->event = NOTIFICATION_EDIT;
        const char *range = str_member(claims, "range", &present);
        struct a1_block b;
        if (!range)
            FAIL(NOTIFICATION_BAD_CLAIMS, "an edit needs a range claim (A1 without sheet name)");
        if (strlen(range) > 64 || a1_parse_block(range, &b))
            FAIL(NOTIFICATION_BAD_CLAIMS,
                 "claim range must be A1 notation without sheet name, like B7 or B7:D9");
        n->first_row = b.first_row;
        n->last_row = b.last_row;
        n->whole_sheet = b.last_row == 0; /* B:D, B7:D: no last row known */
        snprintf(n->range, sizeof n->range, "%s", range);
    } else if (event && strcmp(event, "change") == 0) {
        n->event = NOTIFICATION_CHANGE;
        const char *ct = str_member(claims, "change_type", &present);
        if (!ct)
            FAIL(NOTIFICATION_BAD_CLAIMS, "a change needs a change_type claim");
        size_t i = 0;
        while (change_types[i] && strcmp(change_types[i], ct) != 0)
            i++;
        if (!change_types[i])
            FAIL(NOTIFICATION_BAD_CLAIMS,
                 "claim change_type must be one of INSERT_ROW, REMOVE_ROW, INSERT_COLUMN, "
                 "REMOVE_COLUMN, INSERT_GRID, REMOVE_GRID, FORMAT, EDIT, OTHER");
        snprintf(n->change_type, sizeof n->change_type, "%s", change_types[i]);
    } else {
        FAIL(NOTIFICATION_BAD_CLAIMS, "claim event must be \"edit\" or \"change\"");
    }

    n->jti = strdup(jti);
    n->spreadsheet_id = strdup(sid);
    n->sheet = strdup(sheet);
    if (!n->jti || !n->spreadsheet_id || !n->sheet)
        FAIL(NOTIFICATION_INTERNAL, "out of memory");
out:
    return rc;
}

enum notification_result notification_verify(const char *token, size_t len,
                                             const struct notification_key *key, time_t now,
                                             struct notification *out, char *err, size_t errlen)
{
    enum notification_result rc = NOTIFICATION_OK;
    unsigned char *hbytes = NULL, *pbytes = NULL, *sig = NULL;
    json_object *header = NULL, *claims = NULL;
    char *copy = NULL;
    jwt_t *jwt = NULL;
    bool oom;
    size_t hlen = 0, plen = 0, slen = 0;

    memset(out, 0, sizeof *out);
    if (!key || !key->secret || key->secret_len < NOTIFICATION_MIN_SECRET ||
        key->secret_len > INT32_MAX)
        FAIL(NOTIFICATION_INTERNAL, "no usable webhook secret (at least %d bytes)",
             NOTIFICATION_MIN_SECRET);
    const char *audience = key->audience ? key->audience : "sheetsync";

    /* 1. Shape, before decoding anything. */
    while (len > 0 && (token[0] == ' ' || token[0] == '\t' || token[0] == '\r' || token[0] == '\n'))
        token++, len--;
    while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t' || token[len - 1] == '\r' ||
                       token[len - 1] == '\n'))
        len--;
    if (len == 0)
        FAIL(NOTIFICATION_MALFORMED, "the body is empty: expected one compact JWS");
    const char *seg[3];
    size_t seglen[3], nseg = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && token[i] != '.') {
            if (token[i] == '=')
                FAIL(NOTIFICATION_MALFORMED,
                     "the token has base64 padding ('='); JWS segments are unpadded base64url");
            if (b64url_value((unsigned char)token[i]) < 0)
                FAIL(NOTIFICATION_MALFORMED,
                     "the token holds a character outside base64url at byte %zu", i);
            continue;
        }
        if (nseg == 3)
            FAIL(NOTIFICATION_MALFORMED, "the token has more than three segments");
        seg[nseg] = token + start;
        seglen[nseg++] = i - start;
        start = i + 1;
    }
    if (nseg != 3)
        FAIL(NOTIFICATION_MALFORMED, "the token has %zu segment%s; a compact JWS has three", nseg,
             nseg == 1 ? "" : "s");
    /* An empty signature is well-formed (alg none has one): the alg and
     * signature checks below refuse it with 401. */
    for (int i = 0; i < 2; i++)
        if (seglen[i] == 0)
            FAIL(NOTIFICATION_MALFORMED, "the token's %s segment is empty",
                 i == 0 ? "header" : "payload");

    /* 2. Header. */
    if (!(hbytes = b64url_decode(seg[0], seglen[0], &hlen, &oom)))
        FAIL(oom ? NOTIFICATION_INTERNAL : NOTIFICATION_MALFORMED,
             "the token's header is not base64url");
    if (!(header = parse_object(hbytes, hlen, &oom)))
        FAIL(oom ? NOTIFICATION_INTERNAL : NOTIFICATION_MALFORMED,
             "the token's header is not a JSON object");
    bool present;
    const char *alg = str_member(header, "alg", &present);
    if (!alg)
        FAIL(NOTIFICATION_MALFORMED,
             present ? "the header's alg must be a string" : "the token's header has no alg");
    if (strcmp(alg, "HS256") != 0)
        FAIL(NOTIFICATION_BAD_ALG, "only alg HS256 is accepted");
    const char *typ = str_member(header, "typ", &present);
    if (present && (!typ || strcmp(typ, "JWT") != 0))
        FAIL(NOTIFICATION_MALFORMED, "the header's typ must be \"JWT\" when present");
    if (json_object_object_get_ex(header, "crit", NULL))
        FAIL(NOTIFICATION_MALFORMED, "the header's crit extensions are not supported");

    /* 3. Payload. */
    if (!(pbytes = b64url_decode(seg[1], seglen[1], &plen, &oom)))
        FAIL(oom ? NOTIFICATION_INTERNAL : NOTIFICATION_MALFORMED,
             "the token's payload is not base64url");
    if (!(claims = parse_object(pbytes, plen, &oom)))
        FAIL(oom ? NOTIFICATION_INTERNAL : NOTIFICATION_MALFORMED,
             "the token's payload is not a JSON object");

    /* 4. Signature: ours, then libjwt's. */
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!(sig = b64url_decode(seg[2], seglen[2], &slen, &oom)) && oom)
        FAIL(NOTIFICATION_INTERNAL, "out of memory");
    if (!HMAC(EVP_sha256(), key->secret, (int)key->secret_len, (const unsigned char *)token,
              seglen[0] + 1 + seglen[1], mac, &maclen))
        FAIL(NOTIFICATION_INTERNAL, "HMAC-SHA256 is unavailable");
    if (!sig || slen != maclen || CRYPTO_memcmp(sig, mac, maclen) != 0)
        FAIL(NOTIFICATION_BAD_SIGNATURE, "the token's signature does not verify");
    if (!(copy = strndup(token, len)))
        FAIL(NOTIFICATION_INTERNAL, "out of memory");
    int jrc = jwt_decode(&jwt, copy, key->secret, (int)key->secret_len);
    if (jrc == ENOMEM)
        FAIL(NOTIFICATION_INTERNAL, "out of memory");
    if (jrc != 0 || !jwt)
        FAIL(NOTIFICATION_MALFORMED, "the token cannot be decoded as a JWT");
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) /* algorithm confusion (docs/pitfalls.md) */
        FAIL(NOTIFICATION_BAD_ALG, "only alg HS256 is accepted");

    /* 5. Claims. */
    rc = check_claims(claims, audience, now, out, err, errlen);
out:
    if (rc != NOTIFICATION_OK)
        notification_cleanup(out);
    jwt_free(jwt);
    free(copy);
    free(sig);
    free(hbytes);
    free(pbytes);
    json_object_put(header);
    json_object_put(claims);
    return rc;
}

void notification_cleanup(struct notification *n)
{
    if (!n)
        return;
    free(n->jti);
    free(n->spreadsheet_id);
    free(n->sheet);
    memset(n, 0, sizeof *n);
}

unsigned notification_http_status(enum notification_result r)
{
    switch (r) {
    case NOTIFICATION_OK:
        return 202;
    case NOTIFICATION_MALFORMED:
    case NOTIFICATION_BAD_CLAIMS:
        return 400;
    case NOTIFICATION_BAD_ALG:
    case NOTIFICATION_BAD_SIGNATURE:
    case NOTIFICATION_BAD_AUDIENCE:
    case NOTIFICATION_EXPIRED:
    case NOTIFICATION_NOT_YET_VALID:
        return 401;
    case NOTIFICATION_INTERNAL:
        break;
    }
    return 500;
}

const char *notification_result_name(enum notification_result r)
{
    switch (r) {
    case NOTIFICATION_OK:
        return "ok";
    case NOTIFICATION_MALFORMED:
        return "malformed";
    case NOTIFICATION_BAD_CLAIMS:
        return "bad_claims";
    case NOTIFICATION_BAD_ALG:
        return "bad_alg";
    case NOTIFICATION_BAD_SIGNATURE:
        return "bad_signature";
    case NOTIFICATION_BAD_AUDIENCE:
        return "bad_audience";
    case NOTIFICATION_EXPIRED:
        return "expired";
    case NOTIFICATION_NOT_YET_VALID:
        return "not_yet_valid";
    case NOTIFICATION_INTERNAL:
        break;
    }
    return "internal";
}

bool notification_change_needs_no_pull(const char *change_type)
{
    return strcmp(change_type, "FORMAT") == 0 || strcmp(change_type, "EDIT") == 0;
}

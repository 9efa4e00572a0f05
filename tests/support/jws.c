#include "tests/support/jws.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *jws_b64url(const void *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *s = p;
    char *out = malloc(n / 3 * 4 + 5), *o = out;
    if (!out)
        return NULL;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        *o++ = a[v >> 18], *o++ = a[v >> 12 & 63], *o++ = a[v >> 6 & 63], *o++ = a[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)s[i] << 16;
        *o++ = a[v >> 18], *o++ = a[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8;
        *o++ = a[v >> 18], *o++ = a[v >> 12 & 63], *o++ = a[v >> 6 & 63];
    }
    *o = '\0';
    return out;
}

char *jws_hs256(const char *header_json, const char *payload_json, const char *secret)
{
    char *h = jws_b64url(header_json, strlen(header_json));
    char *p = jws_b64url(payload_json, strlen(payload_json));
    size_t n = strlen(h) + strlen(p) + 2;
    char *input = malloc(n);
    snprintf(input, n, "%s.%s", h, p);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)input, strlen(input),
         mac, &maclen);
    char *sig = jws_b64url(mac, maclen);
    size_t tn = n + strlen(sig) + 1;
    char *tok = malloc(tn);
    snprintf(tok, tn, "%s.%s", input, sig);
    free(h);
    free(p);
    free(input);
    free(sig);
    return tok;
}

char *jws_claims(const char *aud, long long iat, long long exp, const char *jti,
                 const char *spreadsheet_id, const char *sheet, const char *event, const char *what)
{
    char *out = malloc(4096);
    int n = snprintf(out, 4096, "{\"aud\":\"%s\",\"iat\":%lld,\"exp\":%lld", aud, iat, exp);
    if (jti)
        n += snprintf(out + n, 4096 - (size_t)n, ",\"jti\":\"%s\"", jti);
    n += snprintf(out + n, 4096 - (size_t)n,
                  ",\"spreadsheet_id\":\"%s\",\"sheet\":\"%s\",\"event\":\"%s\"", spreadsheet_id,
                  sheet, event);
    if (what)
        n += snprintf(out + n, 4096 - (size_t)n, ",\"%s\":\"%s\"",
                      strcmp(event, "edit") == 0 ? "range" : "change_type", what);
    snprintf(out + n, 4096 - (size_t)n, "}");
    return out;
}

char *jws_notification(const char *secret, long long now, const char *jti,
                       const char *spreadsheet_id, const char *sheet, const char *event,
                       const char *what)
{
    char *claims = jws_claims("sheetsync", now, now + 300, jti, spreadsheet_id, sheet, event, what);
    char *tok = jws_hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims, secret);
    free(claims);
    return tok;
}

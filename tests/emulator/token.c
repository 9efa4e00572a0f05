/* The service account and Google's OAuth 2 token endpoint (docs/google-apis.md §4).
 *
 * At start an RSA-2048 key is generated and written out as a service-account
 * key file. POST /token verifies the client's RS256 assertion against the
 * public half and hands out access tokens. Tokens are self-validating, so no
 * table of them is kept: "ya29." + base64url(generation, expiry, scopes,
 * random, HMAC-SHA256 over those). /_emulator/expire-tokens bumps the
 * generation, which invalidates every token issued before. */
#include "tests/emulator/emu.h"

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/log.h"

#define SCOPE_PREFIX  "https://www.googleapis.com/auth/"
#define PAYLOAD_LEN   24
#define MAC_LEN       24
#define TOKEN_PREFIX  "ya29."
#define TOKEN_B64_LEN 64 /* (PAYLOAD_LEN + MAC_LEN) * 4 / 3 */
#define MAX_LIFETIME  3600
#define CLOCK_SKEW    60
#define MSG_SHORT_LIVED                                                                            \
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "  \
    "Check your iat and exp values in the JWT claim."

struct emu_auth {
    char *priv_pem, *pub_pem;
    char kid[41];
    char project[32];
    char email[96];
    char client_id[24];
    char token_uri[256];
    unsigned char mac_key[32];
    long ttl;
    _Atomic uint32_t generation;
    atomic_long issued, refused;
};

static char *bio_string(BIO *bio)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

struct emu_auth *emu_auth_new(long ttl)
{
    struct emu_auth *a = calloc(1, sizeof *a);
    EVP_PKEY *pkey = NULL;
    BIO *priv = NULL, *pub = NULL;
    if (!a)
        return NULL;
    a->ttl = ttl;
    pkey = EVP_RSA_gen(2048);
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
    if (!pkey || !priv || !pub)
        goto fail;
    /* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), as Google's
     * key files hold. */
    if (!PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_PUBKEY(pub, pkey))
        goto fail;
    a->priv_pem = bio_string(priv);
    a->pub_pem = bio_string(pub);
    unsigned char rnd[20], id[20];
    if (!a->priv_pem || !a->pub_pem || RAND_bytes(rnd, sizeof rnd) != 1 ||
        RAND_bytes(id, sizeof id) != 1 || RAND_bytes(a->mac_key, sizeof a->mac_key) != 1)
        goto fail;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(a->kid + 2 * i, 3, "%02x", rnd[i]);
    a->client_id[0] = '1';
    for (size_t i = 0; i < 20; i++)
        a->client_id[1 + i] = (char)('0' + id[i] % 10);
    snprintf(a->project, sizeof a->project, "sheetsync-emulator");
    snprintf(a->email, sizeof a->email, "sheetsync@%s.iam.gserviceaccount.com", a->project);
    EVP_PKEY_free(pkey);
    BIO_free(priv);
    BIO_free(pub);
    return a;
fail:
    EVP_PKEY_free(pkey);
    BIO_free(priv);
    BIO_free(pub);
    emu_auth_free(a);
    return NULL;
}

void emu_auth_free(struct emu_auth *a)
{
    if (!a)
        return;
    if (a->priv_pem)
        OPENSSL_cleanse(a->priv_pem, strlen(a->priv_pem));
    free(a->priv_pem);
    free(a->pub_pem);
    OPENSSL_cleanse(a->mac_key, sizeof a->mac_key);
    free(a);
}

static int add_str(struct json_object *o, const char *k, const char *v)
{
    struct json_object *s = json_object_new_string(v);
    if (!s || json_object_object_add(o, k, s)) {
        json_object_put(s);
        return -1;
    }
    return 0;
}

int emu_auth_write_key(struct emu_auth *a, const char *token_uri, const char *path)
{
    int rc = -1, fd = -1;
    char tmp[4096], x509[256];
    struct jbuf b;
    emu_jb_init(&b, true);
    b.html = false;
    snprintf(a->token_uri, sizeof a->token_uri, "%s", token_uri);
    snprintf(x509, sizeof x509,
             "https://www.googleapis.com/robot/v1/metadata/x509/sheetsync%%40%s"
             ".iam.gserviceaccount.com",
             a->project);
    struct json_object *o = json_object_new_object();
    if (!o || add_str(o, "type", "service_account") || add_str(o, "project_id", a->project) ||
        add_str(o, "private_key_id", a->kid) || add_str(o, "private_key", a->priv_pem) ||
        add_str(o, "client_email", a->email) || add_str(o, "client_id", a->client_id) ||
        add_str(o, "auth_uri", "https://accounts.google.com/o/oauth2/auth") ||
        add_str(o, "token_uri", a->token_uri) ||
        add_str(o, "auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs") ||
        add_str(o, "client_x509_cert_url", x509) || add_str(o, "universe_domain", "googleapis.com"))
        goto out;
    emu_jb_json(&b, o, 0);
    emu_jb_add(&b, "\n", 1);
    if (b.failed)
        goto out;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("%s: %s", tmp, strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < b.len) {
        ssize_t w = write(fd, b.p + off, b.len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            log_error("%s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (close(fd)) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path)) {
        log_error("%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    json_object_put(o);
    if (b.p)
        OPENSSL_cleanse(b.p, b.len);
    emu_jb_free(&b);
    return rc;
}

/* ---- tokens ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[k++] = b64url[v >> 18];
        out[k++] = b64url[(v >> 12) & 63];
        out[k++] = b64url[(v >> 6) & 63];
        out[k++] = b64url[v & 63];
    }
    out[k] = '\0';
}

static bool b64_decode(const char *in, size_t n, unsigned char *out)
{
    for (size_t i = 0; i + 3 < n; i += 4) {
        unsigned v = 0;
        for (int j = 0; j < 4; j++) {
            const char *p = memchr(b64url, in[i + (size_t)j], 64);
            if (!p || !in[i + (size_t)j])
                return false;
            v = v << 6 | (unsigned)(p - b64url);
        }
        out[i / 4 * 3] = (unsigned char)(v >> 16);
        out[i / 4 * 3 + 1] = (unsigned char)(v >> 8);
        out[i / 4 * 3 + 2] = (unsigned char)v;
    }
    return true;
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void mac(const struct emu_auth *a, const unsigned char *payload, unsigned char *out)
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), a->mac_key, sizeof a->mac_key, payload, PAYLOAD_LEN, full, &n);
    memcpy(out, full, MAC_LEN);
}

static int issue(struct emu_auth *a, int scopes, char *out)
{
    unsigned char raw[PAYLOAD_LEN + MAC_LEN];
    /* Layout: 11 random bytes (so tokens look random), generation (4),
     * expiry (8), scopes (1). */
    uint32_t gen = atomic_load(&a->generation);
    if (RAND_bytes(raw, 11) != 1)
        return -1;
    raw[11] = (unsigned char)(gen >> 24);
    raw[12] = (unsigned char)(gen >> 16);
    raw[13] = (unsigned char)(gen >> 8);
    raw[14] = (unsigned char)gen;
    put_u64(raw + 15, (uint64_t)(time(NULL) + a->ttl));
    raw[23] = (unsigned char)scopes;
    mac(a, raw, raw + PAYLOAD_LEN);
    memcpy(out, TOKEN_PREFIX, 5);
    b64_encode(raw, sizeof raw, out + 5);
    return 0;
}

int emu_auth_check(struct emu_auth *a, const char *token)
{
    unsigned char raw[PAYLOAD_LEN + MAC_LEN], want[MAC_LEN];
    if (!token || strncmp(token, TOKEN_PREFIX, 5) || strlen(token + 5) != TOKEN_B64_LEN ||
        !b64_decode(token + 5, TOKEN_B64_LEN, raw))
        return 0;
    mac(a, raw, want);
    if (CRYPTO_memcmp(want, raw + PAYLOAD_LEN, MAC_LEN))
        return 0;
    uint32_t gen =
        (uint32_t)raw[11] << 24 | (uint32_t)raw[12] << 16 | (uint32_t)raw[13] << 8 | raw[14];
    if (gen != atomic_load(&a->generation) || get_u64(raw + 15) <= (uint64_t)time(NULL))
        return 0;
    return raw[23];
}

void emu_auth_expire_all(struct emu_auth *a)
{
    atomic_fetch_add(&a->generation, 1);
}

void emu_auth_stats(struct emu_auth *a, long *issued, long *refused)
{
    *issued = atomic_load(&a->issued);
    *refused = atomic_load(&a->refused);
}

/* ---- the token endpoint ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded: the decoded value of `key`, malloc'd. */
static char *form_value(const char *body, size_t len, const char *key)
{
    size_t klen = strlen(key);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(e - p));
        if (eq && (size_t)(eq - p) == klen && memcmp(p, key, klen) == 0) {
            char *v = malloc((size_t)(e - eq));
            if (!v)
                return NULL;
            size_t k = 0;
            for (const char *s = eq + 1; s < e; s++) {
                if (*s == '+') {
                    v[k++] = ' ';
                } else if (*s == '%' && e - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
                    v[k++] = (char)(hexval(s[1]) * 16 + hexval(s[2]));
                    s += 2;
                } else {
                    v[k++] = *s;
                }
            }
            v[k] = '\0';
            return v;
        }
        p = e + 1;
    }
    return NULL;
}

static void oauth_error(struct emu_auth *a, unsigned *status, struct jbuf *out, const char *err,
                        const char *desc)
{
    atomic_fetch_add(&a->refused, 1);
    *status = 400;
    emu_jb_add(out, "{", 1);
    emu_jb_indent(out, 1);
    emu_jb_key(out, "error");
    emu_jb_str(out, err, strlen(err));
    emu_jb_add(out, ",", 1);
    emu_jb_indent(out, 1);
    emu_jb_key(out, "error_description");
    emu_jb_str(out, desc, strlen(desc));
    emu_jb_indent(out, 0);
    emu_jb_add(out, "}", 1);
}

/* The Sheets access a scope string grants (space-separated scopes). */
static int scope_bits(const char *scope)
{
    static const struct {
        const char *name;
        int bits;
    } known[] = {
        {"spreadsheets", EMU_SCOPE_READ | EMU_SCOPE_WRITE},
        {"spreadsheets.readonly", EMU_SCOPE_READ},
        {"drive", EMU_SCOPE_READ | EMU_SCOPE_WRITE},
        {"drive.readonly", EMU_SCOPE_READ},
    };
    int bits = 0;
    const char *p = scope;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        size_t n = (size_t)(e - p), pl = strlen(SCOPE_PREFIX);
        if (n > pl && strncmp(p, SCOPE_PREFIX, pl) == 0)
            for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
                if (strlen(known[i].name) == n - pl && memcmp(p + pl, known[i].name, n - pl) == 0)
                    bits |= known[i].bits;
        p = e;
    }
    return bits;
}

static bool int_grant(jwt_t *jwt, const char *name, long *v)
{
    errno = 0;
    *v = jwt_get_grant_int(jwt, name);
    return errno == 0;
}

void emu_auth_token(struct emu_auth *a, const char *body, size_t len, bool pretty, unsigned *status,
                    struct jbuf *out)
{
    jwt_t *jwt = NULL;
    char *grant = form_value(body, len, "grant_type");
    char *assertion = form_value(body, len, "assertion");
    out->pretty = pretty;
    out->html = false;
    if (!grant || strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0) {
        char desc[160];
        snprintf(desc, sizeof desc, "Invalid grant_type: %.100s", grant ? grant : "");
        oauth_error(a, status, out, "unsupported_grant_type", desc);
        goto out;
    }
    if (!assertion || !*assertion) {
        oauth_error(a, status, out, "invalid_request", "Missing required parameter: assertion");
        goto out;
    }
    /* Verified with the public key; libjwt would also accept an HS256 token
     * keyed with that PEM text, hence the algorithm check (docs/pitfalls.md). */
    if (jwt_decode(&jwt, assertion, (const unsigned char *)a->pub_pem, (int)strlen(a->pub_pem)) ||
        jwt_get_alg(jwt) != JWT_ALG_RS256) {
        oauth_error(a, status, out, "invalid_grant", "Invalid JWT Signature.");
        goto out;
    }
    const char *kid = jwt_get_header(jwt, "kid"); /* optional, as at Google */
    if (kid && strcmp(kid, a->kid) != 0) {
        oauth_error(a, status, out, "invalid_grant", "Invalid JWT Signature.");
        goto out;
    }
    const char *iss = jwt_get_grant(jwt, "iss");
    if (!iss || strcmp(iss, a->email) != 0) {
        oauth_error(a, status, out, "invalid_grant", "Invalid grant: account not found");
        goto out;
    }
    const char *aud = jwt_get_grant(jwt, "aud");
    if (!aud || strcmp(aud, a->token_uri) != 0) {
        char desc[400];
        snprintf(desc, sizeof desc, "Invalid JWT: Failed audience check. The right audience is %s",
                 a->token_uri);
        oauth_error(a, status, out, "invalid_grant", desc);
        goto out;
    }
    long iat, exp, now = (long)time(NULL);
    if (!int_grant(jwt, "iat", &iat) || !int_grant(jwt, "exp", &exp) || exp <= iat ||
        exp - iat > MAX_LIFETIME || exp <= now || iat > now + CLOCK_SKEW) {
        oauth_error(a, status, out, "invalid_grant", MSG_SHORT_LIVED);
        goto out;
    }
    const char *scope = jwt_get_grant(jwt, "scope");
    if (!scope || !*scope) {
        oauth_error(a, status, out, "invalid_scope", "Empty or missing scope not allowed.");
        goto out;
    }
    /* Like Google, a token is issued for any scope; the Sheets API then
     * answers 403 when it does not cover the call. */
    char token[5 + TOKEN_B64_LEN + 1];
    if (issue(a, scope_bits(scope), token)) {
        *status = 500;
        emu_jb_puts(out, "{\"error\":\"internal_failure\"}");
        goto out;
    }
    atomic_fetch_add(&a->issued, 1);
    *status = 200;
    emu_jb_add(out, "{", 1);
    emu_jb_indent(out, 1);
    emu_jb_key(out, "access_token");
    emu_jb_str(out, token, strlen(token));
    emu_jb_add(out, ",", 1);
    emu_jb_indent(out, 1);
    emu_jb_key(out, "expires_in");
    emu_jb_printf(out, "%ld,", a->ttl);
    emu_jb_indent(out, 1);
    emu_jb_key(out, "token_type");
    emu_jb_str(out, "Bearer", 6);
    emu_jb_indent(out, 0);
    emu_jb_add(out, "}", 1);
out:
    jwt_free(jwt);
    free(grant);
    free(assertion);
}

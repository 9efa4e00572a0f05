#include "ingest/gauth.h"

#include <errno.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"

#define KEY_FILE_MAX (1024 * 1024) /* a key file is about 2.4 KB */

struct gauth {
    char *private_key; /* PEM */
    char *private_key_id;
    char *client_email;
    char *token_uri;
    char *scope;
    time_t (*now)(void *);
    void *now_arg;

    pthread_mutex_t lock; /* guards everything below */
    struct fetch *fetch;
    char token[GAUTH_TOKEN_MAX];
    time_t valid_until; /* token is served while now < valid_until */
    atomic_ulong requests;
};

static void scrub_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* Copies at most n bytes of src into one printable line (control
 * characters become spaces), for messages that quote the server. */
static void one_line(char *dst, size_t dstlen, const char *src, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && src[i] && j + 1 < dstlen; i++)
        dst[j++] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? ' ' : src[i];
    if (dstlen)
        dst[j] = '\0';
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return s && s[0] ? s : NULL;
}

/* An encrypted key would otherwise make OpenSSL prompt on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

static bool pem_is_rsa_key(const char *pem)
{
    bool ok = false;
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
    if (k && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
        ok = true;
    EVP_PKEY_free(k);
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}

static bool only_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

static time_t default_now(void *arg)
{
    (void)arg;
    return time(NULL);
}

struct gauth *gauth_new_from_json(const char *json, size_t len, const char *origin,
                                  const struct gauth_options *o, char *err, size_t errlen)
{
    struct gauth *g = NULL;
    json_object *root = NULL;
    json_tokener *tok = NULL;
    static const char *const required[] = {"private_key", "client_email", "token_uri",
                                           "private_key_id"};

    if (!origin)
        origin = "service-account key";
    tok = json_tokener_new();
    if (!tok) {
        snprintf(err, errlen, "%s: out of memory", origin);
        goto fail;
    }
    if (len > KEY_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes, not a key file", origin, KEY_FILE_MAX);
        goto fail;
    }
    root = json_tokener_parse_ex(tok, json, (int)len);
    if (!root || json_tokener_get_error(tok) != json_tokener_success ||
        !only_space(json + json_tokener_get_parse_end(tok),
                    len - json_tokener_get_parse_end(tok))) {
        snprintf(err, errlen, "%s: not valid JSON", origin);
        goto fail;
    }
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(err, errlen, "%s: not a JSON object", origin);
        goto fail;
    }
    const char *type = get_string(root, "type");
    if (!type) {
        snprintf(err, errlen, "%s: missing \"type\" (expected \"service_account\")", origin);
        goto fail;
    }
    if (strcmp(type, "service_account") != 0) {
        char shown[64];
        one_line(shown, sizeof shown, type, strlen(type));
        snprintf(err, errlen, "%s: \"type\" is \"%s\", expected \"service_account\"", origin,
                 shown);
        goto fail;
    }
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!get_string(root, required[i])) {
            snprintf(err, errlen, "%s: missing \"%s\"", origin, required[i]);
            goto fail;
        }
    }
    const char *uri = get_string(root, "token_uri");
    if (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0) {
        snprintf(err, errlen, "%s: \"token_uri\" is not an http(s) URL", origin);
        goto fail;
    }
    if (!pem_is_rsa_key(get_string(root, "private_key"))) {
        snprintf(err, errlen, "%s: \"private_key\" is not a PEM-encoded RSA private key", origin);
        goto fail;
    }

    g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "%s: out of memory", origin);
        goto fail;
    }
    pthread_mutex_init(&g->lock, NULL);
    g->private_key = strdup(get_string(root, "private_key"));
    g->private_key_id = strdup(get_string(root, "private_key_id"));
    g->client_email = strdup(get_string(root, "client_email"));
    g->token_uri = strdup(uri);
    g->scope = strdup(o && o->scope ? o->scope : GAUTH_SCOPE_SHEETS_READONLY);
    g->now = o && o->now ? o->now : default_now;
    g->now_arg = o ? o->now_arg : NULL;
    /* The lock is held during a token request: keep it short. */
    struct fetch_options fo = o ? o->fetch : (struct fetch_options){0};
    if (fo.timeout_ms <= 0)
        fo.timeout_ms = GAUTH_DEFAULT_TIMEOUT_MS;
    g->fetch = fetch_new(&fo);
    if (!g->private_key || !g->private_key_id || !g->client_email || !g->token_uri || !g->scope ||
        !g->fetch) {
        snprintf(err, errlen, "%s: out of memory", origin);
        goto fail;
    }
    json_object_put(root);
    json_tokener_free(tok);
    return g;

fail:
    json_object_put(root);
    json_tokener_free(tok);
    gauth_free(g);
    return NULL;
}

struct gauth *gauth_new_from_file(const char *path, const struct gauth_options *o, char *err,
                                  size_t errlen)
{
    struct gauth *g = NULL;
    struct buf b;
    char chunk[4096];
    char origin[512];
    FILE *f = NULL;

    buf_init(&b, KEY_FILE_MAX);
    snprintf(origin, sizeof origin, "service-account key %s", path ? path : "(unset)");
    if (!path || !path[0]) {
        snprintf(err, errlen,
                 "service-account key: no file given (GOOGLE_APPLICATION_CREDENTIALS)");
        goto out;
    }
    f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", origin, strerror(errno));
        goto out;
    }
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, f);
        if (n && buf_append(&b, chunk, n)) {
            snprintf(err, errlen, "%s: larger than %d bytes, not a key file", origin, KEY_FILE_MAX);
            goto out;
        }
        if (n < sizeof chunk) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: %s", origin, strerror(errno));
                goto out;
            }
            break;
        }
    }
    if (b.len == 0) {
        snprintf(err, errlen, "%s: empty file", origin);
        goto out;
    }
    g = gauth_new_from_json(b.data, b.len, origin, o, err, errlen);
out:
    if (f)
        fclose(f);
    if (b.data)
        memset(b.data, 0, b.len);
    memset(chunk, 0, sizeof chunk);
    buf_free(&b);
    return g;
}

void gauth_free(struct gauth *g)
{
    if (!g)
        return;
    scrub_free(g->private_key);
    free(g->private_key_id);
    free(g->client_email);
    free(g->token_uri);
    free(g->scope);
    fetch_free(g->fetch);
    memset(g->token, 0, sizeof g->token);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

const char *gauth_client_email(const struct gauth *g)
{
    return g->client_email;
}

const char *gauth_token_uri(const struct gauth *g)
{
    return g->token_uri;
}

unsigned long gauth_token_requests(struct gauth *g)
{
    return atomic_load(&g->requests);
}

int gauth_make_assertion(struct gauth *g, time_t now, char **out, char *err, size_t errlen)
{
    jwt_t *j = NULL;
    int rc = -1;

    *out = NULL;
    if (jwt_new(&j) != 0) {
        snprintf(err, errlen, "cannot build the token assertion: out of memory");
        goto out;
    }
    if (jwt_set_alg(j, JWT_ALG_RS256, (const unsigned char *)g->private_key,
                    (int)strlen(g->private_key)) != 0) {
        snprintf(err, errlen, "cannot build the token assertion: the private key was refused");
        goto out;
    }
    if (jwt_add_header(j, "kid", g->private_key_id) || jwt_add_grant(j, "iss", g->client_email) ||
        jwt_add_grant(j, "scope", g->scope) || jwt_add_grant(j, "aud", g->token_uri) ||
        jwt_add_grant_int(j, "iat", (long)now) ||
        jwt_add_grant_int(j, "exp", (long)now + GAUTH_ASSERTION_LIFETIME)) {
        snprintf(err, errlen, "cannot build the token assertion: out of memory");
        goto out;
    }
    *out = jwt_encode_str(j);
    if (!*out) {
        snprintf(err, errlen, "cannot sign the token assertion");
        goto out;
    }
    rc = 0;
out:
    jwt_free(j); /* scrubs its copy of the key */
    return rc;
}

/* True for a token that is safe to put in a header: visible ASCII only. */
static bool token_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= GAUTH_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* Asks the token endpoint; called with the lock held. */
static int refresh(struct gauth *g, time_t now, char *err, size_t errlen)
{
    static const char prefix[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    char *assertion = NULL;
    struct buf body;
    struct fetch_response resp = {.retry_after_s = -1};
    json_object *root = NULL;
    char ferr[256];
    int rc = GAUTH_ERR;

    buf_init(&body, 0);
    buf_init(&resp.body, 0);
    if (gauth_make_assertion(g, now, &assertion, err, errlen))
        goto out;
    if (buf_puts(&body, prefix) || buf_puts(&body, assertion)) {
        snprintf(err, errlen, "token request: out of memory");
        goto out;
    }
    atomic_fetch_add(&g->requests, 1);
    int frc = fetch_post(g->fetch, g->token_uri, "application/x-www-form-urlencoded", body.data,
                         body.len, &resp, ferr, sizeof ferr);
    if (frc != 0) {
        snprintf(err, errlen, "token endpoint %s: %s", g->token_uri, ferr);
        rc = frc == FETCH_ERR_NETWORK ? GAUTH_ERR_TRANSIENT : GAUTH_ERR;
        goto out;
    }
    root = json_tokener_parse(resp.body.data ? resp.body.data : "");
    if (resp.status == 400 || resp.status == 401) {
        const char *e = root ? get_string(root, "error") : NULL;
        const char *d = root ? get_string(root, "error_description") : NULL;
        char es[128], ds[512];
        one_line(es, sizeof es, e ? e : "", 127);
        one_line(ds, sizeof ds, d ? d : "", 511);
        if (e && d)
            snprintf(err, errlen, "token endpoint refused the assertion: %s: %s", es, ds);
        else if (e)
            snprintf(err, errlen, "token endpoint refused the assertion: %s", es);
        else
            snprintf(err, errlen, "token endpoint refused the assertion: HTTP %ld", resp.status);
        goto out;
    }
    if (resp.status != 200) {
        snprintf(err, errlen, "token endpoint %s: HTTP %ld", g->token_uri, resp.status);
        if (resp.status == 429 || resp.status >= 500)
            rc = GAUTH_ERR_TRANSIENT;
        goto out;
    }
    const char *tok = root && json_object_is_type(root, json_type_object)
                          ? get_string(root, "access_token")
                          : NULL;
    if (!tok || !token_ok(tok)) {
        snprintf(err, errlen, "token endpoint %s: no usable access_token in the answer",
                 g->token_uri);
        goto out;
    }
    /* Google always sends expires_in (3599); without it assume its fixed
     * one-hour lifetime: a 401 would still invalidate the token. */
    long expires_in = 3600;
    json_object *v;
    if (json_object_object_get_ex(root, "expires_in", &v)) {
        int64_t e = json_object_get_int64(v);
        if (e <= 0 || e > 86400) {
            snprintf(err, errlen, "token endpoint %s: bad expires_in", g->token_uri);
            goto out;
        }
        expires_in = (long)e;
    }
    /* Refresh 60 s early; a very short-lived token is refreshed halfway. */
    long margin = expires_in / 2 < GAUTH_EXPIRY_MARGIN ? expires_in / 2 : GAUTH_EXPIRY_MARGIN;
    memset(g->token, 0, sizeof g->token);
    memcpy(g->token, tok, strlen(tok) + 1);
    g->valid_until = now + expires_in - margin;
    log_debug("gauth: new access token for %s, valid %ld s", g->client_email, expires_in);
    rc = 0;
out:
    json_object_put(root);
    fetch_response_free(&resp);
    if (body.data)
        memset(body.data, 0, body.len);
    buf_free(&body);
    free(assertion);
    return rc;
}

int gauth_token(struct gauth *g, char out[GAUTH_TOKEN_MAX], char *err, size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&g->lock);
    time_t now = g->now(g->now_arg);
    if (!g->token[0] || now >= g->valid_until)
        rc = refresh(g, now, err, errlen);
    if (rc == 0)
        memcpy(out, g->token, strlen(g->token) + 1);
    pthread_mutex_unlock(&g->lock);
    return rc;
}

void gauth_invalidate(struct gauth *g, const char *token)
{
    pthread_mutex_lock(&g->lock);
    if (!token || strcmp(token, g->token) == 0) {
        memset(g->token, 0, sizeof g->token);
        g->valid_until = 0;
    }
    pthread_mutex_unlock(&g->lock);
}

#include <criterion/criterion.h>

#include <jwt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/gauth.h"
#include "tests/support/mockg.h"

#define EMAIL "sheetsync@test-project.iam.gserviceaccount.com"
#define KID   "kid-0123456789abcdef"

static time_t fake_now(void *arg)
{
    return *(time_t *)arg;
}

/* A gauth on a fresh key whose token_uri is `token_uri`, with the clock *now. */
static struct gauth *new_auth(const char *token_uri, time_t *now, char **public_pem)
{
    char *path = mockg_key_file(token_uri, public_pem);
    cr_assert_not_null(path);
    struct gauth_options o = {.now = fake_now, .now_arg = now};
    o.fetch.timeout_ms = 5000;
    char err[512];
    struct gauth *g = gauth_new_from_file(path, &o, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    unlink(path);
    free(path);
    return g;
}

/* Decodes an assertion with the public key and checks everything Google
 * looks at. */
static void check_assertion(const char *assertion, const char *public_pem, const char *aud,
                            time_t iat)
{
    cr_assert_null(strchr(assertion, '='), "base64url without padding");
    jwt_t *j = NULL;
    cr_assert_eq(
        jwt_decode(&j, assertion, (const unsigned char *)public_pem, (int)strlen(public_pem)), 0,
        "the signature verifies with the public key");
    cr_expect_eq(jwt_get_alg(j), JWT_ALG_RS256);
    cr_expect_str_eq(jwt_get_header(j, "alg"), "RS256");
    cr_expect_str_eq(jwt_get_header(j, "typ"), "JWT");
    cr_expect_str_eq(jwt_get_header(j, "kid"), KID);
    cr_expect_str_eq(jwt_get_grant(j, "iss"), EMAIL);
    cr_expect_str_eq(jwt_get_grant(j, "scope"),
                     "https://www.googleapis.com/auth/spreadsheets.readonly");
    cr_expect_str_eq(jwt_get_grant(j, "aud"), aud);
    long i = jwt_get_grant_int(j, "iat"), e = jwt_get_grant_int(j, "exp");
    cr_expect_eq(i, (long)iat);
    cr_expect_eq(e - i, 3600);
    jwt_free(j);
}

Test(gauth, assertion_header_and_claims)
{
    time_t now = 1700000000;
    char *pub = NULL, err[256];
    struct gauth *g = new_auth("https://oauth2.googleapis.com/token", &now, &pub);
    cr_expect_str_eq(gauth_client_email(g), EMAIL);
    cr_expect_str_eq(gauth_token_uri(g), "https://oauth2.googleapis.com/token");

    char *a = NULL;
    cr_assert_eq(gauth_make_assertion(g, now, &a, err, sizeof err), 0, "%s", err);
    check_assertion(a, pub, "https://oauth2.googleapis.com/token", now);

    /* Another key's public half does not verify it. */
    char *other_pub = NULL;
    char *other =
        mockg_key_json("service_account", NULL, EMAIL, "https://x/token", KID, &other_pub);
    jwt_t *j = NULL;
    cr_expect_neq(jwt_decode(&j, a, (const unsigned char *)other_pub, (int)strlen(other_pub)), 0);
    jwt_free(j);

    free(other);
    free(other_pub);
    free(a);
    free(pub);
    gauth_free(g);
}

Test(gauth, token_is_cached_until_60s_before_expiry)
{
    struct mockg *m = mockg_start();
    cr_assert_not_null(m);
    char uri[128], tok[GAUTH_TOKEN_MAX], err[512], *pub = NULL;
    snprintf(uri, sizeof uri, "%s/token", mockg_base_url(m));
    time_t now = 1700000000;
    struct gauth *g = new_auth(uri, &now, &pub);

    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-1");
    cr_expect_eq(mockg_token_requests(m), 1);
    cr_expect_eq(gauth_token_requests(g), 1);

    /* The form Google expects, with an assertion signed at the clock's time. */
    const char *body = mockg_last_token_body(m);
    static const char prefix[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    cr_assert_eq(strncmp(body, prefix, sizeof prefix - 1), 0, "body: %.90s", body);
    check_assertion(body + sizeof prefix - 1, pub, uri, now);

    now += 3539; /* expires_in 3600 - 60 - 1 */
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-1");
    cr_expect_eq(mockg_token_requests(m), 1, "still cached");

    now += 1; /* 60 s before expiry: refresh */
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-2");
    cr_expect_eq(mockg_token_requests(m), 2);

    /* A 401 seen with an older token does not drop the newer one. */
    gauth_invalidate(g, "tok-1");
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-2");
    gauth_invalidate(g, "tok-2");
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-3");
    gauth_invalidate(g, NULL);
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "tok-4");
    cr_expect_eq(mockg_token_requests(m), 4);

    free(pub);
    gauth_free(g);
    mockg_stop(m);
}

Test(gauth, short_lived_token_is_refreshed_halfway)
{
    struct mockg *m = mockg_start();
    mockg_set_token_expires_in(m, 100);
    char uri[128], tok[GAUTH_TOKEN_MAX], err[512];
    snprintf(uri, sizeof uri, "%s/token", mockg_base_url(m));
    time_t now = 1000;
    struct gauth *g = new_auth(uri, &now, NULL);
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    now += 49;
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_eq(mockg_token_requests(m), 1);
    now += 1;
    cr_assert_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_eq(mockg_token_requests(m), 2);
    gauth_free(g);
    mockg_stop(m);
}

Test(gauth, refused_assertion_is_reported)
{
    struct mockg *m = mockg_start();
    mockg_set_token_reply(m, 400,
                          "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT: "
                          "Token must be a short-lived token (60 minutes) and in a reasonable "
                          "timeframe. Check your iat and exp values in the JWT claim.\"}");
    char uri[128], tok[GAUTH_TOKEN_MAX] = "unchanged", err[512];
    snprintf(uri, sizeof uri, "%s/token", mockg_base_url(m));
    time_t now = 1000;
    struct gauth *g = new_auth(uri, &now, NULL);
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR);
    cr_expect_str_eq(err, "token endpoint refused the assertion: invalid_grant: Invalid JWT: Token "
                          "must be a short-lived token (60 minutes) and in a reasonable "
                          "timeframe. Check your iat and exp values in the JWT claim.");
    cr_expect_str_eq(tok, "unchanged");

    mockg_set_token_reply(m, 400,
                          "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT "
                          "Signature.\"}");
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR);
    cr_expect_str_eq(err, "token endpoint refused the assertion: invalid_grant: Invalid JWT "
                          "Signature.");

    mockg_set_token_reply(m, 503, "oops");
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR_TRANSIENT);
    cr_expect(strstr(err, "HTTP 503"), "%s", err);

    mockg_set_token_reply(m, 200, "{\"token_type\":\"Bearer\"}");
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR);
    cr_expect(strstr(err, "no usable access_token"), "%s", err);

    mockg_set_token_reply(m, 200, "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"expires_in\":3599}");
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR, "no header injection");

    mockg_set_token_reply(m, 200, "{\"access_token\":\"ya29.ok\",\"expires_in\":3599}");
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(tok, "ya29.ok");
    gauth_free(g);
    mockg_stop(m);
}

Test(gauth, unreachable_token_endpoint_is_transient)
{
    time_t now = 1000;
    struct gauth *g = new_auth("http://127.0.0.1:1/token", &now, NULL);
    char tok[GAUTH_TOKEN_MAX], err[512];
    cr_expect_eq(gauth_token(g, tok, err, sizeof err), GAUTH_ERR_TRANSIENT);
    cr_expect(strstr(err, "token endpoint http://127.0.0.1:1/token: curl: Couldn't connect to "
                          "server"),
              "%s", err);
    gauth_free(g);
}

struct race {
    struct gauth *g;
    int rc;
    char tok[GAUTH_TOKEN_MAX];
};

static void *race_token(void *arg)
{
    struct race *r = arg;
    char err[256];
    r->rc = gauth_token(r->g, r->tok, err, sizeof err);
    return NULL;
}

Test(gauth, concurrent_callers_share_one_token_request)
{
    struct mockg *m = mockg_start();
    char uri[128];
    snprintf(uri, sizeof uri, "%s/token", mockg_base_url(m));
    time_t now = 1000;
    struct gauth *g = new_auth(uri, &now, NULL);
    struct race r[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        r[i] = (struct race){.g = g};
        pthread_create(&t[i], NULL, race_token, &r[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(r[i].rc, 0);
        cr_expect_str_eq(r[i].tok, "tok-1");
    }
    cr_expect_eq(mockg_token_requests(m), 1);
    gauth_free(g);
    mockg_stop(m);
}

/* ---- key files ---- */

struct key_case {
    const char *name;
    char *content; /* NULL: use path as given */
    const char *path;
    const char *want; /* expected substring of the error */
};

Test(gauth, key_file_errors)
{
    char *pub = NULL;
    /* One real key to build the cases from. */
    char *good = mockg_key_json("service_account", NULL, EMAIL,
                                "https://oauth2.googleapis.com/token", KID, &pub);
    const char *pk_start = strstr(good, "-----BEGIN PRIVATE KEY-----");
    cr_assert_not_null(pk_start);
    /* The PEM as it is, unescaped. */
    char pem[4096];
    {
        size_t j = 0;
        for (const char *p = pk_start; *p && *p != '"' && j + 1 < sizeof pem; p++) {
            if (p[0] == '\\' && p[1] == 'n') {
                pem[j++] = '\n';
                p++;
            } else {
                pem[j++] = *p;
            }
        }
        pem[j] = '\0';
    }
    /* A slice of the key's base64 that must never appear in a message. */
    char secret[33];
    memcpy(secret, pem + 40, 32);
    secret[32] = '\0';

    const char *tu = "https://oauth2.googleapis.com/token";
    struct key_case cases[] = {
        {"missing file", NULL, "/nonexistent/dir/key.json", "No such file or directory"},
        {"directory", NULL, "/tmp", "Is a directory"},
        {"empty", strdup(""), NULL, "empty file"},
        {"not JSON", strdup("this is not json"), NULL, "not valid JSON"},
        {"truncated", strndup(good, strlen(good) / 2), NULL, "not valid JSON"},
        {"trailing junk", NULL, NULL, "not valid JSON"},
        {"array", strdup("[1,2]"), NULL, "not a JSON object"},
        {"authorized_user", mockg_key_json("authorized_user", pem, EMAIL, tu, KID, NULL), NULL,
         "\"type\" is \"authorized_user\", expected \"service_account\""},
        {"no type", mockg_key_json(NULL, pem, EMAIL, tu, KID, NULL), NULL, "missing \"type\""},
        {"no private_key", NULL, NULL, "missing \"private_key\""},
        {"no client_email", mockg_key_json("service_account", pem, NULL, tu, KID, NULL), NULL,
         "missing \"client_email\""},
        {"no token_uri", mockg_key_json("service_account", pem, EMAIL, NULL, KID, NULL), NULL,
         "missing \"token_uri\""},
        {"no private_key_id", mockg_key_json("service_account", pem, EMAIL, tu, NULL, NULL), NULL,
         "missing \"private_key_id\""},
        {"ftp token_uri", mockg_key_json("service_account", pem, EMAIL, "ftp://x/token", KID, NULL),
         NULL, "\"token_uri\" is not an http(s) URL"},
        {"bad PEM",
         mockg_key_json("service_account",
                        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
                        EMAIL, tu, KID, NULL),
         NULL, "\"private_key\" is not a PEM-encoded RSA private key"},
        {"cut PEM", NULL, NULL, "\"private_key\" is not a PEM-encoded RSA private key"},
    };
    /* Cases built from the good key by hand. */
    {
        size_t n = strlen(good);
        char *junk = malloc(n + 8);
        memcpy(junk, good, n);
        memcpy(junk + n, "{}", 3);
        cases[5].content = junk;

        /* Without the private_key member at all. */
        char *nopk = mockg_key_json("service_account", "", EMAIL, tu, KID, NULL);
        cases[9].content = nopk;

        char cut[4096];
        snprintf(cut, sizeof cut, "%.*s\n-----END PRIVATE KEY-----\n", 400, pem);
        cases[15].content = mockg_key_json("service_account", cut, EMAIL, tu, KID, NULL);
    }

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct key_case *c = &cases[i];
        char *path = c->content ? mockg_temp_file(c->content) : strdup(c->path);
        cr_assert_not_null(path);
        char err[512] = "";
        struct gauth *g = gauth_new_from_file(path, NULL, err, sizeof err);
        cr_expect_null(g, "%s: accepted", c->name);
        gauth_free(g);
        cr_expect(strstr(err, c->want) != NULL, "%s: \"%s\"", c->name, err);
        cr_expect(strstr(err, path) != NULL, "%s: the message names the file: \"%s\"", c->name,
                  err);
        cr_expect_null(strchr(err, '\n'), "%s: one line", c->name);
        cr_expect_null(strstr(err, "BEGIN"), "%s: no key in \"%s\"", c->name, err);
        cr_expect_null(strstr(err, secret), "%s: no key in \"%s\"", c->name, err);
        if (c->content)
            unlink(path);
        free(path);
        free(c->content);
    }

    /* An unreadable file (root reads everything, so only as a user). */
    if (geteuid() != 0) {
        char *path = mockg_temp_file(good);
        chmod(path, 0);
        char err[512];
        cr_expect_null(gauth_new_from_file(path, NULL, err, sizeof err));
        cr_expect(strstr(err, "Permission denied"), "%s", err);
        unlink(path);
        free(path);
    }

    /* And the good one loads. */
    char *path = mockg_temp_file(good), err[512];
    struct gauth *g = gauth_new_from_file(path, NULL, err, sizeof err);
    cr_expect_not_null(g, "%s", err);
    gauth_free(g);
    char unset[512];
    cr_expect_null(gauth_new_from_file(NULL, NULL, unset, sizeof unset));
    cr_expect(strstr(unset, "GOOGLE_APPLICATION_CREDENTIALS"), "%s", unset);
    unlink(path);
    free(path);
    free(good);
    free(pub);
}

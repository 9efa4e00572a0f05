/* Black-box tests of sheets-emulator: each test starts the built binary on
 * port 0 (fork/exec), reads its port and key file, and talks to it over HTTP
 * with libcurl, exchanging a self-signed RS256 assertion for a token like the
 * real client does. The binary must be built before this test runs. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/gauth.h"
#include "tests/support/emulator.h"

#define SCOPE_RO    EMU_SCOPE_RO
#define SCOPE_RW    EMU_SCOPE_RW
#define JSON_CTYPE  "application/json; charset=UTF-8"
#define SHORT_LIVED "Invalid JWT: Token must be a short-lived token (60 minutes)"

/* The default workbook: ragged rows for trimming, names that need quoting,
 * a small grid, typed cells and a tab for row insertion and deletion. */
static const char workbook[] =
    "{\"title\":\"Fleet\",\"locale\":\"en_GB\",\"timeZone\":\"Europe/Berlin\",\"sheets\":["
    "{\"title\":\"Sheet1\",\"rows\":[[\"h1\",\"h2\",\"h3\"],[\"a\",\"\",\"c\",null,\"\"],[],"
    "[\"\",\"\",\"\",\"d\"],[\"x\"],[],[]]},"
    "{\"title\":\"My Sheet\",\"rows\":[[\"m1\",\"m2\"]]},"
    "{\"title\":\"Jon's Data\",\"rows\":[[\"j\"]]},"
    "{\"title\":\"A1\",\"rows\":[[\"cell-like\"]]},"
    "{\"title\":\"Tiny\",\"rowCount\":5,\"columnCount\":3,\"rows\":[[\"t\"]]},"
    "{\"title\":\"Types\",\"rows\":[[\"Item\",\"Cost\",\"Stocked\",\"Ship Date\"],"
    "[\"Wheel\",20.5,4,{\"v\":45292.5,\"f\":\"1/1/2024 12:00:00\",\"date\":true}],"
    "[\"Flag\",true,false,{\"v\":3,\"formula\":\"=1+2\"}]]},"
    "{\"title\":\"Rows\",\"sheetId\":77,\"rows\":[[\"r1\"],[\"r2\"],[\"r3\"],[\"r4\"],[\"r5\"]]}"
    "]}";

static struct emu E;
static char token_buf[GAUTH_TOKEN_MAX];

/* ---- process ---- */

/* Starts the emulator on `data` (a CSV or a JSON workbook); extra is NULL or
 * one more flag (e.g. "--typed"). */
static void start_with(const char *kind, const char *data, const char *extra)
{
    const char *more[] = {extra, NULL};
    char err[256];
    cr_assert_eq(emu_start_text(&E, kind, data, more, err, sizeof err), 0, "%s", err);
}

static void start_default(void)
{
    start_with("json", workbook, NULL);
}

static void stop(void)
{
    cr_expect_eq(emu_stop(&E), 0, "the emulator did not stop cleanly");
}

/* ---- HTTP ---- */

/* One request; token NULL = no Authorization header. */
static void req(struct emu_resp *r, const char *method, const char *path, const char *body,
                const char *token, const char *ctype)
{
    emu_request(&E, r, method, path, body, token, ctype);
}

static const char *jstr(struct json_object *o, const char *path)
{
    return emu_jstr(o, path);
}
static void assert_json(struct json_object *got, const char *want)
{
    struct json_object *w = json_tokener_parse(want);
    cr_assert(w, "bad expected JSON: %s", want);
    cr_assert(got, "no JSON body");
    cr_expect(json_object_equal(got, w), "got %s\nwant %s",
              json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN), want);
    json_object_put(w);
}

static void assert_error(const struct emu_resp *r, long code, const char *status, const char *msg)
{
    cr_assert_eq(r->status, code, "status %ld, body %s", r->status, r->body);
    cr_expect_str_eq(r->ctype, JSON_CTYPE);
    cr_assert(r->json, "not JSON: %s", r->body);
    cr_expect_eq(json_object_get_int(
                     json_object_object_get(json_object_object_get(r->json, "error"), "code")),
                 code);
    cr_expect_str_eq(jstr(r->json, "error.status"), status);
    if (msg) {
        const char *m = jstr(r->json, "error.message");
        cr_expect(m && strncmp(m, msg, strlen(msg)) == 0, "message %s, want %s", m, msg);
    }
}

/* ---- OAuth ---- */

static const char *key_field(const char *name)
{
    return jstr(E.key, name);
}

struct claims {
    const char *kid, *iss, *aud, *scope;
    long iat, exp;
    const char *pem; /* signing key; NULL = the key file's */
    jwt_alg_t alg;
};

static struct claims good_claims(void)
{
    long now = (long)time(NULL);
    return (struct claims){key_field("private_key_id"),
                           key_field("client_email"),
                           key_field("token_uri"),
                           SCOPE_RO,
                           now,
                           now + 3600,
                           NULL,
                           JWT_ALG_RS256};
}

static char *assertion(const struct claims *c)
{
    jwt_t *j = NULL;
    cr_assert_eq(jwt_new(&j), 0);
    const char *pem = c->pem ? c->pem : key_field("private_key");
    cr_assert_eq(jwt_set_alg(j, c->alg, (const unsigned char *)pem, (int)strlen(pem)), 0);
    if (c->kid)
        cr_assert_eq(jwt_add_header(j, "kid", c->kid), 0);
    if (c->iss)
        jwt_add_grant(j, "iss", c->iss);
    if (c->aud)
        jwt_add_grant(j, "aud", c->aud);
    if (c->scope)
        jwt_add_grant(j, "scope", c->scope);
    jwt_add_grant_int(j, "iat", c->iat);
    jwt_add_grant_int(j, "exp", c->exp);
    char *s = jwt_encode_str(j);
    cr_assert(s);
    jwt_free(j);
    return s;
}

static void exchange(struct emu_resp *r, const char *grant_type, const char *jwt)
{
    char *body = malloc(strlen(jwt) + 200);
    sprintf(body, "grant_type=%s&assertion=%s", grant_type, jwt);
    req(r, "POST", "/token", body, NULL, "application/x-www-form-urlencoded");
    free(body);
}

#define JWT_BEARER "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"

static const char *token_for(const char *scope)
{
    struct claims c = good_claims();
    c.scope = scope;
    char *jwt = assertion(&c);
    struct emu_resp r;
    exchange(&r, JWT_BEARER, jwt);
    free(jwt);
    cr_assert_eq(r.status, 200, "token: %ld %s", r.status, r.body);
    snprintf(token_buf, sizeof token_buf, "%s", jstr(r.json, "access_token"));
    emu_resp_free(&r);
    return token_buf;
}

static void expect_grant_error(const struct claims *c, const char *error, const char *desc)
{
    char *jwt = assertion(c);
    struct emu_resp r;
    exchange(&r, JWT_BEARER, jwt);
    free(jwt);
    cr_expect_eq(r.status, 400, "%s", r.body);
    cr_expect_str_eq(jstr(r.json, "error"), error);
    const char *d = jstr(r.json, "error_description");
    cr_expect(d && strncmp(d, desc, strlen(desc)) == 0, "description %s, want %s", d, desc);
    emu_resp_free(&r);
}

/* A PEM private key that is not the service account's. */
static char *other_key(void)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
    return s;
}

/* The public half of the service account's key, as PEM. */
static char *public_pem(void)
{
    const char *pem = key_field("private_key");
    BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *k = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    PEM_write_bio_PUBKEY(out, k);
    char *data;
    long n = BIO_get_mem_data(out, &data);
    char *s = strndup(data, (size_t)n);
    BIO_free(in);
    BIO_free(out);
    EVP_PKEY_free(k);
    return s;
}

/* ---- Sheets helpers ---- */

static void values(struct emu_resp *r, const char *range, const char *query, const char *token)
{
    char path[2048];
    char *esc = curl_easy_escape(E.curl, range, 0);
    snprintf(path, sizeof path, "/v4/spreadsheets/demo-sheet/values/%s%s%s", esc, query ? "?" : "",
             query ? query : "");
    curl_free(esc);
    req(r, "GET", path, NULL, token, NULL);
}

static void put_values(struct emu_resp *r, const char *range, const char *opt, const char *body,
                       const char *token)
{
    char path[2048];
    char *esc = curl_easy_escape(E.curl, range, 0);
    snprintf(path, sizeof path, "/v4/spreadsheets/demo-sheet/values/%s?valueInputOption=%s", esc,
             opt);
    curl_free(esc);
    req(r, "PUT", path, body, token, "application/json");
}

static void control(struct emu_resp *r, const char *method, const char *what, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/_emulator/%s", what);
    req(r, method, path, body, NULL, body ? "application/json" : NULL);
}

TestSuite(emulator, .init = start_default, .fini = stop, .timeout = 60);

/* ---- key file and token endpoint ---- */

Test(emulator, key_file_is_a_service_account_key)
{
    cr_expect_str_eq(key_field("type"), "service_account");
    cr_expect(strncmp(key_field("private_key"), "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    cr_expect_eq(strlen(key_field("private_key_id")), 40);
    const char *email = key_field("client_email");
    cr_expect(strstr(email, ".iam.gserviceaccount.com") != NULL, "%s", email);
    char uri[128];
    snprintf(uri, sizeof uri, "%s/token", E.base);
    cr_expect_str_eq(key_field("token_uri"), uri);
    cr_expect(key_field("client_id") && key_field("project_id") && key_field("auth_uri"));
}

Test(emulator, token_exchange)
{
    struct claims c = good_claims();
    char *jwt = assertion(&c);
    struct emu_resp r;
    exchange(&r, JWT_BEARER, jwt);
    free(jwt);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect(strncmp(jstr(r.json, "access_token"), "ya29.", 5) == 0);
    cr_expect_str_eq(jstr(r.json, "expires_in"), "3599");
    cr_expect_str_eq(jstr(r.json, "token_type"), "Bearer");
    emu_resp_free(&r);
}

Test(emulator, token_refusals)
{
    struct claims c = good_claims();
    char *pem = other_key();
    c.pem = pem;
    expect_grant_error(&c, "invalid_grant", "Invalid JWT Signature.");
    free(pem);

    /* Algorithm confusion: HS256 keyed with the public key's PEM text. */
    char *pub = public_pem();
    c = good_claims();
    c.pem = pub;
    c.alg = JWT_ALG_HS256;
    expect_grant_error(&c, "invalid_grant", "Invalid JWT Signature.");
    free(pub);

    c = good_claims();
    c.kid = "0123456789abcdef0123456789abcdef01234567";
    expect_grant_error(&c, "invalid_grant", "Invalid JWT Signature.");

    long now = (long)time(NULL);
    c = good_claims();
    c.iat = now - 7200;
    c.exp = now - 3600; /* expired */
    expect_grant_error(&c, "invalid_grant", SHORT_LIVED);
    c = good_claims();
    c.exp = c.iat + 7200; /* longer than an hour */
    expect_grant_error(&c, "invalid_grant", SHORT_LIVED);
    c = good_claims();
    c.iat = now + 600; /* from the future */
    c.exp = now + 1200;
    expect_grant_error(&c, "invalid_grant", SHORT_LIVED);

    c = good_claims();
    c.iss = "someone@else.iam.gserviceaccount.com";
    expect_grant_error(&c, "invalid_grant", "Invalid grant: account not found");
    c = good_claims();
    c.aud = "https://oauth2.googleapis.com/token";
    expect_grant_error(&c, "invalid_grant", "Invalid JWT: Failed audience check");
    c = good_claims();
    c.scope = NULL;
    expect_grant_error(&c, "invalid_scope", "Empty or missing scope not allowed.");

    c = good_claims();
    char *jwt = assertion(&c);
    struct emu_resp r;
    exchange(&r, "client_credentials", jwt);
    free(jwt);
    cr_expect_eq(r.status, 400);
    cr_expect_str_eq(jstr(r.json, "error"), "unsupported_grant_type");
    emu_resp_free(&r);
}

/* ---- authentication of API calls ---- */

Test(emulator, api_needs_a_valid_token)
{
    struct emu_resp r;
    values(&r, "Sheet1!A1", NULL, NULL);
    assert_error(&r, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    /* The envelope byte for byte: pretty-printed with two spaces. */
    cr_expect(strncmp(r.body, "{\n  \"error\": {\n    \"code\": 401,\n    \"message\": ", 46) == 0,
              "%s", r.body);
    cr_expect(strstr(r.body, "\",\n    \"status\": \"UNAUTHENTICATED\"\n  }\n}") != NULL, "%s",
              r.body);
    emu_resp_free(&r);

    values(&r, "Sheet1!A1", NULL, "ya29.forged");
    assert_error(&r, 401, "UNAUTHENTICATED", NULL);
    emu_resp_free(&r);

    const char *tok = token_for(SCOPE_RO);
    values(&r, "Sheet1!A1", NULL, tok);
    cr_expect_eq(r.status, 200, "%s", r.body);
    emu_resp_free(&r);

    control(&r, "POST", "expire-tokens", NULL);
    cr_expect_eq(r.status, 200);
    emu_resp_free(&r);
    values(&r, "Sheet1!A1", NULL, tok);
    assert_error(&r, 401, "UNAUTHENTICATED", NULL);
    emu_resp_free(&r);

    values(&r, "Sheet1!A1", "key=AIzaSyExample", NULL);
    assert_error(&r, 403, "PERMISSION_DENIED", "The caller does not have permission");
    emu_resp_free(&r);
}

Test(emulator, readonly_token_cannot_write)
{
    struct emu_resp r;
    put_values(&r, "Sheet1!A1", "RAW", "{\"values\":[[\"x\"]]}", token_for(SCOPE_RO));
    assert_error(&r, 403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    emu_resp_free(&r);
}

/* ---- spreadsheets.get ---- */

Test(emulator, metadata_with_the_client_field_mask)
{
    struct emu_resp r;
    req(&r, "GET",
        "/v4/spreadsheets/demo-sheet?fields=properties(title,timeZone,locale),sheets.properties("
        "sheetId,title,index,gridProperties(rowCount,columnCount))",
        NULL, token_for(SCOPE_RO), NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.ctype, JSON_CTYPE);
    assert_json(r.json,
                "{\"properties\":{\"title\":\"Fleet\",\"locale\":\"en_GB\",\"timeZone\":"
                "\"Europe/Berlin\"},\"sheets\":["
                "{\"properties\":{\"sheetId\":0,\"title\":\"Sheet1\",\"index\":0,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}},"
                "{\"properties\":{\"sheetId\":1000007919,\"title\":\"My Sheet\",\"index\":1,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}},"
                "{\"properties\":{\"sheetId\":1000015838,\"title\":\"Jon's Data\",\"index\":2,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}},"
                "{\"properties\":{\"sheetId\":1000023757,\"title\":\"A1\",\"index\":3,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}},"
                "{\"properties\":{\"sheetId\":1000031676,\"title\":\"Tiny\",\"index\":4,"
                "\"gridProperties\":{\"rowCount\":5,\"columnCount\":3}}},"
                "{\"properties\":{\"sheetId\":1000039595,\"title\":\"Types\",\"index\":5,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}},"
                "{\"properties\":{\"sheetId\":77,\"title\":\"Rows\",\"index\":6,"
                "\"gridProperties\":{\"rowCount\":1000,\"columnCount\":26}}}]}");
    emu_resp_free(&r);
}

Test(emulator, metadata_without_mask_bad_mask_unknown_id)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    req(&r, "GET", "/v4/spreadsheets/demo-sheet", NULL, tok, NULL);
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(jstr(r.json, "spreadsheetId"), "demo-sheet");
    cr_expect_str_eq(jstr(r.json, "properties.timeZone"), "Europe/Berlin");
    cr_expect_eq(json_object_array_length(json_object_object_get(r.json, "sheets")), 7);
    emu_resp_free(&r);

    req(&r, "GET", "/v4/spreadsheets/demo-sheet?fields=sheets(properties(title)", NULL, tok, NULL);
    assert_error(&r, 400, "INVALID_ARGUMENT", NULL);
    emu_resp_free(&r);

    req(&r, "GET", "/v4/spreadsheets/other-sheet", NULL, tok, NULL);
    assert_error(&r, 404, "NOT_FOUND", "Requested entity was not found.");
    cr_expect_str_eq(r.body, "{\n  \"error\": {\n    \"code\": 404,\n    \"message\": \"Requested "
                             "entity was not found.\",\n    \"status\": \"NOT_FOUND\"\n  }\n}");
    emu_resp_free(&r);
}

/* ---- ranges ---- */

Test(emulator, echoed_ranges)
{
    static const struct {
        const char *in, *echo;
    } cases[] = {
        {"Sheet1", "Sheet1!A1:Z1000"},
        {"Sheet1!A1:B2", "Sheet1!A1:B2"},
        {"Sheet1!A:A", "Sheet1!A1:A1000"},
        {"A:A", "Sheet1!A1:A1000"},
        {"1:1", "Sheet1!A1:Z1"},
        {"Sheet1!1:2", "Sheet1!A1:Z2"},
        {"Sheet1!A2:A", "Sheet1!A2:A1000"},
        {"Sheet1!A5:A", "Sheet1!A5:A1000"},
        {"A1", "Sheet1!A1"},
        {"A1:B2", "Sheet1!A1:B2"},
        {"Sheet1!B3:B3", "Sheet1!B3"},
        {"A1:AA5", "Sheet1!A1:Z5"},
        {"Sheet1!B2:A1", "Sheet1!A1:B2"},
        {"'Sheet1'!A1:B2", "Sheet1!A1:B2"},
        {"'My Sheet'!A:A", "'My Sheet'!A1:A1000"},
        {"My Sheet!A1", "'My Sheet'!A1"},
        {"'Jon''s Data'", "'Jon''s Data'!A1:Z1000"},
        {"'Jon''s Data'!A1:B2", "'Jon''s Data'!A1:B2"},
        {"'A1'!B2", "'A1'!B2"},
        {"Tiny", "Tiny!A1:C5"},
        {"Tiny!A1:Z100", "Tiny!A1:C5"},
        {"Tiny!B:B", "Tiny!B1:B5"},
        {"Tiny!C5", "Tiny!C5"},
    };
    const char *tok = token_for(SCOPE_RO);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct emu_resp r;
        values(&r, cases[i].in, NULL, tok);
        cr_expect_eq(r.status, 200, "%s: %ld %s", cases[i].in, r.status, r.body);
        const char *echo = jstr(r.json, "range");
        cr_expect(echo && strcmp(echo, cases[i].echo) == 0, "%s echoed %s, want %s", cases[i].in,
                  echo, cases[i].echo);
        cr_expect_str_eq(jstr(r.json, "majorDimension"), "ROWS");
        emu_resp_free(&r);
    }
}

Test(emulator, bad_ranges)
{
    static const struct {
        const char *in, *msg;
    } cases[] = {
        {"Sheet1!AA1:AB5",
         "Range (Sheet1!AA1:AB5) exceeds grid limits. Max rows: 1000, max columns: 26"},
        {"Sheet1!A1001",
         "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"},
        {"Tiny!A6:B7", "Range (Tiny!A6:B7) exceeds grid limits. Max rows: 5, max columns: 3"},
        {"Nope!A1", "Unable to parse range: Nope!A1"},
        {"Nope", "Unable to parse range: Nope"},
        {"Sheet1!", "Unable to parse range: Sheet1!"},
        {"Sheet1!A0", "Unable to parse range: Sheet1!A0"},
        {"Sheet1!A1:B2:C3", "Unable to parse range: Sheet1!A1:B2:C3"},
        {"Sheet1!1:A", "Unable to parse range: Sheet1!1:A"},
        {"Sheet1!AAAA1", "Unable to parse range: Sheet1!AAAA1"},
        {"'Sheet1!A1", "Unable to parse range: 'Sheet1!A1"},
    };
    const char *tok = token_for(SCOPE_RO);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct emu_resp r;
        values(&r, cases[i].in, NULL, tok);
        assert_error(&r, 400, "INVALID_ARGUMENT", cases[i].msg);
        emu_resp_free(&r);
    }
}

Test(emulator, trimming)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    values(&r, "Sheet1", "valueRenderOption=UNFORMATTED_VALUE", tok);
    cr_assert_eq(r.status, 200);
    assert_json(r.json, "{\"range\":\"Sheet1!A1:Z1000\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"h1\",\"h2\",\"h3\"],[\"a\",\"\",\"c\"],[],[\"\",\"\",\"\",\"d\"],"
                        "[\"x\"]]}");
    emu_resp_free(&r);

    values(&r, "Sheet1!B2:C3", NULL, tok);
    assert_json(r.json, "{\"range\":\"Sheet1!B2:C3\",\"majorDimension\":\"ROWS\","
                        "\"values\":[[\"\",\"c\"]]}");
    emu_resp_free(&r);

    /* Nothing there: no values key at all. */
    values(&r, "Sheet1!E1:Z3", NULL, tok);
    assert_json(r.json, "{\"range\":\"Sheet1!E1:Z3\",\"majorDimension\":\"ROWS\"}");
    cr_expect(strstr(r.body, "values") == NULL);
    emu_resp_free(&r);

    values(&r, "Sheet1!A1:D4", "majorDimension=COLUMNS", tok);
    assert_json(r.json, "{\"range\":\"Sheet1!A1:D4\",\"majorDimension\":\"COLUMNS\",\"values\":["
                        "[\"h1\",\"a\"],[\"h2\"],[\"h3\",\"c\"],[\"\",\"\",\"\",\"d\"]]}");
    emu_resp_free(&r);
}

Test(emulator, cell_types_and_render_options)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    values(&r, "Types!A1:D3",
           "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER", tok);
    assert_json(r.json, "{\"range\":\"Types!A1:D3\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"Item\",\"Cost\",\"Stocked\",\"Ship Date\"],"
                        "[\"Wheel\",20.5,4,45292.5],[\"Flag\",true,false,3]]}");
    cr_expect(strstr(r.body, "45292.5") != NULL);
    emu_resp_free(&r);

    values(&r, "Types!B2:D3", NULL, tok); /* FORMATTED_VALUE: all strings */
    assert_json(r.json, "{\"range\":\"Types!B2:D3\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"20.5\",\"4\",\"1/1/2024 12:00:00\"],[\"TRUE\",\"FALSE\",\"3\"]]}");
    emu_resp_free(&r);

    values(&r, "Types!D2:D3",
           "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING", tok);
    assert_json(r.json, "{\"range\":\"Types!D2:D3\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"1/1/2024 12:00:00\"],[3]]}");
    emu_resp_free(&r);

    values(&r, "Types!D3", "valueRenderOption=FORMULA", tok);
    assert_json(r.json,
                "{\"range\":\"Types!D3\",\"majorDimension\":\"ROWS\",\"values\":[[\"=1+2\"]]}");
    cr_expect(strstr(r.body, "\\u003d1+2") != NULL, "Google escapes '=': %s", r.body);
    emu_resp_free(&r);
}

Test(emulator, bad_enums)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    values(&r, "Sheet1!A1", "valueRenderOption=RAW", tok);
    assert_error(&r, 400, "INVALID_ARGUMENT", "Invalid value at 'value_render_option' (");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1", "majorDimension=DIAGONAL", tok);
    assert_error(&r, 400, "INVALID_ARGUMENT", "Invalid value at 'major_dimension' (");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1", "dateTimeRenderOption=EPOCH", tok);
    assert_error(&r, 400, "INVALID_ARGUMENT", "Invalid value at 'date_time_render_option' (");
    emu_resp_free(&r);
}

Test(emulator, batch_get_keeps_request_order)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    req(&r, "GET",
        "/v4/spreadsheets/demo-sheet/values:batchGet?ranges=Sheet1%21A5&ranges=%27My%20Sheet%27"
        "%21A1%3AB1&ranges=Sheet1%21A1&ranges=Tiny%21B2&valueRenderOption=UNFORMATTED_VALUE",
        NULL, tok, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    assert_json(r.json,
                "{\"spreadsheetId\":\"demo-sheet\",\"valueRanges\":["
                "{\"range\":\"Sheet1!A5\",\"majorDimension\":\"ROWS\",\"values\":[[\"x\"]]},"
                "{\"range\":\"'My Sheet'!A1:B1\",\"majorDimension\":\"ROWS\","
                "\"values\":[[\"m1\",\"m2\"]]},"
                "{\"range\":\"Sheet1!A1\",\"majorDimension\":\"ROWS\",\"values\":[[\"h1\"]]},"
                "{\"range\":\"Tiny!B2\",\"majorDimension\":\"ROWS\"}]}");
    emu_resp_free(&r);

    req(&r, "GET",
        "/v4/spreadsheets/demo-sheet/values:batchGet?ranges=Sheet1%21A1&ranges=Nope%21A1", NULL,
        tok, NULL);
    assert_error(&r, 400, "INVALID_ARGUMENT", "Unable to parse range: Nope!A1");
    emu_resp_free(&r);
}

/* ---- writes ---- */

Test(emulator, put_then_get)
{
    const char *tok = token_for(SCOPE_RW);
    struct emu_resp r;
    put_values(&r, "Sheet1!E2", "USER_ENTERED",
               "{\"range\":\"Sheet1!E2\",\"majorDimension\":\"ROWS\",\"values\":[[\"5\",\"x\"],"
               "[\"TRUE\",\"'7\",2.5]]}",
               tok);
    cr_assert_eq(r.status, 200, "%s", r.body);
    assert_json(r.json, "{\"spreadsheetId\":\"demo-sheet\",\"updatedRange\":\"Sheet1!E2:G3\","
                        "\"updatedRows\":2,\"updatedColumns\":3,\"updatedCells\":5}");
    emu_resp_free(&r);
    values(&r, "Sheet1!E2:G3", "valueRenderOption=UNFORMATTED_VALUE", tok);
    assert_json(r.json, "{\"range\":\"Sheet1!E2:G3\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[5,\"x\"],[true,\"7\",2.5]]}");
    emu_resp_free(&r);

    put_values(&r, "Sheet1!E2", "RAW", "{\"values\":[[\"5\"]]}", tok);
    cr_assert_eq(r.status, 200);
    emu_resp_free(&r);
    values(&r, "Sheet1!E2", "valueRenderOption=UNFORMATTED_VALUE", tok);
    assert_json(r.json,
                "{\"range\":\"Sheet1!E2\",\"majorDimension\":\"ROWS\",\"values\":[[\"5\"]]}");
    emu_resp_free(&r);

    put_values(&r, "Sheet1!A1:B2", "RAW", "{\"values\":[[1],[2],[3]]}", tok);
    assert_error(&r, 400, "INVALID_ARGUMENT",
                 "Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]");
    emu_resp_free(&r);
    put_values(&r, "Sheet1!A1", "SOMETIMES", "{\"values\":[[1]]}", tok);
    assert_error(&r, 400, "INVALID_ARGUMENT", "Invalid value at 'value_input_option' (");
    emu_resp_free(&r);
}

Test(emulator, insert_and_delete_rows)
{
    const char *tok = token_for(SCOPE_RW);
    struct emu_resp r;
    req(&r, "POST", "/v4/spreadsheets/demo-sheet:batchUpdate",
        "{\"requests\":[{\"insertDimension\":{\"range\":{\"sheetId\":77,\"dimension\":\"ROWS\","
        "\"startIndex\":1,\"endIndex\":3},\"inheritFromBefore\":true}}]}",
        tok, "application/json");
    cr_assert_eq(r.status, 200, "%s", r.body);
    assert_json(r.json, "{\"spreadsheetId\":\"demo-sheet\",\"replies\":[{}]}");
    emu_resp_free(&r);
    values(&r, "Rows!A:A", NULL, tok);
    assert_json(r.json, "{\"range\":\"Rows!A1:A1002\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"r1\"],[],[],[\"r2\"],[\"r3\"],[\"r4\"],[\"r5\"]]}");
    emu_resp_free(&r);

    req(&r, "POST", "/v4/spreadsheets/demo-sheet:batchUpdate",
        "{\"requests\":[{\"deleteDimension\":{\"range\":{\"sheetId\":77,\"dimension\":\"ROWS\","
        "\"startIndex\":0,\"endIndex\":4}}},{\"deleteDimension\":{\"range\":{\"sheetId\":77,"
        "\"dimension\":\"ROWS\",\"startIndex\":1,\"endIndex\":2}}}]}",
        tok, "application/json");
    cr_assert_eq(r.status, 200, "%s", r.body);
    assert_json(r.json, "{\"spreadsheetId\":\"demo-sheet\",\"replies\":[{},{}]}");
    emu_resp_free(&r);
    values(&r, "Rows!A:A", NULL, tok);
    assert_json(r.json, "{\"range\":\"Rows!A1:A997\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"r3\"],[\"r5\"]]}");
    emu_resp_free(&r);

    /* A bad request in the batch: nothing at all is applied. */
    req(&r, "POST", "/v4/spreadsheets/demo-sheet:batchUpdate",
        "{\"requests\":[{\"deleteDimension\":{\"range\":{\"sheetId\":77,\"dimension\":\"ROWS\","
        "\"startIndex\":0,\"endIndex\":1}}},{\"insertDimension\":{\"range\":{\"sheetId\":9,"
        "\"dimension\":\"ROWS\",\"startIndex\":0,\"endIndex\":1}}}]}",
        tok, "application/json");
    assert_error(&r, 400, "INVALID_ARGUMENT",
                 "Invalid requests[1].insertDimension: No grid with id: 9");
    emu_resp_free(&r);
    values(&r, "Rows!A1", NULL, tok);
    assert_json(r.json,
                "{\"range\":\"Rows!A1\",\"majorDimension\":\"ROWS\",\"values\":[[\"r3\"]]}");
    emu_resp_free(&r);
}

/* ---- failure injection and controls ---- */

Test(emulator, injected_429_then_success)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    control(&r, "POST", "fail", "{\"count\":2,\"status\":429,\"retry_after\":7}");
    cr_assert_eq(r.status, 200, "%s", r.body);
    emu_resp_free(&r);
    for (int i = 0; i < 2; i++) {
        values(&r, "Sheet1!A1", NULL, tok);
        assert_error(&r, 429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric");
        cr_expect_str_eq(r.retry_after, "7");
        emu_resp_free(&r);
    }
    values(&r, "Sheet1!A1", NULL, tok);
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.retry_after, "");
    emu_resp_free(&r);

    /* A path filter: the token endpoint fails, the API does not. */
    control(&r, "POST", "fail", "{\"status\":503,\"path\":\"/token\"}");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1", NULL, tok);
    cr_expect_eq(r.status, 200);
    emu_resp_free(&r);
    struct claims c = good_claims();
    char *jwt = assertion(&c);
    exchange(&r, JWT_BEARER, jwt);
    free(jwt);
    cr_expect_eq(r.status, 503);
    emu_resp_free(&r);
}

Test(emulator, injected_broken_answers)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    control(&r, "POST", "fail", "{\"mode\":\"truncate\"}");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1:C2", NULL, tok);
    cr_expect_eq(r.status, 200);
    cr_expect(r.body && !r.json, "truncated JSON parsed: %s", r.body);
    emu_resp_free(&r);

    control(&r, "POST", "fail", "{\"mode\":\"garbage\"}");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1:C2", NULL, tok);
    cr_expect_eq(r.status, 200);
    cr_expect(strncmp(r.ctype, "text/html", 9) == 0);
    cr_expect(!r.json);
    emu_resp_free(&r);

    /* On a new connection one reset is seen as such. */
    control(&r, "POST", "fail", "{\"mode\":\"reset\"}");
    emu_resp_free(&r);
    E.fresh = true;
    values(&r, "Sheet1!A1:C2", NULL, tok);
    cr_expect_eq(r.rc, CURLE_GOT_NOTHING, "curl said %d", r.rc);
    emu_resp_free(&r);
    /* On a reused keep-alive connection libcurl silently retries once on a
     * new one: it takes two resets to see one (README.md). */
    values(&r, "Sheet1!A1", NULL, tok);
    emu_resp_free(&r);
    control(&r, "POST", "fail", "{\"mode\":\"reset\",\"count\":2}");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1:C2", NULL, tok);
    cr_expect_eq(r.rc, CURLE_GOT_NOTHING, "curl said %d", r.rc);
    emu_resp_free(&r);

    control(&r, "POST", "fail", "{\"mode\":\"short\"}");
    emu_resp_free(&r);
    values(&r, "Sheet1!A1:C2", NULL, tok);
    cr_expect_eq(r.rc, CURLE_PARTIAL_FILE, "curl said %d", r.rc);
    emu_resp_free(&r);

    values(&r, "Sheet1!A1", NULL, tok);
    cr_expect_eq(r.status, 200, "the emulator recovers");
    emu_resp_free(&r);
}

Test(emulator, hang_does_not_block_others_or_shutdown)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    control(&r, "POST", "fail", "{\"mode\":\"hang\"}");
    emu_resp_free(&r);
    E.timeout_ms = 500;
    values(&r, "Sheet1!A1", NULL, tok);
    cr_expect_eq(r.rc, CURLE_OPERATION_TIMEDOUT, "curl said %d", r.rc);
    emu_resp_free(&r);
    /* A second client is served meanwhile; the hung connection is still
     * suspended when the fixture stops the emulator, which must exit 0. */
    CURL *other = E.curl;
    E.curl = curl_easy_init();
    for (int i = 0; i < 4; i++) {
        values(&r, "Sheet1!A1", NULL, tok);
        cr_expect_eq(r.status, 200);
        emu_resp_free(&r);
    }
    curl_easy_cleanup(E.curl);
    E.curl = other;
}

Test(emulator, latency)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    control(&r, "POST", "latency", "{\"ms\":300}");
    cr_assert_eq(r.status, 200);
    emu_resp_free(&r);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    values(&r, "Sheet1!A1", NULL, tok);
    clock_gettime(CLOCK_MONOTONIC, &b);
    cr_expect_eq(r.status, 200);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    cr_expect(ms >= 290, "took %.0f ms", ms);
    emu_resp_free(&r);
}

Test(emulator, request_log_and_stats)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    control(&r, "DELETE", "requests", NULL);
    emu_resp_free(&r);
    values(&r, "My Sheet!A1", "valueRenderOption=UNFORMATTED_VALUE", tok);
    emu_resp_free(&r);
    values(&r, "Nope", NULL, tok);
    emu_resp_free(&r);
    control(&r, "GET", "requests", NULL);
    cr_assert_eq(r.status, 200);
    assert_json(r.json, "[{\"method\":\"GET\",\"path\":\"/v4/spreadsheets/demo-sheet/values/My "
                        "Sheet!A1?valueRenderOption=UNFORMATTED_VALUE\",\"status\":200},"
                        "{\"method\":\"GET\",\"path\":\"/v4/spreadsheets/demo-sheet/values/Nope\","
                        "\"status\":400}]");
    emu_resp_free(&r);
    control(&r, "GET", "stats", NULL);
    cr_assert_eq(r.status, 200);
    cr_expect_str_eq(jstr(r.json, "tokens_issued"), "1");
    cr_expect_str_eq(jstr(r.json, "by_status.400"), "1");
    emu_resp_free(&r);
}

Test(emulator, load_replaces_a_tab)
{
    const char *tok = token_for(SCOPE_RO);
    struct emu_resp r;
    req(&r, "POST", "/_emulator/load?sheet=Sheet1", "n,v\r\n1,\"a,b\"\r\n", NULL, "text/csv");
    cr_assert_eq(r.status, 200, "%s", r.body);
    emu_resp_free(&r);
    values(&r, "Sheet1", "valueRenderOption=UNFORMATTED_VALUE", tok);
    assert_json(r.json, "{\"range\":\"Sheet1!A1:Z1000\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"n\",\"v\"],[\"1\",\"a,b\"]]}");
    emu_resp_free(&r);
}

/* ---- CSV sources ---- */

static const char csv[] = "Issue #,Reported Date,Done\n1,45292.5,TRUE\n2,1/2/2024,no\n";

static void start_csv(void)
{
    start_with("csv", csv, NULL);
}

static void start_csv_typed(void)
{
    start_with("csv", csv, "--typed");
}

TestSuite(emulator_csv, .fini = stop, .timeout = 60);

Test(emulator_csv, csv_cells_are_text, .init = start_csv)
{
    struct emu_resp r;
    values(&r, "Issues", "valueRenderOption=UNFORMATTED_VALUE", token_for(SCOPE_RO));
    assert_json(r.json, "{\"range\":\"Issues!A1:Z1000\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[\"Issue #\",\"Reported Date\",\"Done\"],[\"1\",\"45292.5\",\"TRUE\"],"
                        "[\"2\",\"1/2/2024\",\"no\"]]}");
    emu_resp_free(&r);
}

Test(emulator_csv, typed_csv, .init = start_csv_typed)
{
    struct emu_resp r;
    values(&r, "Issues!A2:C3", "valueRenderOption=UNFORMATTED_VALUE", token_for(SCOPE_RO));
    assert_json(r.json, "{\"range\":\"Issues!A2:C3\",\"majorDimension\":\"ROWS\",\"values\":["
                        "[1,45292.5,true],[2,\"1/2/2024\",\"no\"]]}");
    emu_resp_free(&r);
}

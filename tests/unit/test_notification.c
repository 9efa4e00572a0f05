/* Webhook token verification (ingest/notification.c): every refusal of
 * contract §6 with its status, table-driven, plus valid edit and change
 * tokens. Tokens are built by hand (tests/support/jws.c: any header, any
 * payload, HMAC-signed) for the malformed and hostile ones, and with libjwt
 * for interoperability (a real client's HS256, alg none, HS512, RS256). */
#include <criterion/criterion.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/notification.h"
#include "tests/support/jws.h"

#define SECRET "test-secret-0123456789-abcdefghijklmnop"
#define NOW    1700000000LL
#define HS256  "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static const struct notification_key key = {
    .secret = (const unsigned char *)SECRET,
    .secret_len = sizeof SECRET - 1,
    .audience = "sheetsync",
};

static enum notification_result verify(const char *tok, struct notification *n, char *err,
                                       size_t errlen)
{
    return notification_verify(tok, strlen(tok), &key, (time_t)NOW, n, err, errlen);
}

static char *claims_edit(const char *range)
{
    return jws_claims("sheetsync", NOW, NOW + 300, "jti-1", "sheet-abc", "Issues", "edit", range);
}

/* ---- the table ---- */

enum mutation {
    M_NONE,
    M_PAD_PAYLOAD,  /* "=" after the payload segment */
    M_PAD_SIG,      /* "=" after the signature */
    M_TRUNC_SIG,    /* last 3 characters of the signature dropped */
    M_EMPTY_SIG,    /* "header.payload." */
    M_TWO_SEGMENTS, /* "header.payload" */
    M_FOUR_SEGMENTS,
    M_SPACE_INSIDE, /* a space in the middle */
    M_SWAP_PAYLOAD, /* another (valid) payload under the original signature */
};

struct tcase {
    const char *name;
    const char *header;  /* NULL: HS256 */
    const char *payload; /* NULL: a valid edit of B7:D9 */
    const char *secret;  /* NULL: SECRET */
    enum mutation mut;
    const char *raw; /* when set, the token as is */
    enum notification_result want;
    unsigned status;
};

static const struct tcase cases[] = {
    /* shape: 400 before anything is decoded */
    {"garbage", .raw = "hello, world", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"empty body", .raw = "", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"whitespace only", .raw = " \r\n", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"dots only", .raw = "..", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"padded payload", .mut = M_PAD_PAYLOAD, .want = NOTIFICATION_MALFORMED, .status = 400},
    {"padded signature", .mut = M_PAD_SIG, .want = NOTIFICATION_MALFORMED, .status = 400},
    {"empty signature", .mut = M_EMPTY_SIG, .want = NOTIFICATION_BAD_SIGNATURE, .status = 401},
    {"two segments", .mut = M_TWO_SEGMENTS, .want = NOTIFICATION_MALFORMED, .status = 400},
    {"four segments", .mut = M_FOUR_SEGMENTS, .want = NOTIFICATION_MALFORMED, .status = 400},
    {"space inside", .mut = M_SPACE_INSIDE, .want = NOTIFICATION_MALFORMED, .status = 400},
    {"standard base64 characters", .raw = "eyJ+.eyJ/.abc", .want = NOTIFICATION_MALFORMED,
     .status = 400},
    {"header not JSON", .header = "not json", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"header a JSON array", .header = "[\"HS256\"]", .want = NOTIFICATION_MALFORMED, .status = 400},
    {"header without alg", .header = "{\"typ\":\"JWT\"}", .want = NOTIFICATION_MALFORMED,
     .status = 400},
    {"header alg not a string", .header = "{\"alg\":256}", .want = NOTIFICATION_MALFORMED,
     .status = 400},
    {"header typ not JWT", .header = "{\"alg\":\"HS256\",\"typ\":\"JOSE+JSON\"}",
     .want = NOTIFICATION_MALFORMED, .status = 400},
    {"header with crit", .header = "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
     .want = NOTIFICATION_MALFORMED, .status = 400},
    {"payload not JSON", .payload = "not json at all", .want = NOTIFICATION_MALFORMED,
     .status = 400},
    {"payload JSON with trailing text", .payload = "{\"aud\":\"sheetsync\"} x",
     .want = NOTIFICATION_MALFORMED, .status = 400},
    {"payload a JSON string", .payload = "\"sheetsync\"", .want = NOTIFICATION_MALFORMED,
     .status = 400},
    /* algorithm: 401 */
    {"alg none", .header = "{\"alg\":\"none\",\"typ\":\"JWT\"}", .want = NOTIFICATION_BAD_ALG,
     .status = 401},
    {"alg NONE", .header = "{\"alg\":\"NONE\"}", .want = NOTIFICATION_BAD_ALG, .status = 401},
    {"alg hs256 lower case", .header = "{\"alg\":\"hs256\"}", .want = NOTIFICATION_BAD_ALG,
     .status = 401},
    {"alg HS512", .header = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", .want = NOTIFICATION_BAD_ALG,
     .status = 401},
    {"alg RS256 keyed with the secret (confusion)", .header = "{\"alg\":\"RS256\"}",
     .want = NOTIFICATION_BAD_ALG, .status = 401},
    /* signature: 401 */
    {"wrong secret", .secret = "another-secret-of-sufficient-length-000",
     .want = NOTIFICATION_BAD_SIGNATURE, .status = 401},
    {"truncated signature", .mut = M_TRUNC_SIG, .want = NOTIFICATION_BAD_SIGNATURE, .status = 401},
    {"payload swapped after signing", .mut = M_SWAP_PAYLOAD, .want = NOTIFICATION_BAD_SIGNATURE,
     .status = 401},
    /* audience: 401 */
    {"wrong aud",
     .payload = "{\"aud\":\"someone-else\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_AUDIENCE, .status = 401},
    {"aud array without us",
     .payload = "{\"aud\":[\"a\",\"b\"],\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_AUDIENCE, .status = 401},
    {"no aud",
     .payload = "{\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\",\"spreadsheet_id\":\"s\","
                "\"sheet\":\"Issues\",\"event\":\"edit\",\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_AUDIENCE, .status = 401},
    {"aud a number",
     .payload = "{\"aud\":7,\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    /* time: expired / not yet valid 401, malformed 400 */
    {"expired",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1699999000,\"exp\":1699999300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_EXPIRED, .status = 401},
    {"expired exactly 60 s ago",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1699999640,\"exp\":1699999940,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_EXPIRED, .status = 401},
    {"iat in the future",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000061,\"exp\":1700000361,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_NOT_YET_VALID, .status = 401},
    {"nbf in the future",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,"
                "\"nbf\":1700000200,\"jti\":\"a\",\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\","
                "\"event\":\"edit\",\"range\":\"B7\"}",
     .want = NOTIFICATION_NOT_YET_VALID, .status = 401},
    {"lifetime over 600 s",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000601,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"exp before iat",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1699999999,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"iat a string",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":\"1700000000\",\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"exp a fraction",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300.5,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"no exp",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    /* jti */
    {"missing jti",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,"
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"empty jti",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"jti a number",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":42,"
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    /* the other claims */
    {"no spreadsheet_id",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"sheet\":\"Issues\",\"event\":\"edit\",\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"no sheet",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"event\":\"edit\",\"range\":\"B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"unknown event",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"delete\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"edit without range",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"edit range with a sheet name",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"Issues!B7\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"edit range row 0",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B0\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"change without change_type",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"change\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    {"change with an unknown change_type",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000000,\"exp\":1700000300,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"change\","
                "\"change_type\":\"insert_row\"}",
     .want = NOTIFICATION_BAD_CLAIMS, .status = 400},
    /* accepted */
    {"valid edit", .want = NOTIFICATION_OK, .status = 202},
    {"valid with aud array",
     .payload = "{\"aud\":[\"x\",\"sheetsync\"],\"iat\":1700000000,\"exp\":1700000300,"
                "\"jti\":\"a\",\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_OK, .status = 202},
    {"valid without typ", .header = "{\"alg\":\"HS256\"}", .want = NOTIFICATION_OK, .status = 202},
    {"valid expiring within the leeway",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1699999659,\"exp\":1699999959,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_OK, .status = 202},
    {"valid issued 60 s ahead",
     .payload = "{\"aud\":\"sheetsync\",\"iat\":1700000060,\"exp\":1700000660,\"jti\":\"a\","
                "\"spreadsheet_id\":\"s\",\"sheet\":\"Issues\",\"event\":\"edit\","
                "\"range\":\"B7\"}",
     .want = NOTIFICATION_OK, .status = 202},
};

static char *build(const struct tcase *c)
{
    if (c->raw)
        return strdup(c->raw);
    char *payload = c->payload ? strdup(c->payload) : claims_edit("B7:D9");
    char *tok = jws_hs256(c->header ? c->header : HS256, payload, c->secret ? c->secret : SECRET);
    free(payload);
    size_t n = strlen(tok);
    char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.');
    char *out = calloc(1, n + 64);
    switch (c->mut) {
    case M_NONE:
        strcpy(out, tok);
        break;
    case M_PAD_PAYLOAD:
        snprintf(out, n + 64, "%.*s=%s", (int)(dot2 - tok), tok, dot2);
        break;
    case M_PAD_SIG:
        snprintf(out, n + 64, "%s=", tok);
        break;
    case M_TRUNC_SIG:
        snprintf(out, n + 64, "%.*s", (int)n - 3, tok);
        break;
    case M_EMPTY_SIG:
        snprintf(out, n + 64, "%.*s.", (int)(dot2 - tok), tok);
        break;
    case M_TWO_SEGMENTS:
        snprintf(out, n + 64, "%.*s", (int)(dot2 - tok), tok);
        break;
    case M_FOUR_SEGMENTS:
        snprintf(out, n + 64, "%s.%s", tok, dot2 + 1);
        break;
    case M_SPACE_INSIDE:
        snprintf(out, n + 64, "%.*s %s", (int)(dot1 - tok), tok, dot1);
        break;
    case M_SWAP_PAYLOAD: {
        char *claims = claims_edit("A1:Z999");
        char *p = jws_b64url(claims, strlen(claims));
        snprintf(out, n + 64, "%.*s.%s%s", (int)(dot1 - tok), tok, p, dot2);
        free(claims);
        free(p);
        break;
    }
    }
    free(tok);
    return out;
}

Test(notification, refusal_table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tcase *c = &cases[i];
        char *tok = build(c);
        struct notification n;
        char err[512] = "";
        enum notification_result r = verify(tok, &n, err, sizeof err);
        cr_expect_eq(r, c->want, "%s: got %s (%s), wanted %s", c->name, notification_result_name(r),
                     err, notification_result_name(c->want));
        cr_expect_eq(notification_http_status(r), c->status, "%s: status %u", c->name,
                     notification_http_status(r));
        if (r != NOTIFICATION_OK) {
            cr_expect(err[0], "%s: no explanation", c->name);
            cr_expect(!strstr(err, SECRET), "%s: the error quotes the secret", c->name);
            if (strlen(tok) > 8)
                cr_expect(!strstr(err, tok), "%s: the error quotes the token", c->name);
            cr_expect_null(n.jti, "%s: a refusal leaves no claims behind", c->name);
        }
        notification_cleanup(&n);
        free(tok);
    }
}

/* A jti of exactly 128 characters passes, 129 does not; characters, not
 * bytes, are counted. */
Test(notification, jti_length)
{
    char jti[300], *claims, *tok;
    struct notification n;
    char err[256];
    memset(jti, 'x', 128);
    jti[128] = '\0';
    claims = jws_claims("sheetsync", NOW, NOW + 60, jti, "s", "Issues", "edit", "B7");
    tok = jws_hs256(HS256, claims, SECRET);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_OK, "%s", err);
    cr_expect_eq(strlen(n.jti), 128);
    notification_cleanup(&n);
    free(claims), free(tok);

    jti[128] = 'x', jti[129] = '\0';
    claims = jws_claims("sheetsync", NOW, NOW + 60, jti, "s", "Issues", "edit", "B7");
    tok = jws_hs256(HS256, claims, SECRET);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_BAD_CLAIMS);
    cr_expect(strstr(err, "jti"), "%s", err);
    free(claims), free(tok);

    /* 128 two-byte characters: 256 bytes, still 128 characters */
    jti[0] = '\0';
    for (int i = 0; i < 128; i++)
        strcat(jti, "\xc3\xa9");
    claims = jws_claims("sheetsync", NOW, NOW + 60, jti, "s", "Issues", "edit", "B7");
    tok = jws_hs256(HS256, claims, SECRET);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_OK, "%s", err);
    notification_cleanup(&n);
    free(claims), free(tok);
}

Test(notification, valid_edit_and_change)
{
    static const struct {
        const char *event, *what;
        long first, last;
        bool whole;
    } ok[] = {
        {"edit", "B7", 7, 7, false},           {"edit", "B7:D9", 7, 9, false},
        {"edit", "$D$9:b7", 7, 9, false},      {"edit", "7:9", 7, 9, false},
        {"edit", "B:D", 1, 0, true},           {"edit", "B7:D", 7, 0, true},
        {"change", "INSERT_ROW", 0, 0, false}, {"change", "REMOVE_GRID", 0, 0, false},
        {"change", "FORMAT", 0, 0, false},     {"change", "OTHER", 0, 0, false},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char jti[32];
        snprintf(jti, sizeof jti, "jti-%zu", i);
        char *tok =
            jws_notification(SECRET, NOW, jti, "sheet-abc", "My Issues", ok[i].event, ok[i].what);
        struct notification n;
        char err[256];
        cr_assert_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_OK, "%s %s: %s", ok[i].event,
                     ok[i].what, err);
        cr_expect_str_eq(n.jti, jti);
        cr_expect_str_eq(n.spreadsheet_id, "sheet-abc");
        cr_expect_str_eq(n.sheet, "My Issues");
        cr_expect_eq(n.iat, NOW);
        cr_expect_eq(n.exp, NOW + 300);
        if (strcmp(ok[i].event, "edit") == 0) {
            cr_expect_eq(n.event, NOTIFICATION_EDIT);
            cr_expect_eq(n.first_row, ok[i].first, "%s", ok[i].what);
            cr_expect_eq(n.last_row, ok[i].last, "%s", ok[i].what);
            cr_expect_eq(n.whole_sheet, ok[i].whole, "%s", ok[i].what);
            cr_expect_str_eq(n.range, ok[i].what);
        } else {
            cr_expect_eq(n.event, NOTIFICATION_CHANGE);
            cr_expect_str_eq(n.change_type, ok[i].what);
        }
        notification_cleanup(&n);
        free(tok);
    }
    cr_expect(notification_change_needs_no_pull("FORMAT"));
    cr_expect(notification_change_needs_no_pull("EDIT"));
    cr_expect(!notification_change_needs_no_pull("INSERT_ROW"));
    cr_expect(!notification_change_needs_no_pull("OTHER"));
}

/* Whitespace around the token (a trailing newline from curl --data-binary
 * @file) is not part of it. */
Test(notification, surrounding_whitespace)
{
    char *tok = jws_notification(SECRET, NOW, "w", "s", "Issues", "edit", "B7");
    char padded[2048];
    snprintf(padded, sizeof padded, " \r\n%s\r\n", tok);
    struct notification n;
    char err[256];
    cr_expect_eq(verify(padded, &n, err, sizeof err), NOTIFICATION_OK, "%s", err);
    notification_cleanup(&n);
    free(tok);
}

/* ---- libjwt-made tokens: what a real client sends ---- */

static char *libjwt_token(jwt_alg_t alg, const unsigned char *k, int klen)
{
    jwt_t *j = NULL;
    cr_assert_eq(jwt_new(&j), 0);
    cr_assert_eq(jwt_set_alg(j, alg, k, klen), 0);
    jwt_add_grant(j, "aud", "sheetsync");
    jwt_add_grant_int(j, "iat", (long)NOW);
    jwt_add_grant_int(j, "exp", (long)NOW + 120);
    jwt_add_grant(j, "jti", "libjwt-1");
    jwt_add_grant(j, "spreadsheet_id", "sheet-abc");
    jwt_add_grant(j, "sheet", "Issues");
    jwt_add_grant(j, "event", "edit");
    jwt_add_grant(j, "range", "C12:C14");
    char *tok = jwt_encode_str(j);
    jwt_free(j);
    cr_assert(tok);
    return tok;
}

Test(notification, libjwt_hs256_is_accepted)
{
    char *tok = libjwt_token(JWT_ALG_HS256, (const unsigned char *)SECRET, sizeof SECRET - 1);
    struct notification n;
    char err[256];
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_OK, "%s", err);
    cr_expect_eq(n.first_row, 12);
    cr_expect_eq(n.last_row, 14);
    notification_cleanup(&n);
    free(tok);
}

Test(notification, libjwt_other_algorithms_are_refused)
{
    struct notification n;
    char err[256];
    char *tok = libjwt_token(JWT_ALG_NONE, NULL, 0);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_BAD_ALG, "none: %s", err);
    free(tok);
    tok = libjwt_token(JWT_ALG_HS512, (const unsigned char *)SECRET, sizeof SECRET - 1);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_BAD_ALG, "HS512: %s", err);
    free(tok);

    /* RS256 signed with a real RSA key. */
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    cr_assert(pk);
    BIO *b = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
    char *pem = NULL;
    long pemlen = BIO_get_mem_data(b, &pem);
    tok = libjwt_token(JWT_ALG_RS256, (const unsigned char *)pem, (int)pemlen);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_BAD_ALG, "RS256: %s", err);
    free(tok);
    BIO_free(b);
    EVP_PKEY_free(pk);
}

/* A configuration mistake must not turn into "anything verifies". */
Test(notification, short_or_missing_secret_verifies_nothing)
{
    char *tok = jws_notification("x", NOW, "a", "s", "Issues", "edit", "B7");
    struct notification_key k = {.secret = (const unsigned char *)"x", .secret_len = 1};
    struct notification n;
    char err[256];
    cr_expect_eq(notification_verify(tok, strlen(tok), &k, (time_t)NOW, &n, err, sizeof err),
                 NOTIFICATION_INTERNAL);
    k.secret = NULL;
    cr_expect_eq(notification_verify(tok, strlen(tok), &k, (time_t)NOW, &n, err, sizeof err),
                 NOTIFICATION_INTERNAL);
    cr_expect_eq(notification_verify(tok, strlen(tok), NULL, (time_t)NOW, &n, err, sizeof err),
                 NOTIFICATION_INTERNAL);
    free(tok);
}

/* The configured audience, not a fixed one. */
Test(notification, configured_audience)
{
    struct notification_key k = key;
    k.audience = "fleet-prod";
    char *claims = jws_claims("fleet-prod", NOW, NOW + 60, "a", "s", "Issues", "edit", "B7");
    char *tok = jws_hs256(HS256, claims, SECRET);
    struct notification n;
    char err[256];
    cr_expect_eq(notification_verify(tok, strlen(tok), &k, (time_t)NOW, &n, err, sizeof err),
                 NOTIFICATION_OK, "%s", err);
    notification_cleanup(&n);
    cr_expect_eq(verify(tok, &n, err, sizeof err), NOTIFICATION_BAD_AUDIENCE);
    free(claims), free(tok);
}

#include <criterion/criterion.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "ingest/sheets.h"
#include "tests/support/mockg.h"

#define SID "1AbC"
#define VALUES_QUERY                                                                               \
    "?valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER&majorDimension=ROWS"  \
    "&prettyPrint=false"

/* ---- fixture: a mock Google, a key, a client with an instant backoff ---- */

struct recorder {
    long slept[32];
    int nslept;
};

static long no_jitter(void *arg, long max)
{
    (void)arg, (void)max;
    return 0;
}

static int record_sleep(void *arg, long ms)
{
    struct recorder *r = arg;
    if (r->nslept < 32)
        r->slept[r->nslept] = ms;
    r->nslept++;
    return 0;
}

static struct mockg *m;
static struct gauth *auth;
static struct recorder rec;
static struct backoff bo;

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    m = mockg_start();
    cr_assert_not_null(m);
    char uri[128], err[512];
    snprintf(uri, sizeof uri, "%s/token", mockg_base_url(m));
    char *path = mockg_key_file(uri, NULL);
    cr_assert_not_null(path);
    auth = gauth_new_from_file(path, NULL, err, sizeof err);
    cr_assert_not_null(auth, "%s", err);
    unlink(path);
    free(path);
    memset(&rec, 0, sizeof rec);
    backoff_init(&bo);
    bo.random_ms = no_jitter;
    bo.sleep_ms = record_sleep;
    bo.arg = &rec;
}

static void teardown(void)
{
    gauth_free(auth);
    mockg_stop(m);
    curl_global_cleanup();
}

static struct sheets_client *client(long chunk_rows)
{
    struct sheets_options o = {.backoff = &bo, .chunk_rows = chunk_rows};
    o.fetch.timeout_ms = 5000;
    struct sheets_client *c = sheets_client_new(mockg_base_url(m), auth, &o);
    cr_assert_not_null(c);
    return c;
}

/* Serialises every row the callback sees, one line a row:
 * "7: T(Wheel) N(20.5) B(1) E". */
static int collect(void *arg, const struct sheet_row *row)
{
    struct buf *b = arg;
    if (!b)
        return 0;
    buf_printf(b, "%ld:", row->row);
    for (size_t i = 0; i < row->ncells; i++) {
        const struct cell *c = &row->cells[i];
        switch (c->type) {
        case CELL_TEXT:
            cr_assert_eq(c->text[c->len], '\0', "text is NUL-terminated");
            buf_printf(b, " T(%.*s)", (int)c->len, c->text);
            break;
        case CELL_NUMBER:
            buf_printf(b, " N(%g)", c->num);
            break;
        case CELL_BOOL:
            buf_printf(b, " B(%g)", c->num);
            break;
        case CELL_EMPTY:
            cr_assert_eq(c->len, 0);
            buf_puts(b, " E");
            break;
        }
    }
    buf_puts(b, "\n");
    return 0;
}

static const struct sheets_tab tab_issues = {"Issues", 0, 0, 1000, 26};
static const struct sheets_tab tab_my = {"My Sheet", 7, 1, 5, 4};

static unsigned long stat(struct sheets_client *c, enum sheets_stat s)
{
    return atomic_load(&sheets_client_stats(c)->calls[s]);
}

TestSuite(sheets, .init = setup, .fini = teardown);

/* ---- metadata ---- */

Test(sheets, meta)
{
    mockg_push_json(m, 200,
                    "{\n  \"properties\": {\"title\": \"Fleet issues\", \"locale\": \"en_US\", "
                    "\"timeZone\": \"America/New_York\"},\n  \"sheets\": [\n"
                    "    {\"properties\": {\"sheetId\": 42, \"title\": \"Archive\", \"index\": 1, "
                    "\"gridProperties\": {\"rowCount\": 200, \"columnCount\": 8}}},\n"
                    "    {\"properties\": {\"sheetId\": 0, \"title\": \"Issues\", \"index\": 0, "
                    "\"gridProperties\": {\"rowCount\": 1000, \"columnCount\": 26}}},\n"
                    "    {\"properties\": {\"sheetId\": 9, \"title\": \"Chart\", \"index\": 2}}\n"
                    "  ]\n}");
    struct sheets_client *c = client(0);
    struct sheets_meta meta;
    char err[512];
    cr_assert_eq(sheets_get_meta(c, SID, &meta, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(meta.title, "Fleet issues");
    cr_expect_str_eq(meta.locale, "en_US");
    cr_expect_str_eq(meta.time_zone, "America/New_York");
    cr_assert_eq(meta.ntabs, 3);
    cr_expect_str_eq(meta.tabs[0].title, "Archive");
    cr_expect_eq(meta.tabs[0].sheet_id, 42);
    cr_expect_eq(meta.tabs[0].index, 1);
    cr_expect_eq(meta.tabs[0].row_count, 200);
    cr_expect_eq(meta.tabs[0].column_count, 8);
    cr_expect_eq(meta.tabs[2].row_count, 0, "a chart sheet has no grid");

    const struct mockg_request *q = mockg_request(m, 0);
    cr_assert_not_null(q);
    cr_expect_str_eq(q->method, "GET");
    cr_expect_str_eq(q->url, "/v4/spreadsheets/" SID
                             "?fields=properties(title,timeZone,locale),sheets.properties("
                             "sheetId,title,index,gridProperties(rowCount,columnCount))");
    cr_expect_str_eq(q->auth, "Bearer tok-1");

    const struct sheets_tab *t = sheets_meta_find_tab(&meta, NULL, err, sizeof err);
    cr_assert_not_null(t);
    cr_expect_str_eq(t->title, "Issues", "the first tab is index 0, wherever it is listed");
    t = sheets_meta_find_tab(&meta, "Archive", err, sizeof err);
    cr_assert_not_null(t);
    cr_expect_eq(t->sheet_id, 42);
    cr_expect_null(sheets_meta_find_tab(&meta, "issues", err, sizeof err));
    cr_expect_str_eq(err, "spreadsheet \"Fleet issues\" has no tab \"issues\" (tabs: "
                          "\"Archive\", \"Issues\", \"Chart\")");
    sheets_meta_free(&meta);
    sheets_client_free(c);
}

Test(sheets, meta_not_found)
{
    mockg_push_json(m, 404,
                    "{\n  \"error\": {\n    \"code\": 404,\n    \"message\": \"Requested entity "
                    "was not found.\",\n    \"status\": \"NOT_FOUND\"\n  }\n}\n");
    struct sheets_client *c = client(0);
    struct sheets_meta meta;
    char err[512];
    cr_assert_eq(sheets_get_meta(c, SID, &meta, err, sizeof err), -1);
    cr_expect_str_eq(err, "spreadsheet 1AbC: HTTP 404 NOT_FOUND: Requested entity was not found.");
    cr_expect_eq(meta.ntabs, 0);
    cr_expect_eq(mockg_nrequests(m), 1, "404 is not retried");
    sheets_client_free(c);
}

/* ---- values ---- */

Test(sheets, ragged_rows_types_and_empties)
{
    mockg_push_json(m, 200,
                    "{\"range\":\"'My Sheet'!A1:D5\",\"majorDimension\":\"ROWS\",\"values\":["
                    "[\"Item\",\"Cost\",\"Stocked\",\"Ship Date\"],"
                    "[],"
                    "[\"Wheel\",20.5,4,45292],"
                    "[\"\",\"\"],"
                    "[\"\",\"x\",true,false,null,\"#N/A\",-1e300]]}");
    struct sheets_client *c = client(0);
    struct buf out;
    buf_init(&out, 0);
    long nrows = -1;
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_my, 1, 0, collect, &out, &nrows, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(out.data, "1: T(Item) T(Cost) T(Stocked) T(Ship Date)\n"
                               "3: T(Wheel) N(20.5) N(4) N(45292)\n"
                               "5: E T(x) B(1) B(0) E T(#N/A) N(-1e+300)\n");
    cr_expect_eq(nrows, 3);
    const struct mockg_request *q = mockg_request(m, 0);
    cr_assert_not_null(q);
    cr_expect_str_eq(q->url,
                     "/v4/spreadsheets/" SID "/values/%27My%20Sheet%27%211%3A5" VALUES_QUERY);
    cr_expect_str_eq(q->auth, "Bearer tok-1");
    cr_expect_eq(stat(c, SHEETS_STAT_2XX), 1);
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, absent_values_is_no_rows)
{
    mockg_push_json(m, 200, "{\"range\":\"Issues!A2:Z9\",\"majorDimension\":\"ROWS\"}");
    struct sheets_client *c = client(0);
    struct buf out;
    buf_init(&out, 0);
    long nrows = -1;
    char err[512];
    cr_assert_eq(
        sheets_read_rows(c, SID, &tab_issues, 2, 9, collect, &out, &nrows, err, sizeof err), 0,
        "%s", err);
    cr_expect_eq(out.len, 0);
    cr_expect_eq(nrows, 0);
    cr_expect_str_eq(mockg_request(m, 0)->url,
                     "/v4/spreadsheets/" SID "/values/Issues%212%3A9" VALUES_QUERY);
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, chunking)
{
    mockg_push_json(m, 200, "{\"range\":\"'My Sheet'!A1:D2\",\"values\":[[\"h\"],[\"r2\"]]}");
    mockg_push_json(m, 200, "{\"range\":\"'My Sheet'!A3:D4\",\"values\":[[],[\"r4\",1]]}");
    mockg_push_json(m, 200, "{\"range\":\"'My Sheet'!A5:D5\",\"values\":[[\"r5\"]]}");
    struct sheets_client *c = client(2);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_my, 1, 0, collect, &out, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(out.data, "1: T(h)\n2: T(r2)\n4: T(r4) N(1)\n5: T(r5)\n");
    cr_assert_eq(mockg_nrequests(m), 3);
    static const char *const ranges[] = {"1%3A2", "3%3A4", "5%3A5"};
    for (size_t i = 0; i < 3; i++) {
        char want[256];
        snprintf(want, sizeof want, "/v4/spreadsheets/" SID "/values/%%27My%%20Sheet%%27%%21%s%s",
                 ranges[i], VALUES_QUERY);
        cr_expect_str_eq(mockg_request(m, i)->url, want);
    }
    cr_expect_eq(mockg_token_requests(m), 1, "one token for all chunks");
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, chunk_size_from_columns)
{
    struct sheets_client *c = sheets_client_new("http://x", NULL, NULL);
    cr_expect_eq(sheets_chunk_rows(c, 26), 5769);
    cr_expect_eq(sheets_chunk_rows(c, 1), 50000);
    cr_expect_eq(sheets_chunk_rows(c, 0), 50000);
    cr_expect_eq(sheets_chunk_rows(c, 1000), 500);
    cr_expect_eq(sheets_chunk_rows(c, 18278), 500);
    sheets_client_free(c);
}

Test(sheets, rows_are_capped_by_the_grid)
{
    mockg_push_json(m, 200, "{\"range\":\"'My Sheet'!A4:D5\",\"values\":[[\"a\"],[\"b\"]]}");
    struct sheets_client *c = client(0);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_my, 4, 900, collect, &out, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(mockg_request(m, 0)->url,
                     "/v4/spreadsheets/" SID "/values/%27My%20Sheet%27%214%3A5" VALUES_QUERY);
    /* Starting past the grid asks for nothing. */
    cr_assert_eq(sheets_read_rows(c, SID, &tab_my, 6, 9, collect, &out, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_eq(mockg_nrequests(m), 1);
    /* Bad bounds. */
    cr_expect_eq(sheets_read_rows(c, SID, &tab_my, 0, 9, collect, &out, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_eq(sheets_read_rows(c, SID, &tab_my, 5, 4, collect, &out, NULL, err, sizeof err),
                 SHEETS_ERR);
    buf_free(&out);
    sheets_client_free(c);
}

/* ---- retries ---- */

#define QUOTA_429                                                                                  \
    "{\n  \"error\": {\n    \"code\": 429,\n    \"message\": \"Quota exceeded for quota metric "   \
    "'Read requests' and limit 'Read requests per minute per user' of service "                    \
    "'sheets.googleapis.com'.\",\n    \"status\": \"RESOURCE_EXHAUSTED\",\n    \"details\": "      \
    "[]\n  }\n}\n"

Test(sheets, retries_429_with_backoff_and_retry_after)
{
    mockg_push_json(m, 429, QUOTA_429);
    mockg_push(m, (struct mockg_reply){.status = 429, .body = QUOTA_429, .retry_after = "7"});
    mockg_push_json(m, 429, QUOTA_429);
    mockg_push_json(m, 200, "{\"range\":\"Issues!A2:Z3\",\"values\":[[\"ok\"]]}");
    struct sheets_client *c = client(0);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, &out, NULL, err, sizeof err),
                 0, "%s", err);
    cr_expect_str_eq(out.data, "2: T(ok)\n");
    cr_expect_eq(mockg_nrequests(m), 4);
    cr_assert_eq(rec.nslept, 3);
    cr_expect_eq(rec.slept[0], 1000);
    cr_expect_eq(rec.slept[1], 7000, "Retry-After 7 s beats 2 s");
    cr_expect_eq(rec.slept[2], 4000);
    cr_expect_eq(stat(c, SHEETS_STAT_429), 3);
    cr_expect_eq(stat(c, SHEETS_STAT_2XX), 1);
    cr_expect_eq(atomic_load(&sheets_client_stats(c)->retries), 3);
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, retry_after_as_http_date)
{
    mockg_push(m, (struct mockg_reply){.status = 503,
                                       .body = "{\"error\":{\"code\":503,\"message\":\"The "
                                               "service is currently unavailable.\",\"status\":"
                                               "\"UNAVAILABLE\"}}",
                                       .retry_after = "Wed, 21 Oct 2037 07:28:00 GMT"});
    mockg_push(m, (struct mockg_reply){
                      .status = 503, .body = "{}", .retry_after = "Thu, 01 Jan 2015 00:00:00 GMT"});
    mockg_push_json(m, 200, "{}");
    struct sheets_client *c = client(0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(rec.nslept, 2);
    cr_expect_eq(rec.slept[0], 120000, "a far date is capped at max_retry_after_ms");
    cr_expect_eq(rec.slept[1], 2000, "a past date changes nothing");
    cr_expect_eq(stat(c, SHEETS_STAT_5XX), 2);
    sheets_client_free(c);
}

Test(sheets, gives_up_after_the_retry_cap)
{
    bo.max_retries = 2;
    for (int i = 0; i < 3; i++)
        mockg_push_json(m, 500,
                        "{\"error\":{\"code\":500,\"message\":\"Internal error encountered.\","
                        "\"status\":\"INTERNAL\"}}");
    struct sheets_client *c = client(0);
    char err[512];
    cr_expect_eq(
        sheets_read_rows(c, SID, &tab_issues, 2, 20001, collect, NULL, NULL, err, sizeof err),
        SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:1000: HTTP 500 INTERNAL: Internal "
                          "error encountered. (gave up after 3 attempts)");
    cr_expect_eq(mockg_nrequests(m), 3);
    cr_expect_eq(rec.nslept, 2);
    cr_expect_eq(stat(c, SHEETS_STAT_5XX), 3);
    sheets_client_free(c);
}

Test(sheets, permission_denied_is_not_retried)
{
    mockg_push_json(m, 403,
                    "{\n  \"error\": {\n    \"code\": 403,\n    \"message\": \"The caller does not "
                    "have permission\",\n    \"status\": \"PERMISSION_DENIED\"\n  }\n}\n");
    struct sheets_tab t = {"Issues", 0, 0, 20001, 26};
    struct sheets_client *c = client(50000);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &t, 2, 0, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:20001: HTTP 403 PERMISSION_DENIED: The "
                          "caller does not have permission");
    cr_expect_eq(mockg_nrequests(m), 1);
    cr_expect_eq(rec.nslept, 0);
    cr_expect_eq(stat(c, SHEETS_STAT_403), 1);
    cr_expect_null(strstr(err, "tok-"), "no token in messages");
    sheets_client_free(c);
}

Test(sheets, bad_request_is_not_retried)
{
    mockg_push_json(m, 400,
                    "{\"error\":{\"code\":400,\"message\":\"Unable to parse range: "
                    "'Nope'!1:5\",\"status\":\"INVALID_ARGUMENT\"}}");
    struct sheets_tab t = {"Nope", 0, 0, 5, 26};
    struct sheets_client *c = client(0);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &t, 1, 0, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Nope!1:5: HTTP 400 INVALID_ARGUMENT: Unable to "
                          "parse range: 'Nope'!1:5");
    cr_expect_eq(mockg_nrequests(m), 1);
    sheets_client_free(c);
}

Test(sheets, error_without_envelope)
{
    mockg_push_json(m, 418, "<html>\n<body>teapot</body></html>");
    struct sheets_client *c = client(0);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:3: HTTP 418: <html> <body>teapot</body>"
                          "</html>");
    cr_expect_eq(stat(c, SHEETS_STAT_OTHER), 1);
    sheets_client_free(c);
}

#define UNAUTH_401                                                                                 \
    "{\"error\":{\"code\":401,\"message\":\"Request had invalid authentication credentials. "      \
    "Expected OAuth 2 access token, login cookie or other valid authentication credential.\","     \
    "\"status\":\"UNAUTHENTICATED\"}}"

Test(sheets, unauthorized_refreshes_the_token_once)
{
    mockg_push_json(m, 401, UNAUTH_401);
    mockg_push_json(m, 200, "{\"range\":\"Issues!A2:Z3\",\"values\":[[\"ok\"]]}");
    struct sheets_client *c = client(0);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, &out, NULL, err, sizeof err),
                 0, "%s", err);
    cr_expect_str_eq(out.data, "2: T(ok)\n");
    cr_assert_eq(mockg_nrequests(m), 2);
    cr_expect_str_eq(mockg_request(m, 0)->auth, "Bearer tok-1");
    cr_expect_str_eq(mockg_request(m, 1)->auth, "Bearer tok-2");
    cr_expect_eq(mockg_token_requests(m), 2);
    cr_expect_eq(rec.nslept, 0, "no backoff for a new token");

    /* Twice in a row: give up, with Google's message. */
    mockg_push_json(m, 401, UNAUTH_401);
    mockg_push_json(m, 401, UNAUTH_401);
    cr_expect_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, &out, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect(strstr(err, "range Issues!2:3: HTTP 401 UNAUTHENTICATED: Request had invalid "
                          "authentication credentials."),
              "%s", err);
    cr_expect_null(strstr(err, "tok-"), "no token in messages");
    cr_expect_eq(mockg_nrequests(m), 4);
    cr_expect_eq(mockg_token_requests(m), 3);
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, token_refusal_is_reported)
{
    mockg_set_token_reply(m, 400,
                          "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT "
                          "Signature.\"}");
    struct sheets_client *c = client(0);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:3: token endpoint refused the "
                          "assertion: invalid_grant: Invalid JWT Signature.");
    cr_expect_eq(mockg_nrequests(m), 0);
    sheets_client_free(c);
}

Test(sheets, truncated_and_non_json_bodies)
{
    mockg_push_json(m, 200, "{\"range\":\"Issues!A2:Z3\",\"values\":[[\"Wheel\",20.");
    mockg_push_json(m, 200, "<!DOCTYPE html><html>Sign in</html>");
    mockg_push_json(m, 200, "");
    mockg_push_json(m, 200, "[[\"a\"]]");
    mockg_push_json(m, 200, "{\"values\":[]} trailing");
    struct sheets_client *c = client(0);
    char err[512];
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(
            sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
            SHEETS_ERR);
        cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:3: response is not valid JSON",
                         "case %d", i);
    }
    cr_expect_eq(mockg_nrequests(m), 5, "not retried");
    sheets_client_free(c);
}

Test(sheets, unexpected_shapes)
{
    mockg_push_json(m, 200, "{\"values\":{\"a\":1}}");
    mockg_push_json(m, 200, "{\"values\":[[\"a\"],\"b\"]}");
    mockg_push_json(m, 200, "{\"values\":[[1],[2],[3]]}");
    mockg_push_json(m, 200, "{\"range\":\"Issues!A1:Z2\",\"values\":[[1]]}");
    struct sheets_client *c = client(0);
    char err[512];
    static const char *const want[] = {
        "\"values\" is not an array",
        "row 3 is not an array",
        "the response has 3 rows, more than the 2 asked for",
        "the response is for rows from 1, not 2",
    };
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(
            sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
            SHEETS_ERR);
        cr_expect(strstr(err, want[i]), "case %d: %s", i, err);
    }
    sheets_client_free(c);
}

Test(sheets, network_errors_are_retried)
{
    const char *ok = "{\"range\":\"Issues!A2:Z3\",\"values\":[[\"ok\"]]}";
    mockg_push(m, (struct mockg_reply){.action = MOCKG_RESET});
    mockg_push(
        m, (struct mockg_reply){.status = 200, .body = ok, .action = MOCKG_SLOW, .delay_ms = 1500});
    mockg_push(m, (struct mockg_reply){.status = 200, .body = ok, .action = MOCKG_CUT});
    mockg_push_json(m, 200, ok);
    struct sheets_options o = {.backoff = &bo};
    o.fetch.timeout_ms = 300;
    struct sheets_client *c = sheets_client_new(mockg_base_url(m), auth, &o);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, &out, NULL, err, sizeof err),
                 0, "%s", err);
    cr_expect_str_eq(out.data, "2: T(ok)\n");
    cr_expect_eq(mockg_nrequests(m), 4);
    cr_expect_eq(rec.nslept, 3);
    cr_expect_eq(stat(c, SHEETS_STAT_NETWORK), 3);
    cr_expect_eq(stat(c, SHEETS_STAT_2XX), 1);
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, unreachable_server)
{
    bo.max_retries = 1;
    struct sheets_options o = {.backoff = &bo};
    struct sheets_client *c = sheets_client_new("http://127.0.0.1:1/", NULL, &o);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect(strstr(err, "spreadsheet 1AbC range Issues!2:3: curl: Couldn't connect to server"),
              "%s", err);
    cr_expect(strstr(err, "(gave up after 2 attempts)"), "%s", err);
    cr_expect_eq(stat(c, SHEETS_STAT_NETWORK), 2);
    sheets_client_free(c);
}

Test(sheets, response_size_is_capped)
{
    mockg_push_json(m, 200,
                    "{\"range\":\"Issues!A2:Z3\",\"values\":[[\"0123456789012345678901234"
                    "5678901234567890123456789012345678901234567890123456789\"]]}");
    struct sheets_options o = {.backoff = &bo};
    o.fetch.max_body = 64;
    struct sheets_client *c = sheets_client_new(mockg_base_url(m), auth, &o);
    char err[512];
    cr_expect_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 SHEETS_ERR);
    cr_expect_str_eq(err, "spreadsheet 1AbC range Issues!2:3: response larger than 64 bytes");
    cr_expect_eq(mockg_nrequests(m), 1);
    sheets_client_free(c);
}

Test(sheets, without_auth_no_header)
{
    mockg_push_json(m, 200, "{}");
    struct sheets_options o = {.backoff = &bo};
    struct sheets_client *c = sheets_client_new(mockg_base_url(m), NULL, &o);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err),
                 0, "%s", err);
    cr_expect_null(mockg_request(m, 0)->auth);
    cr_expect_eq(mockg_token_requests(m), 0);
    sheets_client_free(c);
}

static int stop_at_3(void *arg, const struct sheet_row *row)
{
    (void)arg;
    return row->row == 3 ? 1 : 0;
}

Test(sheets, callback_can_stop)
{
    mockg_push_json(m, 200, "{\"values\":[[1],[2],[3]]}");
    struct sheets_client *c = client(0);
    char err[512];
    long n = 0;
    cr_expect_eq(sheets_read_rows(c, SID, &tab_my, 1, 3, stop_at_3, NULL, &n, err, sizeof err),
                 SHEETS_ERR_CALLBACK);
    cr_expect_eq(n, 3);
    cr_expect(strstr(err, "stopped by the row callback at row 3"), "%s", err);
    sheets_client_free(c);
}

Test(sheets, sheet_shrunk_since_metadata)
{
    mockg_push_json(m, 200, "{\"range\":\"'My Sheet'!A1:D2\",\"values\":[[\"a\"],[\"b\"]]}");
    mockg_push_json(m, 400,
                    "{\"error\":{\"code\":400,\"message\":\"Range ('My Sheet'!A3:D4) exceeds "
                    "grid limits. Max rows: 2, max columns: 4\",\"status\":\"INVALID_ARGUMENT\"}}");
    struct sheets_client *c = client(2);
    struct buf out;
    buf_init(&out, 0);
    char err[512];
    cr_assert_eq(sheets_read_rows(c, SID, &tab_my, 1, 0, collect, &out, NULL, err, sizeof err), 0,
                 "%s", err);
    cr_expect_str_eq(out.data, "1: T(a)\n2: T(b)\n");
    cr_expect_eq(mockg_nrequests(m), 2, "stops at the new end");
    buf_free(&out);
    sheets_client_free(c);
}

Test(sheets, keep_alive)
{
    for (int i = 0; i < 3; i++)
        mockg_push_json(m, 200, "{}");
    struct sheets_client *c = client(0);
    char err[512];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(
            sheets_read_rows(c, SID, &tab_issues, 2, 3, collect, NULL, NULL, err, sizeof err), 0,
            "%s", err);
    cr_assert_eq(mockg_nrequests(m), 3);
    unsigned port = mockg_request(m, 0)->client_port;
    cr_expect_neq(port, 0);
    for (size_t i = 1; i < 3; i++)
        cr_expect_eq(mockg_request(m, i)->client_port, port, "one connection for all");
    sheets_client_free(c);
}

Test(sheets, stat_labels)
{
    cr_expect_str_eq(sheets_stat_label(SHEETS_STAT_2XX), "2xx");
    cr_expect_str_eq(sheets_stat_label(SHEETS_STAT_429), "429");
    cr_expect_str_eq(sheets_stat_label(SHEETS_STAT_NETWORK), "network");
}

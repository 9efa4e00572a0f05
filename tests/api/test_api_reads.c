/* What the read endpoints answer (contract §5): /trends/weekly as JSON and
 * CSV, /issues with its filters and cursor, /issues/{number} with history,
 * /vehicles, /quality, and every 400 for a bad parameter. The fixture is in
 * tests/api/harness.h. */
#include "tests/api/harness.h"

TestSuite(reads, .init = api_start, .fini = api_finish, .timeout = 60);

static const char *const week_keys[] = {
    "week_start",
    "week_end",
    "group",
    "opened",
    "resolved",
    "open_at_end",
    "overdue_at_end",
    "mean_days_to_resolve",
    "median_days_to_resolve",
    "opened_prev",
    "opened_wow_delta",
    "opened_wow_pct",
    "resolved_prev",
    "resolved_wow_delta",
    "resolved_wow_pct",
    "open_at_end_prev",
    "open_at_end_wow_delta",
    "open_at_end_wow_pct",
};
#define N_WEEK_KEYS (sizeof week_keys / sizeof *week_keys)

static long jint(json_object *o, const char *key)
{
    json_object *v = jget(o, key);
    cr_assert(v && json_object_is_type(v, json_type_int), "%s is not an integer", key);
    return (long)json_object_get_int64(v);
}

Test(reads, trends_json_shape)
{
    struct resp *r = api_get("/trends/weekly");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json; charset=utf-8");
    /* top-level keys in the order of the contract's example */
    const char *top[] = {"source", "group_by", "from", "to", "timezone", "data_version", "weeks"};
    size_t i = 0;
    json_object_object_foreach(r->json, k, v)
    {
        (void)v;
        cr_assert(i < 7 && strcmp(k, top[i]) == 0, "key %zu is %s", i, k);
        i++;
    }
    cr_assert_eq(i, 7);
    cr_assert_str_eq(jstr(r->json, "source"), "default");
    cr_assert_str_eq(jstr(r->json, "group_by"), "none");
    cr_assert_str_eq(jstr(r->json, "from"), "2024-01-01");
    cr_assert_str_eq(jstr(r->json, "to"), "2024-01-15");
    cr_assert_str_eq(jstr(r->json, "timezone"), "America/Chicago");
    cr_assert_str_eq(jstr(r->json, "data_version"), "7");
    json_object *weeks = jget(r->json, "weeks");
    cr_assert_eq(json_object_array_length(weeks), 3);
    for (size_t w = 0; w < 3; w++) {
        size_t j = 0;
        json_object_object_foreach(json_object_array_get_idx(weeks, w), k2, v2)
        {
            (void)v2;
            cr_assert(j < N_WEEK_KEYS && strcmp(k2, week_keys[j]) == 0, "week key %zu is %s", j,
                      k2);
            j++;
        }
        cr_assert_eq(j, N_WEEK_KEYS);
    }
    json_object *w0 = json_object_array_get_idx(weeks, 0),
                *w1 = json_object_array_get_idx(weeks, 1),
                *w2 = json_object_array_get_idx(weeks, 2);
    cr_assert_str_eq(jstr(w0, "week_start"), "2024-01-01");
    cr_assert_str_eq(jstr(w0, "week_end"), "2024-01-07");
    cr_assert_str_eq(jstr(w0, "group"), "all");
    cr_assert_eq(jint(w0, "opened"), 2);
    cr_assert_eq(jint(w0, "resolved"), 1);
    cr_assert_eq(jint(w0, "open_at_end"), 1);
    cr_assert_eq(jint(w0, "overdue_at_end"), 1);
    cr_assert(jnull(w0, "opened_wow_pct"));
    cr_assert_eq(jint(w1, "open_at_end"), 2);
    cr_assert_eq(jint(w2, "opened_wow_delta"), -1);
    cr_assert(jnull(w2, "mean_days_to_resolve"));
    /* decimals as JSON numbers, as in the example: 2.5, 1.0, 100.0, -50.0, 0.0 */
    cr_assert(strstr(r->body, "\"mean_days_to_resolve\":2.5,\"median_days_to_resolve\":2.5,"), "%s",
              r->body);
    cr_assert(strstr(r->body, "\"mean_days_to_resolve\":1.0,"), "%s", r->body);
    cr_assert(strstr(r->body, "\"open_at_end_wow_pct\":100.0}"), "%s", r->body);
    cr_assert(strstr(r->body, "\"opened_wow_pct\":-50.0,"), "%s", r->body);
    cr_assert(strstr(r->body, "\"resolved_wow_pct\":0.0,"), "%s", r->body);
    cr_assert(json_object_is_type(jget(w1, "opened_wow_pct"), json_type_double));
    resp_free(r);
}

Test(reads, trends_group_by_and_range)
{
    struct resp *r = api_get("/trends/weekly?group_by=priority&from=2024-01-10&to=2024-01-16");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "from"), "2024-01-08"); /* moved to its Monday */
    cr_assert_str_eq(jstr(r->json, "to"), "2024-01-15");
    json_object *weeks = jget(r->json, "weeks");
    cr_assert_eq(json_object_array_length(weeks), 10); /* 2 weeks x 5 priorities */
    const char *order[] = {"critical", "high", "low", "medium", "none"};
    for (size_t i = 0; i < 10; i++) {
        json_object *w = json_object_array_get_idx(weeks, i);
        cr_assert_str_eq(jstr(w, "group"), order[i % 5]);
        cr_assert_str_eq(jstr(w, "week_start"), i < 5 ? "2024-01-08" : "2024-01-15");
    }
    resp_free(r);

    r = api_get("/trends/weekly?group_by=vehicle&source=default");
    cr_assert_eq(json_object_array_length(jget(r->json, "weeks")), 6); /* TRUCK12, VAN3 */
    resp_free(r);

    r = api_get("/trends/weekly?from=2024-02-01&to=2024-01-01");
    cr_assert_eq(r->status, 200);
    cr_assert_eq(json_object_array_length(jget(r->json, "weeks")), 0);
    cr_assert(jnull(r->json, "from"));
    cr_assert(jnull(r->json, "to"));
    resp_free(r);

    r = api_get("/trends/weekly?source=fleet2");
    cr_assert_str_eq(jstr(r->json, "source"), "fleet2");
    cr_assert_str_eq(jstr(r->json, "timezone"), "UTC");
    cr_assert_str_eq(jstr(r->json, "data_version"), "3");
    resp_free(r);
}

Test(reads, trends_csv)
{
    static const char header[] =
        "week_start,week_end,group,opened,resolved,open_at_end,overdue_at_end,"
        "mean_days_to_resolve,median_days_to_resolve,opened_prev,opened_wow_delta,"
        "opened_wow_pct,resolved_prev,resolved_wow_delta,resolved_wow_pct,open_at_end_prev,"
        "open_at_end_wow_delta,open_at_end_wow_pct\n";
    struct resp *r = api_get("/trends/weekly?format=csv");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "text/csv; charset=utf-8");
    cr_assert(strncmp(r->body, header, strlen(header)) == 0, "%s", r->body);
    const char *rows = r->body + strlen(header);
    cr_assert_str_eq(rows, "2024-01-01,2024-01-07,all,2,1,1,1,2.5,2.5,0,2,,0,1,,0,1,\n"
                           "2024-01-08,2024-01-14,all,2,1,2,1,1.0,1.0,2,0,0.0,1,0,0.0,1,1,100.0\n"
                           "2024-01-15,2024-01-21,all,1,1,2,1,,,2,-1,-50.0,1,0,0.0,2,0,0.0\n");
    resp_free(r);

    /* Accept: text/csv does the same; ?format= wins over Accept */
    const char *accept[] = {"Accept: text/csv", NULL};
    r = api_req("GET", "/trends/weekly?group_by=assignee", accept, NULL, 0);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "text/csv; charset=utf-8");
    cr_assert(strstr(resp_header(r, "Vary"), "Accept"));
    cr_assert(strncmp(r->body, header, strlen(header)) == 0);
    cr_assert(strstr(r->body, ",bob smith,"), "%s", r->body);
    cr_assert(strstr(r->body, ",unassigned,"), "%s", r->body);
    resp_free(r);
    const char *both[] = {"Accept: application/json, text/csv;q=0.5", NULL};
    r = api_req("GET", "/trends/weekly", both, NULL, 0);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json; charset=utf-8");
    resp_free(r);
    r = api_req("GET", "/trends/weekly?format=json", accept, NULL, 0);
    cr_assert_str_eq(resp_header(r, "Content-Type"), "application/json; charset=utf-8");
    resp_free(r);

    /* no weeks: the header alone */
    r = api_get("/trends/weekly?format=csv&from=2030-01-01&to=2029-01-01");
    cr_assert_str_eq(r->body, header);
    resp_free(r);
}

/* Every bad parameter answers 400 with a problem naming it. */
Test(reads, bad_parameters_400)
{
    static const struct {
        const char *path, *param;
    } cases[] = {
        {"/trends/weekly?from=2024-02-30", "from"},
        {"/trends/weekly?from=2024-1-01", "from"},
        {"/trends/weekly?from=01/02/2024", "from"},
        {"/trends/weekly?from=0000-01-01", "from"},
        {"/trends/weekly?to=2023-02-29", "to"},
        {"/trends/weekly?to=tomorrow", "to"},
        {"/trends/weekly?group_by=week", "group_by"},
        {"/trends/weekly?group_by=PRIORITY", "group_by"},
        {"/trends/weekly?format=xml", "format"},
        {"/issues?limit=0", "limit"},
        {"/issues?limit=1001", "limit"},
        {"/issues?limit=ten", "limit"},
        {"/issues?limit=-5", "limit"},
        {"/issues?limit=99999999999999999999999", "limit"},
        {"/issues?cursor=!!!", "cursor"},
        {"/issues?cursor=aGVsbG8", "cursor"}, /* base64url of "hello" */
        {"/issues?status=pending", "status"},
        {"/issues?priority=urgent", "priority"},
        {"/issues?reported_from=2024-13-01", "reported_from"},
        {"/issues?reported_to=yesterday", "reported_to"},
        {"/quality?severity=fatal", "severity"},
        {"/quality?limit=2000", "limit"},
        {"/quality?cursor=aTEfMjAyNC0wMS0wMSAwMDowMDowMB8x", "cursor"}, /* an /issues cursor */
        {"/trends/weekly?source=nope", "source"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct resp *r = api_get(cases[i].path);
        assert_problem(r, strcmp(cases[i].param, "source") == 0 ? 404 : 400, cases[i].param);
        resp_free(r);
    }
    /* an empty value is the same as no parameter */
    struct resp *r = api_get("/issues?limit=&status=&cursor=");
    cr_assert_eq(r->status, 200);
    resp_free(r);
    /* a leap day is a date */
    r = api_get("/trends/weekly?from=2024-02-29");
    cr_assert_eq(r->status, 200);
    resp_free(r);
}

static const char *const issue_keys[] = {
    "issue_number", "vehicle",     "vehicle_key",        "summary",     "description",
    "priority",     "status",      "reported_at",        "reported_by", "assigned_to",
    "due_date",     "resolved_at", "resolved_effective", "odometer",    "labels",
    "source",       "row",
};

Test(reads, issues_list)
{
    struct resp *r = api_get("/issues");
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_object *items = jget(r->json, "items");
    cr_assert_eq(json_object_array_length(items), 5); /* current issues only */
    cr_assert(jnull(r->json, "next_cursor"));
    json_object *first = json_object_array_get_idx(items, 0);
    for (size_t i = 0; i < sizeof issue_keys / sizeof *issue_keys; i++)
        cr_assert(json_object_object_get_ex(first, issue_keys[i], NULL), "no %s", issue_keys[i]);
    cr_assert_str_eq(jstr(first, "issue_number"), "1");
    cr_assert_str_eq(jstr(first, "reported_at"), "2024-01-01 08:00:00");
    cr_assert_str_eq(jstr(first, "source"), "default");
    cr_assert_eq(jint(first, "row"), 2);
    cr_assert(json_object_is_type(jget(first, "labels"), json_type_array));
    cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(jget(first, "labels"), 0)),
                     "brakes");
    json_object *fourth = json_object_array_get_idx(items, 3);
    cr_assert_eq(jint(fourth, "odometer"), 12345);
    cr_assert(jnull(first, "odometer"));
    cr_assert(jnull(first, "due_date"));
    resp_free(r);
}

/* Counts the items of `path` and checks their issue numbers. */
static void expect_numbers(const char *path, const char *want)
{
    struct resp *r = api_get(path);
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    char got[256] = "";
    json_object *items = jget(r->json, "items");
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        size_t n = strlen(got);
        snprintf(got + n, sizeof got - n, "%s%s", n ? "," : "",
                 jstr(json_object_array_get_idx(items, i), "issue_number"));
    }
    cr_assert_str_eq(got, want, "%s", path);
    resp_free(r);
}

Test(reads, issues_filters)
{
    expect_numbers("/issues?status=open", "2,4");
    expect_numbers("/issues?status=closed", "5");
    expect_numbers("/issues?priority=high", "1,5");
    expect_numbers("/issues?vehicle=truck%2012", "1,3,5"); /* by key: "truck 12" → TRUCK12 */
    expect_numbers("/issues?vehicle=TRUCK-12", "1,3,5");
    expect_numbers("/issues?vehicle=van3&status=open", "2,4");
    expect_numbers("/issues?assignee=ALICE", "1,3");
    expect_numbers("/issues?assignee=bob%20smith", "4");
    expect_numbers("/issues?assignee=+Bob+++Smith+", "4");
    expect_numbers("/issues?assignee=unassigned", "2,5");
    expect_numbers("/issues?reported_from=2024-01-09", "3,4,5");
    expect_numbers("/issues?reported_to=2024-01-09", "1,2,3"); /* inclusive */
    expect_numbers("/issues?reported_from=2024-01-02&reported_to=2024-01-10", "2,3,4");
    expect_numbers("/issues?reported_from=2024-01-11&reported_to=2024-01-10", "");
    expect_numbers("/issues?priority=none", "");
}

/* Walks every page of `path` (which has a limit); returns how many items. */
static size_t walk(const char *path, const char *key, char seen[][32], size_t maxseen)
{
    char url[512], cursor[256] = "";
    size_t n = 0, pages = 0;
    for (;;) {
        snprintf(url, sizeof url, "%s%s%s", path, cursor[0] ? "&cursor=" : "", cursor);
        struct resp *r = api_get(url);
        cr_assert_eq(r->status, 200, "%s: %s", url, r->body);
        json_object *items = jget(r->json, "items");
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i);
            cr_assert_lt(n, maxseen);
            json_object *v = jget(it, key);
            snprintf(seen[n++], 32, "%s", json_object_get_string(v));
        }
        const char *next = jstr(r->json, "next_cursor");
        pages++;
        cr_assert_lt(pages, 100, "the walk does not end");
        if (!next) {
            cr_assert(jnull(r->json, "next_cursor"));
            resp_free(r);
            break;
        }
        cr_assert_gt(json_object_array_length(items), 0);
        cr_assert(
            strspn(next, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                strlen(next),
            "cursor %s is not URL-safe", next);
        snprintf(cursor, sizeof cursor, "%s", next);
        resp_free(r);
    }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

Test(reads, issues_pagination_walks_everything_once)
{
    static const long limits[] = {1, 2, 5, 7, 36, 37, 100};
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        char seen[64][32], path[128];
        snprintf(path, sizeof path, "/issues?source=fleet2&limit=%ld", limits[l]);
        size_t n = walk(path, "issue_number", seen, 64);
        cr_assert_eq(n, 37, "limit %ld: %zu items", limits[l], n);
        qsort(seen, n, sizeof seen[0], cmp_str);
        for (size_t i = 1; i < n; i++)
            cr_assert_str_neq(seen[i - 1], seen[i], "limit %ld: %s twice", limits[l], seen[i]);
    }
    /* with a filter too */
    char seen[64][32];
    cr_assert_eq(
        walk("/issues?source=fleet2&limit=3&reported_from=2024-03-03", "issue_number", seen, 64),
        18);
}

Test(reads, issue_detail_with_history)
{
    struct resp *r = api_get("/issues/1");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "issue_number"), "1");
    cr_assert_str_eq(jstr(r->json, "state"), "current");
    cr_assert_str_eq(jstr(r->json, "status"), "resolved");
    for (size_t i = 0; i < sizeof issue_keys / sizeof *issue_keys; i++)
        cr_assert(json_object_object_get_ex(r->json, issue_keys[i], NULL), "no %s", issue_keys[i]);
    json_object *h = jget(r->json, "history");
    cr_assert_eq(json_object_array_length(h), 2);
    json_object *v1 = json_object_array_get_idx(h, 0), *v2 = json_object_array_get_idx(h, 1);
    cr_assert_eq(jint(v1, "version"), 1);
    cr_assert_eq(jint(v2, "version"), 2);
    cr_assert_str_eq(jstr(v1, "observed_at"), "2024-01-01T14:00:00Z");
    cr_assert_str_eq(jstr(v1, "state"), "current");
    cr_assert_str_eq(jstr(v1, "status"), "open");
    cr_assert_str_eq(jstr(v2, "status"), "resolved");
    cr_assert(json_object_is_type(jget(v1, "labels"), json_type_array));
    resp_free(r);

    /* a deleted issue keeps answering, with its state and history */
    r = api_get("/issues/6");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(jstr(r->json, "state"), "deleted");
    cr_assert_eq(json_object_array_length(jget(r->json, "history")), 2);
    resp_free(r);

    r = api_get("/issues/999");
    assert_problem(r, 404, NULL);
    cr_assert_null(resp_header(r, "ETag"));
    resp_free(r);

    /* numbers are text, matched exactly, URL-decoded */
    r = api_get("/issues/A%2012?source=fleet2");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(jstr(r->json, "issue_number"), "A 12");
    resp_free(r);
    r = api_get("/issues/01");
    assert_problem(r, 404, NULL);
    resp_free(r);
    r = api_get("/issues/1?source=fleet2");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(jstr(r->json, "source"), "fleet2");
    resp_free(r);
}

Test(reads, vehicles)
{
    struct resp *r = api_get("/vehicles");
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(r->body, "{\"items\":["
                              "{\"vehicle_key\":\"TRUCK12\",\"name\":\"Truck 12\",\"open\":0,"
                              "\"total\":3},"
                              "{\"vehicle_key\":\"VAN3\",\"name\":\"Van 3\",\"open\":2,"
                              "\"total\":2}]}");
    resp_free(r);
}

Test(reads, quality_items_and_pagination)
{
    struct resp *r = api_get("/quality");
    cr_assert_eq(r->status, 200, "%s", r->body);
    json_object *items = jget(r->json, "items");
    cr_assert_eq(json_object_array_length(items), 6);
    /* ordered by row, then column */
    const long rows[] = {1, 3, 5, 5, 6, 8};
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(jint(json_object_array_get_idx(items, i), "row"), rows[i]);
    json_object *hdr = json_object_array_get_idx(items, 0);
    const char *keys[] = {"source", "row",      "column", "field",  "cell",
                          "value",  "severity", "code",   "message"};
    size_t j = 0;
    json_object_object_foreach(hdr, k, v)
    {
        (void)v;
        cr_assert(j < 9 && strcmp(k, keys[j]) == 0, "key %zu is %s", j, k);
        j++;
    }
    cr_assert_eq(j, 9);
    cr_assert_str_eq(jstr(hdr, "code"), "duplicate_column");
    cr_assert_str_eq(jstr(hdr, "cell"), "Issues!D1");
    cr_assert_str_eq(jstr(hdr, "column"), "Status");
    json_object *prio = json_object_array_get_idx(items, 2);
    cr_assert_str_eq(jstr(prio, "cell"), "Issues!E5");
    cr_assert_str_eq(jstr(prio, "column"), "Priority");
    cr_assert_str_eq(jstr(prio, "field"), "priority");
    cr_assert_str_eq(jstr(prio, "value"), "urgentish");
    cr_assert_str_eq(jstr(prio, "severity"), "warning");
    json_object *whole = json_object_array_get_idx(items, 5);
    cr_assert_str_eq(jstr(whole, "cell"), "Issues!8:8");
    cr_assert(jnull(whole, "column"));
    cr_assert_str_eq(jstr(whole, "severity"), "error");
    resp_free(r);

    /* limit 1 visits all six, the two problems of one cell included */
    char seen[16][32];
    cr_assert_eq(walk("/quality?limit=1", "row", seen, 16), 6);
    const char *want[] = {"1", "3", "5", "5", "6", "8"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_str_eq(seen[i], want[i]);
    cr_assert_eq(walk("/quality?limit=3", "row", seen, 16), 6);
    cr_assert_eq(walk("/quality?limit=2&severity=warning", "row", seen, 16), 5);
    cr_assert_eq(walk("/quality?limit=1&code=unknown_priority", "row", seen, 16), 2);
    cr_assert_eq(walk("/quality?severity=error", "row", seen, 16), 1);
}

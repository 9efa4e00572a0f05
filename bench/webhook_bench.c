/* Webhook benchmarks (bench/README.md, bench/webhook_latency.sh).
 *
 *   webhook_bench latency --url URL --emulator URL --key KEY.json --secret S
 *                         [--edits 200] [--spreadsheet demo-sheet] [--sheet Issues]
 *       Edit-to-visible latency: for each edit, PUT a new Summary into a
 *       random row on the emulator (values.update, the partner's edit), POST
 *       a signed notification (what the Apps Script sends), then poll
 *       GET /issues/{number} (1 ms apart, one keep-alive connection) until
 *       the new value shows. One edit at a time. Prints the percentiles of
 *       the latency from the start of the PUT to the first GET that shows
 *       the value, and the median of the PUT + POST part alone.
 *
 *   webhook_bench tokens --secret S --count N [--rows 10000] [--event edit|format]
 *                        [--spreadsheet ...] [--sheet ...]
 *       N distinct signed notifications, one a line, for a load generator
 *       (bench/webhook_wrk.lua): edits of one random row each (or FORMAT
 *       changes, which pull nothing: the accept path alone), iat = now,
 *       exp = now + 600, so they must be used within 10 minutes.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ingest/gauth.h"
#include "tests/support/jws.h"

struct opts {
    const char *url, *emulator, *key, *secret, *spreadsheet, *sheet, *event;
    long edits, count, rows;
};

struct body {
    char *p;
    size_t n;
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    char *q = realloc(b->p, b->n + size * n + 1);
    if (!q)
        return 0;
    b->p = q;
    memcpy(b->p + b->n, p, size * n);
    b->n += size * n;
    b->p[b->n] = '\0';
    return size * n;
}

/* One request on handle c; returns the status (-1: no answer); *out the body. */
static long call(CURL *c, const char *method, const char *url, const char *auth, const char *ctype,
                 const char *payload, struct body *out)
{
    struct curl_slist *h = NULL;
    char line[4200];
    out->n = 0;
    if (out->p)
        out->p[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (auth) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", auth);
        h = curl_slist_append(h, line);
    }
    if (ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (payload) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    return status;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, long n, double p)
{
    long i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Issue numbers by sheet row, from GET /issues (every page): the cleaned
 * numbers, as the API serves them. Returns a json array indexed by row
 * (null where no current issue sits), or NULL. */
static json_object *issues_by_row(CURL *c, const struct opts *o)
{
    json_object *rows = json_object_new_array();
    char url[1024], cursor[512] = "";
    struct body b = {0};
    for (;;) {
        snprintf(url, sizeof url, "%s/issues?limit=1000%s%s", o->url, cursor[0] ? "&cursor=" : "",
                 cursor);
        long st = call(c, "GET", url, NULL, NULL, NULL, &b);
        json_object *page = st == 200 ? json_tokener_parse(b.p) : NULL, *items, *next;
        if (!page || !json_object_object_get_ex(page, "items", &items)) {
            fprintf(stderr, "webhook_bench: GET /issues: HTTP %ld\n", st);
            json_object_put(page);
            json_object_put(rows);
            free(b.p);
            return NULL;
        }
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i), *row, *num;
            if (json_object_object_get_ex(it, "row", &row) &&
                json_object_object_get_ex(it, "issue_number", &num))
                json_object_array_put_idx(rows, (size_t)json_object_get_int64(row),
                                          json_object_get(num));
        }
        const char *n = json_object_object_get_ex(page, "next_cursor", &next) && next
                            ? json_object_get_string(next)
                            : NULL;
        char *esc = n ? curl_easy_escape(c, n, 0) : NULL;
        snprintf(cursor, sizeof cursor, "%s", esc ? esc : "");
        curl_free(esc);
        json_object_put(page);
        if (!n)
            break;
    }
    free(b.p);
    return rows;
}

static int latency(const struct opts *o)
{
    char err[512], token[GAUTH_TOKEN_MAX], url[1024], body[512], jti[64];
    struct gauth_options go = {.scope = "https://www.googleapis.com/auth/spreadsheets"};
    struct gauth *g = gauth_new_from_file(o->key, &go, err, sizeof err);
    if (!g || gauth_token(g, token, err, sizeof err)) {
        fprintf(stderr, "webhook_bench: %s\n", err);
        return 1;
    }
    CURL *emu = curl_easy_init(), *api = curl_easy_init();
    json_object *col = issues_by_row(api, o);
    if (!col)
        return 1;
    long nrows = (long)json_object_array_length(col);
    double *lat = calloc((size_t)o->edits, sizeof *lat);
    double *send = calloc((size_t)o->edits, sizeof *send);
    long polls = 0;
    struct body b = {0};
    /* Rows and values differ from run to run (and from the runs of the
     * same second): a value the sheet already holds would show at once. */
    struct timespec seed;
    clock_gettime(CLOCK_REALTIME, &seed);
    srand((unsigned)(seed.tv_sec ^ seed.tv_nsec ^ getpid()));
    for (long i = 0; i < o->edits; i++) {
        long row = 2 + rand() % (nrows - 2);
        json_object *cell = json_object_array_get_idx(col, (size_t)row);
        const char *number = cell ? json_object_get_string(cell) : NULL;
        if (!number || !*number) {
            i--;
            continue;
        }
        char value[64];
        snprintf(value, sizeof value, "bench %ld %ld %d %ld", (long)getpid(), (long)seed.tv_sec,
                 rand(), i);
        snprintf(url, sizeof url, "%s/v4/spreadsheets/%s/values/%s%%21C%ld?valueInputOption=RAW",
                 o->emulator, o->spreadsheet, o->sheet, row);
        snprintf(body, sizeof body,
                 "{\"range\":\"%s!C%ld\",\"majorDimension\":\"ROWS\",\"values\":[[\"%s\"]]}",
                 o->sheet, row, value);
        double t0 = now_ms();
        long st = call(emu, "PUT", url, token, "application/json", body, &b);
        if (st != 200) {
            fprintf(stderr, "webhook_bench: PUT %s!C%ld: HTTP %ld %s\n", o->sheet, row, st,
                    b.p ? b.p : "");
            return 1;
        }
        char range[32];
        snprintf(range, sizeof range, "C%ld", row);
        snprintf(jti, sizeof jti, "bench-%ld-%d-%ld", (long)getpid(), rand(), i);
        char *tok = jws_notification(o->secret, (long long)time(NULL), jti, o->spreadsheet,
                                     o->sheet, "edit", range);
        snprintf(url, sizeof url, "%s/webhooks/sheets", o->url);
        st = call(api, "POST", url, NULL, "application/jwt", tok, &b);
        free(tok);
        if (st != 202) {
            fprintf(stderr, "webhook_bench: POST: HTTP %ld %s\n", st, b.p ? b.p : "");
            return 1;
        }
        send[i] = now_ms() - t0;
        char *esc = curl_easy_escape(api, number, 0);
        snprintf(url, sizeof url, "%s/issues/%s", o->url, esc);
        curl_free(esc);
        for (;;) {
            st = call(api, "GET", url, NULL, NULL, NULL, &b);
            polls++;
            json_object *issue = st == 200 ? json_tokener_parse(b.p) : NULL, *s = NULL;
            bool seen = issue && json_object_object_get_ex(issue, "summary", &s) &&
                        strcmp(json_object_get_string(s), value) == 0;
            json_object_put(issue);
            if (seen)
                break;
            if (now_ms() - t0 > 30000) {
                fprintf(stderr, "webhook_bench: issue %s never showed '%s' (row %ld)\n", number,
                        value, row);
                return 1;
            }
            usleep(1000);
        }
        lat[i] = now_ms() - t0;
    }
    qsort(lat, (size_t)o->edits, sizeof *lat, cmp_double);
    qsort(send, (size_t)o->edits, sizeof *send, cmp_double);
    double sum = 0;
    for (long i = 0; i < o->edits; i++)
        sum += lat[i];
    printf("edits=%ld last_row=%ld p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f mean_ms=%.1f "
           "put_post_p50_ms=%.1f polls=%ld\n",
           o->edits, nrows - 1, pct(lat, o->edits, 50), pct(lat, o->edits, 90),
           pct(lat, o->edits, 99), lat[o->edits - 1], sum / (double)o->edits,
           pct(send, o->edits, 50), polls);
    free(lat);
    free(send);
    free(b.p);
    json_object_put(col);
    curl_easy_cleanup(emu);
    curl_easy_cleanup(api);
    gauth_free(g);
    return 0;
}

static int tokens(const struct opts *o)
{
    long long now = (long long)time(NULL);
    srand((unsigned)now);
    for (long i = 0; i < o->count; i++) {
        char jti[64], range[32];
        snprintf(jti, sizeof jti, "load-%lld-%ld-%ld", now, (long)getpid(), i);
        snprintf(range, sizeof range, "C%ld", 2 + rand() % o->rows);
        bool format = o->event && !strcmp(o->event, "format");
        char *claims = jws_claims("sheetsync", now, now + 600, jti, o->spreadsheet, o->sheet,
                                  format ? "change" : "edit", format ? "FORMAT" : range);
        char *t = jws_hs256("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims, o->secret);
        puts(t);
        free(claims);
        free(t);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: webhook_bench latency --url URL --emulator URL --key KEY --secret S "
                    "[--edits N] [--spreadsheet ID] [--sheet NAME]\n"
                    "       webhook_bench tokens --secret S --count N [--rows N] "
                    "[--event edit|format] [--spreadsheet ID] [--sheet NAME]\n");
}

int main(int argc, char **argv)
{
    struct opts o = {
        .spreadsheet = "demo-sheet", .sheet = "Issues", .edits = 200, .count = 1000, .rows = 10000};
    if (argc < 2) {
        usage();
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--url"))
            o.url = v;
        else if (!strcmp(k, "--emulator"))
            o.emulator = v;
        else if (!strcmp(k, "--key"))
            o.key = v;
        else if (!strcmp(k, "--secret"))
            o.secret = v;
        else if (!strcmp(k, "--spreadsheet"))
            o.spreadsheet = v;
        else if (!strcmp(k, "--sheet"))
            o.sheet = v;
        else if (!strcmp(k, "--event"))
            o.event = v;
        else if (!strcmp(k, "--edits"))
            o.edits = atol(v);
        else if (!strcmp(k, "--count"))
            o.count = atol(v);
        else if (!strcmp(k, "--rows"))
            o.rows = atol(v);
        else {
            usage();
            return 2;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (!strcmp(argv[1], "latency") && o.url && o.emulator && o.key && o.secret && o.edits > 0)
        rc = latency(&o);
    else if (!strcmp(argv[1], "tokens") && o.secret && o.count > 0 && o.rows > 0)
        rc = tokens(&o);
    else {
        usage();
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}

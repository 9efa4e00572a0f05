/* range_sync: times sync_run on a range of rows, the pull a webhook
 * notification triggers (there is no command line for it).
 *
 * Three series of RUNS runs each, after one untimed warm-up pull. Before each
 * timed run of the first two, every row of the range is edited through the
 * emulator's PUT .../values/{range} (untimed), so each run finds every row
 * changed (hash, cleaning, a new issue version):
 *   summary    the Summary column (C): nothing the weekly model reads, so
 *              trends_weekly is left as it is;
 *   priority   the Priority column (E), Low and High in turn: a group of the
 *              weekly model, which is refreshed (a pass over every issue);
 *   unchanged  no edit: the hash path.
 * Prints one line per series:
 *
 *   range_sync summary rows=5 runs=20 median_ms=... min_ms=... p90_ms=... max_ms=... ...
 *
 * The database must hold a successful full sync of the source (run
 * `sheetsync sync` first). Built by CMake with the other binaries
 * (build/bench/range_sync); run by bench/sync.sh; see bench/README.md.
 *
 * usage: range_sync DB API_URL KEY_FILE SPREADSHEET_ID FIRST_ROW NROWS RUNS [SOURCE] [SHEET]
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "ingest/gauth.h"
#include "ingest/sheets.h"
#include "ingest/sync.h"
#include "store/store.h"

#define SCOPE_SHEETS_RW "https://www.googleapis.com/auth/spreadsheets"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

struct target {
    CURL *h;
    const char *api, *id, *sheet;
    struct gauth *rw; /* a token with the read-write scope */
};

/* Writes column `col` of rows first..last: "bench edit RUN/ROW" in the
 * Summary column (C), Low or High by RUN in the Priority column (E). */
static int edit_rows(struct target *t, char col, long first, long last, int run)
{
    char token[GAUTH_TOKEN_MAX], err[512];
    if (gauth_token(t->rw, token, err, sizeof err)) {
        fprintf(stderr, "range_sync: token: %s\n", err);
        return -1;
    }
    struct buf url, body, auth;
    buf_init(&url, 0);
    buf_init(&body, 0);
    buf_init(&auth, 0);
    buf_printf(&url, "%s/v4/spreadsheets/%s/values/%s!%c%ld:%c%ld?valueInputOption=RAW", t->api,
               t->id, t->sheet, col, first, col, last);
    buf_printf(&body, "{\"range\":\"%s!%c%ld:%c%ld\",\"majorDimension\":\"ROWS\",\"values\":[",
               t->sheet, col, first, col, last);
    for (long r = first; r <= last; r++) {
        const char *sep = r > first ? "," : "";
        if (col == 'C')
            buf_printf(&body, "%s[\"bench edit %d/%ld\"]", sep, run, r);
        else
            buf_printf(&body, "%s[\"%s\"]", sep, run % 2 ? "High" : "Low");
    }
    buf_puts(&body, "]}");
    buf_printf(&auth, "Authorization: Bearer %s", token);

    struct curl_slist *hdr = curl_slist_append(NULL, auth.data);
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_reset(t->h);
    curl_easy_setopt(t->h, CURLOPT_URL, url.data);
    curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(t->h, CURLOPT_TIMEOUT, 30L);
    long status = 0;
    CURLcode rc = curl_easy_perform(t->h);
    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdr);
    buf_free(&url);
    buf_free(&body);
    buf_free(&auth);
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "range_sync: PUT values: %s, HTTP %ld\n", curl_easy_strerror(rc), status);
        return -1;
    }
    return 0;
}

static void report(const char *label, long nrows, double *ms, int n, const struct load_stats *s)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    int p90 = (int)((n - 1) * 0.9 + 0.5);
    printf("range_sync %s rows=%ld runs=%d median_ms=%.2f min_ms=%.2f p90_ms=%.2f max_ms=%.2f"
           " rows_changed=%ld issues_changed=%ld\n",
           label, nrows, n, median, ms[0], ms[p90], ms[n - 1], s->rows_changed, s->issues_changed);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: range_sync DB API_URL KEY_FILE SPREADSHEET_ID FIRST_ROW NROWS "
                        "RUNS [SOURCE] [SHEET]\n");
        return 2;
    }
    const char *db = argv[1], *key = argv[3];
    long first = atol(argv[5]), nrows = atol(argv[6]);
    int runs = atoi(argv[7]);
    const char *source = argc > 8 ? argv[8] : "default";
    long last = first + nrows - 1;
    if (first < 2 || nrows < 1 || runs < 1 || runs > 1000) {
        fprintf(stderr, "range_sync: bad FIRST_ROW, NROWS or RUNS\n");
        return 2;
    }
    struct target t = {.api = argv[2], .id = argv[4], .sheet = argc > 9 ? argv[9] : "Issues"};

    char err[1024];
    int rc = 1;
    struct store *st = NULL;
    struct gauth *ro = NULL;
    struct sheets_client *client = NULL;
    double *ms = calloc((size_t)runs, sizeof *ms);
    struct load_stats stats = {0};

    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_init(LOG_WARN, false);
    struct gauth_options rwo = {.scope = SCOPE_SHEETS_RW};
    if (!ms || !(t.h = curl_easy_init()))
        goto out;
    if (!(ro = gauth_new_from_file(key, NULL, err, sizeof err)) ||
        !(t.rw = gauth_new_from_file(key, &rwo, err, sizeof err))) {
        fprintf(stderr, "range_sync: %s\n", err);
        goto out;
    }
    if (store_open(db, &st, err, sizeof err) || store_migrate(st, err, sizeof err)) {
        fprintf(stderr, "range_sync: %s\n", err);
        goto out;
    }
    if (!(client = sheets_client_new(t.api, ro, NULL)))
        goto out;

    struct sync_source src = {.name = source, .spreadsheet_id = t.id, .header_row = 1};
    struct sync_request req = {.trigger = "webhook", .first = first, .last = last};

    /* One warm-up pull: the token, the connection, SQLite's page cache. */
    if (sync_run(st, client, &src, &req, &stats, err, sizeof err)) {
        fprintf(stderr, "range_sync: warm-up: %s\n", err);
        goto out;
    }
    static const struct {
        const char *label;
        char col; /* 0: no edit */
    } series[] = {{"summary", 'C'}, {"priority", 'E'}, {"unchanged", 0}};
    for (size_t k = 0; k < sizeof series / sizeof series[0]; k++) {
        for (int i = 0; i < runs; i++) {
            if (series[k].col && edit_rows(&t, series[k].col, first, last, i))
                goto out;
            double t0 = now_ms();
            if (sync_run(st, client, &src, &req, &stats, err, sizeof err)) {
                fprintf(stderr, "range_sync: %s\n", err);
                goto out;
            }
            ms[i] = now_ms() - t0;
            /* An edit that changes nothing would time the wrong path (the
             * first priority run may find the rows Low already). */
            if (series[k].col && stats.rows_changed != nrows && !(series[k].col == 'E' && i == 0)) {
                fprintf(stderr, "range_sync: %s run %d: %ld rows changed, expected %ld\n",
                        series[k].label, i, stats.rows_changed, nrows);
                goto out;
            }
        }
        report(series[k].label, nrows, ms, runs, &stats);
    }
    rc = 0;
out:
    sheets_client_free(client);
    gauth_free(ro);
    gauth_free(t.rw);
    store_close(st);
    if (t.h)
        curl_easy_cleanup(t.h);
    curl_global_cleanup();
    free(ms);
    return rc;
}

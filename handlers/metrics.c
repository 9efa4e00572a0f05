/* GET /metrics: Prometheus text exposition format 0.0.4.
 *
 * Three kinds of numbers: the in-process counters of server/metrics.c
 * (HTTP, webhook, queue depth), the Google API counters the Sheets client
 * keeps (struct sheets_stats, through struct app), and what the database
 * knows, read at scrape time in one snapshot: sync runs and rows by source,
 * trigger and outcome (sync_runs is never pruned, so the sums only grow and
 * are exposed as counters; they include runs of earlier processes and of
 * `sheetsync import-csv`), and per source the age of the last good sync and
 * the data version. When the database cannot be read, sheetsync_database_up
 * is 0 and the rest is still served. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "handlers/handlers.h"
#include "ingest/sheets.h"
#include "server/app.h"
#include "server/metrics.h"

#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static double jnum(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && v ? json_object_get_double(v) : 0;
}

/* "2024-02-01T10:00:00Z" as seconds since the epoch; -1 when not that shape. */
static long long parse_utc(const char *s)
{
    struct tm tm = {0};
    char z = 0;
    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        z != 'Z')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

static int write_google(struct buf *b, const struct sheets_stats *s)
{
    int rc = metrics_write_header(b, "sheetsync_google_api_calls_total", "counter",
                                  "Google Sheets API calls, by outcome (HTTP status class, "
                                  "other, or network: no HTTP answer).");
    for (int i = 0; i < SHEETS_STAT_N; i++) {
        const char *labels[] = {"status", sheets_stat_label((enum sheets_stat)i), NULL};
        rc |= metrics_write_sample(b, "sheetsync_google_api_calls_total", labels,
                                   (double)atomic_load(&s->calls[i]));
    }
    rc |= metrics_write_header(b, "sheetsync_google_api_retries_total", "counter",
                               "Google Sheets API calls retried after a 429, 5xx or network "
                               "error.");
    rc |= metrics_write_sample(b, "sheetsync_google_api_retries_total", NULL,
                               (double)atomic_load(&s->retries));
    return rc;
}

static int write_syncs(struct buf *b, json_object *totals, long running)
{
    static const struct {
        const char *name, *key, *help;
    } sums[] = {
        {"sheetsync_sync_runs_total", "runs",
         "Finished sync runs, by source, trigger and status (ok or failed)."},
        {"sheetsync_sync_rows_fetched_total", "rows_fetched",
         "Sheet rows read by finished sync runs, by source, trigger and status."},
        {"sheetsync_sync_rows_changed_total", "rows_changed",
         "Sheet rows found changed by finished sync runs, by source, trigger and status."},
    };
    int rc = 0;
    size_t n = json_object_array_length(totals);
    for (size_t k = 0; k < sizeof sums / sizeof *sums; k++) {
        rc |= metrics_write_header(b, sums[k].name, "counter", sums[k].help);
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(totals, i);
            const char *labels[] = {"source", jstr(t, "source"), "trigger", jstr(t, "trigger"),
                                    "status", jstr(t, "status"), NULL};
            rc |= metrics_write_sample(b, sums[k].name, labels, jnum(t, sums[k].key));
        }
    }
    rc |= metrics_write_header(b, "sheetsync_sync_runs_running", "gauge", "Sync runs in progress.");
    rc |= metrics_write_sample(b, "sheetsync_sync_runs_running", NULL, (double)running);
    return rc;
}

static int write_sources(struct buf *b, json_object *sources)
{
    size_t n = json_object_array_length(sources);
    time_t now = time(NULL);
    int rc = metrics_write_header(b, "sheetsync_last_sync_success_age_seconds", "gauge",
                                  "Seconds since the last successful sync of each source "
                                  "(absent before the first one).");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(sources, i);
        long long at = parse_utc(jstr(s, "last_sync_ok_at"));
        const char *labels[] = {"source", jstr(s, "name"), NULL};
        if (at >= 0)
            rc |= metrics_write_sample(b, "sheetsync_last_sync_success_age_seconds", labels,
                                       (double)(now > at ? now - at : 0));
    }
    rc |= metrics_write_header(b, "sheetsync_last_sync_success_timestamp_seconds", "gauge",
                               "When each source last synced successfully (Unix time).");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(sources, i);
        long long at = parse_utc(jstr(s, "last_sync_ok_at"));
        const char *labels[] = {"source", jstr(s, "name"), NULL};
        if (at >= 0)
            rc |= metrics_write_sample(b, "sheetsync_last_sync_success_timestamp_seconds", labels,
                                       (double)at);
    }
    rc |= metrics_write_header(b, "sheetsync_data_version", "gauge",
                               "Each source's data version: it grows whenever its data changes.");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(sources, i);
        const char *labels[] = {"source", jstr(s, "name"), NULL};
        rc |= metrics_write_sample(b, "sheetsync_data_version", labels, jnum(s, "data_version"));
    }
    return rc;
}

int h_metrics(struct http_req *r)
{
    char err[512];
    struct app *app = http_req_app(r);
    json_object *totals = NULL, *sources = NULL;
    long running = 0;
    struct buf b;
    buf_init(&b, 0);
    int rc = metrics_write_process(&b);
    if (app && app->sheets)
        rc |= write_google(&b, app->sheets);

    /* The database part. http_req_store sets a 503 reply when it cannot open
     * the file; the metrics reply below replaces it. */
    struct store *st = http_req_store(r);
    bool db_ok = false;
    if (st && store_read_begin(st, err, sizeof err) == 0) {
        db_ok = store_syncs_totals(st, &totals, &running, err, sizeof err) == 0 &&
                store_sources_status(st, &sources, err, sizeof err) == 0;
        store_read_end(st);
    }
    if (st && !db_ok)
        log_warn("http %s: metrics: %s", http_req_id(r), err);
    rc |= metrics_write_header(&b, "sheetsync_database_up", "gauge",
                               "1 when the database could be read for this scrape.");
    rc |= metrics_write_sample(&b, "sheetsync_database_up", NULL, db_ok ? 1 : 0);
    if (db_ok) {
        rc |= write_syncs(&b, totals, running);
        rc |= write_sources(&b, sources);
    }
    json_object_put(totals);
    json_object_put(sources);
    if (rc || http_reply_buf(r, 200, PROM_TEXT, &b)) {
        buf_free(&b);
        return -1;
    }
    http_reply_header(r, "Cache-Control", "no-store");
    buf_free(&b);
    return 0;
}

/* GET /trends/weekly (contract §5.1): the weekly model as JSON or CSV.
 * Beyond the contract, `group=VALUE` keeps only that group's rows (with
 * group_by=vehicle, group=TRUCK12: one vehicle's weeks). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/civil.h"
#include "common/log.h"
#include "handlers/handlers.h"
#include "store/trends.h"

static const char *const group_bys[] = {"none", "priority", "vehicle", "assignee", NULL};
static const char *const formats[] = {"json", "csv", NULL};

/* The keys of a `weeks` row, in the order of the contract's example; also the
 * CSV header. */
static const char csv_header[] =
    "week_start,week_end,group,opened,resolved,open_at_end,overdue_at_end,"
    "mean_days_to_resolve,median_days_to_resolve,opened_prev,opened_wow_delta,opened_wow_pct,"
    "resolved_prev,resolved_wow_delta,resolved_wow_pct,open_at_end_prev,open_at_end_wow_delta,"
    "open_at_end_wow_pct\n";

/* Moves a valid YYYY-MM-DD to the Monday of its week, in place. */
static void to_monday(char d[11])
{
    long days = civil_to_days(atoi(d), atoi(d + 5), atoi(d + 8));
    /* 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays. */
    long back = ((days + 3) % 7 + 7) % 7;
    int y, m, dd;
    civil_from_days(days - back, &y, &m, &dd);
    snprintf(d, 11, "%04d-%02d-%02d", y, m, dd);
}

/* Rows are written with a few memcpy into a line buffer rather than through
 * printf or a json-c tree: a year of weeks by vehicle is thousands of rows,
 * and formatting was most of the cost of this endpoint. */
struct line {
    char v[1024];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    size_t n = strlen(s);
    memcpy(l->v + l->n, s, n);
    l->n += n;
}

static void put_long(struct line *l, long v)
{
    char tmp[24];
    size_t n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        l->v[l->n++] = '-';
    while (n)
        l->v[l->n++] = tmp[--n];
}

/* A decimal with at most `places` (1 or 2) digits after the point, trailing
 * zeros dropped but one kept: 2.50 → 2.5, 2.00 → 2.0, 11.1 → 11.1. The store
 * already rounded the value (half away from zero), so scaling and rounding
 * to the nearest integer only removes binary noise. `null` is written when
 * there is no value ("null" in JSON, "" in CSV). */
static void put_decimal(struct line *l, bool has, double v, int places, const char *null)
{
    if (!has) {
        put(l, null);
        return;
    }
    long scale = places == 2 ? 100 : 10;
    long long q = llround(v * (double)scale);
    if (q < 0)
        l->v[l->n++] = '-';
    unsigned long long u = q < 0 ? 0ULL - (unsigned long long)q : (unsigned long long)q;
    put_long(l, (long)(u / (unsigned long long)scale));
    long frac = (long)(u % (unsigned long long)scale);
    l->v[l->n++] = '.';
    if (places == 2) {
        l->v[l->n++] = (char)('0' + frac / 10);
        if (frac % 10)
            l->v[l->n++] = (char)('0' + frac % 10);
    } else {
        l->v[l->n++] = (char)('0' + frac);
    }
}

struct json_weeks {
    struct buf b;
    long n;
};

static int json_row(const struct trend_row *t, void *arg)
{
    struct json_weeks *w = arg;
    struct line l = {.n = 0};
    put(&l, w->n++ ? ",{\"week_start\":\"" : "{\"week_start\":\"");
    put(&l, t->week_start);
    put(&l, "\",\"week_end\":\"");
    put(&l, t->week_end);
    put(&l, "\",\"group\":");
    if (buf_append(&w->b, l.v, l.n) || buf_json_string(&w->b, t->group, strlen(t->group)))
        return -1;
    l.n = 0;
    put(&l, ",\"opened\":");
    put_long(&l, t->opened);
    put(&l, ",\"resolved\":");
    put_long(&l, t->resolved);
    put(&l, ",\"open_at_end\":");
    put_long(&l, t->open_at_end);
    put(&l, ",\"overdue_at_end\":");
    put_long(&l, t->overdue_at_end);
    put(&l, ",\"mean_days_to_resolve\":");
    put_decimal(&l, t->has_mean, t->mean_days_to_resolve, 2, "null");
    put(&l, ",\"median_days_to_resolve\":");
    put_decimal(&l, t->has_median, t->median_days_to_resolve, 2, "null");
    put(&l, ",\"opened_prev\":");
    put_long(&l, t->opened_prev);
    put(&l, ",\"opened_wow_delta\":");
    put_long(&l, t->opened_wow_delta);
    put(&l, ",\"opened_wow_pct\":");
    put_decimal(&l, t->has_opened_wow_pct, t->opened_wow_pct, 1, "null");
    put(&l, ",\"resolved_prev\":");
    put_long(&l, t->resolved_prev);
    put(&l, ",\"resolved_wow_delta\":");
    put_long(&l, t->resolved_wow_delta);
    put(&l, ",\"resolved_wow_pct\":");
    put_decimal(&l, t->has_resolved_wow_pct, t->resolved_wow_pct, 1, "null");
    put(&l, ",\"open_at_end_prev\":");
    put_long(&l, t->open_at_end_prev);
    put(&l, ",\"open_at_end_wow_delta\":");
    put_long(&l, t->open_at_end_wow_delta);
    put(&l, ",\"open_at_end_wow_pct\":");
    put_decimal(&l, t->has_open_at_end_wow_pct, t->open_at_end_wow_pct, 1, "null");
    put(&l, "}");
    return buf_append(&w->b, l.v, l.n) ? -1 : 0;
}

/* A JSON string, or null when s is NULL or empty. */
static int json_str(struct buf *b, const char *key, const char *s)
{
    if (buf_printf(b, "\"%s\":", key))
        return -1;
    return s && *s ? buf_json_string(b, s, strlen(s)) : buf_puts(b, "null");
}

static int csv_row(const struct trend_row *t, void *arg)
{
    struct buf *b = arg;
    struct line l = {.n = 0};
    put(&l, t->week_start);
    put(&l, ",");
    put(&l, t->week_end);
    put(&l, ",");
    if (buf_append(b, l.v, l.n) || buf_csv_field(b, t->group))
        return -1;
    l.n = 0;
    const long ints1[] = {t->opened, t->resolved, t->open_at_end, t->overdue_at_end};
    for (size_t i = 0; i < 4; i++) {
        put(&l, ",");
        put_long(&l, ints1[i]);
    }
    put(&l, ",");
    put_decimal(&l, t->has_mean, t->mean_days_to_resolve, 2, "");
    put(&l, ",");
    put_decimal(&l, t->has_median, t->median_days_to_resolve, 2, "");
    const struct {
        long prev, delta;
        bool has;
        double pct;
    } wow[] = {
        {t->opened_prev, t->opened_wow_delta, t->has_opened_wow_pct, t->opened_wow_pct},
        {t->resolved_prev, t->resolved_wow_delta, t->has_resolved_wow_pct, t->resolved_wow_pct},
        {t->open_at_end_prev, t->open_at_end_wow_delta, t->has_open_at_end_wow_pct,
         t->open_at_end_wow_pct},
    };
    for (size_t i = 0; i < 3; i++) {
        put(&l, ",");
        put_long(&l, wow[i].prev);
        put(&l, ",");
        put_long(&l, wow[i].delta);
        put(&l, ",");
        put_decimal(&l, wow[i].has, wow[i].pct, 1, "");
    }
    put(&l, "\n");
    return buf_append(b, l.v, l.n) ? -1 : 0;
}

/* `group=`: only the rows of one group pass to the writer (a dashboard
 * filtered to one vehicle needs 60 rows, not 60 × every vehicle). */
struct group_filter {
    const char *group;
    trend_row_fn row;
    void *arg;
};

static int filter_row(const struct trend_row *t, void *arg)
{
    const struct group_filter *f = arg;
    return strcmp(t->group, f->group) == 0 ? f->row(t, f->arg) : 0;
}

int h_trends_weekly(struct http_req *r)
{
    char from[11] = "", to[11] = "", rfrom[11] = "", rto[11] = "", err[512], variant[400];
    const char *group_by = "none", *format = "json";
    struct store *st;
    struct store_source src;
    struct json_weeks weeks = {.n = 0};
    struct buf out;
    int rc, result = 0;
    buf_init(&weeks.b, 0);
    buf_init(&out, 0);

    int has_from = http_query_date(r, "from", from);
    int has_to = has_from < 0 ? 0 : http_query_date(r, "to", to);
    if (has_from < 0 || has_to < 0 || http_query_enum(r, "group_by", group_bys, &group_by) < 0)
        return 0;
    int has_format = http_query_enum(r, "format", formats, &format);
    if (has_format < 0)
        return 0;
    const char *group = http_req_query(r, "group");
    if (group && strlen(group) > 256)
        return http_bad_param(r, "group", "group is one group value, such as high or TRUCK12");
    if (!has_format) {
        /* Accept: text/csv asks for CSV, unless JSON is listed before it. */
        const char *accept = http_req_header(r, "Accept");
        const char *csv = accept ? strstr(accept, "text/csv") : NULL;
        const char *json = accept ? strstr(accept, "application/json") : NULL;
        if (csv && (!json || csv < json))
            format = "csv";
        http_vary_accept(r);
    }
    if (has_from)
        to_monday(from);
    if (has_to)
        to_monday(to);
    bool is_csv = strcmp(format, "csv") == 0;

    if ((rc = http_read_begin(r, &st, &src)) < 0)
        return 0;
    snprintf(variant, sizeof variant, "%s|%s|%s|%s|%s", group_by, from, to, format,
             group ? group : "");
    if (http_not_modified(r, rc ? &src : NULL, variant))
        goto out;

    if (is_csv && buf_puts(&out, csv_header)) {
        result = -1;
        goto out;
    }
    if (rc == 1) {
        struct trends_query q = {.source_id = src.id,
                                 .group_by = group_by,
                                 .from = has_from ? from : NULL,
                                 .to = has_to ? to : NULL};
        struct group_filter f = {group, is_csv ? csv_row : json_row,
                                 is_csv ? (void *)&out : (void *)&weeks};
        if (store_trends_fetch(st, &q, group ? filter_row : f.row, group ? (void *)&f : f.arg,
                               rfrom, rto, err, sizeof err)) {
            log_error("http %s: trends: %s", http_req_id(r), err);
            result = -1;
            goto out;
        }
    }
    if (is_csv) {
        http_reply_buf(r, 200, HTTP_CSV, &out);
        goto out;
    }
    /* The resolved range; null when it has no weeks (also when from > to). */
    bool empty = weeks.n == 0;
    int w = buf_puts(&out, "{");
    w |= json_str(&out, "source", rc ? src.name : NULL);
    w |= buf_printf(&out, ",\"group_by\":\"%s\",", group_by);
    w |= json_str(&out, "from", empty ? NULL : rfrom);
    w |= buf_puts(&out, ",");
    w |= json_str(&out, "to", empty ? NULL : rto);
    w |= buf_puts(&out, ",");
    w |= json_str(&out, "timezone", rc ? src.timezone : "UTC");
    w |= buf_printf(&out, ",\"data_version\":\"%ld\",\"weeks\":[", rc ? src.data_version : 0L);
    w |= weeks.b.data ? buf_append(&out, weeks.b.data, weeks.b.len) : 0;
    w |= buf_puts(&out, "]}");
    if (w || http_reply_buf(r, 200, HTTP_JSON, &out))
        result = -1;
out:
    buf_free(&weeks.b);
    buf_free(&out);
    http_read_end(st, &src);
    return result;
}

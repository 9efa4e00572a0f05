#include "store/trends.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/civil.h"
#include "common/embedded.h"
#include "store/store_internal.h"

/* The weekly model (models.md §4).
 *
 * Its readable definition is the SQL of sql/queries/trends_weekly.sql, which
 * store_trends_fetch runs for a range reaching outside the materialized one.
 * store_trends_refresh computes the same rows in C from the issues of
 * sql/queries/trends_issues.sql (the weeks of their dates come from the same
 * SQL expressions): in SQLite the model needs several sorts and window
 * passes per group_by, 0.3-1 s each for 100,000 issues, while the buckets
 * below take milliseconds and the refresh is dominated by inserting the rows.
 * Both paths do the same arithmetic (events per week, running sums, integer
 * rounding), and the unit tests compare them row by row on random data.
 *
 * Rows of the table and of the query have the 20 columns of trends_weekly in
 * its order, so one function turns either into a struct trend_row. */

const char *const trends_group_bys[4] = {"none", "priority", "vehicle", "assignee"};

#define MODEL_PATH  "sql/queries/trends_weekly.sql"
#define ISSUES_PATH "sql/queries/trends_issues.sql"

#define TREND_COLUMNS                                                                              \
    "source_id, group_by, grp, week_start, week_end, opened, resolved, open_at_end,"               \
    " overdue_at_end, mean_days_to_resolve, median_days_to_resolve, opened_prev,"                  \
    " opened_wow_delta, opened_wow_pct, resolved_prev, resolved_wow_delta, resolved_wow_pct,"      \
    " open_at_end_prev, open_at_end_wow_delta, open_at_end_wow_pct"

bool trends_group_by_valid(const char *group_by)
{
    if (!group_by)
        return false;
    for (size_t i = 0; i < sizeof trends_group_bys / sizeof trends_group_bys[0]; i++)
        if (strcmp(group_by, trends_group_bys[i]) == 0)
            return true;
    return false;
}

static const char *embedded_sql(const char *path, char *err, size_t errlen)
{
    const struct embedded_file *f = embedded_find(path);
    if (!f) {
        snprintf(err, errlen, "%s is not embedded in this binary", path);
        return NULL;
    }
    return f->data;
}

/* Binds the model query's named parameters; a NULL from/to means the
 * default range. */
static void bind_model(sqlite3_stmt *s, long source_id, const char *group_by, const char *from,
                       const char *to)
{
    int i;
    if ((i = sqlite3_bind_parameter_index(s, ":source_id")) > 0)
        sqlite3_bind_int64(s, i, source_id);
    if ((i = sqlite3_bind_parameter_index(s, ":group_by")) > 0)
        sqlite3_bind_text(s, i, group_by, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(s, ":from")) > 0) {
        if (from)
            sqlite3_bind_text(s, i, from, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, i);
    }
    if ((i = sqlite3_bind_parameter_index(s, ":to")) > 0) {
        if (to)
            sqlite3_bind_text(s, i, to, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, i);
    }
}

/* ---- store_trends_refresh: the model computed in buckets ---- */

enum { KEY_PRIORITY, KEY_VEHICLE, KEY_ASSIGNEE, NKEYS };

/* One current, valid issue, as trends_issues.sql gives it. Weeks are the
 * week numbers of the SQL (JDN / 7); has_* false for NULL. */
struct tissue {
    size_t key[NKEYS]; /* offsets of the group values in tset.arena */
    int64_t rw, ew, dw, secs;
    bool has_ew, has_dw, has_secs;
};

struct tset {
    struct tissue *v;
    size_t n, cap;
    char *arena; /* NUL-terminated group values, back to back */
    size_t alen, acap;
    int64_t w_from, w_to; /* the default range, when n > 0 */
};

/* Everything that happens to one group in one week. */
struct tcell {
    int32_t op, rs; /* opened, resolved in this week */
    int32_t oa, od; /* increments of open_at_end, overdue_at_end */
    int32_t n, mn;  /* issues with a valid resolved_at resolved this week; middle values */
    int64_t s, ms;  /* their seconds to resolve; the sum of the middle values */
};

/* A valid resolution, for the medians. */
struct tres {
    size_t g;
    int64_t w, secs;
};

static const char *const priorities[] = {"critical", "high", "medium", "low", "none"};

static void tset_free(struct tset *t)
{
    free(t->v);
    free(t->arena);
}

static int arena_add(struct tset *t, const char *s, size_t *off)
{
    size_t len = strlen(s) + 1;
    if (t->alen + len > t->acap) {
        size_t cap = t->acap ? t->acap : 4096;
        while (cap < t->alen + len)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a)
            return -1;
        t->arena = a;
        t->acap = cap;
    }
    memcpy(t->arena + t->alen, s, len);
    *off = t->alen;
    t->alen += len;
    return 0;
}

static int load_issues(struct store *st, long source_id, struct tset *t, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = -1, step;
    const char *sql = embedded_sql(ISSUES_PATH, err, errlen);
    if (!sql || store_prepare(st, sql, &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":source_id"), source_id);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 1024;
            struct tissue *v = realloc(t->v, cap * sizeof *v);
            if (!v)
                goto oom;
            t->v = v;
            t->cap = cap;
        }
        struct tissue *is = &t->v[t->n];
        for (int k = 0; k < NKEYS; k++) {
            const unsigned char *txt = sqlite3_column_text(s, k);
            if (arena_add(t, txt ? (const char *)txt : "", &is->key[k]))
                goto oom;
        }
        is->rw = sqlite3_column_int64(s, 3);
        is->has_ew = sqlite3_column_type(s, 4) != SQLITE_NULL;
        is->ew = sqlite3_column_int64(s, 4);
        is->has_dw = sqlite3_column_type(s, 5) != SQLITE_NULL;
        is->dw = sqlite3_column_int64(s, 5);
        bool has_aw = sqlite3_column_type(s, 6) != SQLITE_NULL;
        int64_t aw = sqlite3_column_int64(s, 6);
        is->has_secs = sqlite3_column_type(s, 7) != SQLITE_NULL;
        is->secs = sqlite3_column_int64(s, 7);
        /* The default range: the earliest reported_at to the latest
         * reported_at or valid resolved_at. */
        if (t->n == 0)
            t->w_from = t->w_to = is->rw;
        if (is->rw < t->w_from)
            t->w_from = is->rw;
        if (is->rw > t->w_to)
            t->w_to = is->rw;
        if (has_aw && aw > t->w_to)
            t->w_to = aw;
        t->n++;
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "trends_issues");
        goto out;
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "trends: out of memory");
out:
    sqlite3_finalize(s);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted groups of group_by `gb` (index into trends_group_bys) and the
 * group of each issue. strcmp is the byte order of SQLite's BINARY. */
static int make_groups(const struct tset *t, size_t gb, const char ***groups_out, size_t *ng_out,
                       size_t **gi_out)
{
    const char **all = NULL;
    size_t *gi = calloc(t->n ? t->n : 1, sizeof *gi);
    if (!gi)
        return -1;
    if (gb == 0) { /* none */
        all = malloc(sizeof *all);
        if (!all)
            goto fail;
        all[0] = "all";
        *groups_out = all;
        *ng_out = 1;
        *gi_out = gi;
        return 0;
    }
    int key = gb == 1 ? KEY_PRIORITY : gb == 2 ? KEY_VEHICLE : KEY_ASSIGNEE;
    size_t extra = gb == 1 ? sizeof priorities / sizeof priorities[0] : 0;
    all = malloc((t->n + extra) * sizeof *all);
    if (!all)
        goto fail;
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        all[m++] = t->arena + t->v[i].key[key];
    for (size_t i = 0; i < extra; i++)
        all[m++] = priorities[i];
    qsort(all, m, sizeof *all, cmp_str);
    size_t ng = 0;
    for (size_t i = 0; i < m; i++)
        if (ng == 0 || strcmp(all[ng - 1], all[i]) != 0)
            all[ng++] = all[i];
    for (size_t i = 0; i < t->n; i++) {
        const char *k = t->arena + t->v[i].key[key];
        const char **hit = bsearch(&k, all, ng, sizeof *all, cmp_str);
        gi[i] = (size_t)(hit - all);
    }
    *groups_out = all;
    *ng_out = ng;
    *gi_out = gi;
    return 0;
fail:
    free(all);
    free(gi);
    return -1;
}

static int cmp_res(const void *a, const void *b)
{
    const struct tres *x = a, *y = b;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    return (x->secs > y->secs) - (x->secs < y->secs);
}

/* "YYYY-MM-DD" of a Julian day number (proleptic Gregorian, as SQLite);
 * false outside years 0..9999. */
static bool jdn_date(int64_t jdn, char out[11])
{
    int y, m, d;
    civil_from_days((long)(jdn - 2440588), &y, &m, &d); /* 2440588: 1970-01-01 */
    if (y > 9999 || y < 0)
        return false;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return true;
}

/* Binds 100 (x - p) / p to 1 decimal, half away from zero, or NULL when p
 * is 0. Integer arithmetic, as in the SQL: tenths = (2000 |d| + p) / 2p. */
static void bind_pct(sqlite3_stmt *s, int i, int64_t x, int64_t p)
{
    if (p == 0) {
        sqlite3_bind_null(s, i);
        return;
    }
    int64_t d = x - p, ad = d < 0 ? -d : d;
    int64_t tenths = (2000 * ad + p) / (2 * p);
    sqlite3_bind_double(s, i, (double)(d < 0 ? -tenths : tenths) / 10.0);
}

/* Binds the sum s of n values in seconds as days to 2 decimals, half away
 * from zero, or NULL when n is 0: hundredths = 100 q + round(100 r / unit)
 * with |s| = q unit + r, unit = 86400 n, as in the SQL. */
static void bind_days(sqlite3_stmt *s, int i, int64_t sum, int64_t n)
{
    if (n == 0) {
        sqlite3_bind_null(s, i);
        return;
    }
    int64_t unit = 86400 * n, as = sum < 0 ? -sum : sum;
    int64_t h = as / unit * 100 + (200 * (as % unit) + unit) / (2 * unit);
    sqlite3_bind_double(s, i, (double)(sum < 0 ? -h : h) / 100.0);
}

/* Adds an event to the cell of (g, w): events after the range are dropped,
 * those before lo (the week before the range) land on lo with only their
 * effect on the running sums, as in the CTE `cells` of the SQL. */
static void add_event(struct tcell *cells, size_t nweeks, int64_t lo, int64_t hi, size_t g,
                      int64_t w, int op, int rs, int oa, int od, bool res, int64_t secs)
{
    if (w > hi)
        return;
    if (w < lo) {
        w = lo;
        op = rs = 0;
    }
    struct tcell *c = &cells[g * nweeks + (size_t)(w - lo)];
    c->op += op;
    c->rs += rs;
    c->oa += oa;
    c->od += od;
    if (res) {
        c->n++;
        c->s += secs;
    }
}

static int refresh_group_by(struct store *st, sqlite3_stmt *ins, long source_id,
                            const struct tset *t, size_t gb, char *err, size_t errlen)
{
    const char **groups = NULL;
    size_t ng = 0, *gi = NULL;
    struct tcell *cells = NULL;
    struct tres *res = NULL;
    int64_t *run = NULL;
    int rc = -1;
    const int64_t lo = t->w_from - 1, from = t->w_from, hi = t->w_to;
    const size_t nweeks = (size_t)(hi - lo + 1);

    if (make_groups(t, gb, &groups, &ng, &gi))
        goto oom;
    if (nweeks > SIZE_MAX / sizeof *cells / ng)
        goto oom;
    cells = calloc(ng * nweeks, sizeof *cells);
    res = malloc((t->n ? t->n : 1) * sizeof *res);
    run = calloc(2 * ng, sizeof *run);
    if (!cells || !res || !run)
        goto oom;

    /* The events of each issue (see the CTE `events` of trends_weekly.sql):
     * A in the week reported, B in the week of R when another week, D in
     * the week it fell due when after A and before R. */
    size_t nres = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct tissue *is = &t->v[i];
        size_t g = gi[i];
        int64_t rw = is->rw, ew = is->ew, dw = is->dw;
        bool e = is->has_ew, d = is->has_dw;
        add_event(cells, nweeks, lo, hi, g, rw, 1, e && ew == rw, e && ew <= rw ? 0 : 1,
                  d && dw <= rw && (!e || ew > rw), e && ew == rw && is->has_secs, is->secs);
        if (e && ew != rw)
            add_event(cells, nweeks, lo, hi, g, ew, 0, 1, ew > rw ? -1 : 0,
                      d && ew > (dw > rw ? dw : rw) ? -1 : 0, is->has_secs, is->secs);
        if (d && dw > rw && (!e || ew > dw))
            add_event(cells, nweeks, lo, hi, g, dw, 0, 0, 0, 1, false, 0);
        if (e && is->has_secs && ew >= from && ew <= hi)
            res[nres++] = (struct tres){g, ew, is->secs};
    }
    /* Medians: the one or two middle values of each (group, week). */
    qsort(res, nres, sizeof *res, cmp_res);
    for (size_t a = 0, b; a < nres; a = b) {
        for (b = a; b < nres && res[b].g == res[a].g && res[b].w == res[a].w; b++)
            ;
        size_t cnt = b - a;
        struct tcell *c = &cells[res[a].g * nweeks + (size_t)(res[a].w - lo)];
        c->ms = res[a + (cnt - 1) / 2].secs;
        c->mn = 1;
        if (cnt % 2 == 0) {
            c->ms += res[a + cnt / 2].secs;
            c->mn = 2;
        }
    }

    /* Rows in the table's key order: week, then group. run[2g] and
     * run[2g+1] are the running open_at_end and overdue_at_end of group g,
     * starting with week lo. */
    for (size_t g = 0; g < ng; g++) {
        run[2 * g] = cells[g * nweeks].oa;
        run[2 * g + 1] = cells[g * nweeks].od;
    }
    for (int64_t w = from; w <= hi; w++) {
        char ws[11], we[11];
        /* Weeks come from julianday(), so every Monday is a date SQLite
         * can write; the Sunday of the last one (9999-12-27) is not and is
         * capped, as in the SQL. */
        if (!jdn_date(7 * w, ws))
            snprintf(ws, sizeof ws, "0000-00-00");
        if (!jdn_date(7 * w + 6, we))
            snprintf(we, sizeof we, "9999-12-31");
        size_t k = (size_t)(w - lo);
        for (size_t g = 0; g < ng; g++) {
            const struct tcell *c = &cells[g * nweeks + k], *p = c - 1;
            int64_t oae_prev = run[2 * g];
            run[2 * g] += c->oa;
            run[2 * g + 1] += c->od;
            int64_t oae = run[2 * g];
            sqlite3_reset(ins);
            sqlite3_bind_int64(ins, 1, source_id);
            sqlite3_bind_text(ins, 2, trends_group_bys[gb], -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 3, groups[g], -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 4, ws, 10, SQLITE_STATIC);
            sqlite3_bind_text(ins, 5, we, 10, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 6, c->op);
            sqlite3_bind_int64(ins, 7, c->rs);
            sqlite3_bind_int64(ins, 8, oae);
            sqlite3_bind_int64(ins, 9, run[2 * g + 1]);
            bind_days(ins, 10, c->s, c->n);
            bind_days(ins, 11, c->ms, c->mn);
            sqlite3_bind_int64(ins, 12, p->op);
            sqlite3_bind_int64(ins, 13, c->op - p->op);
            bind_pct(ins, 14, c->op, p->op);
            sqlite3_bind_int64(ins, 15, p->rs);
            sqlite3_bind_int64(ins, 16, c->rs - p->rs);
            bind_pct(ins, 17, c->rs, p->rs);
            sqlite3_bind_int64(ins, 18, oae_prev);
            sqlite3_bind_int64(ins, 19, oae - oae_prev);
            bind_pct(ins, 20, oae, oae_prev);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                store_fail(st, err, errlen, "trends_weekly");
                goto out;
            }
        }
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "trends: out of memory (%zu groups x %zu weeks)", ng, nweeks);
out:
    free(groups);
    free(gi);
    free(cells);
    free(res);
    free(run);
    return rc;
}

int store_trends_refresh(struct store *st, long source_id, char *err, size_t errlen)
{
    sqlite3_stmt *del = NULL, *ins = NULL;
    struct tset t;
    int rc = -1;
    memset(&t, 0, sizeof t);
    if (store_prepare(st, "DELETE FROM trends_weekly WHERE source_id = ?", &del, err, errlen))
        goto out;
    sqlite3_bind_int64(del, 1, source_id);
    if (sqlite3_step(del) != SQLITE_DONE) {
        store_fail(st, err, errlen, "trends_weekly");
        goto out;
    }
    if (load_issues(st, source_id, &t, err, errlen))
        goto out;
    if (t.n == 0) { /* no current, valid issue: no weeks */
        rc = 0;
        goto out;
    }
    if (store_prepare(st,
                      "INSERT INTO trends_weekly (" TREND_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
                      " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                      &ins, err, errlen))
        goto out;
    for (size_t gb = 0; gb < sizeof trends_group_bys / sizeof trends_group_bys[0]; gb++)
        if (refresh_group_by(st, ins, source_id, &t, gb, err, errlen))
            goto out;
    rc = 0;
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    tset_free(&t);
    return rc;
}

/* Copies at most 10 characters of a date column ("" when NULL). */
static void copy_date(char out[11], sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(out, 11, "%s", t ? (const char *)t : "");
}

static double opt_double(sqlite3_stmt *s, int col, bool *has)
{
    *has = sqlite3_column_type(s, col) != SQLITE_NULL;
    return *has ? sqlite3_column_double(s, col) : 0.0;
}

/* Walks the rows of a statement producing TREND_COLUMNS. */
static int walk_rows(struct store *st, sqlite3_stmt *s, trend_row_fn fn, void *arg, char *err,
                     size_t errlen)
{
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct trend_row r;
        memset(&r, 0, sizeof r);
        const unsigned char *grp = sqlite3_column_text(s, 2);
        r.group = grp ? (const char *)grp : "";
        copy_date(r.week_start, s, 3);
        copy_date(r.week_end, s, 4);
        r.opened = (long)sqlite3_column_int64(s, 5);
        r.resolved = (long)sqlite3_column_int64(s, 6);
        r.open_at_end = (long)sqlite3_column_int64(s, 7);
        r.overdue_at_end = (long)sqlite3_column_int64(s, 8);
        r.mean_days_to_resolve = opt_double(s, 9, &r.has_mean);
        r.median_days_to_resolve = opt_double(s, 10, &r.has_median);
        r.opened_prev = (long)sqlite3_column_int64(s, 11);
        r.opened_wow_delta = (long)sqlite3_column_int64(s, 12);
        r.opened_wow_pct = opt_double(s, 13, &r.has_opened_wow_pct);
        r.resolved_prev = (long)sqlite3_column_int64(s, 14);
        r.resolved_wow_delta = (long)sqlite3_column_int64(s, 15);
        r.resolved_wow_pct = opt_double(s, 16, &r.has_resolved_wow_pct);
        r.open_at_end_prev = (long)sqlite3_column_int64(s, 17);
        r.open_at_end_wow_delta = (long)sqlite3_column_int64(s, 18);
        r.open_at_end_wow_pct = opt_double(s, 19, &r.has_open_at_end_wow_pct);
        int stop = fn(&r, arg);
        if (stop)
            return stop;
    }
    if (step != SQLITE_DONE)
        return store_fail(st, err, errlen, "trends");
    return 0;
}

/* The Monday of the week of `day` ("YYYY-MM-DD", any day) into out; -1 when
 * it is not a date. */
static int monday_of(struct store *st, const char *day, char out[11], char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = -1;
    if (store_prepare(st, "SELECT date(?, '-6 days', 'weekday 1')", &s, err, errlen))
        return -1;
    sqlite3_bind_text(s, 1, day, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        store_fail(st, err, errlen, "trends");
    } else if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        snprintf(err, errlen, "not a date: %.40s", day);
    } else {
        copy_date(out, s, 0);
        rc = 0;
    }
    sqlite3_finalize(s);
    return rc;
}

/* The first and last week_start materialized for the source ("" when the
 * source has no weeks). group_by=none has one row a week, so its range is
 * the range of every group_by. */
static int materialized_range(struct store *st, long source_id, char lo[11], char hi[11], char *err,
                              size_t errlen)
{
    sqlite3_stmt *s = NULL;
    lo[0] = hi[0] = '\0';
    if (store_prepare(st,
                      "SELECT min(week_start), max(week_start) FROM trends_weekly"
                      " WHERE source_id = ? AND group_by = 'none'",
                      &s, err, errlen))
        return -1;
    sqlite3_bind_int64(s, 1, source_id);
    int rc = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        copy_date(lo, s, 0);
        copy_date(hi, s, 1);
    } else {
        rc = store_fail(st, err, errlen, "trends_weekly");
    }
    sqlite3_finalize(s);
    return rc;
}

int store_trends_fetch(struct store *st, const struct trends_query *q, trend_row_fn row, void *arg,
                       char from_out[11], char to_out[11], char *err, size_t errlen)
{
    char lo[11], hi[11], from[11], to[11];
    sqlite3_stmt *s = NULL;
    int rc = -1;
    from_out[0] = to_out[0] = '\0';
    if (!trends_group_by_valid(q->group_by)) {
        snprintf(err, errlen, "unknown group_by: %.40s", q->group_by ? q->group_by : "(null)");
        return -1;
    }
    if (materialized_range(st, q->source_id, lo, hi, err, errlen))
        return -1;
    /* Without materialized weeks the source has no current, valid issue:
     * no weeks, whatever the range (models.md §4). */
    if (!lo[0])
        return 0;
    if (q->from) {
        if (monday_of(st, q->from, from, err, errlen))
            return -1;
    } else {
        memcpy(from, lo, sizeof from);
    }
    if (q->to) {
        if (monday_of(st, q->to, to, err, errlen))
            return -1;
    } else {
        memcpy(to, hi, sizeof to);
    }
    memcpy(from_out, from, 11);
    memcpy(to_out, to, 11);
    if (strcmp(from, to) > 0)
        return 0; /* from after to: no weeks */

    if (strcmp(from, lo) >= 0 && strcmp(to, hi) <= 0) {
        /* Inside the materialized range: its rows are the model's, X_prev of
         * the first week included. */
        if (store_prepare(st,
                          "SELECT " TREND_COLUMNS " FROM trends_weekly"
                          " WHERE source_id = ?1 AND group_by = ?2"
                          " AND week_start BETWEEN ?3 AND ?4"
                          " ORDER BY week_start, grp",
                          &s, err, errlen))
            goto out;
        sqlite3_bind_int64(s, 1, q->source_id);
        sqlite3_bind_text(s, 2, q->group_by, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, to, -1, SQLITE_STATIC);
    } else {
        const char *model = embedded_sql(MODEL_PATH, err, errlen);
        if (!model || store_prepare(st, model, &s, err, errlen))
            goto out;
        bind_model(s, q->source_id, q->group_by, from, to);
    }
    rc = walk_rows(st, s, row, arg, err, errlen);
out:
    sqlite3_finalize(s);
    return rc;
}

/* A model-based test of incremental sync: a deterministic PRNG drives random
 * edits of a sheet on the real sheets-emulator (cell edits, whole rows,
 * multi-row pastes, clears, row inserts and deletes, header renames), and
 * after each step the sync a notification would ask for runs (contract §6:
 * an edit pulls the rows it covers, every column; a structural change or an
 * edit touching the header row pulls the whole sheet). The database must
 * then hold exactly what a fresh full sync of the sheet into another
 * database holds: the same issues with the same fields, rows, clean rows
 * and problems, whatever path led there.
 *
 * SHEETSYNC_MODEL_SEED and SHEETSYNC_MODEL_STEPS override the seed and the
 * number of steps; a failure names both and the step's edit. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "tests/api/sync_harness.h"

#define DEFAULT_SEED  20240601u
#define DEFAULT_STEPS 150
#define NCOLS         14
#define FIRST_ROWS    25

static const struct sync_source SRC = {.name = "default", .spreadsheet_id = "demo-sheet"};

/* ---- the PRNG: splitmix64 ---- */

static uint64_t rng;

static uint64_t next64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static long between(long lo, long hi)
{
    return lo + (long)(next64() % (uint64_t)(hi - lo + 1));
}

#define PICK(a) ((a)[between(0, (long)(sizeof(a) / sizeof((a)[0])) - 1)])

/* ---- what goes into cells: JSON literals, as a PUT body carries them ---- */

static const char *const v_number[] = {
    "\"1\"",   "\"2\"",     "\"3\"",  "\"4\"",   "\"5\"",    "\"6\"",  "\"7\"",  "\"8\"",
    "\"9\"",   "\"10\"",    "\"11\"", "\"12\"",  "\"13\"",   "\"14\"", "\"15\"", "\"16\"",
    "\"17\"",  "\"18\"",    "\"19\"", "\"20\"",  "3",        "7",      "12.0",   "\"#4\"",
    "\"5.0\"", "\" # 6 \"", "\"\"",   "\"A-1\"", "\"#N/A\"", "2.5"};
static const char *const v_vehicle[] = {"\"Truck 12\"", "\"TRUCK-12\"", "\"Van 3\"",
                                        "\"van-3\"",    "\"\"",         "7",
                                        "\"中文\"",     "\"Unit 9\""};
static const char *const v_text[] = {"\"Brakes squeal\"",        "\"Oil leak\"", "\"\"",
                                     "\"  spaced   out \"",      "\"#REF!\"",    "\"Flat tire\"",
                                     "\"Line\\nbreak\"",         "42",           "true",
                                     "\"a \\\"quoted\\\" word\""};
static const char *const v_priority[] = {"\"High\"", "\"low\"",    "\"P1\"",  "\"Critical\"",
                                         "\"\"",     "\"medium\"", "\"meh\"", "2"};
static const char *const v_status[] = {"\"Open\"",        "\"Resolved\"",  "\"closed\"",
                                       "\"Fixed\"",       "\"won't fix\"", "\"\"",
                                       "\"In progress\"", "\"bogus\"",     "false"};
static const char *const v_date[] = {"\"3/5/2024\"",
                                     "\"2024-03-08\"",
                                     "\"Mar 5, 2024\"",
                                     "\"3/12/2024 12:30 AM\"",
                                     "45292.5",
                                     "45300",
                                     "\"soon\"",
                                     "\"\"",
                                     "\"13/45/2024\"",
                                     "true",
                                     "\"1/2/2024\"",
                                     "45310.25",
                                     "\"2024-03-08T09:30\"",
                                     "\"#VALUE!\""};
static const char *const v_name[] = {"\"Alice\"", "\"bob smith\"", "\"\"", "\"Dave\"",
                                     "\"  ALICE \""};
static const char *const v_odometer[] = {"\"45,120\"", "12000", "\"45210 mi\"", "\"-5\"",
                                         "\"lots\"",   "\"\"",  "1.5e5",        "\"#DIV/0!\""};
static const char *const v_labels[] = {"\"brakes, safety\"", "\"\"", "\"engine\"", "\"a;b\"", "3"};
static const char *const v_extra[] = {"\"x\"", "\"\"", "3", "\"note\""};

/* The column kinds, A..N. */
enum kind {
    K_NUMBER,
    K_VEHICLE,
    K_TEXT,
    K_PRIORITY,
    K_STATUS,
    K_DATE,
    K_NAME,
    K_ODO,
    K_LABELS,
    K_EXTRA
};
static const enum kind col_kind[NCOLS] = {K_NUMBER, K_VEHICLE, K_TEXT,   K_TEXT, K_PRIORITY,
                                          K_STATUS, K_DATE,    K_NAME,   K_NAME, K_DATE,
                                          K_DATE,   K_ODO,     K_LABELS, K_EXTRA};

/* Header names each column may take: the first is the initial one, the
 * others are aliases of the same field (models.md §2), or for the last
 * column names that are unknown or duplicate another column's field. */
static const char *const headers[NCOLS][5] = {
    {"Issue #", "Issue No", "ID", "#", "Number"},
    {"Vehicle", "Asset", "Unit", "Truck", NULL},
    {"Summary", "Title", "Problem", NULL},
    {"Description", "Details", NULL},
    {"Priority", "Severity", "Urgency", NULL},
    {"Status", "State", NULL},
    {"Reported Date", "Date Reported", "Reported On", "Date", NULL},
    {"Reported By", "Reporter", "Driver", NULL},
    {"Assigned To", "Assignee", "Mechanic", NULL},
    {"Due Date", "Due", "Due By", NULL},
    {"Resolved Date", "Closed Date", "Resolved", NULL},
    {"Odometer", "Mileage", "Miles", NULL},
    {"Labels", "Tags", "Category", NULL},
    {"Notes 2", "Shop", "Status", "Notes", "ID"}, /* the last three duplicate a field */
};

static const char *value(enum kind k)
{
    if (between(0, 19) == 0) /* now and then anything in any column */
        k = (enum kind)between(0, K_EXTRA);
    switch (k) {
    case K_NUMBER:
        return PICK(v_number);
    case K_VEHICLE:
        return PICK(v_vehicle);
    case K_TEXT:
        return PICK(v_text);
    case K_PRIORITY:
        return PICK(v_priority);
    case K_STATUS:
        return PICK(v_status);
    case K_DATE:
        return PICK(v_date);
    case K_NAME:
        return PICK(v_name);
    case K_ODO:
        return PICK(v_odometer);
    case K_LABELS:
        return PICK(v_labels);
    case K_EXTRA:
        return PICK(v_extra);
    }
    return "\"\"";
}

/* ---- state ---- */

static struct emu E;
static struct sdb D;
static struct gauth *auth;
static struct sheets_client *client;
static struct sleeps sl;
static struct backoff bo;
static uint64_t seed;
static int step;
static long nrows;                /* the last row that may hold data */
static const char *header[NCOLS]; /* the header row as it is now */
static char what[512];            /* this step's edit, for messages */
static char ctx[700];

static void set_ctx(void)
{
    snprintf(ctx, sizeof ctx, "seed %" PRIu64 " step %d (%s)", seed, step, what);
}

static void col_letter(int c, char out[3])
{
    out[0] = (char)('A' + c);
    out[1] = '\0';
}

/* Writes rows × cols JSON literals anchored at (row, col). */
static void put_block(long row, int col, long rows, int cols, const char *const *cells)
{
    struct buf b;
    char range[32], letter[3], err[1024];
    buf_init(&b, 0);
    buf_puts(&b, "{\"values\":[");
    for (long r = 0; r < rows; r++) {
        buf_printf(&b, "%s[", r ? "," : "");
        for (int c = 0; c < cols; c++)
            buf_printf(&b, "%s%s", c ? "," : "", cells[r * cols + c]);
        buf_puts(&b, "]");
    }
    buf_puts(&b, "]}");
    col_letter(col, letter);
    snprintf(range, sizeof range, "Issues!%s%ld", letter, row);
    long st = emu_put_values(&E, range, "RAW", b.data, err, sizeof err);
    cr_assert_eq(st, 200, "%s: PUT %s: %s", ctx, range, err);
    buf_free(&b);
    if (row + rows - 1 > nrows)
        nrows = row + rows - 1;
}

static char *quote(const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    buf_json_string(&b, s, strlen(s));
    char *out = strdup(b.data);
    buf_free(&b);
    return out;
}

/* The first sheet: the header and FIRST_ROWS random rows, as a JSON
 * workbook (typed cells, so numbers and booleans arrive as such). */
static char *first_workbook(void)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "{\"title\":\"Fleet\",\"sheets\":[{\"title\":\"Issues\",\"rows\":[[");
    for (int c = 0; c < NCOLS; c++) {
        header[c] = headers[c][0];
        char *q = quote(header[c]);
        buf_printf(&b, "%s%s", c ? "," : "", q);
        free(q);
    }
    buf_puts(&b, "]");
    for (int r = 0; r < FIRST_ROWS; r++) {
        buf_puts(&b, ",[");
        for (int c = 0; c < NCOLS; c++)
            buf_printf(&b, "%s%s", c ? "," : "", c == 0 ? v_number[r % 20] : value(col_kind[c]));
        buf_puts(&b, "]");
    }
    buf_puts(&b, "]}]}");
    nrows = FIRST_ROWS + 1;
    char *s = strdup(b.data);
    buf_free(&b);
    return s;
}

static void setup(void)
{
    char err[512];
    const char *s = getenv("SHEETSYNC_MODEL_SEED");
    seed = s && *s ? strtoull(s, NULL, 10) : DEFAULT_SEED;
    rng = seed;
    log_init(LOG_ERROR, false);
    char *wb = first_workbook();
    cr_assert_eq(emu_start_text(&E, "json", wb, NULL, err, sizeof err), 0, "%s", err);
    free(wb);
    sdb_open(&D);
    auth = gauth_new_from_file(E.key_path, NULL, err, sizeof err);
    cr_assert(auth, "%s", err);
    memset(&sl, 0, sizeof sl);
    bo = fast_backoff(&sl, 6);
    struct sheets_options o = {.backoff = &bo};
    client = sheets_client_new(E.base, auth, &o);
    cr_assert(client);
}

static void teardown(void)
{
    sheets_client_free(client);
    gauth_free(auth);
    sdb_close(&D);
    cr_expect_eq(emu_stop(&E), 0, "the emulator did not stop cleanly");
}

/* ---- the syncs a notification asks for ---- */

static int sync_into(struct sdb *d, bool full, long first, long last, struct load_stats *s,
                     char *err, size_t errlen)
{
    struct sync_request req = {
        .trigger = full ? "reconcile" : "webhook", .full = full, .first = first, .last = last};
    return sync_run(d->st, client, &SRC, &req, s, err, errlen);
}

static void sync_ok(bool full, long first, long last)
{
    char err[1024] = "";
    struct load_stats s;
    int rc = sync_into(&D, full, first, last, &s, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: %s sync failed: %s", ctx, full ? "full" : "range", err);
    if (!full)
        cr_assert_leq(s.rows_fetched, last - first + 1, "%s", ctx);
}

/* Every issue's newest version is the issue as it stands (but for its row:
 * a row that only moved is no new version), versions count 1, 2, 3, ...
 * without gaps. */
static void check_versions(void)
{
    long bad = sdb_count(
        D.peek, "SELECT count(*) FROM issues AS i WHERE NOT EXISTS (SELECT 1 FROM issue_versions"
                " AS v WHERE v.source_id = i.source_id AND v.issue_number = i.issue_number"
                " AND v.version = i.version AND v.state = i.state"
                " AND v.summary IS i.summary AND v.status IS i.status"
                " AND v.reported_at IS i.reported_at AND v.resolved_effective IS"
                " i.resolved_effective AND v.extra IS i.extra)");
    cr_assert_eq(bad, 0, "%s: %ld issues differ from their newest version", ctx, bad);
    bad = sdb_count(D.peek, "SELECT count(*) FROM (SELECT issue_number, count(*) AS n,"
                            " max(version) AS m FROM issue_versions GROUP BY issue_number)"
                            " WHERE n <> m");
    cr_assert_eq(bad, 0, "%s: version numbers with gaps", ctx);
}

/* The database must hold what a fresh full sync of the sheet gives. */
static void compare_with_fresh(void)
{
    struct sdb fresh;
    char err[1024] = "";
    sdb_open(&fresh);
    int rc = sync_into(&fresh, true, 0, 0, NULL, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: the fresh full sync failed: %s", ctx, err);
    sdb_expect_same_content(D.peek, fresh.peek, ctx);
    sdb_close(&fresh);
    check_versions();
}

/* ---- the steps ---- */

static long data_row(void)
{
    return between(2, nrows + 3);
}

static void step_cell(void)
{
    long r = data_row();
    int c = (int)between(0, NCOLS - 1);
    const char *v = value(col_kind[c]);
    snprintf(what, sizeof what, "edit %c%ld = %s", 'A' + c, r, v);
    set_ctx();
    put_block(r, c, 1, 1, &v);
    sync_ok(false, r, r);
}

static void step_row(void)
{
    long r = data_row();
    const char *cells[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        cells[c] = value(col_kind[c]);
    snprintf(what, sizeof what, "row %ld rewritten (%s, %s, ...)", r, cells[0], cells[6]);
    set_ctx();
    put_block(r, 0, 1, NCOLS, cells);
    sync_ok(false, r, r);
}

static void step_paste(void)
{
    long r = data_row(), n = between(2, 6);
    int c = (int)between(0, NCOLS - 1), m = (int)between(1, NCOLS - c);
    const char *cells[6 * NCOLS];
    for (long i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            cells[i * m + j] = value(col_kind[c + j]);
    snprintf(what, sizeof what, "paste %ld x %d at %c%ld", n, m, 'A' + c, r);
    set_ctx();
    put_block(r, c, n, m, cells);
    sync_ok(false, r, r + n - 1);
}

static void step_clear(void)
{
    long r = data_row(), n = between(1, 3);
    const char *cells[3 * NCOLS];
    for (long i = 0; i < n * NCOLS; i++)
        cells[i] = "\"\"";
    snprintf(what, sizeof what, "clear rows %ld..%ld", r, r + n - 1);
    set_ctx();
    put_block(r, 0, n, NCOLS, cells);
    sync_ok(false, r, r + n - 1);
}

/* Two edits, then the two pulls their notifications ask for, in order. */
static void step_two_edits(void)
{
    long a = data_row(), b = data_row();
    const char *va = value(K_NUMBER), *vb = value(K_NUMBER);
    snprintf(what, sizeof what, "A%ld = %s and A%ld = %s, then two pulls", a, va, b, vb);
    set_ctx();
    put_block(a, 0, 1, 1, &va);
    put_block(b, 0, 1, 1, &vb);
    sync_ok(false, a, a);
    sync_ok(false, b, b);
}

static void step_insert(void)
{
    long r = between(2, nrows + 1), n = between(1, 3);
    char err[1024];
    snprintf(what, sizeof what, "insert %ld rows before row %ld", n, r);
    set_ctx();
    cr_assert_eq(emu_insert_rows(&E, r, n, err, sizeof err), 200, "%s: %s", ctx, err);
    nrows += n;
    sync_ok(true, 0, 0);
}

static void step_delete(void)
{
    if (nrows < 6)
        return;
    long r = between(2, nrows), n = between(1, 3);
    char err[1024];
    snprintf(what, sizeof what, "delete rows %ld..%ld", r, r + n - 1);
    set_ctx();
    cr_assert_eq(emu_delete_rows(&E, r, n, err, sizeof err), 200, "%s: %s", ctx, err);
    nrows -= (r + n - 1 <= nrows ? n : nrows - r + 1);
    sync_ok(true, 0, 0);
}

static void step_header(void)
{
    int c = (int)between(0, NCOLS - 1);
    long k = 0;
    while (k < 5 && headers[c][k])
        k++;
    const char *h = headers[c][between(0, k - 1)];
    char *q = quote(h);
    snprintf(what, sizeof what, "header %c1 = %s", 'A' + c, q);
    set_ctx();
    const char *cell = q;
    put_block(1, c, 1, 1, &cell);
    free(q);
    header[c] = h;
    sync_ok(true, 0, 0);
}

/* A paste over the header row and the rows below it: a full pull. */
static void step_paste_from_header(void)
{
    long n = between(2, 4);
    const char *cells[4 * NCOLS];
    char *quoted[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        cells[c] = quoted[c] = quote(header[c]);
    for (long i = 1; i < n; i++)
        for (int c = 0; c < NCOLS; c++)
            cells[i * NCOLS + c] = value(col_kind[c]);
    snprintf(what, sizeof what, "paste rows 1..%ld", n);
    set_ctx();
    put_block(1, 0, n, NCOLS, cells);
    for (int c = 0; c < NCOLS; c++)
        free(quoted[c]);
    sync_ok(true, 0, 0);
}

/* Cuts section i (sdb_snapshot's "-- i" to "-- i+1") out of a snapshot. */
static void drop_section(char *snap, int i)
{
    char from[16], to[16];
    snprintf(from, sizeof from, "-- %d\n", i);
    snprintf(to, sizeof to, "-- %d\n", i + 1);
    char *p = strstr(snap, from), *q = p ? strstr(p, to) : NULL;
    cr_assert(p && q);
    memmove(p, q, strlen(q) + 1);
}

/* The issue-number or reported-date column loses its header: both syncs
 * fail with missing_column and the stored data stays as it was; then the
 * header is put back. */
static void step_break_header(void)
{
    int c = between(0, 1) ? 0 : 6;
    if (c == 0 && strcmp(header[NCOLS - 1], "ID") == 0)
        c = 6; /* column N would stand in for the issue number */
    const char *bad = "\"Whatever\"";
    char err[1024] = "", fresh_err[1024] = "";
    snprintf(what, sizeof what, "header %c1 = %s, then restored", 'A' + c, bad);
    set_ctx();
    char *before = sdb_snapshot(D.peek);
    put_block(1, c, 1, 1, &bad);
    cr_assert_neq(sync_into(&D, true, 0, 0, NULL, err, sizeof err), 0, "%s", ctx);
    cr_expect(strncmp(err, "missing_column", 14) == 0, "%s: %s", ctx, err);

    struct sdb fresh;
    sdb_open(&fresh);
    cr_assert_neq(sync_into(&fresh, true, 0, 0, NULL, fresh_err, sizeof fresh_err), 0, "%s", ctx);
    cr_expect_str_eq(err, fresh_err, "%s", ctx);
    /* Only the header problems (missing_column, in /quality) are new. */
    char *after = sdb_snapshot(D.peek);
    drop_section(before, 4);
    drop_section(after, 4);
    cr_expect_str_eq(after, before, "%s: a failed sync changed the data: %s", ctx,
                     sdb_first_diff(after, before));
    char *hp = sdb_dump(D.peek, "SELECT row, col, code FROM header_problems ORDER BY 1, 2, 3");
    char *fhp = sdb_dump(fresh.peek, "SELECT row, col, code FROM header_problems ORDER BY 1, 2, 3");
    cr_expect_str_eq(hp, fhp, "%s", ctx);
    cr_expect(strstr(hp, "missing_column"), "%s: %s", ctx, hp);
    free(hp);
    free(fhp);
    free(before);
    free(after);
    sdb_close(&fresh);

    char *good = quote(header[c]);
    const char *cell = good;
    put_block(1, c, 1, 1, &cell);
    free(good);
    sync_ok(true, 0, 0);
}

struct step_kind {
    void (*fn)(void);
    int weight;
};

static const struct step_kind steps[] = {
    {step_cell, 40},        {step_row, 10},      {step_paste, 12},
    {step_clear, 5},        {step_two_edits, 6}, {step_insert, 8},
    {step_delete, 8},       {step_header, 5},    {step_paste_from_header, 3},
    {step_break_header, 3},
};

TestSuite(sync_model, .init = setup, .fini = teardown, .timeout = 300);

Test(sync_model, random_edits_then_notified_syncs_equal_a_fresh_full_sync)
{
    const char *s = getenv("SHEETSYNC_MODEL_STEPS");
    int nsteps = s && *s ? atoi(s) : DEFAULT_STEPS, total = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        total += steps[i].weight;

    snprintf(what, sizeof what, "the first full sync");
    set_ctx();
    sync_ok(true, 0, 0);
    compare_with_fresh();
    for (step = 1; step <= nsteps; step++) {
        long x = between(0, total - 1);
        size_t k = 0;
        while (x >= steps[k].weight)
            x -= steps[k++].weight;
        what[0] = '\0';
        steps[k].fn();
        if (!what[0])
            continue; /* the step did not apply */
        compare_with_fresh();
    }

    /* What the range syncs built, a full sync must find unchanged. */
    snprintf(what, sizeof what, "a last full sync");
    set_ctx();
    struct load_stats st;
    char err[1024] = "";
    cr_assert_eq(sync_into(&D, true, 0, 0, &st, err, sizeof err), 0, "%s: %s", ctx, err);
    cr_expect_eq(st.rows_changed, 0, "%s: %ld rows changed", ctx, st.rows_changed);
    cr_expect_eq(st.issues_changed, 0, "%s: %ld issues changed", ctx, st.issues_changed);
    cr_expect_gt(sdb_count(D.peek, "SELECT count(*) FROM fct_issues"), 0, "%s", ctx);
    cr_expect_gt(sdb_count(D.peek, "SELECT count(*) FROM issue_versions"),
                 sdb_count(D.peek, "SELECT count(*) FROM issues"), "%s", ctx);
}

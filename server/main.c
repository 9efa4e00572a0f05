/* sheetsync: the command line (contract §3). Each command is a function of
 * the table below; global options may stand before or after the command. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "ingest/import.h"
#include "ingest/sync.h"
#include "ingest/worker.h"
#include "ingest/gauth.h"
#include "server/app.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/load.h"
#include "store/store.h"

enum { EXIT_WORK = 1, EXIT_USAGE = 2 };

/* Of the 10 s a container runtime waits between SIGTERM and SIGKILL: how
 * long the sync worker gets to end, counted from the signal, leaving time
 * for the checkpoint and the exit. */
enum { STOP_WORKER_MS = 7000 };

struct cli {
    const char *db;     /* --db */
    const char *config; /* --config */
    int argc;           /* what is left for the command */
    char **argv;
};

struct command {
    const char *name;
    int (*run)(struct cli *);
    const char *usage;
    const char *help;
};

static int cmd_serve(struct cli *);
static int cmd_sync(struct cli *);
static int cmd_import_csv(struct cli *);
static int cmd_migrate(struct cli *);

static const struct command commands[] = {
    {"serve", cmd_serve, "sheetsync serve",
     "Serve the HTTP API, the dashboard and the webhook receiver.\n"
     "Listens on SHEETSYNC_BIND:SHEETSYNC_PORT (default 127.0.0.1:8080; port 0 picks one).\n"},
    {"sync", cmd_sync, "sheetsync sync [--full]",
     "Pull every configured Google source once through the Sheets API, then exit.\n"
     "Rows are compared with what is stored by content hash, so only changes are\n"
     "written. --full also cleans every stored row again (after a rules upgrade).\n"
     "Needs SHEETSYNC_SPREADSHEET_ID (or --config) and GOOGLE_APPLICATION_CREDENTIALS.\n"},
    {"import-csv", cmd_import_csv,
     "sheetsync import-csv FILE [--source NAME] [--locale en_US] [--timezone UTC]",
     "Load a CSV export as the whole content of a source (default 'default').\n"
     "Record 1 is the header; record N is sheet row N. Rows the source had that are\n"
     "not in the file are marked deleted. Nothing is written when the file is bad.\n"},
    {"migrate", cmd_migrate, "sheetsync migrate", "Apply the schema migrations and exit.\n"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "sheetsync %s: Google Sheet issues in, clean week-over-week trends out.\n\n"
            "Usage:\n",
            SHEETSYNC_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  sheetsync --version | --help | <command> --help\n\n"
               "Global options (before or after the command):\n"
               "  --db PATH       SQLite file (env SHEETSYNC_DB, default ./sheetsync.db)\n"
               "  --config PATH   JSON file with several sources (env SHEETSYNC_CONFIG)\n\n"
               "Exit codes: 0 success, 1 the work failed, 2 bad usage or configuration.\n"
               "Configuration variables: see README.md.\n");
}

/* Fails with exit code 2 and one line, as contract §3 asks. */
static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "sheetsync: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see sheetsync --help)\n");
    return EXIT_USAGE;
}

static int load_config(struct cli *c, struct cfg *cfg)
{
    char err[512];
    if (cfg_load(cfg, c->db, c->config, err, sizeof err)) {
        fprintf(stderr, "sheetsync: configuration: %s\n", err);
        cfg_free(cfg);
        return EXIT_USAGE;
    }
    log_init(cfg->log_level, cfg->log_json);
    return 0;
}

static int open_store(const struct cfg *cfg, struct store **st)
{
    char err[512];
    if (store_open(cfg->db_path, st, err, sizeof err) || store_migrate(*st, err, sizeof err)) {
        fprintf(stderr, "sheetsync: %s\n", err);
        store_close(*st);
        *st = NULL;
        return EXIT_WORK;
    }
    return 0;
}

static int cmd_migrate(struct cli *c)
{
    struct cfg cfg;
    struct store *st = NULL;
    if (c->argc > 0)
        return usage_error("migrate: unexpected argument '%s'", c->argv[0]);
    int rc = load_config(c, &cfg);
    if (rc)
        return rc;
    rc = open_store(&cfg, &st);
    if (!rc)
        log_info("migrate: %s is up to date", cfg.db_path);
    store_close(st);
    cfg_free(&cfg);
    return rc;
}

/* Takes the value of `--name VALUE` or `--name=VALUE` at argv[*i]. */
static int option_value(char **argv, int argc, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *out = argv[++*i];
    return 1;
}

static int cmd_import_csv(struct cli *c)
{
    struct import_options o = {0};
    for (int i = 0; i < c->argc; i++) {
        const char **targets[] = {&o.source, &o.locale, &o.timezone};
        const char *names[] = {"--source", "--locale", "--timezone"};
        int matched = 0;
        for (size_t k = 0; k < 3 && !matched; k++) {
            matched = option_value(c->argv, c->argc, &i, names[k], targets[k]);
            if (matched < 0)
                return usage_error("import-csv: %s needs a value", names[k]);
        }
        if (matched)
            continue;
        if (c->argv[i][0] == '-' && c->argv[i][1] != '\0')
            return usage_error("import-csv: unknown option '%s'", c->argv[i]);
        if (o.path)
            return usage_error("import-csv: unexpected argument '%s'", c->argv[i]);
        o.path = c->argv[i];
    }
    if (!o.path)
        return usage_error("import-csv: %s", "FILE is required");
    if (o.timezone && !clock_zone_exists(o.timezone))
        return usage_error("import-csv: --timezone: '%s' is not a known time zone", o.timezone);
    if (o.locale && strlen(o.locale) > 32)
        return usage_error("import-csv: --locale: '%s' is too long", o.locale);

    struct cfg cfg;
    struct store *st = NULL;
    int rc = load_config(c, &cfg);
    if (rc)
        return rc;
    const struct cfg_source *src = cfg_find_source(&cfg, o.source);
    if (src)
        o.aliases = &src->aliases;
    if ((rc = open_store(&cfg, &st)) == 0) {
        char err[1024];
        struct load_stats s;
        if (import_csv(st, &o, &s, err, sizeof err)) {
            fprintf(stderr, "sheetsync: import-csv: %s\n", err);
            rc = EXIT_WORK;
        } else {
            log_info("import-csv: %s: %ld rows read, %ld changed, %ld issue versions written "
                     "(sync %ld)",
                     o.path, s.rows_fetched, s.rows_changed, s.issues_changed, s.sync_id);
        }
    }
    store_close(st);
    cfg_free(&cfg);
    return rc;
}

/* The configured sources that read a Google sheet, as the sync layer wants
 * them. Returns 0 (n may be 0), or EXIT_USAGE naming what is missing. */
static int google_sources(const struct cfg *cfg, struct sync_source **out, size_t *n)
{
    *n = 0;
    *out = calloc(cfg->nsources ? cfg->nsources : 1, sizeof **out);
    if (!*out)
        return EXIT_WORK;
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct cfg_source *s = &cfg->sources[i];
        if (!s->spreadsheet_id)
            continue;
        (*out)[(*n)++] =
            (struct sync_source){s->name, s->spreadsheet_id, s->sheet, s->header_row, &s->aliases};
    }
    if (*n > 0 && !cfg->credentials_path) {
        fprintf(stderr, "sheetsync: configuration: GOOGLE_APPLICATION_CREDENTIALS: required for "
                        "Google sync (a service-account key file)\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* `sync` ends early on SIGINT or SIGTERM: this thread takes the signal and
 * stops the client's calls and retry waits, so the run in flight rolls back
 * and is recorded as failed rather than left 'running'. A thread, because
 * backoff_stop_request takes a lock, which a signal handler must not. */
struct sync_stop {
    struct backoff_stop stop;
    sigset_t signals;
    pthread_t thread;
    atomic_int signal; /* the one received, 0 until then */
    atomic_bool done;  /* set by the main thread to end the wait */
};

static void *sync_stop_wait(void *arg)
{
    struct sync_stop *s = arg;
    int sig;
    if (sigwait(&s->signals, &sig) == 0 && !atomic_load(&s->done)) {
        atomic_store(&s->signal, sig);
        log_warn("sync: %s received, stopping the sync in flight", strsignal(sig));
        backoff_stop_request(&s->stop);
    }
    return NULL;
}

static int cmd_sync(struct cli *c)
{
    bool reclean = false;
    for (int i = 0; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--full") == 0)
            reclean = true;
        else
            return usage_error("sync: unexpected argument '%s'", c->argv[i]);
    }
    struct cfg cfg;
    struct store *st = NULL;
    struct sync_source *srcs = NULL;
    struct gauth *auth = NULL;
    struct sheets_client *client = NULL;
    struct sync_stop ss = {0};
    bool watching = false;
    size_t n = 0;
    char err[1024];
    int rc = load_config(c, &cfg);
    if (rc)
        return rc;
    backoff_stop_init(&ss.stop);
    sigemptyset(&ss.signals);
    sigaddset(&ss.signals, SIGINT);
    sigaddset(&ss.signals, SIGTERM);
    if ((rc = google_sources(&cfg, &srcs, &n)) != 0)
        goto out;
    if (n == 0) {
        fprintf(stderr, "sheetsync: configuration: SHEETSYNC_SPREADSHEET_ID: no Google source is "
                        "configured\n");
        rc = EXIT_USAGE;
        goto out;
    }
    /* Blocked in every thread (libcurl's resolver threads too); the watcher
     * takes them. */
    pthread_sigmask(SIG_BLOCK, &ss.signals, NULL);
    if (pthread_create(&ss.thread, NULL, sync_stop_wait, &ss) == 0)
        watching = true;
    struct fetch_options fo = {.cancel = backoff_stop_cancel, .cancel_arg = &ss.stop};
    struct gauth_options go = {.fetch = fo};
    if (!(auth = gauth_new_from_file(cfg.credentials_path, &go, err, sizeof err))) {
        fprintf(stderr, "sheetsync: configuration: GOOGLE_APPLICATION_CREDENTIALS: %s\n", err);
        rc = EXIT_USAGE;
        goto out;
    }
    struct backoff bo;
    backoff_init(&bo);
    bo.sleep_ms = backoff_stop_sleep_ms;
    bo.arg = &ss.stop;
    struct sheets_options so = {.fetch = fo, .backoff = &bo};
    client = sheets_client_new(cfg.sheets_api_url, auth, &so);
    if (!client || (rc = open_store(&cfg, &st)) != 0) {
        rc = EXIT_WORK;
        goto out;
    }
    for (size_t i = 0; i < n && !atomic_load(&ss.signal); i++) {
        struct sync_request req = {.trigger = "manual", .full = true, .reclean = reclean};
        struct load_stats s;
        if (sync_run(st, client, &srcs[i], &req, &s, err, sizeof err)) {
            fprintf(stderr, "sheetsync: sync %s: %s\n", srcs[i].name, err);
            rc = EXIT_WORK;
            continue;
        }
        log_info("sync %s: %ld rows read, %ld changed, %ld issue versions written (run %ld)",
                 srcs[i].name, s.rows_fetched, s.rows_changed, s.issues_changed, s.sync_id);
    }
out:
    if (watching) {
        /* Wakes the watcher with a signal it then ignores (not
         * pthread_cancel: ASan's thread teardown trips over the unwind). */
        atomic_store(&ss.done, true);
        pthread_kill(ss.thread, SIGINT);
        pthread_join(ss.thread, NULL);
    }
    if (atomic_load(&ss.signal)) {
        fprintf(stderr, "sheetsync: sync stopped by %s: the run in flight was rolled back\n",
                strsignal(atomic_load(&ss.signal)));
        rc = EXIT_WORK;
    }
    backoff_stop_cleanup(&ss.stop);
    sheets_client_free(client);
    gauth_free(auth);
    store_close(st);
    free(srcs);
    cfg_free(&cfg);
    return rc;
}

/* /metrics reads the worker's queue depth through this. */
static long worker_queue_depth_fn(void *worker)
{
    return worker_queue_depth(worker);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)(t.tv_sec - since->tv_sec) * 1000 + (t.tv_nsec - since->tv_nsec) / 1000000;
}

static int cmd_serve(struct cli *c)
{
    struct cfg cfg;
    struct store *st = NULL;
    struct sync_source *srcs = NULL;
    struct worker *worker = NULL;
    size_t nsrcs = 0;
    /* Google API calls by outcome, shared by the worker's client and /metrics. */
    static struct sheets_stats sheets_stats;
    struct app app = {.sheets = &sheets_stats};
    if (c->argc > 0)
        return usage_error("serve: unexpected argument '%s'", c->argv[0]);
    int rc = load_config(c, &cfg);
    if (rc)
        return rc;
    if ((rc = google_sources(&cfg, &srcs, &nsrcs)) != 0 || (rc = open_store(&cfg, &st)) != 0)
        goto out;
    char run_err[256];
    long interrupted = load_close_interrupted_runs(st, run_err, sizeof run_err);
    if (interrupted > 0)
        log_warn("serve: %ld sync run(s) left running by an earlier process marked failed",
                 interrupted);
    else if (interrupted < 0)
        log_warn("serve: cannot close interrupted sync runs: %s", run_err);

    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[1024];
    if (nsrcs > 0) {
        struct worker_options wo = {
            .db_path = cfg.db_path,
            .api_base_url = cfg.sheets_api_url,
            .credentials_path = cfg.credentials_path,
            .sources = srcs,
            .nsources = nsrcs,
            .reconcile_seconds = cfg.reconcile_seconds,
            .stats = &sheets_stats,
            .debounce_ms = cfg.debounce_ms,
        };
        if (!(worker = worker_start(&wo, err, sizeof err))) {
            fprintf(stderr, "sheetsync: configuration: GOOGLE_APPLICATION_CREDENTIALS: %s\n", err);
            rc = EXIT_USAGE;
            goto out;
        }
    } else {
        log_info("serve: no Google source configured (SHEETSYNC_SPREADSHEET_ID): serving the "
                 "stored data only");
    }
    struct http_options ho = {
        .bind = cfg.bind,
        .port = (unsigned)cfg.port,
        .db_path = cfg.db_path,
        .api_token = cfg.api_token,
        .admin_token = cfg.admin_token,
        .cors_origins = cfg.cors_origins,
        .app = &app,
    };
    app.worker = worker;
    if (worker)
        metrics_set_queue_depth_fn(worker_queue_depth_fn, worker);
    /* POST /webhooks/sheets: the secret (503 without one) and the sources a
     * notification may name. */
    app.webhook_secret = cfg.webhook_secret;
    app.webhook_secret_len = cfg.webhook_secret ? strlen(cfg.webhook_secret) : 0;
    app.webhook_audience = cfg.webhook_audience;
    app.sources = srcs;
    app.nsources = nsrcs;
    if (!cfg.webhook_secret)
        log_info("serve: webhooks disabled (SHEETSYNC_WEBHOOK_SECRET is not set): "
                 "POST /webhooks/sheets answers 503");
    struct http_server *srv = http_start(&ho, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "sheetsync: serve: %s\n", err);
        rc = EXIT_WORK;
        goto out;
    }
    log_info("serve: listening on http://%s:%u/ (database %s)", cfg.bind, http_port(srv),
             cfg.db_path);
    int sig = 0;
    sigwait(&stop, &sig);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    log_info("serve: %s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* Graceful stop, within the 10 s a container runtime waits before SIGKILL.
     * The worker is told first, so the Google call in flight is cancelled
     * while the HTTP requests in flight are answered and no new connection
     * is taken; the sync in flight commits or rolls back whole (queued
     * notifications stay in SQLite for the next start); then the WAL is
     * folded into the database file. */
    worker_request_stop(worker);
    http_stop(srv);
    metrics_set_queue_depth_fn(NULL, NULL);
    long left = STOP_WORKER_MS - elapsed_ms(&t0);
    bool stuck = worker_stop_within(worker, left > 0 ? left : 0) != 0;
    if (stuck)
        log_error("serve: the sync worker did not stop within %.1f s; exiting without it "
                  "(its sync is not committed, so the database keeps the last good data)",
                  STOP_WORKER_MS / 1e3);
    else
        worker = NULL;
    /* A stuck worker may hold the write lock: do not wait for it long. */
    if (store_checkpoint(st, stuck ? 500 : 2000, err, sizeof err))
        log_warn("serve: %s (nothing is lost: the WAL stays valid)", err);
    log_info("serve: stopped after %ld ms", elapsed_ms(&t0));
    if (stuck) {
        /* The worker thread still runs, inside libcurl or SQLite, and reads
         * the configuration: freeing it, or exit()'s clean-up of libcurl and
         * OpenSSL, would pull them from under it. _exit ends the process at
         * once instead. The worker's open transaction was never committed,
         * and SQLite rolls it back when the process exits: the next open
         * ignores WAL frames no commit covers. The notifications are
         * committed rows: they stay pending. */
        store_close(st);
        fflush(stderr);
        _exit(0);
    }
out:
    worker_stop(worker);
    free(srcs);
    store_close(st);
    cfg_free(&cfg);
    return rc;
}

/* Splits argv into global options, the command and its own arguments. */
int main(int argc, char **argv)
{
    struct cli c = {0};
    const struct command *cmd = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    bool help = false;
    int nrest = 0, rc;
    if (!rest)
        return EXIT_WORK;

    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = option_value(argv, argc, &i, "--db", &c.db)) ||
            (m = option_value(argv, argc, &i, "--config", &c.config))) {
            if (m < 0) {
                rc = usage_error("%s needs a value", argv[i]);
                goto out;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            help = true;
        } else if (strcmp(argv[i], "--version") == 0 && !cmd) {
            printf("sheetsync %s\n", SHEETSYNC_VERSION);
            rc = 0;
            goto out;
        } else if (!cmd && argv[i][0] != '-') {
            for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
                if (strcmp(argv[i], commands[k].name) == 0)
                    cmd = &commands[k];
            if (!cmd) {
                rc = usage_error("unknown command '%s'", argv[i]);
                goto out;
            }
        } else if (!cmd) {
            rc = usage_error("unknown option '%s'", argv[i]);
            goto out;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    if (help || !cmd) {
        if (cmd)
            printf("Usage: %s\n\n%s", cmd->usage, cmd->help);
        else
            usage(help ? stdout : stderr);
        rc = help ? 0 : EXIT_USAGE;
        goto out;
    }
    c.argc = nrest;
    c.argv = rest;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread starts */
    rc = cmd->run(&c);
    curl_global_cleanup();
out:
    free(rest);
    return rc;
}

/* sheets-emulator: command line, start-up and shutdown. See README.md here. */
#include "tests/emulator/emu.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/log.h"

static const char usage[] =
    "usage: sheets-emulator [options]\n"
    "\n"
    "A local stand-in for the Google Sheets API v4 and Google's OAuth token endpoint.\n"
    "\n"
    "  --csv FILE              load FILE as the tab (record N = row N; text only)\n"
    "  --typed                 with --csv: JSON numbers become numbers, TRUE/FALSE booleans\n"
    "  --json FILE             load a typed workbook {\"title\",\"locale\",\"timeZone\",\n"
    "                          \"sheets\":[{\"title\",\"rows\":[[...]]}]} (several tabs)\n"
    "  --spreadsheet-id ID     the spreadsheet id (default demo-sheet)\n"
    "  --sheet NAME            the tab the CSV goes to (default Issues)\n"
    "  --title T               spreadsheet title (default: the JSON's, else the tab name)\n"
    "  --locale L              spreadsheet locale (default en_US)\n"
    "  --timezone TZ           spreadsheet time zone (default America/Chicago)\n"
    "  --bind ADDR             listen address (default 127.0.0.1)\n"
    "  --port N                listen port, 0 = a free one (default 0)\n"
    "  --public-url URL        base URL written into the key's token_uri\n"
    "                          (default http://ADDR:PORT)\n"
    "  --key-out PATH          service-account key file to write (default ./emulator-key.json)\n"
    "  --port-file PATH        write the port here once ready\n"
    "  --token-ttl SECONDS     access-token lifetime (default 3599)\n"
    "  --threads N             HTTP worker threads (default: CPUs, at least 2)\n"
    "  --log-level LEVEL       debug, info, warn, error (default info)\n"
    "  --help                  this text\n";

struct opts {
    const char *csv, *json, *id, *sheet, *title, *locale, *tz, *bind, *public_url, *key_out,
        *port_file;
    bool typed;
    long port, ttl, threads;
};

static int parse_long(const char *name, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "sheets-emulator: %s must be an integer from %ld to %ld\n", name, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    enum {
        O_CSV = 256,
        O_JSON,
        O_ID,
        O_SHEET,
        O_TITLE,
        O_LOCALE,
        O_TZ,
        O_BIND,
        O_PORT,
        O_URL,
        O_KEY,
        O_PORTFILE,
        O_TTL,
        O_TYPED,
        O_THREADS,
        O_LOG,
        O_HELP
    };
    static const struct option longs[] = {
        {"csv", required_argument, NULL, O_CSV},
        {"json", required_argument, NULL, O_JSON},
        {"spreadsheet-id", required_argument, NULL, O_ID},
        {"sheet", required_argument, NULL, O_SHEET},
        {"title", required_argument, NULL, O_TITLE},
        {"locale", required_argument, NULL, O_LOCALE},
        {"timezone", required_argument, NULL, O_TZ},
        {"bind", required_argument, NULL, O_BIND},
        {"port", required_argument, NULL, O_PORT},
        {"public-url", required_argument, NULL, O_URL},
        {"key-out", required_argument, NULL, O_KEY},
        {"port-file", required_argument, NULL, O_PORTFILE},
        {"token-ttl", required_argument, NULL, O_TTL},
        {"typed", no_argument, NULL, O_TYPED},
        {"threads", required_argument, NULL, O_THREADS},
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (struct opts){.id = "demo-sheet",
                       .sheet = "Issues",
                       .bind = "127.0.0.1",
                       .key_out = "./emulator-key.json",
                       .ttl = 3599,
                       .threads = cpus < 2    ? 2
                                  : cpus > 16 ? 16
                                              : cpus};
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case O_CSV:
            o->csv = optarg;
            break;
        case O_JSON:
            o->json = optarg;
            break;
        case O_ID:
            o->id = optarg;
            break;
        case O_SHEET:
            o->sheet = optarg;
            break;
        case O_TITLE:
            o->title = optarg;
            break;
        case O_LOCALE:
            o->locale = optarg;
            break;
        case O_TZ:
            o->tz = optarg;
            break;
        case O_BIND:
            o->bind = optarg;
            break;
        case O_URL:
            o->public_url = optarg;
            break;
        case O_KEY:
            o->key_out = optarg;
            break;
        case O_PORTFILE:
            o->port_file = optarg;
            break;
        case O_TYPED:
            o->typed = true;
            break;
        case O_PORT:
            if (parse_long("--port", optarg, 0, 65535, &o->port))
                return -1;
            break;
        case O_TTL:
            if (parse_long("--token-ttl", optarg, 1, 86400, &o->ttl))
                return -1;
            break;
        case O_THREADS:
            if (parse_long("--threads", optarg, 1, 64, &o->threads))
                return -1;
            break;
        case O_LOG: {
            enum log_level lvl;
            if (log_level_parse(optarg, &lvl)) {
                fprintf(stderr, "sheets-emulator: --log-level: debug, info, warn or error\n");
                return -1;
            }
            log_init(lvl, false);
            break;
        }
        case O_HELP:
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sheets-emulator: unexpected argument %s\n", argv[optind]);
        return -1;
    }
    if (o->csv && o->json) {
        fprintf(stderr, "sheets-emulator: give --csv or --json, not both\n");
        return -1;
    }
    if (!*o->id || strpbrk(o->id, "/:?#%") || !*o->sheet) {
        fprintf(stderr, "sheets-emulator: bad --spreadsheet-id or --sheet\n");
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int set_str(char **dst, const char *v)
{
    char *s = strdup(v);
    if (!s)
        return -1;
    free(*dst);
    *dst = s;
    return 0;
}

static int load_data(struct emu_book *b, const struct opts *o)
{
    char err[512];
    double t0 = now_s();
    if (o->json) {
        struct json_object *doc = json_object_from_file(o->json);
        if (!doc) {
            log_error("%s: not a readable JSON file: %s", o->json, json_util_get_last_err());
            return -1;
        }
        int rc = emu_book_load_json(b, doc, err, sizeof err);
        json_object_put(doc);
        if (rc) {
            log_error("%s: %s", o->json, err);
            return -1;
        }
    } else {
        struct emu_tab *t = emu_tab_new(o->sheet, 0);
        if (!t)
            return -1;
        if (o->csv && emu_tab_load_csv(t, o->csv, o->typed, err, sizeof err)) {
            log_error("%s", err);
            emu_tab_free(t);
            return -1;
        }
        if (emu_book_put_tab(b, t)) {
            emu_tab_free(t);
            return -1;
        }
        if (set_str(&b->title, o->sheet))
            return -1;
    }
    if ((o->title && set_str(&b->title, o->title)) ||
        (o->locale && set_str(&b->locale, o->locale)) || (o->tz && set_str(&b->time_zone, o->tz)))
        return -1;
    size_t rows = 0;
    for (size_t i = 0; i < b->ntabs; i++)
        rows += b->tabs[i]->nrows;
    if (o->csv || o->json)
        log_info("loaded %s: %zu tab(s), %zu rows in %.2f s", o->csv ? o->csv : o->json, b->ntabs,
                 rows, now_s() - t0);
    return 0;
}

static int write_port_file(const char *path, unsigned port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%u\n", port) > 0;
    if (fclose(f) || !ok || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct emu_book book;
    struct emu_auth *auth = NULL;
    struct emu_server *srv = NULL;
    bool book_ok = false;
    int rc = 2;

    log_init(LOG_INFO, false);
    int p = parse_args(argc, argv, &o);
    if (p)
        return p > 0 ? 0 : 2;

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* not used, but the core library links libcurl */

    if (emu_book_init(&book, o.id)) {
        log_error("out of memory");
        goto out;
    }
    book_ok = true;
    if (load_data(&book, &o))
        goto out;
    double t0 = now_s();
    auth = emu_auth_new(o.ttl);
    if (!auth) {
        log_error("cannot generate the RSA key");
        goto out;
    }
    log_debug("RSA-2048 key generated in %.2f s", now_s() - t0);

    struct emu_options so = {
        .bind = o.bind, .port = (unsigned)o.port, .threads = (unsigned)o.threads};
    unsigned port = 0;
    srv = emu_server_start(&book, auth, &so, &port);
    if (!srv)
        goto out;

    char base[512], token_uri[600];
    const char *host = o.bind;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    if (o.public_url)
        snprintf(base, sizeof base, "%s", o.public_url);
    else if (strchr(host, ':'))
        snprintf(base, sizeof base, "http://[%s]:%u", host, port);
    else
        snprintf(base, sizeof base, "http://%s:%u", host, port);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        base[--bl] = '\0';
    snprintf(token_uri, sizeof token_uri, "%s/token", base);
    if (emu_auth_write_key(auth, token_uri, o.key_out)) {
        log_error("cannot write the key file %s", o.key_out);
        goto out;
    }
    if (o.port_file && write_port_file(o.port_file, port)) {
        log_error("cannot write %s: %s", o.port_file, strerror(errno));
        goto out;
    }
    log_info("sheets-emulator listening on %s (spreadsheet %s, %zu tab(s), key file %s)", base,
             book.id, book.ntabs, o.key_out);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("signal %d: stopping", sig);
    rc = 0;
out:
    emu_server_stop(srv);
    emu_auth_free(auth);
    if (book_ok)
        emu_book_cleanup(&book);
    curl_global_cleanup();
    return rc;
}

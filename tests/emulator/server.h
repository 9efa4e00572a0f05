#ifndef SHEETSYNC_EMU_SERVER_H
#define SHEETSYNC_EMU_SERVER_H

/* Internals shared by http.c (the daemon) and control.c (/_emulator/). */

#include <microhttpd.h>
#include <time.h>

#include "tests/emulator/emu.h"

enum fail_mode { FM_STATUS, FM_TRUNCATE, FM_SHORT, FM_GARBAGE, FM_RESET, FM_HANG };

/* POST /_emulator/fail: the next `count` requests matching `path` fail. */
struct fail_rule {
    long count;
    unsigned status;
    long retry_after; /* seconds; < 0: no header */
    enum fail_mode mode;
    char path[256]; /* prefix; "" = the Sheets API (/v4/) */
};

struct log_entry {
    char method[8];
    char *path;      /* decoded, with the query */
    unsigned status; /* 0: no answer (reset, hang) */
};

struct waiter {
    struct MHD_Connection *conn;
    struct timespec at; /* CLOCK_MONOTONIC */
};

enum req_kind { K_TOKEN, K_GET, K_VALUES, K_BATCH_GET, K_UPDATE, K_BATCH_UPDATE, K_OTHER, K_COUNT };

#define MAX_STATUS_KINDS 32
#define LOG_MAX          200000

struct emu_server {
    struct MHD_Daemon *daemon;
    struct emu_book *book;
    struct emu_auth *auth;
    unsigned port;

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;
    pthread_t timer;
    bool timer_started, stopping;
    struct waiter *waiters;
    size_t nwait, capwait;

    struct fail_rule *rules;
    size_t nrules;
    long latency_ms;

    struct log_entry *log;
    size_t nlog, caplog;
    long log_dropped;

    long requests, injected;
    long kinds[K_COUNT];
    unsigned status_code[MAX_STATUS_KINDS];
    long status_count[MAX_STATUS_KINDS];
};

/* control.c */
void emu_ctl_dispatch(struct emu_server *s, const struct emu_req *q, const char *load_file,
                      struct emu_reply *r);
/* Takes one pending failure for path; returns true and fills *out. */
bool emu_ctl_take_failure(struct emu_server *s, const char *path, struct fail_rule *out);
/* Records an answered (or dropped) API request. path is copied. */
void emu_ctl_record(struct emu_server *s, const char *method, const char *path, unsigned status,
                    enum req_kind kind);
void emu_ctl_cleanup(struct emu_server *s);

#endif

#ifndef SHEETSYNC_FETCH_H
#define SHEETSYNC_FETCH_H

#include <stddef.h>

#include "common/buf.h"

/* A small libcurl wrapper for the Sheets API and the token endpoint: one easy
 * handle per `struct fetch` (so connections are kept alive between calls),
 * connect and total timeouts on every call, the body in a capped buffer.
 * A `struct fetch` is for one thread at a time; curl_global_init is main's. */

#define FETCH_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define FETCH_DEFAULT_TIMEOUT_MS         120000 /* Google stops a request at 180 s */
#define FETCH_DEFAULT_MAX_BODY           (64u * 1024 * 1024)

struct fetch_options {
    long connect_timeout_ms; /* 0 = default */
    long timeout_ms;         /* 0 = default */
    size_t max_body;         /* 0 = default */
    /* Asked before a call and during it (libcurl's progress callback: many
     * times a second while data flows, about once a second while it waits
     * for the server): non-zero ends the call with FETCH_ERR_CANCELLED, so
     * a stop need not wait out a hung server. Called on the calling thread;
     * it must not block. NULL: never cancelled. */
    int (*cancel)(void *arg);
    void *cancel_arg;
};

/* What a call returns besides 0. */
enum {
    FETCH_ERR_NETWORK = -1,   /* no HTTP answer: refused, reset, timeout, DNS; worth a retry */
    FETCH_ERR_TOO_BIG = -2,   /* the body passed max_body */
    FETCH_ERR_OTHER = -3,     /* out of memory, bad URL: a retry will not help */
    FETCH_ERR_CANCELLED = -4, /* the cancel callback ended the call: do not retry */
};

struct fetch_response {
    long status;        /* HTTP status */
    struct buf body;    /* NUL-terminated */
    long retry_after_s; /* Retry-After in seconds (an HTTP date is converted), -1 if none */
};

/* NULL options = the defaults. Returns NULL when out of memory. */
struct fetch *fetch_new(const struct fetch_options *o);
void fetch_free(struct fetch *f);

/* Frees the body; the struct can then be reused. */
void fetch_response_free(struct fetch_response *r);

/* GET url, with `Authorization: Bearer <bearer>` when bearer is not NULL.
 * Returns 0 when an HTTP answer arrived (any status: check resp->status),
 * else a FETCH_ERR_* with one line in err such as
 * "curl: Couldn't connect to server (Failed to connect to ...)". resp is
 * (re)initialised by the call and must be freed with fetch_response_free
 * either way. The bearer token is never written to err or the log. */
int fetch_get(struct fetch *f, const char *url, const char *bearer, struct fetch_response *resp,
              char *err, size_t errlen);

/* POST body (len bytes) as content_type; otherwise as fetch_get. */
int fetch_post(struct fetch *f, const char *url, const char *content_type, const char *body,
               size_t len, struct fetch_response *resp, char *err, size_t errlen);

#endif

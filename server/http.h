#ifndef SHEETSYNC_HTTP_H
#define SHEETSYNC_HTTP_H

#include <stddef.h>

/* The HTTP server (contract §5): a libmicrohttpd daemon with its own polling
 * threads, one route table (server/routes.c) and the handlers of handlers/.
 * Every worker thread reads through its own `struct store` connection, opened
 * on first use and closed by http_stop. */

struct http_options {
    const char *bind;         /* listen address (IPv4, IPv6 or a name); NULL: 127.0.0.1 */
    unsigned port;            /* 0 picks a free port: read it back with http_port */
    const char *db_path;      /* the SQLite file each worker thread opens */
    const char *api_token;    /* when set, read endpoints need "Authorization: Bearer" */
    const char *admin_token;  /* admin endpoints answer 403 when unset */
    const char *cors_origins; /* comma-separated browser origins, "*" for any; NULL: none */
    size_t max_body;          /* request body cap in bytes; 0: 64 KiB (a route may lower it) */
    unsigned threads;         /* worker threads; 0: 2 to 4 after the CPU count */
    void *app;                /* opaque, for handlers that need more (sync queue, ...) */
};

struct http_server;

/* Starts listening and serving. Every string of `o` is copied. Returns NULL
 * with one line in err (e.g. the address is in use) on failure. */
struct http_server *http_start(const struct http_options *o, char *err, size_t errlen);

/* The port actually bound (useful after port 0). */
unsigned http_port(const struct http_server *s);

/* Stops accepting, waits for the requests in flight, closes the per-thread
 * database connections and frees `s`. NULL is ignored. */
void http_stop(struct http_server *s);

#endif

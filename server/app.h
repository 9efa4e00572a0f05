#ifndef SHEETSYNC_APP_H
#define SHEETSYNC_APP_H

/* What `sheetsync serve` shares with the handlers beyond the database: the
 * sync worker, the Google API counters and the webhook settings. cmd_serve
 * (server/main.c) fills one `struct app` and passes it as http_options.app;
 * a handler reads it with http_req_app(r). Every member may be NULL / 0
 * (the API tests start the server without a worker), and a handler answers
 * what the missing part means (POST /syncs: 503). The pointers are borrowed:
 * whoever fills the struct keeps the pointees alive until http_stop returns.
 *
 * Add members at the end; handlers that do not use a member never look at
 * it, so zero-initialisation (`struct app a = {0}`) stays a valid app. */

#include <stddef.h>

struct worker;
struct sheets_stats;
struct sync_source;

struct app {
    struct worker *worker;        /* NULL: no Google source configured */
    struct sheets_stats *sheets;  /* Google API calls by outcome, for /metrics; may be NULL */
    const char *webhook_secret;   /* NULL: webhooks disabled (503) */
    size_t webhook_secret_len;    /* the secret may hold any byte */
    const char *webhook_audience; /* expected `aud`; NULL: "sheetsync" */
    /* The Google sources a notification may name (handlers/webhook.c): its
     * spreadsheet_id (and tab, when the source names one) must match one. */
    const struct sync_source *sources;
    size_t nsources;
};

#endif

/* POST /webhooks/sheets (contract §6): a signed notification from the Apps
 * Script in a partner's sheet. The token is verified (ingest/notification.c),
 * matched to a configured source, and stored with its jti in one
 * transaction before the 202 goes out; then the sync worker is woken, and
 * pulls after its debounce window. A refused notification is answered with a
 * problem saying what was wrong (never quoting the token or the secret),
 * counted by reason for /metrics, and triggers no pull. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "handlers/handlers.h"
#include "ingest/notification.h"
#include "ingest/sync.h"
#include "ingest/worker.h"
#include "server/app.h"
#include "server/metrics.h"
#include "store/notifications.h"

/* Refuses with `status`, counting the refusal under `reason`. */
static int refuse(struct http_req *r, unsigned status, const char *reason, const char *detail)
{
    metrics_webhook(reason);
    log_info("webhook %s: refused %u (%s): %s", http_req_id(r), status, reason, detail);
    char slug[48];
    snprintf(slug, sizeof slug, "webhook-%s", reason);
    for (char *p = slug; *p; p++)
        if (*p == '_')
            *p = '-';
    return http_problem(r, status, slug, NULL, "%s", detail);
}

/* Content-Type application/jwt, any case, parameters allowed. */
static bool is_jwt_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 15 && strncasecmp(ct, "application/jwt", 15) == 0;
}

/* The configured source the notification names: its spreadsheet, and its
 * tab when the source names one (exactly, else ignoring ASCII case, as the
 * Sheets API matches names). A source without a tab (the first tab) takes
 * any tab's notification: its stored tab name may be stale after a rename,
 * and a pull too many costs less than an edit lost. */
static const struct sync_source *find_source(const struct app *app, const struct notification *n,
                                             bool *spreadsheet_known)
{
    const struct sync_source *any_tab = NULL, *caseless = NULL;
    *spreadsheet_known = false;
    for (size_t i = 0; i < app->nsources; i++) {
        const struct sync_source *s = &app->sources[i];
        if (!s->spreadsheet_id || strcmp(s->spreadsheet_id, n->spreadsheet_id) != 0)
            continue;
        *spreadsheet_known = true;
        if (!s->sheet || !*s->sheet) {
            if (!any_tab)
                any_tab = s;
        } else if (strcmp(s->sheet, n->sheet) == 0) {
            return s;
        } else if (!caseless && strcasecmp(s->sheet, n->sheet) == 0) {
            caseless = s;
        }
    }
    return caseless ? caseless : any_tab;
}

int h_webhook_sheets(struct http_req *r)
{
    const struct app *app = http_req_app(r);
    char err[512];
    struct notification n;
    int rc = -1;

    if (!app || !app->webhook_secret || !*app->webhook_secret) {
        metrics_webhook("disabled");
        http_problem(r, 503, "webhooks-disabled", NULL,
                     "webhooks are disabled: SHEETSYNC_WEBHOOK_SECRET is not configured");
        return 0;
    }
    if (!is_jwt_type(http_req_header(r, "Content-Type"))) {
        refuse(r, 415, "unsupported_media_type",
               "the body must be one compact JWS sent as Content-Type: application/jwt");
        return 0;
    }

    size_t len;
    const char *body = http_req_body(r, &len);
    struct notification_key key = {
        .secret = (const unsigned char *)app->webhook_secret,
        .secret_len =
            app->webhook_secret_len ? app->webhook_secret_len : strlen(app->webhook_secret),
        .audience = app->webhook_audience,
    };
    time_t now = time(NULL);
    enum notification_result vr = notification_verify(body, len, &key, now, &n, err, sizeof err);
    if (vr == NOTIFICATION_INTERNAL) {
        log_error("webhook %s: %s", http_req_id(r), err);
        return -1;
    }
    if (vr != NOTIFICATION_OK) {
        refuse(r, notification_http_status(vr), notification_result_name(vr), err);
        if (notification_http_status(vr) == 401)
            http_reply_header(r, "WWW-Authenticate", "Bearer realm=\"sheetsync\"");
        return 0;
    }

    bool spreadsheet_known;
    const struct sync_source *src = find_source(app, &n, &spreadsheet_known);
    if (!src) {
        if (spreadsheet_known)
            snprintf(err, sizeof err,
                     "spreadsheet %.100s is configured, but not its tab %.100s: no source reads it",
                     n.spreadsheet_id, n.sheet);
        else
            snprintf(err, sizeof err, "spreadsheet %.100s is not a configured source",
                     n.spreadsheet_id);
        refuse(r, 404, "unknown_spreadsheet", err);
        rc = 0;
        goto out;
    }

    /* What to pull (contract §6): an edit pulls its rows, or the whole sheet
     * when it touches the header row or has no last row; a change pulls the
     * whole sheet, except FORMAT and EDIT, which change no value the edit
     * notifications do not already cover. */
    long header_row = src->header_row > 0 ? src->header_row : 1;
    const char *pull;
    if (n.event == NOTIFICATION_EDIT)
        pull = n.whole_sheet || n.first_row <= header_row ? "full" : "range";
    else
        pull = notification_change_needs_no_pull(n.change_type) ? "none" : "full";

    struct store *st = http_req_store(r);
    if (!st) {
        rc = 0; /* the 503 is the reply */
        goto out;
    }
    struct store_notif_new rec = {
        .source = src->name,
        .jti = n.jti,
        .keep_until = n.exp + NOTIFICATION_LEEWAY,
        .event = n.event == NOTIFICATION_EDIT ? "edit" : "change",
        .change_type = n.event == NOTIFICATION_CHANGE ? n.change_type : NULL,
        .sheet = n.sheet,
        .range = n.event == NOTIFICATION_EDIT ? n.range : NULL,
        .pull = pull,
        .first_row = n.first_row,
        .last_row = n.last_row,
    };
    long long id;
    int ar = store_notif_accept(st, &rec, now, &id, err, sizeof err);
    if (ar == STORE_NOTIF_REPLAY) {
        refuse(r, 409, "replay", "this notification's jti was accepted before; send a new jti");
        rc = 0;
        goto out;
    }
    if (ar == STORE_NOTIF_BUSY) {
        metrics_webhook("busy");
        log_warn("webhook %s: the database stayed busy; answered 503", http_req_id(r));
        http_problem(r, 503, "busy", NULL,
                     "the notification could not be stored in time; retry shortly");
        http_reply_header(r, "Retry-After", "2");
        rc = 0;
        goto out;
    }
    if (ar != STORE_NOTIF_ACCEPTED) {
        log_error("webhook %s: cannot store the notification: %s", http_req_id(r), err);
        goto out;
    }
    /* Stored: from here on a crash loses nothing. Wake the worker. */
    if (strcmp(pull, "none") != 0 && app->worker)
        worker_notify(app->worker, src->name);
    metrics_webhook("accepted");

    json_object *o = json_object_new_object();
    char rows[48] = "";
    if (!o)
        goto out;
    json_object_object_add(o, "status", json_object_new_string("accepted"));
    json_object_object_add(o, "id", json_object_new_int64(id));
    json_object_object_add(o, "source", json_object_new_string(src->name));
    json_object_object_add(o, "pull", json_object_new_string(pull));
    if (strcmp(pull, "range") == 0) {
        snprintf(rows, sizeof rows, "%ld:%ld", n.first_row, n.last_row);
        json_object_object_add(o, "rows", json_object_new_string(rows));
    } else if (strcmp(pull, "none") == 0) {
        json_object_object_add(o, "detail",
                               json_object_new_string("a FORMAT or EDIT change alters no value "
                                                      "that needs a pull; nothing is pulled"));
    }
    log_info("webhook %s: accepted notification %lld for %s: pull %s%s%s", http_req_id(r), id,
             src->name, pull, rows[0] ? " " : "", rows);
    rc = http_reply_json(r, 202, o);
out:
    notification_cleanup(&n);
    return rc;
}

void h_webhook_too_large(struct http_req *r)
{
    (void)r;
    metrics_webhook("too_large");
}

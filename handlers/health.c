/* GET /healthz (liveness) and GET /readyz (readiness: the database opens,
 * is migrated, and each source's last good sync). */
#include <json-c/json.h>

#include "common/log.h"
#include "handlers/handlers.h"

int h_healthz(struct http_req *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    return http_reply_json(r, 200, o);
}

int h_readyz(struct http_req *r)
{
    char err[512];
    json_object *sources = NULL;
    struct store *st = http_req_store(r);
    if (!st)
        return 0; /* 503 already set */
    if (!store_is_migrated(st))
        return http_problem(r, 503, "not-ready", NULL,
                            "the database is not migrated: run `sheetsync migrate`");
    if (store_sources_status(st, &sources, err, sizeof err)) {
        log_error("http %s: readyz: %s", http_req_id(r), err);
        return http_problem(r, 503, "not-ready", NULL, "the database cannot be read");
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ready"));
    json_object_object_add(o, "sources", sources);
    return http_reply_json(r, 200, o);
}

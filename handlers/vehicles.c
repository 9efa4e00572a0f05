/* GET /vehicles: every vehicle of the source (dim_vehicles). */
#include <json-c/json.h>

#include "common/log.h"
#include "handlers/handlers.h"

int h_vehicles_list(struct http_req *r)
{
    char err[512];
    struct store *st;
    struct store_source src;
    json_object *items = NULL;
    int rc = http_read_begin(r, &st, &src);
    if (rc < 0)
        return 0;
    if (http_not_modified(r, rc ? &src : NULL, ""))
        goto out;
    if (rc == 0) {
        items = json_object_new_array();
    } else if (store_vehicles_list(st, src.id, &items, err, sizeof err)) {
        log_error("http %s: vehicles: %s", http_req_id(r), err);
        http_read_end(st, &src);
        return -1;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    http_reply_json(r, 200, o);
out:
    http_read_end(st, &src);
    return 0;
}

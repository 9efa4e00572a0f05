/* GET /vehicles: the view dim_vehicles of one source. */
#include "store/read.h"

#include <json-c/json.h>
#include <stdio.h>

#include "store/store_internal.h"

int store_vehicles_list(struct store *st, long source_id, struct json_object **items, char *err,
                        size_t errlen)
{
    sqlite3_stmt *s = NULL;
    json_object *arr = json_object_new_array();
    int rc = -1, step;
    *items = NULL;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_prepare(st,
                      "SELECT vehicle_key, name, open, total FROM dim_vehicles"
                      " WHERE source_id = ?1 ORDER BY vehicle_key",
                      &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, source_id);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "vehicle_key",
                               json_object_new_string((const char *)sqlite3_column_text(s, 0)));
        json_object_object_add(o, "name",
                               json_object_new_string((const char *)sqlite3_column_text(s, 1)));
        json_object_object_add(o, "open", json_object_new_int64(sqlite3_column_int64(s, 2)));
        json_object_object_add(o, "total", json_object_new_int64(sqlite3_column_int64(s, 3)));
        json_object_array_add(arr, o);
    }
    if (step != SQLITE_DONE) {
        store_fail(st, err, errlen, "dim_vehicles");
        goto out;
    }
    *items = arr;
    arr = NULL;
    rc = 0;
out:
    sqlite3_finalize(s);
    json_object_put(arr);
    return rc;
}

/* GET /quality: the view quality_problems of one source, paginated. */
#include "store/read.h"

#include <json-c/json.h>
#include <stdio.h>

#include "store/store_internal.h"

int store_quality_list(struct store *st, const struct quality_query *q, struct json_object **items,
                       bool *more, struct quality_key *next, char *err, size_t errlen)
{
    /* (row, coalesce(col, -1)) is the page key; the rest of the ORDER BY only
     * makes the order inside one cell deterministic. */
    static const char *const sql =
        "SELECT source, row, coalesce(col, -1), column_name, field, cell, value, severity, code,"
        " message"
        " FROM quality_problems"
        " WHERE source_id = ?1"
        "   AND (?2 IS NULL OR severity = ?2)"
        "   AND (?3 IS NULL OR code = ?3)"
        "   AND (?4 IS NULL OR (row, coalesce(col, -1)) >= (?4, ?5))"
        " ORDER BY row, coalesce(col, -1), code, field, message, value"
        " LIMIT ?6";
    sqlite3_stmt *s = NULL;
    json_object *arr = json_object_new_array();
    int rc = -1, step;
    long emitted = 0, skipped = 0;
    struct quality_key last = {0, 0, 0};
    *items = NULL;
    *more = false;
    if (!arr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (store_prepare(st, sql, &s, err, errlen))
        goto out;
    sqlite3_bind_int64(s, 1, q->source_id);
    sqlite3_bind_text(s, 2, q->severity, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, q->code, -1, SQLITE_STATIC);
    if (q->has_after) {
        sqlite3_bind_int64(s, 4, q->after.row);
        sqlite3_bind_int64(s, 5, q->after.col);
    }
    /* The items of the cursor's cell already returned come first and are
     * skipped; one more than a page tells whether another follows. */
    sqlite3_bind_int64(s, 6, (q->has_after ? q->after.skip : 0) + q->limit + 1);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        long row = (long)sqlite3_column_int64(s, 1), col = (long)sqlite3_column_int64(s, 2);
        bool in_after = q->has_after && row == q->after.row && col == q->after.col;
        if (in_after && skipped < q->after.skip) {
            skipped++;
            continue;
        }
        if (emitted == q->limit) {
            *more = true;
            break;
        }
        if (emitted > 0 && row == last.row && col == last.col)
            last.skip++;
        else
            last = (struct quality_key){row, col, 1 + (in_after ? skipped : 0)};
        json_object *o = json_object_new_object();
        json_object_object_add(o, "source", store_col_json_text(s, 0));
        json_object_object_add(o, "row", json_object_new_int64(row));
        json_object_object_add(o, "column", store_col_json_text(s, 3));
        json_object_object_add(o, "field", store_col_json_text(s, 4));
        json_object_object_add(o, "cell", store_col_json_text(s, 5));
        json_object_object_add(o, "value", store_col_json_text(s, 6));
        json_object_object_add(o, "severity", store_col_json_text(s, 7));
        json_object_object_add(o, "code", store_col_json_text(s, 8));
        json_object_object_add(o, "message", store_col_json_text(s, 9));
        json_object_array_add(arr, o);
        emitted++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        store_fail(st, err, errlen, "quality_problems");
        goto out;
    }
    if (*more)
        *next = last;
    *items = arr;
    arr = NULL;
    rc = 0;
out:
    sqlite3_finalize(s);
    json_object_put(arr);
    return rc;
}

/* Reading result columns into C strings and JSON values, for every file of
 * store/ that turns rows into replies or structs. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

char *store_col_strdup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? strdup((const char *)t) : NULL;
}

struct json_object *store_col_json_text(sqlite3_stmt *s, int col)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return NULL;
    return json_object_new_string_len((const char *)sqlite3_column_text(s, col),
                                      sqlite3_column_bytes(s, col));
}

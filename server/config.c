#include "server/config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type { T_STRING, T_SECRET, T_LONG, T_LEVEL, T_FORMAT };

/* Every setting once: its variable, how to read it, where it goes, its
 * default and its bounds. */
struct cfg_entry {
    const char *env;
    enum cfg_type type;
    size_t offset;
    const char *def;
    long min, max;
};

#define AT(field) offsetof(struct cfg, field)
static const struct cfg_entry entries[] = {
    {"SHEETSYNC_BIND", T_STRING, AT(bind), "127.0.0.1", 0, 0},
    {"SHEETSYNC_PORT", T_LONG, AT(port), "8080", 0, 65535},
    {"GOOGLE_APPLICATION_CREDENTIALS", T_STRING, AT(credentials_path), NULL, 0, 0},
    {"SHEETSYNC_SHEETS_API_URL", T_STRING, AT(sheets_api_url), "https://sheets.googleapis.com", 0,
     0},
    {"SHEETSYNC_WEBHOOK_SECRET", T_SECRET, AT(webhook_secret), NULL, 32, 0},
    {"SHEETSYNC_WEBHOOK_AUDIENCE", T_STRING, AT(webhook_audience), "sheetsync", 0, 0},
    {"SHEETSYNC_ADMIN_TOKEN", T_SECRET, AT(admin_token), NULL, 1, 0},
    {"SHEETSYNC_API_TOKEN", T_SECRET, AT(api_token), NULL, 1, 0},
    {"SHEETSYNC_RECONCILE_SECONDS", T_LONG, AT(reconcile_seconds), "900", 0, 31536000},
    {"SHEETSYNC_DEBOUNCE_MS", T_LONG, AT(debounce_ms), "200", 0, 600000},
    {"SHEETSYNC_CORS_ORIGINS", T_STRING, AT(cors_origins), NULL, 0, 0},
    {"SHEETSYNC_LOG_LEVEL", T_LEVEL, AT(log_level), "info", 0, 0},
    {"SHEETSYNC_LOG_FORMAT", T_FORMAT, AT(log_json), "text", 0, 0},
};

static char *read_secret_file(const char *var, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s_FILE: cannot read %s: %s", var, path, strerror(errno));
        return NULL;
    }
    char buf[4097];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s_FILE: %s is unreadable or larger than 4 KiB", var, path);
        return NULL;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) /* editors add one */
        n--;
    buf[n] = '\0';
    return strdup(buf);
}

/* The raw text of a setting: VAR, or for secrets the content of VAR_FILE. */
static int raw_value(const struct cfg_entry *e, char **out, char *err, size_t errlen)
{
    const char *v = getenv(e->env);
    *out = NULL;
    if (e->type == T_SECRET) {
        char file_var[96];
        snprintf(file_var, sizeof file_var, "%s_FILE", e->env);
        const char *path = getenv(file_var);
        if (v && *v && path && *path) {
            snprintf(err, errlen, "%s and %s are both set: use one", e->env, file_var);
            return -1;
        }
        if (path && *path) {
            *out = read_secret_file(e->env, path, err, errlen);
            return *out ? 0 : -1;
        }
    }
    if (v && *v)
        *out = strdup(v);
    else if (e->def)
        *out = strdup(e->def);
    return 0;
}

static int set_entry(struct cfg *c, const struct cfg_entry *e, char *v, char *err, size_t errlen)
{
    void *at = (char *)c + e->offset;
    char *end;
    switch (e->type) {
    case T_STRING:
        *(char **)at = v;
        return 0;
    case T_SECRET:
        if (v && (long)strlen(v) < e->min) {
            /* Say how long, never what. */
            snprintf(err, errlen, "%s: must be at least %ld bytes (got %zu)", e->env, e->min,
                     strlen(v));
            free(v);
            return -1;
        }
        *(char **)at = v;
        return 0;
    case T_LONG: {
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || *end || end == v || n < e->min || n > e->max) {
            snprintf(err, errlen, "%s: '%s' is not a whole number from %ld to %ld", e->env, v,
                     e->min, e->max);
            free(v);
            return -1;
        }
        *(long *)at = n;
        break;
    }
    case T_LEVEL:
        if (log_level_parse(v, (enum log_level *)at)) {
            snprintf(err, errlen, "%s: '%s' is not one of debug, info, warn, error", e->env, v);
            free(v);
            return -1;
        }
        break;
    case T_FORMAT:
        if (strcmp(v, "text") && strcmp(v, "json")) {
            snprintf(err, errlen, "%s: '%s' is not text or json", e->env, v);
            free(v);
            return -1;
        }
        *(bool *)at = strcmp(v, "json") == 0;
        break;
    }
    free(v);
    return 0;
}

static int read_header_row(const char *where, const char *v, long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < 1 || n > 10000000) {
        snprintf(err, errlen, "%s: '%s' is not a row number from 1 to 10000000", where, v);
        return -1;
    }
    *out = n;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int default_source(struct cfg *c, char *err, size_t errlen)
{
    struct cfg_source *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    c->sources = s;
    c->nsources = 1;
    s->name = strdup("default");
    s->spreadsheet_id = dup_or_null(getenv("SHEETSYNC_SPREADSHEET_ID"));
    s->sheet = dup_or_null(getenv("SHEETSYNC_SHEET"));
    s->header_row = 1;
    const char *hr = getenv("SHEETSYNC_HEADER_ROW");
    return hr && *hr ? read_header_row("SHEETSYNC_HEADER_ROW", hr, &s->header_row, err, errlen) : 0;
}

static int parse_aliases(const char *where, json_object *o, struct clean_aliases *out, char *err,
                         size_t errlen)
{
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "%s.aliases: must be an object of header -> field", where);
        return -1;
    }
    out->v = calloc((size_t)json_object_object_length(o) + 1, sizeof *out->v);
    if (!out->v)
        return -1;
    json_object_object_foreach(o, header, field)
    {
        const char *name = json_object_get_string(field);
        enum clean_field f = name ? clean_field_from_name(name) : FIELD_NONE;
        if (!json_object_is_type(field, json_type_string) || f == FIELD_NONE) {
            snprintf(err, errlen, "%s.aliases.%s: '%s' is not a field name (issue_number, ...)",
                     where, header, name ? name : "");
            return -1;
        }
        out->v[out->n].header = clean_header_normalize(header, strlen(header));
        out->v[out->n++].field = f;
    }
    return 0;
}

/* One entry of the file's "sources" array. */
static int parse_source(json_object *o, size_t i, struct cfg_source *s, char *err, size_t errlen)
{
    char where[64];
    snprintf(where, sizeof where, "sources[%zu]", i);
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "%s: must be an object", where);
        return -1;
    }
    s->header_row = 1;
    json_object_object_foreach(o, key, val)
    {
        const char *v = json_object_get_string(val);
        if (strcmp(key, "aliases") == 0) {
            if (parse_aliases(where, val, &s->aliases, err, errlen))
                return -1;
            continue;
        }
        if (!json_object_is_type(val, json_type_string) &&
            !json_object_is_type(val, json_type_int)) {
            snprintf(err, errlen, "%s.%s: must be a string", where, key);
            return -1;
        }
        if (strcmp(key, "name") == 0) {
            s->name = strdup(v);
        } else if (!strcmp(key, "spreadsheet_id") || !strcmp(key, "SHEETSYNC_SPREADSHEET_ID")) {
            s->spreadsheet_id = dup_or_null(v);
        } else if (!strcmp(key, "sheet") || !strcmp(key, "SHEETSYNC_SHEET")) {
            s->sheet = dup_or_null(v);
        } else if (!strcmp(key, "header_row") || !strcmp(key, "SHEETSYNC_HEADER_ROW")) {
            char k[96];
            snprintf(k, sizeof k, "%s.%s", where, key);
            if (read_header_row(k, v, &s->header_row, err, errlen))
                return -1;
        } else {
            snprintf(err, errlen,
                     "%s.%s: unknown key (known: name, spreadsheet_id, sheet, "
                     "header_row, aliases)",
                     where, key);
            return -1;
        }
    }
    if (!s->name || !*s->name) {
        snprintf(err, errlen, "%s.name: required", where);
        return -1;
    }
    return 0;
}

static int load_file(struct cfg *c, const char *path, char *err, size_t errlen)
{
    json_object *root = json_object_from_file(path);
    int rc = -1;
    if (!root) {
        snprintf(err, errlen, "%s: not readable JSON: %s", path, json_util_get_last_err());
        return -1;
    }
    json_object *srcs;
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "sources", &srcs) ||
        !json_object_is_type(srcs, json_type_array) || json_object_array_length(srcs) == 0) {
        snprintf(err, errlen, "%s: sources: required, a non-empty array", path);
        goto out;
    }
    json_object_object_foreach(root, key, val)
    {
        (void)val;
        if (strcmp(key, "sources")) {
            snprintf(err, errlen, "%s: %s: unknown key (known: sources)", path, key);
            goto out;
        }
    }
    size_t n = json_object_array_length(srcs);
    c->sources = calloc(n, sizeof *c->sources);
    if (!c->sources)
        goto out;
    for (size_t i = 0; i < n; i++, c->nsources++) {
        if (parse_source(json_object_array_get_idx(srcs, i), i, &c->sources[i], err, errlen))
            goto out_named;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->sources[j].name, c->sources[i].name) == 0) {
                snprintf(err, errlen, "sources[%zu].name: '%s' is used twice", i,
                         c->sources[i].name);
                goto out_named;
            }
        }
    }
    rc = 0;
    goto out;
out_named:
    c->nsources++; /* so cfg_free frees the partly read entry too */
    {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: %s", path, err);
        snprintf(err, errlen, "%s", msg);
    }
out:
    json_object_put(root);
    return rc;
}

int cfg_load(struct cfg *c, const char *db_path, const char *config_path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        char *v;
        if (raw_value(&entries[i], &v, err, errlen))
            return -1;
        if (v && set_entry(c, &entries[i], v, err, errlen))
            return -1;
    }
    const char *db = db_path ? db_path : getenv("SHEETSYNC_DB");
    c->db_path = strdup(db && *db ? db : "./sheetsync.db");
    const char *file = config_path ? config_path : getenv("SHEETSYNC_CONFIG");
    if (file && *file)
        return load_file(c, file, err, errlen);
    return default_source(c, err, errlen);
}

void cfg_free(struct cfg *c)
{
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        if (entries[i].type == T_STRING || entries[i].type == T_SECRET) {
            char **p = (char **)((char *)c + entries[i].offset);
            free(*p);
        }
    }
    free(c->db_path);
    for (size_t i = 0; i < c->nsources; i++) {
        struct cfg_source *s = &c->sources[i];
        free(s->name);
        free(s->spreadsheet_id);
        free(s->sheet);
        for (size_t j = 0; j < s->aliases.n; j++)
            free(s->aliases.v[j].header);
        free(s->aliases.v);
    }
    free(c->sources);
    memset(c, 0, sizeof *c);
}

const struct cfg_source *cfg_find_source(const struct cfg *c, const char *name)
{
    if (!name)
        return c->nsources ? &c->sources[0] : NULL;
    for (size_t i = 0; i < c->nsources; i++)
        if (strcmp(c->sources[i].name, name) == 0)
            return &c->sources[i];
    return NULL;
}

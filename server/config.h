#ifndef SHEETSYNC_CONFIG_H
#define SHEETSYNC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/log.h"
#include "ingest/clean.h"

/* Configuration (contract §4): environment variables for the default source,
 * optionally a JSON file (--config) with several sources. Everything is
 * validated by cfg_load, before any port is bound; a bad value fails with a
 * message naming the variable or key. Secrets are never printed. */

struct cfg_source {
    char *name;
    char *spreadsheet_id;
    char *sheet; /* NULL: the first tab */
    long header_row;
    struct clean_aliases aliases;
};

struct cfg {
    char *db_path;
    char *bind;
    long port;
    char *credentials_path;
    char *sheets_api_url;
    char *webhook_secret;
    char *webhook_audience;
    char *admin_token;
    char *api_token;
    long reconcile_seconds;
    long debounce_ms;
    char *cors_origins;
    enum log_level log_level;
    bool log_json;
    struct cfg_source *sources;
    size_t nsources;
};

/* Reads the environment, then the file named by `config_path` (NULL: the
 * SHEETSYNC_CONFIG variable, if set); `db_path` (NULL: SHEETSYNC_DB or
 * ./sheetsync.db) comes from --db. Returns 0, or -1 with one line in err. */
int cfg_load(struct cfg *c, const char *db_path, const char *config_path, char *err, size_t errlen);
void cfg_free(struct cfg *c);

/* The source named `name`, or the first when name is NULL; NULL if none. */
const struct cfg_source *cfg_find_source(const struct cfg *c, const char *name);

#endif

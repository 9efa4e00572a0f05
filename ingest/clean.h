#ifndef SHEETSYNC_CLEAN_H
#define SHEETSYNC_CLEAN_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include "ingest/cell.h"

/* The cleaning rules of models.md §2–3: how a typed sheet row becomes a clean
 * issue. Pure functions, no I/O; the store decides what to keep. */

enum clean_field {
    FIELD_NONE = -1,
    FIELD_ISSUE_NUMBER,
    FIELD_VEHICLE,
    FIELD_SUMMARY,
    FIELD_DESCRIPTION,
    FIELD_PRIORITY,
    FIELD_STATUS,
    FIELD_REPORTED_AT,
    FIELD_REPORTED_BY,
    FIELD_ASSIGNED_TO,
    FIELD_DUE_DATE,
    FIELD_RESOLVED_AT,
    FIELD_ODOMETER,
    FIELD_LABELS,
    FIELD_COUNT
};

/* "issue_number", "vehicle", ...; NULL for FIELD_NONE. */
const char *clean_field_name(enum clean_field f);
/* Inverse of clean_field_name; FIELD_NONE when unknown. */
enum clean_field clean_field_from_name(const char *name);

enum clean_severity { SEV_WARNING, SEV_ERROR };

/* One data problem (models.md §3). `col` is the 0-based column (-1 when the
 * problem is about no single cell, as missing_column); `value` is the cell as
 * typed (NULL when none). Strings are owned by the list. */
struct clean_problem {
    long row;
    int col;
    enum clean_field field;
    enum clean_severity severity;
    const char *code; /* static: "invalid_date", ... */
    char *value;
    char *message;
};

struct clean_problems {
    struct clean_problem *v;
    size_t n, cap;
};

void clean_problems_reset(struct clean_problems *p); /* frees strings, keeps capacity */
void clean_problems_free(struct clean_problems *p);

/* Per-source header aliases added by configuration (models.md §2). Headers are
 * compared after clean_header_normalize. */
struct clean_alias {
    char *header;
    enum clean_field field;
};
struct clean_aliases {
    struct clean_alias *v;
    size_t n;
};

/* Lowercase, trim, collapse inner whitespace, drop one trailing ':'.
 * Returns a malloc'd string. */
char *clean_header_normalize(const char *s, size_t len);

/* The field a header names, looking at `extra` first, then the built-ins. */
enum clean_field clean_header_field(const char *header, size_t len,
                                    const struct clean_aliases *extra);

/* How the columns of a source map to fields. */
struct clean_header_map {
    int col[FIELD_COUNT];       /* column of each field, -1 when absent */
    size_t ncols;               /* number of header cells */
    char **names;               /* header text of each column, trimmed; "" when empty */
    enum clean_field *field_of; /* field of each column; FIELD_NONE for extras */
};

/* Builds the map from the header row's cells. Reports duplicate_column
 * (warning) and missing_column (error, col -1, value = the field name) on
 * `header_row`. Returns 0, or -1 when issue_number or reported_at has no
 * column (the sync must fail), or -2 when memory ran out; on -1/-2 `out` is
 * already freed (clean_header_map_free on it is a harmless no-op). */
int clean_header_map(const struct cell *cells, size_t n, long header_row,
                     const struct clean_aliases *extra, struct clean_header_map *out,
                     struct clean_problems *problems);
void clean_header_map_free(struct clean_header_map *m);

/* Date-time results are "YYYY-MM-DD HH:MM:SS" local wall-clock strings. */
#define CLEAN_DATETIME_LEN 20 /* with the NUL */

/* A clean row: every field of models.md §3. Strings are malloc'd (NULL when
 * empty/null); dates are "" when null. */
struct clean_issue {
    long row;
    bool excluded; /* an error excludes the row */
    bool empty;    /* every cell empty after trimming: skipped silently */
    char *issue_number;
    char *vehicle;     /* display name; NULL when empty */
    char *vehicle_key; /* never NULL: "UNKNOWN" when empty */
    char *summary;
    char *description;
    const char *priority; /* static: critical|high|medium|low|none */
    const char *status;   /* static: open|resolved|closed */
    char reported_at[CLEAN_DATETIME_LEN];
    char *reported_by;
    char *assigned_to;
    char due_date[CLEAN_DATETIME_LEN];
    char resolved_at[CLEAN_DATETIME_LEN]; /* valid resolved_at, after every rule */
    bool has_odometer;
    int64_t odometer;
    char *labels_json; /* JSON array text, never NULL ("[]") */
    char *extra_json;  /* JSON object of the unknown columns: header text -> cell text */
    /* resolved_effective needs the observed fallback (step 2), which the store
     * knows; the cleaner says whether it applies. */
    bool needs_observed_resolution;
};

/* Cleans one data row. Appends every problem found (also when an error
 * excludes the row). Does not detect duplicate_issue_number: that needs all
 * rows of the source (the store does it). `locale` is the source's locale
 * (NULL or "" = en_US). Returns 0, or -1 when memory ran out; either way out
 * must be freed with clean_issue_free. */
int clean_row(const struct clean_header_map *map, const char *locale, const struct sheet_row *row,
              struct clean_issue *out, struct clean_problems *problems);
void clean_issue_free(struct clean_issue *ci);

/* ---- The rules one by one, exported for table-driven tests. ---- */

/* A cell as text per models.md §1: numbers in shortest round-trip form
 * without a fraction when whole, booleans TRUE/FALSE. Returns malloc'd text. */
char *clean_cell_text(const struct cell *c);

/* True for #N/A, #REF!, #VALUE!, #DIV/0!, #NAME?, #NUM!, #NULL!, #ERROR!
 * (after trimming). */
bool clean_is_formula_error(const char *s, size_t len);

enum clean_date_result { DATE_OK, DATE_EMPTY, DATE_INVALID };
/* Parses a date cell (serial number or text forms of models.md §3) into
 * out ("YYYY-MM-DD HH:MM:SS"). */
enum clean_date_result clean_date(const struct cell *c, const char *locale,
                                  char out[CLEAN_DATETIME_LEN]);

/* Priority and status words; *unknown set when the text was not recognised. */
const char *clean_priority(const char *s, size_t len, bool *unknown);
/* Returns open|resolved|closed, or NULL for empty/unknown (caller applies the
 * resolved_at rule); *unknown set for non-empty unrecognised text. */
const char *clean_status(const char *s, size_t len, bool *unknown);

/* Trimmed, whitespace-collapsed display name (malloc'd, NULL when empty). */
char *clean_collapse(const char *s, size_t len);
/* Upper-case A-Z0-9 only; "UNKNOWN" when that leaves nothing. malloc'd. */
char *clean_vehicle_key(const char *display);

/* 0 ok (*out set), 1 empty (null, no warning), -1 invalid. */
int clean_odometer(const char *s, size_t len, int64_t *out);
/* JSON array text of the labels, malloc'd. */
char *clean_labels(const char *s, size_t len);
/* Issue number per §3; malloc'd, NULL when empty. */
char *clean_issue_number(const struct cell *c);

#endif

-- 0001: the tables sheetsync writes. Analysts read the views of sql/models/
-- instead; these tables are the service's own bookkeeping.
--
-- Date-times are local wall-clock text 'YYYY-MM-DD HH:MM:SS' in the source's
-- time zone (models.md §3), except *_utc columns and the sync/observation
-- timestamps, which are UTC ISO-8601 ('YYYY-MM-DDTHH:MM:SSZ').

-- One source is one tab of one spreadsheet, or one CSV file.
CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('sheets', 'csv')),
    spreadsheet_id  TEXT,
    sheet           TEXT NOT NULL,            -- tab name; for A1 cells such as Issues!G17
    header_row      INTEGER NOT NULL DEFAULT 1,
    locale          TEXT NOT NULL DEFAULT 'en_US',
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    header_json     TEXT NOT NULL DEFAULT '[]', -- header cells as last read
    clean_key       TEXT,                     -- fingerprint of header map, locale, aliases
    data_version    INTEGER NOT NULL DEFAULT 0, -- bumped whenever a model changes
    last_sync_ok_at TEXT,                     -- UTC
    created_at      TEXT NOT NULL
);

-- Every sheet row as fetched: the cells as a JSON array (numbers stay
-- numbers), and a content hash so an unchanged row costs no write.
CREATE TABLE raw_rows (
    source_id  INTEGER NOT NULL REFERENCES sources (id),
    row        INTEGER NOT NULL,
    cells_json TEXT NOT NULL,
    hash       INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,                 -- UTC
    PRIMARY KEY (source_id, row)
) WITHOUT ROWID;

-- Each raw row cleaned on its own (models.md §3), before duplicate issue
-- numbers are resolved across rows.
CREATE TABLE clean_rows (
    source_id    INTEGER NOT NULL REFERENCES sources (id),
    row          INTEGER NOT NULL,
    excluded     INTEGER NOT NULL,            -- 1 when a row-level error excludes it
    issue_number TEXT,
    vehicle      TEXT,
    vehicle_key  TEXT NOT NULL,
    summary      TEXT,
    description  TEXT,
    priority     TEXT NOT NULL,
    status       TEXT NOT NULL,
    reported_at  TEXT,
    reported_by  TEXT,
    assigned_to  TEXT,
    due_date     TEXT,
    resolved_at  TEXT,
    odometer     INTEGER,
    labels       TEXT NOT NULL DEFAULT '[]',  -- JSON array
    extra        TEXT NOT NULL DEFAULT '{}',  -- JSON object of the unknown columns
    needs_observed_resolution INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, row)
) WITHOUT ROWID;
CREATE INDEX clean_rows_issue ON clean_rows (source_id, issue_number);

-- Problems found while cleaning. Row problems belong to their row and are
-- replaced with it; header problems (duplicate_column, missing_column) are
-- replaced by every attempt to read the header. duplicate_issue_number is
-- derived by the view quality_problems, not stored.
CREATE TABLE row_problems (
    source_id INTEGER NOT NULL REFERENCES sources (id),
    row       INTEGER NOT NULL,
    col       INTEGER,                        -- 0-based; NULL when no single cell
    field     TEXT,
    value     TEXT,
    severity  TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    code      TEXT NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX row_problems_row ON row_problems (source_id, row);

CREATE TABLE header_problems (
    source_id INTEGER NOT NULL REFERENCES sources (id),
    row       INTEGER NOT NULL,
    col       INTEGER,
    field     TEXT,
    value     TEXT,
    severity  TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    code      TEXT NOT NULL,
    message   TEXT NOT NULL
);

-- The current state of every issue number the source ever had: 'current'
-- (a valid version is in the sheet), 'invalid' (its winning row has an
-- error) or 'deleted' (no row carries it any more).
CREATE TABLE issues (
    source_id          INTEGER NOT NULL REFERENCES sources (id),
    issue_number       TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('current', 'invalid', 'deleted')),
    version            INTEGER NOT NULL,
    row                INTEGER,
    vehicle            TEXT,
    vehicle_key        TEXT,
    summary            TEXT,
    description        TEXT,
    priority           TEXT,
    status             TEXT,
    reported_at        TEXT,
    reported_by        TEXT,
    assigned_to        TEXT,
    due_date           TEXT,
    resolved_at        TEXT,
    resolved_effective TEXT,
    resolved_observed_at TEXT,                -- local: first seen resolved/closed without a date
    odometer           INTEGER,
    labels             TEXT,
    extra              TEXT,
    hash               INTEGER NOT NULL,      -- of the fields above but row
    first_seen_at      TEXT NOT NULL,         -- UTC
    updated_at         TEXT NOT NULL,         -- UTC
    PRIMARY KEY (source_id, issue_number)
) WITHOUT ROWID;

-- Every version the service observed, oldest first; a copy of the issues
-- row each time its hash or state changed.
CREATE TABLE issue_versions (
    source_id          INTEGER NOT NULL REFERENCES sources (id),
    issue_number       TEXT NOT NULL,
    version            INTEGER NOT NULL,
    observed_at        TEXT NOT NULL,         -- UTC
    sync_id            INTEGER,
    state              TEXT NOT NULL,
    row                INTEGER,
    vehicle            TEXT,
    vehicle_key        TEXT,
    summary            TEXT,
    description        TEXT,
    priority           TEXT,
    status             TEXT,
    reported_at        TEXT,
    reported_by        TEXT,
    assigned_to        TEXT,
    due_date           TEXT,
    resolved_at        TEXT,
    resolved_effective TEXT,
    odometer           INTEGER,
    labels             TEXT,
    extra              TEXT,
    PRIMARY KEY (source_id, issue_number, version)
) WITHOUT ROWID;

CREATE TABLE sync_runs (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources (id),
    trigger      TEXT NOT NULL CHECK (trigger IN ('webhook', 'reconcile', 'manual', 'startup', 'import')),
    range        TEXT,                        -- A1 rows pulled; NULL for a full sync
    started_at   TEXT NOT NULL,               -- UTC
    finished_at  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    rows_fetched INTEGER NOT NULL DEFAULT 0,
    rows_changed INTEGER NOT NULL DEFAULT 0,
    error        TEXT
);
CREATE INDEX sync_runs_source ON sync_runs (source_id, id);

-- The weekly model materialized after each change (sql/models/trends_weekly.sql),
-- over the default range of models.md §4, for every group_by.
CREATE TABLE trends_weekly (
    source_id              INTEGER NOT NULL REFERENCES sources (id),
    group_by               TEXT NOT NULL,
    grp                    TEXT NOT NULL,
    week_start             TEXT NOT NULL,
    week_end               TEXT NOT NULL,
    opened                 INTEGER NOT NULL,
    resolved               INTEGER NOT NULL,
    open_at_end            INTEGER NOT NULL,
    overdue_at_end         INTEGER NOT NULL,
    mean_days_to_resolve   REAL,
    median_days_to_resolve REAL,
    opened_prev            INTEGER NOT NULL,
    opened_wow_delta       INTEGER NOT NULL,
    opened_wow_pct         REAL,
    resolved_prev          INTEGER NOT NULL,
    resolved_wow_delta     INTEGER NOT NULL,
    resolved_wow_pct       REAL,
    open_at_end_prev       INTEGER NOT NULL,
    open_at_end_wow_delta  INTEGER NOT NULL,
    open_at_end_wow_pct    REAL,
    PRIMARY KEY (source_id, group_by, week_start, grp)
) WITHOUT ROWID;

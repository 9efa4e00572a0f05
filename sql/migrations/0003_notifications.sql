-- 0003: the webhook's durable queue (contract §6).
--
-- An accepted notification is written here, together with its jti, in one
-- transaction before the 202 is sent; the sync worker pulls what it asks
-- for and marks it done only after that pull committed. A crash or restart
-- therefore loses no pull, and a replayed token is refused across restarts.

-- Every jti accepted, kept until its token can no longer be accepted:
-- keep_until = exp + the 60 s clock leeway (seconds since the epoch).
-- Rows past keep_until are purged; until then the jti is refused (409).
CREATE TABLE webhook_jtis (
    jti        TEXT PRIMARY KEY,
    keep_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webhook_jtis_keep_until ON webhook_jtis (keep_until);

-- Accepted notifications. `pull` says what the notification asks for:
-- 'range' (rows first_row..last_row, every column), 'full' (the whole
-- sheet) or 'none' (a FORMAT or EDIT change: no value changed, stored as
-- done at once). A pending one waits for the worker; a failed pull leaves
-- it pending with attempts + 1 and the next try at next_attempt_at.
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT, -- ids never come back
    source          TEXT NOT NULL,                     -- source name
    received_at     TEXT NOT NULL,                     -- UTC
    event           TEXT NOT NULL CHECK (event IN ('edit', 'change')),
    change_type     TEXT,
    sheet           TEXT NOT NULL,                     -- the tab the token named
    a1_range        TEXT,                              -- the edit's range, as sent
    pull            TEXT NOT NULL CHECK (pull IN ('range', 'full', 'none')),
    first_row       INTEGER,
    last_row        INTEGER,
    full            INTEGER NOT NULL DEFAULT 0,        -- 1 when pull = 'full'
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    attempts        INTEGER NOT NULL DEFAULT 0,        -- failed pulls so far
    next_attempt_at INTEGER NOT NULL DEFAULT 0,        -- ms since the epoch
    last_error      TEXT,
    done_at         TEXT,                              -- UTC
    sync_id         INTEGER                            -- the run that pulled it
);
CREATE INDEX notifications_pending ON notifications (source, id) WHERE status = 'pending';

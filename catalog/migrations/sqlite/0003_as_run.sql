-- What each channel actually aired: one row per item, gap, fallback or interruption.
CREATE TABLE as_run (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT NOT NULL,
    item_id         TEXT,
    title           TEXT,
    source          TEXT,
    scheduled_start TEXT,
    actual_start    TEXT NOT NULL,
    duration_ms     BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    reason          TEXT,
    detail          TEXT NOT NULL
);
CREATE INDEX as_run_channel_idx ON as_run (channel, actual_start);

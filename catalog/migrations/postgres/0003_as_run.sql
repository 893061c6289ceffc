-- What each channel actually aired: one row per item, gap, fallback or interruption.
CREATE TABLE as_run (
    id              BIGSERIAL PRIMARY KEY,
    channel         TEXT NOT NULL,
    item_id         TEXT,
    title           TEXT,
    source          TEXT,
    scheduled_start TIMESTAMPTZ,
    actual_start    TIMESTAMPTZ NOT NULL,
    duration_ms     BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    reason          TEXT,
    detail          JSONB NOT NULL
);
CREATE INDEX as_run_channel_idx ON as_run (channel, actual_start);

-- Outbox of programme events (issue 4): a row is written in the same transaction as a
-- programme's change to ready or failed, by whichever process made it (a `kapok worker`, an
-- API node), and every `kapok serve` polls the table to publish the event on /api/events.
CREATE TABLE programme_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    programme_id  TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- The process (its store) that wrote it: that process published the event itself.
    origin        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX programme_events_created_idx ON programme_events (created_at);

-- Emergency alerts the desk has received, and every step of each: state changes (received →
-- verified → scheduled → on_air → completed | expired | cancelled | superseded) and, per
-- channel, each airing (on air, completed, cancelled …). A restart reloads live alerts from
-- here; the unique key is also the replay protection's identifier memory.
CREATE TABLE alerts (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    msg_type    TEXT NOT NULL,
    sender      TEXT NOT NULL,
    sent        TEXT NOT NULL,
    expires     TEXT,
    state       TEXT NOT NULL,
    alert       TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX alerts_state_idx ON alerts (state, sent);

CREATE TABLE alert_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_key  TEXT NOT NULL REFERENCES alerts (key),
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT,
    channel    TEXT,
    airing     BIGINT,
    note       TEXT
);
CREATE INDEX alert_events_key_idx ON alert_events (alert_key, id);

-- Resumable (tus 1.0) uploads in progress. The bytes received so far live in the media store
-- as segment objects under uploads/{id}/{start}-{end}; this row says how many arrived.
CREATE TABLE uploads (
    id            TEXT PRIMARY KEY,
    programme_id  TEXT NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    centre_code   TEXT NOT NULL REFERENCES centres(code),
    filename      TEXT NOT NULL,
    length        INTEGER NOT NULL,
    received      INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    completed_at  TEXT,
    -- The request writing it now (one at a time), and until when its claim holds.
    writer        TEXT,
    writer_until  TEXT
);
CREATE INDEX uploads_expires_idx ON uploads (expires_at);

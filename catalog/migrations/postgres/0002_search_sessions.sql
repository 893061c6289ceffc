-- Chinese full-text search over pre-segmented terms (see catalog::search), and browser sessions.

ALTER TABLE programmes ADD COLUMN search_terms TEXT NOT NULL DEFAULT '';
CREATE INDEX programmes_search_idx ON programmes USING GIN (to_tsvector('simple', search_terms));

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Chinese full-text search over pre-segmented terms (see catalog::search), and browser sessions.

ALTER TABLE programmes ADD COLUMN search_terms TEXT NOT NULL DEFAULT '';

-- Standalone FTS5 index, maintained by the store in the same transaction as the programme.
-- The unicode61 tokenizer splits on the spaces between the terms we stored.
CREATE VIRTUAL TABLE programme_fts USING fts5(programme_id UNINDEXED, terms, tokenize = 'unicode61 remove_diacritics 0');

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

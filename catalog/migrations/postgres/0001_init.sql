-- Kapok catalog, PostgreSQL. Append-only: never edit a migration that has shipped.

CREATE TABLE centres (
    code        TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        TEXT NOT NULL,
    area_name   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO centres (code, name, area_name) VALUES
    ('510400', '攀枝花市融媒体中心', '攀枝花市'),
    ('510402', '东区融媒体中心', '东区'),
    ('510403', '西区融媒体中心', '西区'),
    ('510411', '仁和区融媒体中心', '仁和区'),
    ('510421', '米易县融媒体中心', '米易县'),
    ('510422', '盐边县融媒体中心', '盐边县');

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    centre_code   TEXT NOT NULL REFERENCES centres(code),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_username_key UNIQUE (username)
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    role         TEXT NOT NULL,
    centre_code  TEXT NOT NULL REFERENCES centres(code),
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);

CREATE TABLE programmes (
    id            TEXT PRIMARY KEY,
    centre_code   TEXT NOT NULL REFERENCES centres(code),
    title         TEXT NOT NULL,
    series        TEXT,
    episode       INTEGER,
    description   TEXT NOT NULL DEFAULT '',
    category      TEXT NOT NULL,
    language      TEXT NOT NULL,
    tags          JSONB NOT NULL DEFAULT '[]',
    sharing       TEXT NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT,
    duration_ms   BIGINT,
    rights_from   TIMESTAMPTZ,
    rights_until  TIMESTAMPTZ,
    qc            JSONB,
    loudness      JSONB,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX programmes_centre_idx ON programmes (centre_code, created_at);
CREATE INDEX programmes_status_idx ON programmes (status);

CREATE TABLE assets (
    id            TEXT PRIMARY KEY,
    programme_id  TEXT NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT assets_programme_kind_key UNIQUE (programme_id, kind, key)
);
CREATE INDEX assets_sha256_idx ON assets (sha256);

CREATE TABLE channels (
    id           TEXT PRIMARY KEY,
    centre_code  TEXT NOT NULL REFERENCES centres(code),
    slug         TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    format       JSONB NOT NULL,
    day_start    TEXT NOT NULL DEFAULT '06:00',
    time_zone    TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    retired_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT channels_slug_key UNIQUE (slug)
);

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    run_at           TIMESTAMPTZ NOT NULL,
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error       TEXT,
    progress         JSONB,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_ready_idx ON jobs (status, run_at);

CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    before       JSONB,
    after        JSONB
);
CREATE INDEX audit_object_idx ON audit_log (object_type, object_id, id);
CREATE INDEX audit_actor_idx ON audit_log (actor, id);

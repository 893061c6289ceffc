-- Schedules: a template per channel, every editing version of every channel day, and the
-- immutable published versions playout runs. Playlists and templates are JSON documents of
-- the `schedules` crate; the catalog stores them without interpreting them.
CREATE TABLE schedule_templates (
    channel_id  TEXT PRIMARY KEY REFERENCES channels(id),
    template    JSONB NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE schedule_versions (
    channel_id  TEXT NOT NULL REFERENCES channels(id),
    day         TEXT NOT NULL,
    version     BIGINT NOT NULL,
    parent      BIGINT,
    change      TEXT NOT NULL,
    playlist    JSONB NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, day, version)
);

CREATE TABLE schedule_published (
    channel_id      TEXT NOT NULL REFERENCES channels(id),
    day             TEXT NOT NULL,
    version         BIGINT NOT NULL,
    source_version  BIGINT,
    record          JSONB NOT NULL,
    published_by    TEXT NOT NULL,
    published_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, day, version)
);

-- What a channel airs besides its schedule: filler programmes (a JSON list of programme ids,
-- aired in rotation when the schedule cannot be), a text crawl, and a logo (a JSON object:
-- path of a PNG on the playout machine, corner, margin, opacity). All optional.
ALTER TABLE channels ADD COLUMN fillers JSONB NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE channels ADD COLUMN crawl TEXT;
ALTER TABLE channels ADD COLUMN logo JSONB;

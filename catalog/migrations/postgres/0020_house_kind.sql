-- What the house file carries (issue 18): 'tv' (picture and sound) or 'radio' (sound only),
-- written by ingest from the house file's probe; NULL when nothing stored tells (made
-- before this column, or recorded without ingest). Scheduling warns of a sound-only
-- programme on a TV channel and refuses a TV-only one on radio.
ALTER TABLE programmes ADD COLUMN house_kind TEXT;
-- Backfill from what exists: ingest makes a thumbnail strip only for a TV house file.
UPDATE programmes SET house_kind = 'tv'
 WHERE EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = programmes.id AND a.kind = 'thumbnail');

-- Ranked search in bounded time (issue 5): stored tsvectors (nothing recomputed per match), one
-- for the title and one for everything, each with a GIN index. A query asks for title matches
-- first and then the rest, each newest first by id, so the planner can walk the primary key and
-- stop at the LIMIT for a common word, or take the GIN index for a rare one.
-- `title_terms` NULL means "not indexed yet": Store::connect indexes such rows after migrating.
ALTER TABLE programmes ADD COLUMN title_terms TEXT;
-- Both also hold who may see the row, as the lexemes 'scope network' or 'scope private' and
-- 'scope c' + the centre code (a space, so no parsed word can equal them): a search adds
-- `@@ 'scope network' | 'scope c510421'` and the GIN index never hands back a row the viewer
-- may not see. Generated, so they follow every change of sharing with no code to forget.
ALTER TABLE programmes ADD COLUMN title_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', COALESCE(title_terms, ''))
        || array_to_tsvector(ARRAY['scope ' || sharing, 'scope c' || centre_code])) STORED;
ALTER TABLE programmes ADD COLUMN search_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', search_terms)
        || array_to_tsvector(ARRAY['scope ' || sharing, 'scope c' || centre_code])) STORED;
DROP INDEX programmes_search_idx;
CREATE INDEX programmes_title_tsv_idx ON programmes USING GIN (title_tsv);
CREATE INDEX programmes_search_tsv_idx ON programmes USING GIN (search_tsv);

-- Ranked search in bounded time (issue 5): a title column and a body column, so a query asks
-- the index for title matches first and then the rest, each walked newest first
-- (ORDER BY rowid DESC LIMIT n inside FTS5) instead of ranking every match before the LIMIT.
-- `search_rowid` is the programme's row in programme_search (stable: VACUUM may renumber the
-- programmes table's own rowids, never an FTS5 table's). `title_terms` NULL means "not indexed
-- yet": Store::connect indexes such rows after migrating (the old index held no title column).
-- `scope` holds who may see the row (`network` or `private`, and `c` + the centre code), so a
-- search matches `scope : (network OR c510421)` with its words and never reads a row the viewer
-- may not see (catalog/src/store/programme_search.rs writes it from the programme row).
ALTER TABLE programmes ADD COLUMN title_terms TEXT;
ALTER TABLE programmes ADD COLUMN search_rowid INTEGER;
CREATE UNIQUE INDEX programmes_search_rowid_idx ON programmes (search_rowid);
CREATE VIRTUAL TABLE programme_search USING fts5(programme_id UNINDEXED, title, body, scope, tokenize = 'unicode61 remove_diacritics 0');
DROP TABLE programme_fts;

-- Search rows numbered newest first in ascending order (issue 5). A ranked search reads each
-- tier newest first; FTS5 walks a doclist forwards far more cheaply than backwards (backwards it
-- rebuilds every leaf page's rowid list, and allocates for it, on every query). So a new
-- programme now takes the smallest row number so far (catalog/src/store/programme_search.rs:
-- SQLITE_NUMBER is MIN - 1) and the rows numbered before this migration are turned negative,
-- keeping their order reversed: `ORDER BY rowid` is newest first.
DROP INDEX programmes_search_rowid_idx;
UPDATE programmes SET search_rowid = -search_rowid WHERE search_rowid > 0;
CREATE UNIQUE INDEX programmes_search_rowid_idx ON programmes (search_rowid);
UPDATE programme_search SET rowid = -rowid WHERE rowid > 0;

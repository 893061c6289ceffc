-- The search GIN indexes without a pending list (issue 5). With `fastupdate` on (PostgreSQL's
-- default) new entries go to an unsorted pending list that every search reads in full until
-- VACUUM or autovacuum merges it: after a bulk import the title index held 340-435 pending pages,
-- and a GIN step that takes 0.04 ms on a merged index took 4-16 ms (bench/web.md). A catalog is
-- read far more than it is written, and a programme is one row: each insert now updates the index
-- in place, and searches never pay for a backlog. What is pending now is merged here, once.
ALTER INDEX programmes_title_tsv_idx SET (fastupdate = off);
ALTER INDEX programmes_search_tsv_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('programmes_title_tsv_idx');
SELECT gin_clean_pending_list('programmes_search_tsv_idx');

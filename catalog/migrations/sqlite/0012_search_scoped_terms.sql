-- Scoped search terms (issue 5). Each title and body term is indexed twice: as itself, and as
-- `term_network` (a programme shared with the network) or `term_c510421` (a programme private to
-- its centre). A viewer's search asks for `(米易_network OR 米易_c510421)`, so FTS5 reads only the
-- postings the viewer may see; the old `scope : (network OR c510421)` column made it merge the
-- whole doclist of a common word with the scope doclists, and a word whose every match was
-- hidden from the viewer (米易 for 510421: 12,500 title matches) cost 5-7 ms instead of 1-2 ms.
-- A search with no visibility limit asks for the plain terms. `_` becomes a token character;
-- search terms never hold one (catalog/src/search.rs keeps letters and digits only).
-- The table is rebuilt from its own stored text with the same row numbers (newest smallest,
-- migration 0010), the scope taken from each programme's row, exactly as SQLITE_INSERT and
-- SQLITE_UPDATE in catalog/src/store/programme_search.rs write it.
CREATE TABLE programme_search_0012 AS
    SELECT f.rowid AS rid, f.programme_id, f.title, f.body,
           '_' || CASE p.sharing WHEN 'network' THEN 'network' ELSE 'c' || p.centre_code END AS s
    FROM programme_search f JOIN programmes p ON p.id = f.programme_id;
DROP TABLE programme_search;
CREATE VIRTUAL TABLE programme_search USING fts5(programme_id UNINDEXED, title, body,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '_'");
INSERT INTO programme_search (rowid, programme_id, title, body)
    SELECT rid, programme_id,
           CASE WHEN title = '' THEN '' ELSE title || ' ' || replace(title, ' ', s || ' ') || s END,
           CASE WHEN body = '' THEN '' ELSE body || ' ' || replace(body, ' ', s || ' ') || s END
    FROM programme_search_0012 ORDER BY rid;
DROP TABLE programme_search_0012;

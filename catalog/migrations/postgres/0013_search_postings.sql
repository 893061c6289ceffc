-- Title postings for ranked search (issue 5): one row per (scope, word of a title, programme), in
-- a btree ordered by programme id, so a viewer's title tier is read newest first straight from two
-- index ranges (its scopes: `network` and `c` + its centre) and stops at the page, whatever the
-- word's frequency and however many of its matches the viewer may not see. Before, the title tier
-- walked the newest 1,000 programmes testing each row's tsvector (~1 ms for a common word), and a
-- word whose every title match was hidden from the viewer paid that walk and a GIN bitmap of all
-- its matches (bench/web.md). Words of one character are not posted (a query with a longer word
-- drops them; one-character queries keep the tsvector path), which keeps the table to ~5 rows a
-- programme. The rows are kept by statement triggers over the transition tables, so a bulk import
-- writes its postings in one set and no write path can forget them.
CREATE TABLE programme_postings (
    key TEXT NOT NULL,
    programme_id TEXT NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    PRIMARY KEY (key, programme_id)
);
CREATE INDEX programme_postings_programme_idx ON programme_postings (programme_id);

-- The posting keys of one programme: its scope, a space, a title word of two or more characters.
CREATE FUNCTION programme_posting_keys(sharing TEXT, centre_code TEXT, title_terms TEXT)
RETURNS TABLE (key TEXT) LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT CASE sharing WHEN 'network' THEN 'network' ELSE 'c' || centre_code END || ' ' || t
    FROM unnest(string_to_array(COALESCE(title_terms, ''), ' ')) AS t
    WHERE char_length(t) > 1
$$;

CREATE FUNCTION programme_postings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO programme_postings (key, programme_id)
    SELECT k.key, n.id FROM new_rows n, programme_posting_keys(n.sharing, n.centre_code, n.title_terms) k;
    RETURN NULL;
END
$$;

-- Only rows whose title words or scope changed are re-posted (a status change touches nothing).
CREATE FUNCTION programme_postings_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM programme_postings x USING old_rows o JOIN new_rows n ON n.id = o.id
    WHERE x.programme_id = o.id
      AND (o.title_terms IS DISTINCT FROM n.title_terms OR o.sharing <> n.sharing OR o.centre_code <> n.centre_code);
    INSERT INTO programme_postings (key, programme_id)
    SELECT k.key, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id,
        programme_posting_keys(n.sharing, n.centre_code, n.title_terms) k
    WHERE o.title_terms IS DISTINCT FROM n.title_terms OR o.sharing <> n.sharing OR o.centre_code <> n.centre_code;
    RETURN NULL;
END
$$;

CREATE TRIGGER programme_postings_inserted AFTER INSERT ON programmes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programme_postings_inserted();
CREATE TRIGGER programme_postings_updated AFTER UPDATE ON programmes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION programme_postings_updated();

INSERT INTO programme_postings (key, programme_id)
SELECT k.key, p.id FROM programmes p, programme_posting_keys(p.sharing, p.centre_code, p.title_terms) k;

-- The running SHA-256 of an upload's bytes received so far (issue 4), saved with `received`
-- after every stored segment so the digest of a file sent in any number of requests is computed
-- on the way in and never by reading the file back (ingest/src/upload/digest.rs has the text's
-- form). NULL for an upload begun before this migration: it is finished the old way, by joining
-- its segments and hashing them then.
ALTER TABLE uploads ADD COLUMN digest TEXT;

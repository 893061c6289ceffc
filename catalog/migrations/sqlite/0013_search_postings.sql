-- Kept in step with PostgreSQL's 0013 (title postings in a btree), which SQLite does not need:
-- its FTS5 table already reads a viewer's scoped title terms newest first (0010, 0012).
SELECT 1;

-- Kept in step with SQLite's 0010 (search rows numbered newest first), which PostgreSQL does
-- not need: it orders its search by the programme id. Nothing to change here.
SELECT 1;

-- The area a sender may interrupt (issue 19): NULL for the whole network (the city, the
-- network administrator, a signed platform), else the centre's area code (510421 for 米易).
-- Every server and playout node reads it, so a county's alert interrupts only that county's
-- own channels wherever they run.
ALTER TABLE alerts ADD COLUMN scope TEXT;

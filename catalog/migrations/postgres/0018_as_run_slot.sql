-- One as-run line per scheduled item, whichever node aired it (main, backup, a node restarted
-- mid-item): `slot` is the item's scheduled start (RFC 3339, UTC, milliseconds), the same on
-- every node because each takes it from the same published schedule; a second line for the
-- slot is merged into the first (catalog::asrun::merged). Gaps, fills, overrides and alerts
-- have no slot (NULL: distinct in a unique index, never merged).
ALTER TABLE as_run ADD COLUMN slot TEXT;
CREATE UNIQUE INDEX as_run_slot_idx ON as_run (channel, slot);

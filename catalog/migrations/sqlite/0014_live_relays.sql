-- Live relays (issue 19): the only remote sources a centre's schedules may air, kept by its
-- administrator. A schedule names a relay; playout gets the URI only when the name is on the
-- channel's centre's list (schedules/src/relay.rs checks the URI's form).
CREATE TABLE live_relays (
    centre TEXT NOT NULL REFERENCES centres(code),
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (centre, name)
);

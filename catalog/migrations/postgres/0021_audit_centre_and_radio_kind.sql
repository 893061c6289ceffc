-- 1. The centre an audited change belongs to, stored when the row is written (issue 18): the
-- audit log searched by centre then finds a job's rows and a deleted programme's rows, which a
-- lookup of the object at read time could not (a job names its programme only in its payload,
-- and a deleted programme is gone). NULL when nothing tells (alerts, the system's own rows).
ALTER TABLE audit_log ADD COLUMN centre_code TEXT;
CREATE INDEX audit_centre_idx ON audit_log (centre_code, id);

-- Backfill from what exists. Programmes: the live row, else what the create or import row
-- recorded (its `after` holds the centre), so a deleted programme's rows keep theirs.
UPDATE audit_log SET centre_code = (SELECT p.centre_code FROM programmes p WHERE p.id = audit_log.object_id)
 WHERE object_type = 'programme';
UPDATE audit_log SET centre_code = (
    SELECT a.after->>'centre' FROM audit_log a
     WHERE a.object_type = 'programme' AND a.object_id = audit_log.object_id
       AND a.after->>'centre' IS NOT NULL
     ORDER BY a.id LIMIT 1)
 WHERE object_type = 'programme' AND centre_code IS NULL;
UPDATE audit_log SET centre_code = (SELECT c.centre_code FROM channels c WHERE c.id = audit_log.object_id)
 WHERE object_type = 'channel';
-- A schedule day is `<channel id>/<date>`; a relay `<centre>/<name>`.
UPDATE audit_log SET centre_code = (SELECT c.centre_code FROM channels c WHERE c.id = substr(audit_log.object_id, 1, 36))
 WHERE object_type = 'schedule_day';
UPDATE audit_log SET centre_code = substr(object_id, 1, 6) WHERE object_type = 'relay';
UPDATE audit_log SET centre_code = (SELECT u.centre_code FROM users u WHERE u.id = audit_log.object_id)
 WHERE object_type = 'user';
UPDATE audit_log SET centre_code = (SELECT t.centre_code FROM api_tokens t WHERE t.id = audit_log.object_id)
 WHERE object_type = 'token';
-- A job: the centre in its payload, else its programme's (live, or as backfilled above).
UPDATE audit_log SET centre_code = (
    SELECT COALESCE(
        j.payload->>'centre',
        (SELECT p.centre_code FROM programmes p WHERE p.id = j.payload->>'programme_id'),
        (SELECT a.centre_code FROM audit_log a
          WHERE a.object_type = 'programme' AND a.object_id = j.payload->>'programme_id'
            AND a.centre_code IS NOT NULL LIMIT 1))
      FROM jobs j WHERE j.id = audit_log.object_id)
 WHERE object_type = 'job';

-- 2. Programmes ingested before 0020 recorded the house kind (issue 18): 0020 marked 'tv' those
-- with a thumbnail strip. Every ingest since the first stores house file, proxy and poster,
-- and a strip only for a TV house file (ingest/src/proxy.rs: a radio poster is a waveform,
-- no strip), so a house file with a poster and no strip was ingested as sound only. A
-- programme recorded without ingest (no poster) stays unknown.
UPDATE programmes SET house_kind = 'radio'
 WHERE house_kind IS NULL
   AND EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = programmes.id AND a.kind = 'house')
   AND EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = programmes.id AND a.kind = 'poster')
   AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.programme_id = programmes.id AND a.kind = 'thumbnail');

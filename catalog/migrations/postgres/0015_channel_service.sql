-- How a channel's service is numbered in its MPEG-TS (service id, transport stream id,
-- original network id, PMT/video/audio PIDs): a JSON object; NULL means the defaults
-- (docs/service-information.md).
ALTER TABLE channels ADD COLUMN service JSONB;

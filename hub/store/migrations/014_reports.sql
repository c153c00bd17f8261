-- Reports (issue 16, docs/reports.md): the two counters the rates need that the rollups of 005 lack, kept by the
-- roller with the rest of each bucket (hub/store/rollups.ts), so a report reads day rollups and never raw history.
--   on_time  readings received within report_setting.timely_within_s of their data time (及时率);
--   filled   buckets one level down that hold data: an hour's minutes, a day's hours (在线率); 1 on a minute.
-- Both stay null on buckets rolled before this migration (a report leaves those days out of the rate they feed)
-- until a reading in the bucket makes the roller recompute it. Adding a nullable column rewrites nothing.
ALTER TABLE rollup ADD COLUMN on_time integer;
ALTER TABLE rollup ADD COLUMN filled integer;

-- The delay within which a reading counts as on time: one row, written from the config (reports.timely_within_s)
-- at every start, read by the roller's minute statement. Buckets keep the value in force when they were rolled.
CREATE TABLE report_setting (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  timely_within_s integer NOT NULL DEFAULT 300
);
INSERT INTO report_setting (id) VALUES (true);

-- Quarantined readings per day: read by their arrival time.
CREATE INDEX quarantine_received ON quarantine (received_at);

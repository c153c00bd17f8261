-- The newest observation of each (point, kind): which row it is (id, kind, time: the observation's key in its time
-- partition), so "current value" reads (/v1/observations/latest, dashboards, no-data alarms) fetch one row per point
-- by its key instead of scanning history. Narrow on purpose: it is written in the same statement as every insert
-- (hub/store/observations.ts INSERT_BATCH), only when the new reading is newer (time, then id), and a full copy of
-- the row cost the hot path about a sixth of its rate (bench ingest). History dropped by retention takes its
-- latest row's reading with it: a point silent for the whole retention period has no current value.
CREATE TABLE observation_latest (
  point_id integer NOT NULL,
  kind text NOT NULL,
  time timestamptz NOT NULL,
  id bigint NOT NULL,
  PRIMARY KEY (point_id, kind)
) WITH (fillfactor = 50);
-- Half-empty pages: updating a row (no indexed column changes) stays a HOT update on its own page, touching no index.

-- An upgraded store is right at once: the newest row of each (point, kind) already stored.
INSERT INTO observation_latest (point_id, kind, time, id)
SELECT DISTINCT ON (point_id, kind) point_id, kind, time, id
FROM observation
ORDER BY point_id, kind, time DESC, id DESC;

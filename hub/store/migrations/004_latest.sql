-- The newest observation of each (point, kind), a copy of its every output column, so "current value" reads
-- (/v1/observations/latest, dashboards, no-data alarms) read one small table: no scan of history, no join.
-- Written in the same statement as the insert (hub/store/observations.ts INSERT_BATCH), only when the new reading
-- is newer (time, then id), so late data never regresses it. It is the newest reading ever stored: dropping
-- history (retention) leaves it in place.
CREATE TABLE observation_latest (
  id bigint NOT NULL,
  point_id integer NOT NULL,
  device_id integer NOT NULL,
  site_id integer NOT NULL,
  indicator text NOT NULL,
  kind text NOT NULL,
  time timestamptz NOT NULL,
  value double precision,
  avg double precision,
  min double precision,
  max double precision,
  cou double precision,
  unit text NOT NULL,
  source_flag char(1) NOT NULL,
  flags text[] NOT NULL,
  warnings text[] NOT NULL,
  adapter text NOT NULL,
  message_id text,
  received_at timestamptz NOT NULL,
  raw_value double precision,
  raw_unit text,
  PRIMARY KEY (point_id, kind)
) WITH (fillfactor = 50);
-- Half-empty pages: updating a row (no indexed column changes) stays a HOT update on its own page, touching no
-- index; the table is one row per (point, kind), so the space is small.
CREATE INDEX observation_latest_site ON observation_latest (site_id, kind);
CREATE INDEX observation_latest_indicator ON observation_latest (indicator, kind);
CREATE INDEX observation_latest_device ON observation_latest (device_id, kind);

-- An upgraded store is right at once: the newest row of each (point, kind) already stored.
INSERT INTO observation_latest (id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
                                source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit)
SELECT DISTINCT ON (point_id, kind) id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
       source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit
FROM observation
ORDER BY point_id, kind, time DESC, id DESC;

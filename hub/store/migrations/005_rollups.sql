-- Derived rollups (issue 11 item 5): per point, interval and bucket, aggregates of the point's `rtd` readings that
-- have a value. Buckets start on the hub's time zone's minute/hour/day boundaries (stored as instants). Source-sent
-- aggregates (HJ 212 2051/2061/2031: observation kinds min/hour/day) are not here: they stay observations.
-- `sum` is kept so an hour is exact from its minutes and a day from its hours (avg = sum / count).
CREATE TABLE rollup (
  point_id integer NOT NULL,
  interval text NOT NULL CHECK (interval IN ('1m', '1h', '1d')),
  bucket timestamptz NOT NULL,
  device_id integer NOT NULL,
  site_id integer NOT NULL,
  indicator text NOT NULL,
  unit text NOT NULL,
  count integer NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  first_time timestamptz NOT NULL,
  first_value double precision NOT NULL,
  last_time timestamptz NOT NULL,
  last_value double precision NOT NULL,
  flagged integer NOT NULL,
  PRIMARY KEY (point_id, interval, bucket)
);
-- "site / indicator / all points + time range" reads walk buckets in order.
CREATE INDEX rollup_bucket ON rollup (interval, bucket, point_id);

-- How far into the outbox the roller has read, committed with the rollups it computed. The outbox pruner keeps
-- every entry above the lowest cursor here. The roller adds its row (at 0: the whole outbox) when it first starts.
CREATE TABLE rollup_cursor (
  name text PRIMARY KEY,
  outbox_id bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Time partitions (issue 11): observation becomes LIST-partitioned by kind, each kind RANGE-partitioned by time,
-- so retention (per kind) drops whole partitions. rtd and min: one partition a day; hour: a month; day: a year
-- (hub/store/partitions.ts names and creates them ahead; a DEFAULT partition per kind catches a reading whose
-- partition does not exist yet, so no commit ever fails for want of one).
--
-- The table made by 001 is kept as observation_legacy: its rows are moved into the new table in chunks
-- (hub/store/legacy.ts) before the hub serves, resuming after a kill; the table is dropped when empty.
-- Its sequence stays the id source, so ids are preserved and new ones continue after them.
ALTER TABLE observation RENAME TO observation_legacy;
ALTER INDEX observation_pkey RENAME TO observation_legacy_pkey;
ALTER INDEX observation_identity RENAME TO observation_legacy_identity;
ALTER INDEX observation_time RENAME TO observation_legacy_time;

-- Same columns in the same order as before (SELECT * moves rows across). A unique key on a partitioned table must
-- hold the partition keys: the primary key is (id, kind, time); its per-partition btree, led by id, keeps
-- by-id reads (delivery, outbox followers) to an index probe per partition, no heap visits where the id is absent.
CREATE TABLE observation (
  id bigint NOT NULL DEFAULT nextval('observation_id_seq'),
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
  source_flag char(1) NOT NULL DEFAULT 'N',
  flags text[] NOT NULL DEFAULT '{}',
  warnings text[] NOT NULL DEFAULT '{}',
  adapter text NOT NULL,
  message_id text,
  received_at timestamptz NOT NULL,
  raw_value double precision,
  raw_unit text,
  CONSTRAINT observation_pkey PRIMARY KEY (id, kind, time)
) PARTITION BY LIST (kind);
ALTER SEQUENCE observation_id_seq OWNED BY observation.id;
-- Identity for dedup: point + kind + time (it holds both partition keys, so it can be unique).
CREATE UNIQUE INDEX observation_identity ON observation (point_id, kind, time);
CREATE INDEX observation_time ON observation (time, id);

CREATE TABLE observation_rtd PARTITION OF observation FOR VALUES IN ('rtd') PARTITION BY RANGE (time);
CREATE TABLE observation_min PARTITION OF observation FOR VALUES IN ('min') PARTITION BY RANGE (time);
CREATE TABLE observation_hour PARTITION OF observation FOR VALUES IN ('hour') PARTITION BY RANGE (time);
CREATE TABLE observation_day PARTITION OF observation FOR VALUES IN ('day') PARTITION BY RANGE (time);
CREATE TABLE observation_rtd_default PARTITION OF observation_rtd DEFAULT;
CREATE TABLE observation_min_default PARTITION OF observation_min DEFAULT;
CREATE TABLE observation_hour_default PARTITION OF observation_hour DEFAULT;
CREATE TABLE observation_day_default PARTITION OF observation_day DEFAULT;
-- A kind the schema does not know yet: kept, never dropped by retention.
CREATE TABLE observation_other PARTITION OF observation DEFAULT;

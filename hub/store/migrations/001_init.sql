-- lifeline-hub schema v1. One set of migrations for PGlite and PostgreSQL.
CREATE TABLE site (
  id serial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  doc jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE device (
  id serial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  site_id integer NOT NULL REFERENCES site(id),
  doc jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE point (
  id serial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  device_id integer NOT NULL REFERENCES device(id),
  indicator text NOT NULL,
  doc jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Registry codes are denormalised into ids here (no FK: the check would cost every insert);
-- the registry refuses to delete a point that has observations.
CREATE TABLE observation (
  id bigserial PRIMARY KEY,
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
  raw_unit text
);
-- Identity for dedup: point + kind + time.
CREATE UNIQUE INDEX observation_identity ON observation (point_id, kind, time);
CREATE INDEX observation_time ON observation (time, id);

CREATE TABLE quarantine (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL,
  adapter text NOT NULL,
  reason text NOT NULL,
  message text NOT NULL,
  field text,
  record jsonb NOT NULL,
  replayed_at timestamptz
);
CREATE INDEX quarantine_open ON quarantine (reason, id) WHERE replayed_at IS NULL;

-- One row per committed batch, naming the observations it added; publishers drain it in id order.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  topic text NOT NULL,
  ref_ids bigint[] NOT NULL,
  count integer NOT NULL
);

-- Adapter cursors, committed in the same transaction as the readings they cover.
CREATE TABLE adapter_checkpoint (
  adapter text NOT NULL,
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (adapter, key)
);

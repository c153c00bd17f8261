-- Packed days (issue 11, compact rows): a closed time partition's rows become one row per point and kind in
-- observation_pack, with the readings as arrays in time order (ids, times, received_at, values, tags; the rare
-- columns only when some reading has them). A reading then costs its array elements (about 36 bytes before TOAST
-- compression) instead of a 84-byte heap tuple and three index entries. hub/store/pack.ts packs a partition: under
-- the partition lock and a lock that holds off inserts into it, its rows are copied into packs and the partition is
-- truncated, and it gets the dedup trigger below. It stays attached and takes late data as before.
--
-- `observation` reads both: the rows of observation_data, and the packs unnested. Five columns are added at the
-- end: pack_lo and pack_hi, the time span of the pack a row came from (-infinity, infinity for a plain row),
-- pack_ids, the range of its ids (unbounded for a plain row), pack_id_list and pack_tag_list, its ids and tags (NULL
-- for a plain row: a read by ids, or by what rows were stored with, tests a pack's arrays before unnesting it,
-- `pack_id_list IS NULL OR pack_id_list && ids`). A query that may reach old days bounds them too
-- (hub/store/pack.ts packBounds, packIdBounds): PostgreSQL cannot push a bound on an unnested time or id down to
-- the pack that holds it, and without one it reads every pack. Each bound is implied by the row's own time or id,
-- so adding it never changes which rows match.
CREATE TABLE observation_pack (
  point_id integer NOT NULL,
  kind text NOT NULL,
  lo timestamptz NOT NULL,
  hi timestamptz NOT NULL,
  n integer NOT NULL,
  id_lo bigint NOT NULL,
  id_hi bigint NOT NULL,
  ids bigint[] NOT NULL,
  times timestamptz[] NOT NULL,
  received timestamptz[] NOT NULL,
  vals float8[] NOT NULL,
  tags integer[] NOT NULL,
  avgs float8[],
  mins float8[],
  maxs float8[],
  cous float8[],
  raws float8[],
  msgs text[],
  -- Each reading's warnings as the text of its text[] (array_out: quoted and escaped as needed, so a warning holding
  -- a comma, a quote, a brace or a backslash comes back whole through ::text[]); NULL for a reading without any.
  warns text[]
);
-- One point's packs by time (point reads, the dedup check, the latest-value probe), and all packs by time
-- (by-id reads bounded by a batch's span, whole-city time pages).
CREATE INDEX observation_pack_point ON observation_pack (point_id, kind, hi);
CREATE INDEX observation_pack_time ON observation_pack (hi, lo);
-- From the start of history on (a first page with no lower bound: the packs that begin before its end).
CREATE INDEX observation_pack_lo ON observation_pack (lo);
-- By id (SensorThings' Observations(id), by-id reads of batches written before migration 007 recorded their span):
-- the packs whose ids may hold it. Ids follow commit order, so a day's packs cover a narrow range.
CREATE INDEX observation_pack_ids ON observation_pack USING gist (int8range(id_lo, id_hi, '[]'));

-- A packed partition's dedup: a reading whose identity is already in a pack is skipped (as ON CONFLICT DO NOTHING
-- skips one already in the partition). Runs only on packed partitions, i.e. for late data; each of its statements
-- sees what committed before it ran, so a pack committed while the insert waited for the partition is seen.
CREATE FUNCTION observation_packed_dedup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM observation_pack p WHERE p.point_id = NEW.point_id AND p.kind = NEW.kind
             AND p.hi >= NEW.time AND p.lo <= NEW.time AND NEW.time = ANY (p.times)) THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END $$;

-- Its two halves are views of their own: a read that orders and limits (a page in time order) takes the first rows of
-- each half and merges them (hub/store/pack.ts splitRead), so the plain rows are read in index order; PostgreSQL
-- does not merge a UNION ALL whose other half has to be sorted, and sorted all the plain rows in range instead.
CREATE VIEW observation_plain AS
SELECT o.id, o.point_id, t.device_id, t.site_id, t.indicator, o.kind, o.time, o.value, o.avg, o.min, o.max, o.cou,
       t.unit, t.source_flag, t.flags, coalesce(o.warnings, '{}'::text[]) AS warnings, t.adapter, o.message_id,
       o.received_at, o.raw_value, t.raw_unit, '-infinity'::timestamptz AS pack_lo, 'infinity'::timestamptz AS pack_hi,
       '(,)'::int8range AS pack_ids, NULL::bigint[] AS pack_id_list, NULL::integer[] AS pack_tag_list
FROM observation_data o LEFT JOIN observation_tag t ON t.id = o.tag;

CREATE VIEW observation_packed AS
SELECT u.id, pk.point_id, t.device_id, t.site_id, t.indicator, pk.kind, u.time, u.value, u.avg, u.min, u.max, u.cou,
       t.unit, t.source_flag, t.flags, coalesce(u.warn::text[], '{}'::text[]) AS warnings, t.adapter, u.msg AS message_id,
       u.received_at, u.raw AS raw_value, t.raw_unit, pk.lo AS pack_lo, pk.hi AS pack_hi,
       int8range(pk.id_lo, pk.id_hi, '[]') AS pack_ids, pk.ids AS pack_id_list, pk.tags AS pack_tag_list
FROM observation_pack pk
CROSS JOIN LATERAL unnest(pk.ids, pk.times, pk.received, pk.vals, pk.tags, pk.avgs, pk.mins, pk.maxs, pk.cous, pk.raws, pk.msgs, pk.warns)
  AS u(id, time, received_at, value, tag, avg, min, max, cou, raw, msg, warn)
LEFT JOIN observation_tag t ON t.id = u.tag;

CREATE OR REPLACE VIEW observation AS
SELECT * FROM observation_plain
UNION ALL
SELECT * FROM observation_packed;

-- Deleting through the view removes a packed reading from its pack too (the pack goes when it is left empty).
CREATE OR REPLACE FUNCTION observation_view_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.pack_hi = 'infinity' THEN
    DELETE FROM observation_data WHERE point_id = OLD.point_id AND kind = OLD.kind AND time = OLD.time;
    RETURN OLD;
  END IF;
  UPDATE observation_pack p SET n = p.n - 1,
      ids = p.ids[:i - 1] || p.ids[i + 1:], times = p.times[:i - 1] || p.times[i + 1:], received = p.received[:i - 1] || p.received[i + 1:],
      vals = p.vals[:i - 1] || p.vals[i + 1:], tags = p.tags[:i - 1] || p.tags[i + 1:],
      avgs = p.avgs[:i - 1] || p.avgs[i + 1:], mins = p.mins[:i - 1] || p.mins[i + 1:], maxs = p.maxs[:i - 1] || p.maxs[i + 1:],
      cous = p.cous[:i - 1] || p.cous[i + 1:], raws = p.raws[:i - 1] || p.raws[i + 1:], msgs = p.msgs[:i - 1] || p.msgs[i + 1:],
      warns = p.warns[:i - 1] || p.warns[i + 1:]
    FROM (SELECT array_position(q.times, OLD.time) AS i FROM observation_pack q
          WHERE q.point_id = OLD.point_id AND q.kind = OLD.kind AND q.lo = OLD.pack_lo AND q.hi = OLD.pack_hi) x
    WHERE p.point_id = OLD.point_id AND p.kind = OLD.kind AND p.lo = OLD.pack_lo AND p.hi = OLD.pack_hi AND x.i IS NOT NULL;
  DELETE FROM observation_pack p WHERE p.point_id = OLD.point_id AND p.kind = OLD.kind AND p.n = 0;
  RETURN OLD;
END $$;

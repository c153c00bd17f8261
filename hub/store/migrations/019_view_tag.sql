-- Each row of the observation views also names its tag by id (the last column, `tag`). A read that selects `tag`
-- and none of the tag's own columns (device, site, indicator, unit, source flag, flags, adapter, raw unit) lets
-- PostgreSQL drop the view's join with observation_tag (a LEFT JOIN on its key, nothing read from it): one point's
-- day no longer hash-joins the whole tag table, which grows with the city. The hub fills those columns from the
-- tags it has read before (hub/store/tag-reads.ts); a tag is never changed or deleted (migration 008), so an id
-- read once stays right. Views only: no row is rewritten.
CREATE OR REPLACE VIEW observation_plain AS
SELECT o.id, o.point_id, t.device_id, t.site_id, t.indicator, o.kind, o.time, o.value, o.avg, o.min, o.max, o.cou,
       t.unit, t.source_flag, t.flags, coalesce(o.warnings, '{}'::text[]) AS warnings, t.adapter, o.message_id,
       o.received_at, o.raw_value, t.raw_unit, '-infinity'::timestamptz AS pack_lo, 'infinity'::timestamptz AS pack_hi,
       '(,)'::int8range AS pack_ids, NULL::bigint[] AS pack_id_list, NULL::integer[] AS pack_tag_list, o.tag
FROM observation_data o LEFT JOIN observation_tag t ON t.id = o.tag;
CREATE OR REPLACE VIEW observation_packed AS
SELECT u.id, pk.point_id, t.device_id, t.site_id, t.indicator, pk.kind, u.time, u.value, u.avg, u.min, u.max, u.cou,
       t.unit, t.source_flag, t.flags, coalesce(u.warn::text[], '{}'::text[]) AS warnings, t.adapter, u.msg AS message_id,
       u.received_at, u.raw AS raw_value, t.raw_unit, pk.lo AS pack_lo, pk.hi AS pack_hi,
       int8range(pk.id_lo, pk.id_hi, '[]') AS pack_ids, pk.ids AS pack_id_list, pk.tags AS pack_tag_list, u.tag
FROM observation_pack pk
CROSS JOIN LATERAL unnest(pk.ids, pk.times, pk.received, pk.vals, pk.tags, pk.avgs, pk.mins, pk.maxs, pk.cous, pk.raws, pk.msgs, pk.warns)
  AS u(id, time, received_at, value, tag, avg, min, max, cou, raw, msg, warn)
LEFT JOIN observation_tag t ON t.id = u.tag;
CREATE OR REPLACE VIEW observation AS
SELECT * FROM observation_plain
UNION ALL
SELECT * FROM observation_packed;

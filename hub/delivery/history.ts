// The store's observations for publishers that answer upstream history requests (HJ 212 补传): one kind, a
// time range, filtered by registry codes, read in (time, id) order with keyset paging.
import type { SqlDriver } from '../store/driver.ts';
import type { StoredObservationRow } from '../store/observations.ts';
import { rowToObservation } from '../store/observation-shape.ts';
import { isoOf, packBounds, packHorizon, splitRead } from '../store/pack.ts';
import type { HistoryQuery, HistoryReader } from '../sdk/publisher.ts';

type JoinedRow = StoredObservationRow & { point_code: string | null; device_code: string | null; site_code: string | null };

const COLUMNS = `o.id::text AS id, o.point_id, o.device_id, o.site_id, o.indicator, o.kind, o.time, o.value, o.avg, o.min,
  o.max, o.cou, o.unit, o.source_flag, o.flags, o.warnings, o.adapter, o.message_id, o.received_at, o.raw_value,
  o.raw_unit, p.code AS point_code, d.code AS device_code, s.code AS site_code`;

/** COLUMNS, over the merged rows of splitRead (the codes already picked). */
const MERGED = COLUMNS.replace('p.code AS point_code, d.code AS device_code, s.code AS site_code', 'o.point_code, o.device_code, o.site_code');

export interface HistoryReaderOptions {
  /** The indicator's domain (the catalogue's); default: the code's first segment. */
  domainOf?: (indicator: string) => string | undefined;
}

export function createHistoryReader(db: SqlDriver, opts: HistoryReaderOptions = {}): HistoryReader {
  return {
    async *read(q: HistoryQuery) {
      const pageSize = Math.max(1, Math.min(q.pageSize ?? 500, 10_000));
      const base: unknown[] = [q.kind, q.from.getTime(), q.to.getTime()];
      const w = ['o.kind = $1', 'o.time >= to_timestamp($2 / 1000.0)', 'o.time <= to_timestamp($3 / 1000.0)',
        packBounds('to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)', 'o')];
      const any = (col: string, list: string[] | undefined) => {
        if (!list) return;
        base.push(list);
        w.push(`${col} = ANY($${base.length}::text[])`);
      };
      any('s.code', q.sites);
      any('d.code', q.devices);
      any('p.code', q.points);
      any('o.indicator', q.indicators);
      // Packed days (migration 013): the same conditions on what the packs may hold, tested before unnesting one: the
      // points named, and the tags (stored site, device, indicator) the codes allow. Implied by the ones above.
      if (q.points) w.push(`o.point_id IN (SELECT p.id FROM point p WHERE p.code = ANY($${base.indexOf(q.points) + 1}::text[]))`);
      if (q.sites || q.devices || q.indicators) {
        const tw = [q.sites && `ts.code = ANY($${base.indexOf(q.sites) + 1}::text[])`, q.devices && `td.code = ANY($${base.indexOf(q.devices) + 1}::text[])`,
          q.indicators && `t.indicator = ANY($${base.indexOf(q.indicators) + 1}::text[])`].filter(Boolean);
        w.push(`(o.pack_tag_list IS NULL OR o.pack_tag_list && (SELECT coalesce(array_agg(t.id), '{}') FROM observation_tag t
          LEFT JOIN site ts ON ts.id = t.site_id LEFT JOIN device td ON td.id = t.device_id WHERE ${tw.join(' AND ')}))`);
      }
      // Packed days (migration 013): each page reads only as far as the packs' counts say it can reach (packHorizon,
      // over the registry points the codes name), and reads on from there when the rows' stored codes leave it short.
      const named: string[] = [];
      const np: unknown[] = [];
      for (const [col, list] of [['s.code', q.sites], ['d.code', q.devices], ['p.code', q.points]] as const) {
        if (list) { np.push(list); named.push(`${col} = ANY($${np.length}::text[])`); }
      }
      const pointIds = named.length
        ? (await db.query<{ id: number }>(`SELECT p.id FROM point p JOIN device d ON d.id = p.device_id JOIN site s ON s.id = d.site_id WHERE ${named.join(' AND ')}`, np)).rows.map((r) => r.id)
        : undefined;
      const iso = isoOf;
      let after: { timeMs: number; id: string } | undefined;
      let past: string | undefined;
      let page: JoinedRow[] = [];
      for (let round = 0; ; round++) {
        const need = pageSize - page.length;
        const upTo = await packHorizon(db, { pointIds, kind: q.kind, from: iso(q.from.getTime()), to: iso(q.to.getTime()), past: past ?? iso(after?.timeMs), need: need * 2 ** Math.min(round, 20) });
        const params = [...base];
        const ww = [...w];
        if (after) {
          params.push(after.timeMs, after.id);
          ww.push(`(o.time, o.id) > (to_timestamp($${params.length - 1} / 1000.0), $${params.length}::bigint)`, packBounds(`to_timestamp($${params.length - 1} / 1000.0)`, undefined, 'o'));
        }
        if (past !== undefined) { params.push(past); ww.push(`o.time > $${params.length}::timestamptz`, `o.pack_hi > $${params.length}::timestamptz`); }
        if (upTo !== undefined) { params.push(upTo); ww.push(`o.time <= $${params.length}::timestamptz`, packBounds(undefined, `$${params.length}::timestamptz`, 'o')); }
        // Plain and packed rows each in order, then merged (splitRead): the plain rows in time-index order.
        const rows = (await db.query<JoinedRow>(splitRead({
          alias: 'o', select: MERGED, pick: 'o.*, p.code AS point_code, d.code AS device_code, s.code AS site_code',
          from: (view) => `${view} o LEFT JOIN point p ON p.id = o.point_id LEFT JOIN device d ON d.id = o.device_id LEFT JOIN site s ON s.id = o.site_id`,
          where: ww.join(' AND '), order: 'o.time, o.id', limit: String(need),
        }), params)).rows;
        page = page.concat(rows);
        if (page.length < pageSize && upTo !== undefined) { past = upTo; continue; }
        if (!page.length) return;
        yield page.map((r) => rowToObservation(r, {
          point: r.point_code ?? undefined, device: r.device_code ?? undefined, site: r.site_code ?? undefined, domain: opts.domainOf?.(r.indicator),
        }));
        if (page.length < pageSize) return;
        const last = page[page.length - 1]!;
        after = { timeMs: last.time.getTime(), id: last.id };
        page = []; past = undefined; round = -1;
      }
    },
  };
}

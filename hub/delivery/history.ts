// The store's observations for publishers that answer upstream history requests (HJ 212 补传): one kind, a
// time range, filtered by registry codes, read in (time, id) order with keyset paging.
import type { SqlDriver } from '../store/driver.ts';
import type { StoredObservationRow } from '../store/observations.ts';
import { rowToObservation } from '../store/observation-shape.ts';
import { packBounds } from '../store/pack.ts';
import type { HistoryQuery, HistoryReader } from '../sdk/publisher.ts';

type JoinedRow = StoredObservationRow & { point_code: string | null; device_code: string | null; site_code: string | null };

const COLUMNS = `o.id::text AS id, o.point_id, o.device_id, o.site_id, o.indicator, o.kind, o.time, o.value, o.avg, o.min,
  o.max, o.cou, o.unit, o.source_flag, o.flags, o.warnings, o.adapter, o.message_id, o.received_at, o.raw_value,
  o.raw_unit, p.code AS point_code, d.code AS device_code, s.code AS site_code`;

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
      const sql = (keyset: boolean) => `SELECT ${COLUMNS} FROM observation o
        LEFT JOIN point p ON p.id = o.point_id LEFT JOIN device d ON d.id = o.device_id LEFT JOIN site s ON s.id = o.site_id
        WHERE ${w.join(' AND ')}${keyset ? ` AND (o.time, o.id) > (to_timestamp($${base.length + 1} / 1000.0), $${base.length + 2}::bigint)` : ''}
        ORDER BY o.time, o.id LIMIT ${pageSize}`;
      let after: { timeMs: number; id: string } | undefined;
      for (;;) {
        const params = after ? [...base, after.timeMs, after.id] : base;
        const rows = (await db.query<JoinedRow>(sql(after !== undefined), params)).rows;
        if (!rows.length) return;
        yield rows.map((r) => rowToObservation(r, {
          point: r.point_code ?? undefined, device: r.device_code ?? undefined, site: r.site_code ?? undefined, domain: opts.domainOf?.(r.indicator),
        }));
        if (rows.length < pageSize) return;
        const last = rows[rows.length - 1]!;
        after = { timeMs: last.time.getTime(), id: last.id };
      }
    },
  };
}

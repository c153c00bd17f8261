// GET /v1/alarms/board (the seed's real-time alarm table: one row per site × device × alarm type) and
// GET /v1/alarms/stream (Server-Sent Events of every alarm event, resumable with Last-Event-ID). docs/alarms.md.
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../context.ts';
import { LifelineError } from '../../sdk/errors.ts';
import { isStoreId } from '../guard.ts';
import { toFilter } from '../query.ts';
import { filterProps } from './observation-filters.ts';
import { JOINED_ALARM_COLS, joinedAlarm, type AlarmRow, type JoinedAlarm } from '../../alarms/handling.ts';
import { Waker } from '../../delivery/wait.ts';
import { TYPE_NAMES } from '../../alarms/type-names.ts';


interface BoardRow { site_id: number; device_id: number; type: string; first_time: Date; latest_time: Date; count: number; alarms: number; level: number; active: boolean }

export function board(app: FastifyInstance, deps: ApiDeps, _present: (r: AlarmRow) => unknown): void {
  const a = deps.alarms!;
  app.get<{ Querystring: { site?: string; device?: string; domain?: string; enterprise?: string; active?: boolean; from?: string; to?: string; limit?: number } }>('/v1/alarms/board', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['alarms'],
      summary: 'The real-time alarm table (站名, 所属企业, 站址, 报警设备, 报警时间, 最新报警时间, 报警次数, 报警类型): one row per site × device × alarm type over the alarms not yet archived, most recent first.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          site: filterProps.site, device: filterProps.device,
          domain: { type: 'string', description: 'Site domain (gas, water, drainage, heating, bridge).' },
          enterprise: { type: 'string', description: 'Site enterprise (所属企业), exactly.' },
          active: { type: 'boolean', description: 'true: only alarms whose condition still holds; false: only cleared ones. Default: both.' },
          from: filterProps.from, to: filterProps.to,
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 500 },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            data: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  site: { type: 'string' }, site_name: { type: 'string', description: '站名' }, enterprise: { type: ['string', 'null'], description: '所属企业' },
                  address: { type: ['string', 'null'], description: '站址' }, device: { type: 'string' }, device_name: { type: 'string', description: '报警设备' },
                  first_time: { type: 'string', description: '报警时间: the earliest raise' }, latest_time: { type: 'string', description: '最新报警时间' },
                  count: { type: 'integer', description: '报警次数: readings that indicated a level, summed over the alarms' }, alarms: { type: 'integer', description: 'alarms (episodes) in the row' },
                  type: { type: 'string' }, type_name: { type: 'string', description: '报警类型' }, level: { type: 'integer', description: 'the most severe current level' },
                  level_name: { type: 'string' }, level_colour: { type: 'string' }, active: { type: 'boolean', description: 'one of its alarms is still active' },
                },
              },
            },
          },
        },
      },
    },
  }, async (req) => {
    const q = req.query;
    const reg = deps.registry.registry;
    // A scoped key: only its sites' rows (an out-of-scope code answers as an unknown one, from toFilter).
    const f = toFilter({ site: q.site, device: q.device, from: q.from, to: q.to }, reg, deps.timezone, req.principal?.data);
    const sites = [...reg.siteById.values()].filter((s) => (!q.domain || (s.doc as { domain?: string }).domain === q.domain) && (!q.enterprise || (s.doc as { enterprise?: string }).enterprise === q.enterprise)).map((s) => s.id);
    const params: unknown[] = [];
    const w: string[] = [`state <> 'archived'`];
    const add = (sql: (n: string) => string, v: unknown) => { params.push(v); w.push(sql(`$${params.length}`)); };
    if (f.siteIds) add((n) => `site_id = ANY(${n}::int[])`, f.siteIds);
    if (f.deviceIds) add((n) => `device_id = ANY(${n}::int[])`, f.deviceIds);
    if (q.domain || q.enterprise) add((n) => `site_id = ANY(${n}::int[])`, sites);
    if (q.active !== undefined) add((n) => `active = ${n}::boolean`, q.active);
    if (f.fromMs !== undefined) add((n) => `first_time >= to_timestamp(${n} / 1000.0)`, f.fromMs);
    if (f.toMs !== undefined) add((n) => `first_time < to_timestamp(${n} / 1000.0)`, f.toMs);
    params.push(q.limit ?? 500);
    const rows = (await deps.db.query<BoardRow>(`SELECT site_id, device_id, type, min(first_time) AS first_time, max(latest_time) AS latest_time,
        sum(count)::int AS count, count(*)::int AS alarms, min(level)::int AS level, bool_or(active) AS active
      FROM alarm WHERE ${w.join(' AND ')} GROUP BY site_id, device_id, type ORDER BY max(latest_time) DESC, site_id, device_id, type LIMIT $${params.length}`, params)).rows;
    req.pulled = { rows: rows.length };
    return {
      data: rows.map((r) => {
        const s = reg.siteById.get(r.site_id), d = reg.deviceById.get(r.device_id);
        const sd = (s?.doc ?? {}) as { name?: string; enterprise?: string; address?: string };
        const lv = a.levels.find((l) => l.level === r.level);
        return {
          site: s?.code ?? String(r.site_id), site_name: sd.name ?? s?.code ?? '', enterprise: sd.enterprise ?? null, address: sd.address ?? null,
          device: d?.code ?? String(r.device_id), device_name: (d?.doc as { name?: string } | undefined)?.name ?? d?.code ?? '',
          first_time: r.first_time.toISOString(), latest_time: r.latest_time.toISOString(), count: r.count, alarms: r.alarms,
          type: r.type, type_name: TYPE_NAMES[r.type] ?? r.type, level: r.level, level_name: lv?.name ?? String(r.level), level_colour: lv?.colour ?? '', active: r.active,
        };
      }),
    };
  });
}

interface StreamEvent { id: string; alarm: string; type: string; at: Date; level: number | null; value: number | null; by: string | null; note: string | null; assignee: string | null }

export function stream(app: FastifyInstance, deps: ApiDeps, present: (r: AlarmRow) => unknown): void {
  const a = deps.alarms!;
  const open = new Set<() => void>();
  // Streams end when the hub stops (an open stream would hold the server's close).
  app.addHook('preClose', async () => { for (const c of open) c(); });
  app.get<{ Querystring: { after?: string; site?: string; catch_up?: boolean } }>('/v1/alarms/stream', {
    config: { scope: 'read', dataScope: 'site' },
    schema: {
      tags: ['alarms'],
      summary: 'Server-Sent Events: every alarm event (raised, escalated, de_escalated, cleared, handling steps) as it commits, `id:` the event id. Resume with the Last-Event-ID header (or ?after=); without either, only new events.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          after: { type: 'string', pattern: '^[0-9]+$', description: 'Start after this event id (as Last-Event-ID).' },
          site: filterProps.site,
          catch_up: { type: 'boolean', default: false, description: 'true: send the events there are and end the response instead of waiting for more (a poll for clients without SSE).' },
        },
      },
    },
  }, async (req, reply) => {
    const reg = deps.registry.registry;
    const f = toFilter({ site: req.query.site }, reg, deps.timezone, req.principal?.data);
    const header = req.headers['last-event-id'];
    const resume = (Array.isArray(header) ? header[0] : header) ?? req.query.after;
    if (resume !== undefined && !isStoreId(resume)) throw new LifelineError('QUERY_INVALID', `Last-Event-ID: "${String(resume).slice(0, 40)}" is not an event id this stream sent`, { details: { path: '/last-event-id' } });
    let last = resume ?? (await deps.db.query<{ m: string }>('SELECT COALESCE(max(id), 0)::text AS m FROM alarm_event')).rows[0]!.m;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': lifeline alarm events\n\n');
    const waker = new Waker();
    const abort = new AbortController();
    const off = a.evaluator.onEvents(() => waker.wake());
    const close = () => { abort.abort(); waker.wake(); };
    open.add(close);
    req.raw.on('close', close);
    res.on('close', close);
    let beat = Date.now();
    try {
      while (!abort.signal.aborted) {
        const params: unknown[] = [last];
        let where = 'e.id > $1::bigint';
        if (f.siteIds) { params.push(f.siteIds); where += ` AND a.site_id = ANY($2::int[])`; }
        // The alarm comes in the same query (one round trip per wake, however many events).
        const rows = (await deps.db.query<StreamEvent & JoinedAlarm>(`SELECT e.id::text AS id, e.alarm_id::text AS alarm, e.type, e.at, e.level, e.value, e.by_name AS by, e.note, e.assignee,
            ${JOINED_ALARM_COLS}
          FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id WHERE ${where} ORDER BY e.id LIMIT 500`, params)).rows;
        if (f.siteIds && !rows.length) {
          // Events of other sites move the position too, so a resume does not scan them again.
          const m = (await deps.db.query<{ m: string | null }>('SELECT max(id)::text AS m FROM alarm_event WHERE id > $1::bigint', [last])).rows[0]!.m;
          if (m) last = m;
        }
        for (const e of rows) {
          const alarm = present(joinedAlarm(e));
          const data = { id: e.id, type: e.type, at: e.at.toISOString(), level: e.level, value: e.value, by: e.by, note: e.note, assignee: e.assignee, alarm };
          res.write(`id: ${e.id}\nevent: alarm\ndata: ${JSON.stringify(data)}\n\n`);
          last = e.id;
        }
        if (rows.length === 500) continue;
        if (req.query.catch_up) break;
        if (Date.now() - beat > 15_000) { res.write(': keep-alive\n\n'); beat = Date.now(); }
        // Woken by this process's commits; events another hub process committed are seen within a second.
        await waker.sleep(1000, abort.signal);
      }
    } catch (e) {
      if (!abort.signal.aborted) req.log.warn({ err: e }, 'alarm stream failed; closing it');
    } finally {
      off();
      open.delete(close);
      res.end();
    }
  });
}

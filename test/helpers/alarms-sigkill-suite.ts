// Used by test/alarms-sigkill*.test.ts. SIGKILL the hub mid-episode (an alarm active on every point, a batch in flight), restart it on the same store and
// send the rest: every point ends with exactly its two episodes, each raised → escalated → de_escalated → cleared
// once (no duplicate event, no lost clear), and the evaluator's cursor is at the end of the outbox.
import type { Test } from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './services.ts';
import { launchHub } from './child-hub.ts';
import type { SqlDriver } from '../../hub/store/driver.ts';

const KEY = 'alarms-key';
const POINTS = Array.from({ length: 4 }, (_, i) => `C${i}`);
// %LEL every 10 s, the ramp of test/alarms.test.ts twice: two episodes per point.
const UP = [0, 5, 10, 15, 20, 24, 26, 24, 26, 24, 28, 30, 35, 40, 45, 49, 51, 49, 51, 49, 53, 55, 60, 60];
const DOWN = [55, 50, 47, 46, 44, 46, 44, 46, 40, 38, 30, 25, 22, 21, 19, 21, 19, 21, 15, 10, 5, 0];
const RAMP = [...UP, ...DOWN];
const SERIES = [...RAMP, ...RAMP];
const T0 = Date.UTC(2026, 10, 26, 2);
const at = (i: number) => new Date(T0 + i * 10_000).toISOString();
// Batches of readings [EDGES[b], EDGES[b + 1]) of every point. Batch KILL_AT (readings 28–31: an alarm active on every
// point) is in flight when the hub is killed.
const EDGES = [0, 14, 28, 32, 46, 60, 74, 92];
const KILL_AT = 2;

function expected(offset: number): Array<[string, number | null, string]> {
  return [
    ['raised', 2, at(offset + RAMP.indexOf(30))],
    ['escalated', 1, at(offset + RAMP.indexOf(55))],
    ['de_escalated', 2, at(offset + UP.length + DOWN.indexOf(38))],
    ['cleared', null, at(offset + UP.length + DOWN.indexOf(10))],
  ];
}

/** One store per test file (a real hub started twice takes most of the 25 s a file may use). */
export function alarmsSigkillSuite(t: Test, store: 'pglite' | 'postgres') {
  t.test(`${store}: the same episodes continue after SIGKILL, no duplicate, no lost clear`, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-alarmkill-'));
    const pgdb = store === 'postgres' ? await freshDatabase() : undefined;
    t.teardown(async () => { await pgdb?.drop(); rmSync(dir, { recursive: true, force: true }); });
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(cfg, stringify({
      data_dir: './data',
      server: { host: '127.0.0.1', port: 0 },
      api: { keys: [{ name: 'test', hash: hashKey(KEY), scopes: ['read', 'ingest'] }] },
      registry: {
        sites: [{ code: 'S', name: 's', domain: 'gas' }],
        devices: [{ code: 'D', site: 'S' }],
        points: POINTS.map((code, i) => ({ code, device: 'D', indicator: 'gas.underground_space_concentration', field: `f${i}`, source_unit: '%{LEL}' })),
      },
    }));
    const env = pgdb ? { DATABASE_URL: pgdb.url } : {};
    const batch = (b: number) => POINTS.flatMap((point) => SERIES.slice(EDGES[b], EDGES[b + 1]).map((value, k) => ({ point, time: at(EDGES[b]! + k), value })));
    const send = (url: string, b: number) => fetch(`${url}/v1/observations`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ records: batch(b) }),
    });
    const batches = EDGES.length - 1;

    const first = await launchHub(cfg, env, 30_000);
    for (let b = 0; b < KILL_AT; b++) t.equal((await send(first.url, b)).status, 200, `batch ${b}`);
    const inFlight = send(first.url, KILL_AT).catch(() => undefined);
    first.proc.kill('SIGKILL');
    await first.exited;
    await inFlight;

    const again = await launchHub(cfg, env, 30_000);
    // The batch in flight is sent again: stored once whether or not it had committed (dedup).
    for (let b = KILL_AT; b < batches; b++) t.equal((await send(again.url, b)).status, 200, `batch ${b} after the restart`);
    let cleared = 0;
    for (let i = 0; i < 300 && cleared < POINTS.length * 2; i++) {
      const r = await fetch(`${again.url}/v1/alarms?active=false&limit=1000`, { headers: { authorization: `Bearer ${KEY}` } });
      cleared = ((await r.json()) as { data: unknown[] }).data.length;
      if (cleared < POINTS.length * 2) await new Promise((res) => setTimeout(res, 100));
    }
    t.equal(cleared, POINTS.length * 2, 'every episode cleared');
    again.proc.kill('SIGTERM');
    await again.exited;

    let db: SqlDriver;
    if (pgdb) db = await (await import('../../hub/store/postgres.ts')).openPostgres(pgdb.url, 2);
    else db = await (await import('../../hub/store/pglite.ts')).openPglite(join(dir, 'data', 'pglite'));
    t.teardown(() => db.close());
    // Every observation entry below the cursor or among those it evaluated above it (its own alarm entries are not observations).
    const left = (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM outbox o, rollup_cursor c WHERE c.name = 'alarms' AND o.topic = 'observation'
      AND o.id > c.outbox_id AND o.id <> ALL(c.seen)`)).rows[0]!.n;
    t.equal(left, '0', 'the evaluator read every observation entry of the outbox');
    // Notifications: each event enqueued exactly once, in the transaction that wrote it (docs/alarms.md#notifications).
    const q = (await db.query<{ events: string; refs: string; distinct_refs: string; strays: string }>(`SELECT (SELECT count(*) FROM alarm_event)::text AS events,
        (SELECT count(*) FROM outbox o, unnest(o.ref_ids) r WHERE o.topic = 'alarm')::text AS refs,
        (SELECT count(DISTINCT r) FROM outbox o, unnest(o.ref_ids) r WHERE o.topic = 'alarm')::text AS distinct_refs,
        (SELECT count(*) FROM outbox o, unnest(o.ref_ids) r WHERE o.topic = 'alarm' AND NOT EXISTS (SELECT 1 FROM alarm_event e WHERE e.id = r))::text AS strays`)).rows[0]!;
    t.same(q, { events: q.events, refs: q.events, distinct_refs: q.events, strays: '0' }, 'every alarm event enqueued for notification exactly once');
    t.equal(Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n), POINTS.length * SERIES.length, 'every reading stored once');
    const rows = (await db.query<{ point: string; alarm: string; type: string; level: number | null; at: Date }>(
      `SELECT p.code AS point, a.id::text AS alarm, e.type, e.level, e.at FROM alarm a JOIN point p ON p.id = a.point_id
       JOIN alarm_event e ON e.alarm_id = a.id ORDER BY p.code, a.id, e.id`)).rows;
    for (const point of POINTS) {
      const mine = rows.filter((r) => r.point === point);
      const alarms = [...new Set(mine.map((r) => r.alarm))];
      t.equal(alarms.length, 2, `${point}: two alarms, one per episode`);
      alarms.forEach((id, k) => {
        t.same(mine.filter((r) => r.alarm === id).map((r) => [r.type, r.level, r.at.toISOString()]), expected(k * RAMP.length), `${point} episode ${k + 1}: each event once`);
      });
    }
    const states = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM alarm_rule_state WHERE alarm_id IS NOT NULL OR level <> 0')).rows[0]!.n;
    t.equal(states, '0', 'no rule state left mid-episode');
  });
}

// SIGKILL the hub mid-ingest (two connections, readings of several kinds, most of them late), restart it on the same
// store and let the roller catch up. Then what the hub derives from the raw observations must equal a recomputation:
// - observation_latest, written in the insert's own statement, row for row;
// - every minute/hour/day rollup (nothing lost, nothing counted twice: the roller's cursor commits with its rows).
// One kill covers both, so the suite pays for two hub starts per store, not four.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { launchHub } from './helpers/child-hub.ts';
import { rawRollups, storedRollups } from './helpers/rollups.ts';
import { latestMismatch } from '../hub/store/test/store-suite.ts';
import { INTERVALS } from '../hub/store/rollups.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { openPglite } from '../hub/store/pglite.ts';
import type { SqlDriver } from '../hub/store/driver.ts';

const KEY = 'store-kill-key';
const POINTS = 10;
const ZONE = 'Asia/Shanghai';
const BASE = Date.UTC(2026, 0, 1, 10); // 18:00 Shanghai: the data crosses the zone's midnight
// PGlite ingests slower on a shared machine: fewer readings keep its half of the test short.
const KILL_AFTER = { pglite: 3000, postgres: 6000 };
const auth = { authorization: `Bearer ${KEY}` };

for (const store of ['pglite', 'postgres'] as const) {
  t.test(`${store}: after SIGKILL mid-ingest and a restart, the latest table and the rollups equal a recomputation from raw`, async (t) => {
    t.setTimeout(120_000); // two hub starts; PGlite's take a while on a loaded machine
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-storekill-'));
    const pgdb = store === 'postgres' ? await freshDatabase() : undefined;
    t.teardown(async () => { await pgdb?.drop(); rmSync(dir, { recursive: true, force: true }); });
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(cfg, stringify({
      data_dir: './data', timezone: ZONE,
      server: { host: '127.0.0.1', port: 0 },
      api: { keys: [{ name: 'test', hash: hashKey(KEY), scopes: ['read', 'ingest'] }] },
      registry: {
        sites: [{ code: 'S', name: 's', domain: 'water' }],
        devices: [{ code: 'D', site: 'S' }],
        points: Array.from({ length: POINTS }, (_, i) => ({ code: `P${i}`, device: 'D', indicator: 'water.pipe_pressure', field: `f${i}` })),
      },
    }));
    const env = pgdb ? { DATABASE_URL: pgdb.url } : {};
    const { proc, url, exited } = await launchHub(cfg, env, 60_000);

    let seq = 0, acked = 0, rejected = 0, killed = false;
    // rtd times are a permutation over ~28 h, so most readings land late: in buckets the roller already rolled, and
    // behind the latest row of their point. Every 7th record is a minute reading instead (its own latest row).
    const batch = () => Array.from({ length: 200 }, (_, j) => {
      const n = seq++;
      const rec: Record<string, unknown> = { point: `P${n % POINTS}`, time: BASE + ((n * 7919) % 100_000) * 1000, value: n % 97 === 0 ? 3 : (n % 2000) / 1000 };
      if (j % 7 === 0) Object.assign(rec, { kind: 'min', time: BASE + Math.floor(n / 60) * 60_000, avg: 0.5, min: 0.1, max: 0.9 });
      return rec;
    });
    const sender = async () => {
      while (!killed) {
        let res: Response;
        try {
          res = await fetch(`${url}/v1/observations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ records: batch() }) });
        } catch { return; } // the process died under this request
        if (res.status !== 200) { const body = await res.text(); if (++rejected > 3) throw new Error(`${res.status}: ${body.slice(0, 300)}`); continue; }
        acked += ((await res.json()) as { accepted: number }).accepted;
        // Kill while the other connection's batch is in flight.
        if (acked >= KILL_AFTER[store] && !killed) { killed = true; proc.kill('SIGKILL'); }
      }
    };
    await Promise.all([sender(), sender()]);
    await exited;
    t.ok(acked >= KILL_AFTER[store], `${acked} observations acknowledged before SIGKILL`);

    // Restart on the same store (recovery, migrations), ingest one more batch, let the roller catch up, stop cleanly.
    const again = await launchHub(cfg, env, 60_000);
    const res = await fetch(`${again.url}/v1/observations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ records: batch() }) });
    t.equal(res.status, 200, 'the restarted hub ingests');
    const latest = await fetch(`${again.url}/v1/observations/latest`, { headers: auth });
    t.equal(((await latest.json()) as { data: unknown[] }).data.length, POINTS, '/latest has every point');
    let status: { lag_seconds: number } | undefined;
    for (let i = 0; i < 300; i++) {
      status = (await (await fetch(`${again.url}/v1/status`, { headers: auth })).json() as { rollups: typeof status }).rollups;
      if (status!.lag_seconds === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(status?.lag_seconds, 0, 'the roller caught up after the restart');
    again.proc.kill('SIGTERM');
    await again.exited;

    const db: SqlDriver = pgdb ? await openPostgres(pgdb.url, 2) : await openPglite(join(dir, 'data', 'pglite'));
    try {
      const n = (await db.query<{ obs: string; latest: string; outbox: string; cursor: string }>(`SELECT (SELECT count(*) FROM observation)::text AS obs,
          (SELECT count(*) FROM observation_latest)::text AS latest, (SELECT max(id) FROM outbox)::text AS outbox,
          (SELECT outbox_id FROM rollup_cursor WHERE name = 'rollup')::text AS cursor`)).rows[0]!;
      t.ok(Number(n.obs) >= acked, `${n.obs} observations stored`);
      t.equal(n.latest, String(POINTS * 2), 'one latest row per point and kind');
      t.same(await latestMismatch(db), [], 'observation_latest equals DISTINCT ON over observation');
      t.equal(n.cursor, n.outbox, 'the roller cursor is at the end of the outbox');
      for (const iv of INTERVALS) {
        const raw = await rawRollups(db, iv, ZONE);
        t.same(await storedRollups(db, iv), raw, `${iv}: ${raw.length} rollups equal a GROUP BY of the raw rows`);
      }
    } finally { await db.close(); }
  });
}

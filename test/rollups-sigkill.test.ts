// SIGKILL the hub mid-ingest, restart it on the same store, let the roller catch up: every minute/hour/day rollup then
// equals a recomputation from the raw observations (nothing lost, nothing counted twice: the cursor commits with them).
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { launchHub } from './helpers/child-hub.ts';
import { rawRollups, storedRollups } from './helpers/rollups.ts';
import { INTERVALS } from '../hub/store/rollups.ts';
import type { SqlDriver } from '../hub/store/driver.ts';

const KEY = 'rollups-key';
const ZONE = 'Asia/Shanghai';
// PGlite ingests slower on a shared machine: fewer readings keep the test near 30 s there.
const KILL_AFTER = { pglite: 3000, postgres: 6000 };
const BASE = Date.UTC(2026, 0, 1, 10); // 18:00 Shanghai: the data crosses the zone's midnight

for (const store of ['pglite', 'postgres'] as const) {
  t.test(`${store}: rollups equal a recomputation from raw after SIGKILL mid-ingest and a restart`, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-rollkill-'));
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
        points: Array.from({ length: 10 }, (_, i) => ({ code: `P${i}`, device: 'D', indicator: 'water.pipe_pressure', field: `f${i}` })),
      },
    }));
    const env = pgdb ? { DATABASE_URL: pgdb.url } : {};
    const { proc, url, exited } = await launchHub(cfg, env, 30_000);

    let seq = 0, acked = 0, killed = false;
    const sender = async () => {
      while (!killed) {
        // Times are a permutation over ~28 h, so most readings land late in buckets the roller already rolled.
        const records = Array.from({ length: 200 }, () => {
          const n = seq++;
          return { point: `P${n % 10}`, time: BASE + ((n * 7919) % 100_000) * 1000, value: n % 97 === 0 ? 3 : (n % 2000) / 1000 };
        });
        let res: Response;
        try {
          res = await fetch(`${url}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
        } catch { return; }
        await res.body?.cancel();
        if (res.status === 200) acked += records.length;
        if (acked >= KILL_AFTER[store] && !killed) { killed = true; proc.kill('SIGKILL'); }
      }
    };
    await Promise.all([sender(), sender()]);
    await exited;
    t.ok(acked >= KILL_AFTER[store], `${acked} observations acknowledged before SIGKILL`);

    const again = await launchHub(cfg, env, 30_000);
    let status: { lag_seconds: number; cursor: string } | undefined;
    for (let i = 0; i < 200; i++) {
      status = (await (await fetch(`${again.url}/v1/status`, { headers: { authorization: `Bearer ${KEY}` } })).json() as { rollups: typeof status }).rollups;
      if (status!.lag_seconds === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(status?.lag_seconds, 0, 'the roller caught up after the restart');
    again.proc.kill('SIGTERM');
    await again.exited;

    let db: SqlDriver;
    if (pgdb) db = await (await import('../hub/store/postgres.ts')).openPostgres(pgdb.url, 2);
    else db = await (await import('../hub/store/pglite.ts')).openPglite(join(dir, 'data', 'pglite'));
    t.teardown(() => db.close());
    const max = (await db.query<{ m: string; c: string }>(`SELECT (SELECT max(id) FROM outbox)::text AS m, (SELECT outbox_id FROM rollup_cursor WHERE name = 'rollup')::text AS c`)).rows[0]!;
    t.equal(max.c, max.m, 'the cursor is at the end of the outbox');
    const n = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM observation')).rows[0]!.n);
    t.ok(n >= acked, `${n} observations stored`);
    for (const iv of INTERVALS) {
      const raw = await rawRollups(db, iv, ZONE);
      t.same(await storedRollups(db, iv), raw, `${iv}: ${raw.length} rollups equal a GROUP BY of the raw rows`);
    }
  });
}

// The latest-value table is written in the insert's own statement: SIGKILL the hub mid-ingest (readings of several
// kinds, late ones among them, two connections), restart it on the same store, and observation_latest must equal a
// recomputation from the stored observations, row for row.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { launchHub } from './helpers/child-hub.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { openPglite } from '../hub/store/pglite.ts';
import type { SqlDriver } from '../hub/store/driver.ts';
import { latestMismatch } from '../hub/store/test/store-suite.ts';

const KEY = 'latest-key';
const POINTS = 10;
const T0 = Date.UTC(2026, 0, 1);
const launch = (configFile: string, env: NodeJS.ProcessEnv) => launchHub(configFile, env, 30_000);

for (const store of ['pglite', 'postgres'] as const) {
  t.test(`${store}: after SIGKILL mid-ingest, observation_latest equals a recomputation`, async (t) => {
    t.setTimeout(120_000); // two hub starts; PGlite's takes a while on a loaded machine
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-latest-'));
    const db = store === 'postgres' ? await freshDatabase() : undefined;
    t.teardown(async () => { await db?.drop(); rmSync(dir, { recursive: true, force: true }); });
    const cfg = join(dir, 'hub.yaml');
    writeFileSync(cfg, stringify({
      data_dir: './data',
      server: { host: '127.0.0.1', port: 0 },
      api: { keys: [{ name: 'test', hash: hashKey(KEY), scopes: ['read', 'ingest'] }] },
      registry: {
        sites: [{ code: 'S', name: 's', domain: 'water' }],
        devices: [{ code: 'D', site: 'S' }],
        points: Array.from({ length: POINTS }, (_, i) => ({ code: `P${i}`, device: 'D', indicator: 'water.pipe_pressure', field: `f${i}` })),
      },
    }));
    const env = db ? { DATABASE_URL: db.url } : {};
    const { proc, url, exited } = await launch(cfg, env);

    let seq = 0, acked = 0, rejected = 0, killed = false;
    // Each batch: new rtd readings, a late rtd reading (an hour back), and a minute reading every 60 s of source time.
    const batch = () => Array.from({ length: 200 }, (_, j) => {
      const n = seq++;
      const time = j % 10 === 9 ? T0 + n * 1000 - 3_600_000 : T0 + n * 1000;
      const rec: Record<string, unknown> = { point: `P${n % POINTS}`, time, value: (n % 2000) / 1000 };
      if (j % 7 === 0) Object.assign(rec, { kind: 'min', time: T0 + Math.floor(n / 60) * 60_000, avg: 0.5, min: 0.1, max: 0.9 });
      return rec;
    });
    const sender = async () => {
      while (!killed) {
        let res: Response;
        try {
          res = await fetch(`${url}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ records: batch() }) });
        } catch { return; } // the process died under this request
        if (res.status !== 200) { const body = await res.text(); if (++rejected > 3) throw new Error(`${res.status}: ${body.slice(0, 300)}`); continue; }
        acked += ((await res.json()) as { accepted: number }).accepted;
        // Kill while the other connection's batch is in flight.
        if (acked >= 3000 && !killed) { killed = true; proc.kill('SIGKILL'); }
      }
    };
    await Promise.all([sender(), sender()]);
    await exited;
    t.ok(acked >= 3000, `${acked} observations acknowledged before SIGKILL`);

    // Restart on the same store (recovery, migrations), ingest one more batch, stop it cleanly.
    const again = await launch(cfg, env);
    const res = await fetch(`${again.url}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ records: batch() }) });
    t.equal(res.status, 200, 'the restarted hub ingests');
    const latest = await fetch(`${again.url}/v1/observations/latest`, { headers: { authorization: `Bearer ${KEY}` } });
    t.equal(((await latest.json()) as { data: unknown[] }).data.length, POINTS, '/latest has every point');
    const stopped = new Promise((r) => again.proc.once('exit', r));
    again.proc.kill('SIGTERM');
    await stopped;

    const sql: SqlDriver = db ? await openPostgres(db.url, 1) : await openPglite(join(dir, 'data', 'pglite'));
    try {
      const n = await sql.query<{ obs: string; latest: string }>('SELECT (SELECT count(*) FROM observation)::text AS obs, (SELECT count(*) FROM observation_latest)::text AS latest');
      t.ok(Number(n.rows[0]!.obs) >= acked, `${n.rows[0]!.obs} observations stored`);
      t.equal(n.rows[0]!.latest, String(POINTS * 2), 'one latest row per point and kind');
      t.same(await latestMismatch(sql), [], 'observation_latest equals DISTINCT ON over observation');
    } finally { await sql.close(); }
  });
}

// Acknowledged means stored: SIGKILL the hub right after a 2xx, restart it, find every acknowledged observation.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { hashKey } from '../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { launchHub } from './helpers/child-hub.ts';

const KEY = 'durability-key';
const launch = (configFile: string, env: NodeJS.ProcessEnv) => launchHub(configFile, env, 30_000);

for (const store of ['pglite', 'postgres'] as const) {
  t.test(`${store}: SIGKILL right after a 2xx loses nothing acknowledged`, async (t) => {
    if (store === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-dur-'));
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
        points: Array.from({ length: 10 }, (_, i) => ({ code: `P${i}`, device: 'D', indicator: 'water.pipe_pressure', field: `f${i}` })),
      },
    }));
    const env = db ? { DATABASE_URL: db.url } : {};
    const { proc, url, exited } = await launch(cfg, env);

    const acked: Array<{ point: string; time: number; value: number }> = [];
    let seq = 0;
    let killed = false;
    const sender = async () => {
      while (!killed) {
        const records = Array.from({ length: 200 }, () => { const n = seq++; return { point: `P${n % 10}`, time: Date.UTC(2026, 0, 1) + n * 1000, value: (n % 2000) / 1000 }; });
        let res: Response;
        try {
          res = await fetch(`${url}/v1/observations`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
        } catch { return; } // connection died with the process: not acknowledged
        if (res.status !== 200) { await res.body?.cancel(); continue; }
        const body = await res.json() as { accepted: number };
        if (body.accepted !== records.length) throw new Error(`unexpected ${JSON.stringify(body)}`);
        acked.push(...records);
        // Kill at the moment a 2xx arrived, while the other sender's batch is in flight.
        if (acked.length >= 4000 && !killed) { killed = true; proc.kill('SIGKILL'); }
      }
    };
    await Promise.all([sender(), sender()]);
    await exited;
    t.ok(acked.length >= 4000, `${acked.length} observations acknowledged before SIGKILL`);

    const again = await launch(cfg, env);
    t.teardown(() => { again.proc.kill('SIGTERM'); });
    const res = await fetch(`${again.url}/v1/observations?format=ndjson`, { headers: { authorization: `Bearer ${KEY}` } });
    const stored = new Map<string, number>();
    for (const line of (await res.text()).trim().split('\n')) {
      if (!line) continue;
      const o = JSON.parse(line) as { point: string; time: string; value: number };
      stored.set(`${o.point}|${Date.parse(o.time)}`, o.value);
    }
    const missing = acked.filter((a) => stored.get(`${a.point}|${a.time}`) !== a.value);
    t.equal(missing.length, 0, `every acknowledged observation is stored (${stored.size} stored, ${acked.length} acknowledged)`);
    t.ok(stored.size <= seq, 'nothing invented');
  });
}

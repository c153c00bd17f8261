// Two hub instances on one PostgreSQL: a registry edit made through one is seen by the other (LISTEN/NOTIFY),
// and both ingest into the same store without duplicates.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startHub } from '../hub/hub.ts';
import { testConfig, auth, KEYS } from './helpers/hub.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';

t.test('registry edits propagate between instances', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const db = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-scale-'));
  const start = () => startHub(testConfig(dir, (c) => { c.store.url = db.url; }), { listen: false, logger: pino({ level: 'silent' }), env: {} });
  const a = await start();
  const b = await start();
  t.teardown(async () => { await a.stop(); await b.stop(); await db.drop(); rmSync(dir, { recursive: true, force: true }); });

  const put = await a.app.inject({ method: 'PUT', url: '/v1/points/NEW-1', headers: auth(KEYS.admin), payload: { device: 'WS-001-PT', indicator: 'water.leak_noise', field: 'noise' } });
  t.equal(put.statusCode, 200);
  let seen = false;
  for (let i = 0; i < 100 && !seen; i++) {
    seen = b.registry.registry.points.has('NEW-1');
    if (!seen) await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(seen, 'instance B learned about the point without a restart');
  const batch = { records: [{ device: 'WS-001-PT', field: 'noise', time: '2026-11-25T10:00:00+08:00', value: 42 }] };
  const viaB = (await b.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: batch })).json();
  const viaA = (await a.app.inject({ method: 'POST', url: '/v1/observations', headers: auth(KEYS.ingest), payload: batch })).json();
  t.match(viaB, { accepted: 1 });
  t.match(viaA, { accepted: 0, duplicates: 1 }, 'the same reading through the other instance is a duplicate');
});

// SIGKILL a hub in the middle of an upload (several batches committing at once), start it again on the same store and
// data_dir: the upload resumes with the batches that have no checkpoint (each batch's checkpoint is committed with its
// rows), and the file's valid rows are stored exactly once, its bad rows quarantined exactly once, the counts exact.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import pg from 'pg';
import { hashKey } from '../hub/api/auth.ts';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { launchHub } from './helpers/child-hub.ts';

const KEY = 'upload-kill-key';
const ROWS = 10_000;
const POINTS = 10;
const T0 = Date.UTC(2026, 10, 1);
const local = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
const isBad = (i: number) => i % 997 === 500;

t.test('SIGKILL mid-upload, restart: the valid rows stored exactly once', async (t) => {
  t.setTimeout(120_000);
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-upload-kill-'));
  const db = await freshDatabase();
  t.teardown(async () => { await db.drop(); rmSync(dir, { recursive: true, force: true }); });
  const cfg = join(dir, 'hub.yaml');
  writeFileSync(cfg, stringify({
    data_dir: './data',
    server: { host: '127.0.0.1', port: 0 },
    api: { keys: [{ name: 'test', hash: hashKey(KEY), scopes: ['read', 'ingest'] }] },
    uploads: { batch_rows: 200 }, // many small transactions: a window to kill in, even on a fast machine
    registry: {
      sites: [{ code: 'S', name: 's', domain: 'water' }],
      devices: [{ code: 'D', site: 'S' }],
      points: Array.from({ length: POINTS }, (_, i) => ({ code: `P${i}`, device: 'D', indicator: 'water.pipe_pressure', field: `f${i}` })),
    },
  }));
  let csv = 'device,field,time,value,unit,flag\n';
  for (let i = 0; i < ROWS; i++) csv += isBad(i) ? `D,f${i % POINTS},${local(T0 + i * 1000)},broken,MPa,N\n` : `D,f${i % POINTS},${local(T0 + i * 1000)},${(i % 500) / 1000},MPa,N\n`;
  const bad = Array.from({ length: ROWS }, (_, i) => i).filter(isBad).length;
  const env = { DATABASE_URL: db.url };
  const auth = { authorization: `Bearer ${KEY}` };

  const first = await launchHub(cfg, env, 30_000);
  const res = await fetch(`${first.url}/v1/uploads?profile=long-csv&name=backfill.csv`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: csv });
  t.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  let seen = 0;
  for (;;) {
    const u = (await (await fetch(`${first.url}/v1/uploads/${id}`, { headers: auth })).json()) as { rows: number; status: string };
    if (u.status !== 'queued' && u.status !== 'processing') t.fail(`finished before the kill (${u.status}); make the file bigger`);
    if (u.rows >= 1000 || u.status !== 'processing') { seen = u.rows; break; }
    await new Promise((r) => setTimeout(r, 20));
  }
  first.proc.kill('SIGKILL');
  await first.exited;
  t.ok(seen > 0 && seen < ROWS, `killed mid-upload (at least ${seen} of ${ROWS} rows committed)`);

  const second = await launchHub(cfg, env, 30_000);
  t.teardown(async () => { second.proc.kill('SIGTERM'); await second.exited; });
  const res2 = await fetch(`${second.url}/v1/uploads/${id}`, { headers: auth });
  const atStart = (await res2.json()) as { rows: number };
  t.ok(atStart.rows >= seen, `the committed batches survived (${atStart.rows} rows)`);
  let u: Record<string, unknown>;
  for (;;) {
    u = (await (await fetch(`${second.url}/v1/uploads/${id}`, { headers: auth })).json()) as Record<string, unknown>;
    if (u.status !== 'queued' && u.status !== 'processing') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.match(u, { status: 'done', rows: ROWS, readings: ROWS - bad, accepted: ROWS - bad, duplicates: 0, quarantined: bad }, 'counts are exact: nothing counted twice or lost');
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const n = (await c.query<{ n: string; d: string }>('SELECT count(*)::text AS n, count(DISTINCT (point_id, time))::text AS d FROM observation')).rows[0]!;
    t.equal(Number(n.n), ROWS - bad, 'stored observations = the valid rows');
    const q = (await c.query<{ n: string; d: string }>(`SELECT count(*)::text AS n, count(DISTINCT record->>'row')::text AS d FROM quarantine WHERE adapter = 'upload'`)).rows[0]!;
    t.equal(Number(q.n), bad, 'each bad row quarantined once');
    t.equal(Number(q.d), bad);
  } finally { await c.end(); }
});

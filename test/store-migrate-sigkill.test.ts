// `lifeline store migrate` on a store release 0.1 made (one wide `observation` table), killed with SIGKILL after a few
// chunks, then run again: every row ends up in the new layout exactly once, with its id, identity and every column as
// 0.1 stored it, and outbox ref_ids still name them. The real process and a real kill, on PostgreSQL.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { migrate } from '../hub/store/migrate.ts';
import { childEnv } from './helpers/child-env.ts';

const BIN = fileURLToPath(new URL('../bin/lifeline.js', import.meta.url));
const ROWS = 60_000;
const CHUNK = 2_000;
const COLS = `id::text AS id, point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit, source_flag,
  flags, warnings, adapter, message_id, received_at, raw_value, raw_unit`;

/** Run `lifeline store migrate`; with killAfter, SIGKILL it once it has reported that many chunks. */
function storeMigrate(cfg: string, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'store', 'migrate', '--config', cfg, '--chunk', String(CHUNK)], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const l of parts) {
        lines.push(l);
        if (killAfter !== undefined && lines.filter((x) => x.startsWith('moved ')).length >= killAfter) proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString().trim()}`));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ code, signal, lines }));
  });
}

t.test('store migrate killed with SIGKILL mid-move resumes, and loses or doubles nothing', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  const pgdb = await freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-migkill-'));
  const db = await openPostgres(pgdb.url, 2);
  t.teardown(async () => { await db.close(); await pgdb.drop(); rmSync(dir, { recursive: true, force: true }); });

  await migrate(db, { until: '003_text_sanitised.sql' });
  // 0.1's store: 60,000 readings of 300 points over 3 days, two kinds, with flags, warnings, raw units and message ids.
  await db.query(`INSERT INTO observation (point_id, device_id, site_id, indicator, kind, time, value, avg, min, max, cou, unit,
      source_flag, flags, warnings, adapter, message_id, received_at, raw_value, raw_unit)
    SELECT 1 + g % 300, 1 + g % 30, 1 + g % 3, 'water.pipe_pressure', CASE WHEN g % 10 = 0 THEN 'min' ELSE 'rtd' END,
           timestamptz '2026-11-01 00:00Z' + (g / 300) * interval '1 minute' + (g % 300) * interval '1 ms',
           g / 1000.0, NULL, NULL, NULL, NULL, 'MPa', CASE WHEN g % 50 = 0 THEN 'D' ELSE 'N' END,
           CASE WHEN g % 7 = 0 THEN '{out_of_range}'::text[] ELSE '{}' END, CASE WHEN g % 11 = 0 THEN '{lenient}'::text[] ELSE '{}' END,
           'hj212', 'QN' || g, now(), CASE WHEN g % 3 = 0 THEN g END, CASE WHEN g % 3 = 0 THEN 'kPa' END
    FROM generate_series(1, ${ROWS}) g`);
  await db.query(`INSERT INTO outbox (topic, ref_ids, count) SELECT 'observation', array_agg(id ORDER BY id), count(*) FROM observation GROUP BY id / 1000`);
  const before = (await db.query(`SELECT ${COLS} FROM observation ORDER BY id`)).rows;
  t.equal(before.length, ROWS);

  const cfg = join(dir, 'hub.yaml');
  writeFileSync(cfg, stringify({ data_dir: './data', store: { url: pgdb.url } }));

  const killed = await storeMigrate(cfg, 3);
  t.equal(killed.signal, 'SIGKILL', `killed mid-move (${killed.lines.filter((l) => l.startsWith('moved ')).length} chunks reported)`);
  const count = async (table: string) => Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`)).rows[0]!.n);
  const legacyLeft = await count('observation_legacy');
  t.ok(legacyLeft > 0 && legacyLeft < ROWS, `the move was partway: ${legacyLeft} rows still in observation_legacy`);
  t.equal(legacyLeft + await count('observation_data'), ROWS, 'after the kill each row is in exactly one table');

  const done = await storeMigrate(cfg);
  t.equal(done.code, 0, done.lines.slice(-3).join('\n'));
  t.match(done.lines.at(-1)!, /^store layout up to date: [\d,]+ observations moved/, 'the second run finishes and says so');
  t.equal((await db.query<{ r: string | null }>(`SELECT to_regclass('observation_legacy')::text AS r`)).rows[0]!.r, null, 'legacy table dropped');
  const after = (await db.query(`SELECT ${COLS} FROM observation ORDER BY id`)).rows;
  t.equal(after.length, ROWS, 'every row exactly once');
  t.same(after, before, 'every column of every row as 0.1 stored it, ids kept');
  const named = Number((await db.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM observation_data WHERE id IN (SELECT unnest(ref_ids) FROM outbox)')).rows[0]!.n);
  t.equal(named, ROWS, 'the outbox still names every row');
});

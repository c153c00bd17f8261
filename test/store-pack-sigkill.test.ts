// Packing a closed day (migration 013) is killed with SIGKILL inside its transaction, its packs written and its
// partition not yet emptied. After the kill the store reads exactly as before (every column of every reading: nothing
// lost, nothing doubled); packing again finishes the work with the same result, and a replay of the day's readings
// stores none of them again. The same for packing the open day's past hours, killed inside a slice. PostgreSQL and
// PGlite; small data, one child process per store.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresUp, needService, freshDatabase } from './helpers/services.ts';
import { openPostgres } from '../hub/store/postgres.ts';
import { openPglite } from '../hub/store/pglite.ts';
import { migrate } from '../hub/store/migrate.ts';
import { COLUMNS, commitBatch } from '../hub/store/observations.ts';
import { maintainPartitions } from '../hub/store/partitions.ts';
import { packClosed, packOpenHours } from '../hub/store/pack.ts';
import type { SqlDriver } from '../hub/store/driver.ts';
import type { ObservationRow } from '../hub/store/rows.ts';

const DAY = 86_400_000;
const D1 = Date.UTC(2026, 10, 28);
const NOW = D1 + 4 * DAY;
const child = new URL('./fixtures/pack-kill/child.ts', import.meta.url).pathname;

const rows: ObservationRow[] = [];
for (let m = 0; m < 3 * 1440; m += 5) {
  for (const p of [1, 2, 3]) {
    rows.push({
      pointId: p, deviceId: 1, siteId: 1, indicator: 'water.pipe_pressure', kind: 'rtd', timeMs: D1 + m * 60_000, value: (m * p) % 101,
      avg: null, min: null, max: null, cou: null, unit: 'MPa', sourceFlag: 'N', flags: [], warnings: m % 500 === 0 ? ['a,b', 'say "hi"'] : [],
      messageId: m % 300 === 0 ? `m${m}` : null, rawValue: null, rawUnit: null,
    });
  }
}

const all = async (db: SqlDriver) => (await db.query(`SELECT ${COLUMNS} FROM observation ORDER BY observation.id`)).rows;

/**
 * A store on `engine` holding `rows` (committed at `now`), closed, then the packing child (fixtures/pack-kill) run on
 * it in `mode` and SIGKILLed where it says `mid-pack`. Returns what the child printed, how to open the store again,
 * and every row of `observation` before the run.
 */
async function killedMidPack(t: Test, engine: 'postgres' | 'pglite', now: number, mode: 'days' | 'hours') {
  const pg = engine === 'postgres' ? await freshDatabase() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-packkill-'));
  t.teardown(async () => { await pg?.drop(); rmSync(dir, { recursive: true, force: true }); });
  const where = pg?.url ?? join(dir, 'pglite');
  const open = (): Promise<SqlDriver> => (pg ? openPostgres(pg.url, 2) : openPglite(where));
  const db = await open();
  await migrate(db);
  await maintainPartitions(db, { nowMs: D1, daysAhead: 3 });
  for (let i = 0; i < rows.length; i += 500) await commitBatch(db, { adapter: 'test', receivedAtMs: now, rows: rows.slice(i, i + 500), quarantine: [] });
  const before = await all(db);
  await db.close(); // PGlite: one process owns the data directory

  const proc = spawn(process.execPath, ['--import', 'tsx', child, engine, where, String(now), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => proc.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d) => { out += d; if (out.includes('mid-pack')) resolve(); });
    proc.once('exit', (code) => reject(new Error(`the packing run exited (${code}) before it was mid-pack:\n${out}\n${err}`)));
  });
  proc.kill('SIGKILL');
  await exited;
  return { out, open, before };
}

for (const engine of ['postgres', 'pglite'] as const) {
  t.test(`${engine}: a packing run killed mid-pack loses and doubles nothing, and the next run finishes it`, async (t) => {
    t.setTimeout(60_000);
    if (engine === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { out, open, before } = await killedMidPack(t, engine, NOW, 'days');
    t.equal(before.length, rows.length);
    t.match(out, /^packed observation_rtd_p20261128 \d+\nmid-pack\n$/, 'killed inside the second day\'s transaction, after the first day committed');

    const db = await open();
    t.teardown(() => db.close());
    t.same(await all(db), before, 'after the kill: every reading there once, every column as before');
    const packed = async () => (await db.query<{ lo: Date }>(`SELECT DISTINCT date_trunc('day', lo, 'UTC') AS lo FROM observation_pack ORDER BY 1`)).rows.map((r) => r.lo.getTime());
    t.same(await packed(), [D1], 'the first day is packed, the killed one not at all');

    const again = await packClosed(db, { nowMs: NOW, afterMs: DAY });
    t.same(again.map((p) => p.name), ['observation_rtd_p20261129', 'observation_rtd_p20261130'], 'the next run packs the rest');
    t.same(await packed(), [D1, D1 + DAY, D1 + 2 * DAY]);
    t.same(await all(db), before, 'packed: the same readings, every column (warnings with commas and quotes included)');
    const replay = await commitBatch(db, { adapter: 'test', receivedAtMs: NOW, rows: rows.filter((_, i) => i % 97 === 0), quarantine: [] });
    t.equal(replay.size, 0, 'a replay of packed readings stores none of them');
  });
}

// The open day's past hours (packOpenHours), a point per slice, killed inside the second slice's transaction.
const HOUR = 3_600_000;
const NOW_OPEN = D1 + 2 * DAY + 10 * HOUR + 20 * 60_000; // day 3 open, its horizon 09:00; day 2 is yesterday
const HORIZON = D1 + 2 * DAY + 9 * HOUR;

for (const engine of ['postgres', 'pglite'] as const) {
  t.test(`${engine}: packing the open day's hours killed mid-slice loses and doubles nothing, and the next run finishes it`, async (t) => {
    t.setTimeout(60_000);
    if (engine === 'postgres' && !needService(t, 'PostgreSQL', await postgresUp())) return;
    const { out, open, before } = await killedMidPack(t, engine, NOW_OPEN, 'hours');
    t.match(out, /^packed observation_rtd_p20261129 \d+\nmid-pack\n$/, 'yesterday packed whole, then killed inside the open day\'s second slice');

    const db = await open();
    t.teardown(() => db.close());
    t.same(await all(db), before, 'after the kill: every reading there once, every column as before');
    const packedPoints = async () => (await db.query<{ p: number }>(`SELECT DISTINCT point_id AS p FROM observation_pack WHERE lo >= to_timestamp($1 / 1000.0) ORDER BY 1`, [D1 + 2 * DAY])).rows.map((r) => r.p);
    t.same(await packedPoints(), [1], "the open day: the first slice's point packed, the killed slice's not at all");

    const again = await packOpenHours(db, { nowMs: NOW_OPEN, afterMs: HOUR });
    const left = rows.filter((r) => r.pointId !== 1 && r.timeMs >= D1 + 2 * DAY && r.timeMs < HORIZON).length;
    t.same(again, [{ name: 'observation_rtd_p20261130', n: left }], 'the next run packs the other points');
    t.same(await packedPoints(), [1, 2, 3]);
    t.same(await all(db), before, 'packed: the same readings, every column');
    const plainLeft = Number((await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM observation_rtd_p20261130 WHERE time < to_timestamp($1 / 1000.0)`, [HORIZON])).rows[0]!.n);
    t.equal(plainLeft, 0, 'no plain reading left before the horizon');
    const replay = await commitBatch(db, { adapter: 'test', receivedAtMs: NOW_OPEN, rows: rows.filter((r, i) => i % 13 === 0 && r.timeMs >= D1 + DAY), quarantine: [] });
    t.equal(replay.size, 0, 'a replay of packed and plain readings of both days stores none of them');
  });
}

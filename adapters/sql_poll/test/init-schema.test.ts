// `lifeline sqlpoll init-schema` (spawned CLI) on real PostgreSQL and MariaDB; --print without connecting;
// the enterprise page shows exactly the DDL the command runs.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { needService, postgresUp } from '../../../test/helpers/services.ts';
import { standardDdlText, STANDARD_COLUMNS } from '../ddl.ts';
import { mysqlUp, sourceDb } from './fixtures/db.ts';

const bin = new URL('../../../bin/lifeline.js', import.meta.url).pathname;
const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [bin, 'sqlpoll', ...args], { encoding: 'utf8' });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

t.test('--print: the DDL, without connecting', async (t) => {
  const [p, m, ms, viaUrl] = await Promise.all([
    run('init-schema', '--driver', 'postgres', '--print'),
    run('init-schema', '--driver', 'mysql', '--print'),
    run('init-schema', '--driver', 'mssql', '--print'),
    run('init-schema', '--url', 'mysql://nobody@127.0.0.1:1/nowhere', '--print', '--table', 'ent_readings'),
  ]);
  t.same([p.code, p.stdout], [0, standardDdlText('postgres')], 'PostgreSQL');
  t.same([m.code, m.stdout], [0, standardDdlText('mysql')], 'MySQL/MariaDB');
  t.same([ms.code, ms.stdout], [0, standardDdlText('mssql')], 'SQL Server');
  t.match(ms.stdout, /BIGINT +IDENTITY\(1,1\)/);
  t.same([viaUrl.code, viaUrl.stdout], [0, standardDdlText('mysql', 'ent_readings')], 'dialect from the URL scheme, own table name, no connection made');
  t.match(p.stdout, /bigserial/);
  t.match(m.stdout, /AUTO_INCREMENT/);
});

t.test('usage errors', async (t) => {
  const [none, bad, oracle] = await Promise.all([run('init-schema'), run('init-schema', '--driver', 'postgres', '--print', '--table', 'x; DROP TABLE y'), run('init-schema', '--url', 'oracle://sa@h/db', '--print')]);
  t.equal(none.code, 2, 'no --url');
  t.equal(bad.code, 2, 'table name checked');
  t.equal(oracle.code, 2, 'unsupported scheme');
  t.match(oracle.stderr, /unsupported scheme "oracle" \(postgres:\/\/, mysql:\/\/ or mssql:\/\/\)/);
});

t.test('docs/intermediate-database.md shows exactly this DDL', async (t) => {
  const page = readFileSync(new URL('../../../docs/intermediate-database.md', import.meta.url), 'utf8');
  const blocks = [...page.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
  t.ok(blocks.includes(standardDdlText('postgres')), 'PostgreSQL block = init-schema --driver postgres --print');
  t.ok(blocks.includes(standardDdlText('mysql')), 'MySQL block = init-schema --driver mysql --print');
  t.ok(blocks.includes(standardDdlText('mssql')), 'SQL Server block = init-schema --driver mssql --print');
  for (const c of Object.values(STANDARD_COLUMNS)) t.match(page, new RegExp(`\\| \`${c}\` \\|`), `column ${c} explained`);
});

// Both databases at once (each spawns the CLI three times; the spawns dominate this file's time).
t.test('creates the table, idempotently: PostgreSQL and MariaDB', async (t) => {
  if (!needService(t, 'PostgreSQL', await postgresUp())) return;
  if (!needService(t, 'MariaDB', await mysqlUp())) return;
  await Promise.all((['postgres', 'mysql'] as const).map(async (driver) => {
    const db = await sourceDb(driver);
    t.teardown(() => db.drop());
    const a = await run('init-schema', '--url', db.url);
    t.equal(a.code, 0, `${driver}: created: ${a.stdout.trim()} ${a.stderr.trim()}`);
    t.match(a.stdout, /created lifeline_reading/);
    const [again, other] = await Promise.all([run('init-schema', '--url', db.url), run('init-schema', '--url', db.url, '--table', 'other_readings')]);
    t.equal(again.code, 0, `${driver}: again: no error (IF NOT EXISTS)`);
    t.equal(other.code, 0, `${driver}: --table`);
    const cols = driver === 'postgres'
      ? await db.exec(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'lifeline_reading' ORDER BY ordinal_position`)
      : await db.exec(`SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'lifeline_reading' ORDER BY ORDINAL_POSITION`);
    t.same(cols.map((r) => r.c), Object.values(STANDARD_COLUMNS), `${driver}: the standard columns, in order`);
    // What an enterprise writes: only device, field, value and time are needed; the rest defaults.
    await db.exec(`INSERT INTO lifeline_reading (device_code, field_code, value, data_time) VALUES ('D1', 'gas.pressure', 0.2, '2026-11-25 10:00:00')`);
    const [row] = await db.exec('SELECT id, kind, flag, created_at FROM lifeline_reading');
    t.same([String(row!.id), row!.kind, row!.flag, row!.created_at !== null], ['1', 'rtd', 'N', true], `${driver}: defaults: id 1, kind rtd, flag N, created_at set`);
    const [n] = await db.exec('SELECT count(*) AS n FROM other_readings');
    t.equal(Number(n!.n), 0, `${driver}: other table exists`);
  }));
});

// The intermediate-db profile on real PostgreSQL and MariaDB: a table made by `lifeline sqlpoll init-schema` and
// filled as the enterprise page says passes; without its created_at index it fails SQLDB-IDX-002; a copy without
// primary key fails SQLDB-IDX-001 too; rows written in UTC into a DATETIME are reported as another zone.
import t from 'tap';
import { needService, postgresUp } from '../../test/helpers/services.ts';
import { mysqlUp, sourceDb, type SourceDb } from '../../adapters/sql_poll/test/fixtures/db.ts';
import { sqlpollCommand } from '../../adapters/sql_poll/cli.ts';
import { runSqldb } from '../sqldb/run.ts';

const status = (r: Awaited<ReturnType<typeof runSqldb>>, s: string) => r.report.results.filter((x) => x.status === s).map((x) => x.id);
const quiet = () => true;

async function initSchema(t: Tap.Test, db: SourceDb, table: string) {
  t.equal(await sqlpollCommand(['init-schema', '--url', db.url, '--table', table], quiet, quiet), 0, `init-schema ${table}`);
}

for (const driver of ['postgres', 'mysql'] as const) {
  t.test(`${driver}: init-schema table passes; a missing index fails naming its clause`, async (t) => {
    const up = driver === 'postgres' ? await postgresUp() : await mysqlUp();
    if (!needService(t, driver === 'postgres' ? 'PostgreSQL' : 'MariaDB', up)) return;
    const db = await sourceDb(driver);
    t.teardown(() => db.drop());
    await initSchema(t, db, 'confdev_reading');
    await initSchema(t, db, 'confdev_noidx');
    // Rows as an enterprise writes them: Beijing time (timestamptz with its zone on PostgreSQL, wall clock in DATETIME).
    const beijingNow = driver === 'postgres' ? 'now()' : "CONVERT_TZ(UTC_TIMESTAMP(3), '+00:00', '+08:00')";
    for (const table of ['confdev_reading', 'confdev_noidx']) {
      await db.exec(`INSERT INTO ${table} (device_code, field_code, value, unit, data_time, flag) VALUES
        ('WS-001-PT', 'water.pipe_pressure', 0.35, 'MPa', ${beijingNow}, 'N'), ('WS-001-PT', 'water.pipe_pressure', NULL, NULL, ${beijingNow}, 'D'), ('湖滨路1号', 'gas.pressure', 2.1, 'kPa', ${beijingNow}, 'N')`);
    }
    await db.exec(driver === 'postgres' ? 'DROP INDEX confdev_noidx_created_at_idx' : 'DROP INDEX confdev_noidx_created_at_idx ON confdev_noidx');

    const good = await runSqldb({ url: db.url, table: 'confdev_reading', key: { key: 'lab' } });
    t.same(status(good, 'fail'), [], 'no clause fails');
    t.same(status(good, 'warning'), ['SQLDB-ACCT-001'], 'only: the test account may write');
    t.equal(good.report.verdict, 'pass');
    t.equal(good.report.profile.id, 'intermediate-db');
    t.match(good.report.results.find((x) => x.id === 'SQLDB-IDX-001')!.message, /id leads/);
    t.match(good.report.results.find((x) => x.id === 'SQLDB-DATA-001')!.message, /3 rows valid/);
    t.match(good.report.results.find((x) => x.id === 'SQLDB-TIME-002')!.message, /3 rows: median lag created_at − data_time -?\d+\.\d s/);

    // The hub's own account, SELECT only: SQLDB-ACCT-001 passes too (a role of this test's own, dropped at once).
    const reader = `confdev_r_${process.pid}`;
    if (driver === 'postgres') { await db.exec(`CREATE ROLE ${reader} LOGIN`); await db.exec(`GRANT SELECT ON confdev_reading TO ${reader}`); }
    else { await db.exec(`CREATE USER '${reader}'@'%'`); await db.exec(`GRANT SELECT ON confdev_reading TO '${reader}'@'%'`); }
    try {
      const ro = await runSqldb({ url: db.url.replace(/\/\/[^@/]+@/, `//${reader}@`), table: 'confdev_reading' });
      t.same(ro.report.results.filter((x) => x.status !== 'pass').map((x) => `${x.id}: ${x.message}`), [], 'read-only account: every clause passes');
    } finally {
      if (driver === 'postgres') { await db.exec(`REVOKE ALL ON confdev_reading FROM ${reader}`); await db.exec(`DROP ROLE ${reader}`); }
      else await db.exec(`DROP USER '${reader}'@'%'`);
    }

    const noidx = await runSqldb({ url: db.url, table: 'confdev_noidx' });
    t.same(status(noidx, 'fail'), ['SQLDB-IDX-002']);
    t.same(noidx.report.summary.must_not_passed, ['SQLDB-IDX-002']);
    t.equal(noidx.report.verdict, 'fail');
    t.match(noidx.report.results.find((x) => x.id === 'SQLDB-IDX-002')!.message, /no index starts with created_at.*CREATE INDEX confdev_noidx_created_at_idx ON confdev_noidx \(created_at\)/);

    if (driver === 'postgres') {
      // A copy without the primary key: the cursor column has no index at all.
      // A copy without the primary key, and with data_time as a zone-less timestamp.
      await db.exec('CREATE TABLE confdev_bare (LIKE confdev_reading INCLUDING DEFAULTS)');
      await db.exec('ALTER TABLE confdev_bare ALTER data_time TYPE timestamp');
      const bare = await runSqldb({ url: db.url, table: 'confdev_bare' });
      t.same(status(bare, 'fail'), ['SQLDB-TIME-001', 'SQLDB-IDX-001', 'SQLDB-IDX-002']);
      t.match(bare.report.results.find((x) => x.id === 'SQLDB-TIME-001')!.message, /data_time is timestamp without time zone: each writer's session zone decides/);
      t.match(bare.report.results.find((x) => x.id === 'SQLDB-IDX-001')!.message, /no primary key or unique index starts with id \(none at all\)/);
      t.equal(status(bare, 'warning').includes('SQLDB-TIME-002'), true, 'empty table: row clauses inconclusive');
    } else {
      // Rows written in UTC into DATETIME (the eight-hour error) are reported.
      await initSchema(t, db, 'confdev_utc');
      await db.exec("INSERT INTO confdev_utc (device_code, field_code, value, unit, data_time) VALUES ('WS-001-PT', 'water.pipe_pressure', 0.35, 'MPa', UTC_TIMESTAMP(3) - INTERVAL 2 SECOND)");
      const utc = await runSqldb({ url: db.url, table: 'confdev_utc' });
      t.match(utc.report.results.find((x) => x.id === 'SQLDB-TIME-002')!.message, /SHOULD not met: median lag created_at − data_time is 8\.00 h: data_time looks written in another zone than Asia\/Shanghai/);
      t.equal(utc.report.verdict, 'pass', 'a SHOULD: reported, not blocking');
      // A write pattern that can skip rows: created_at rewritten on UPDATE, and a row committed a minute after the
      // next id was (its created_at a minute behind).
      await initSchema(t, db, 'confdev_upd');
      await db.exec('ALTER TABLE confdev_upd MODIFY created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)');
      await db.exec(`INSERT INTO confdev_upd (device_code, field_code, value, unit, data_time, created_at) VALUES
        ('WS-001-PT', 'water.pipe_pressure', 0.35, 'MPa', ${beijingNow}, NOW(3)), ('WS-001-PT', 'water.pipe_pressure', 0.36, 'MPa', ${beijingNow}, NOW(3) - INTERVAL 60 SECOND)`);
      const upd = await runSqldb({ url: db.url, table: 'confdev_upd' });
      t.same(status(upd, 'fail'), ['SQLDB-WRITE-002']);
      t.match(upd.report.results.find((x) => x.id === 'SQLDB-WRITE-002')!.message, /created_at ON UPDATE CURRENT_TIMESTAMP/);
      t.match(upd.report.results.find((x) => x.id === 'SQLDB-WRITE-003')!.message, /SHOULD not met: in id order created_at falls back 60\.\d s \(> settle 5 s\)/);
    }
    // Read-only: the kit wrote nothing.
    t.equal(Number((await db.exec('SELECT COUNT(*) AS n FROM confdev_reading'))[0]!.n), 3);
  });
}

// `lifeline sqlpoll init-schema`: create (or print) the standard intermediate table in PostgreSQL, MySQL/MariaDB or SQL Server.
import { parseArgs } from 'node:util';
import { connect, redactUrl } from './db.ts';
import { standardDdlText, standardDdl, STANDARD_TABLE, checkTableName, DIALECTS, type Dialect } from './ddl.ts';

export const SQLPOLL_USAGE = `usage: lifeline sqlpoll init-schema (--url DB_URL | --driver postgres|mysql|mssql --print) [--table NAME] [--print]
  --url     postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db (MariaDB too) or
            mssql://user:pass@host:1433/db?encrypt=true&trustServerCertificate=false (SQL Server)
  --table   table name, optionally schema.table (default ${STANDARD_TABLE})
  --print   print the DDL instead of running it (no connection is made)`;

export function dialectOf(url: string): Dialect {
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'mssql' || scheme === 'sqlserver') return 'mssql';
  throw new Error(`--url: unsupported scheme "${scheme ?? url}" (postgres://, mysql:// or mssql://)`);
}

/** Runs the subcommand; returns the process exit code. Output goes through `out` (stdout) and `err` (stderr). */
export async function sqlpollCommand(args: string[], out = (s: string) => process.stdout.write(s), err = (s: string) => process.stderr.write(s)): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    url: { type: 'string' }, driver: { type: 'string' }, table: { type: 'string', default: STANDARD_TABLE }, print: { type: 'boolean', default: false },
  } });
  if (positionals[0] !== 'init-schema' || positionals.length > 1) { err(`${SQLPOLL_USAGE}\n`); return 2; }
  const table = values.table!;
  try { checkTableName(table); } catch (e) { err(`--table: ${(e as Error).message}\n`); return 2; }
  let dialect: Dialect;
  try {
    if (values.driver) {
      if (!(DIALECTS as readonly string[]).includes(values.driver)) throw new Error(`--driver: postgres, mysql or mssql, not "${values.driver}"`);
      dialect = values.driver as Dialect;
    } else if (values.url) dialect = dialectOf(values.url);
    else throw new Error('--url (or, with --print, --driver) is required');
  } catch (e) { err(`${(e as Error).message}\n${SQLPOLL_USAGE}\n`); return 2; }

  if (values.print) { out(standardDdlText(dialect, table)); return 0; }
  if (!values.url) { err(`--url is required unless --print\n${SQLPOLL_USAGE}\n`); return 2; }
  const conn = await connect(dialect, values.url, { timeoutMs: 10_000 });
  try {
    for (const stmt of standardDdl(dialect, table)) await conn.query(stmt);
  } finally {
    await conn.close();
  }
  out(`created ${table} (if it did not exist) in ${redactUrl(values.url)}; point a sql_poll source at it: { name: …, driver: ${dialect}, url: …, table: ${table} }\n`);
  return 0;
}

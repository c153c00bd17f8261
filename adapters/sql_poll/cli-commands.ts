// The `lifeline` command the SQL polling adapter adds (declared in its manifest): create the standard table.
import type { CliCommand } from '../../hub/sdk/index.ts';

export const sqlPollCommands: CliCommand[] = [{
  words: ['sqlpoll', 'init-schema'], usage: '--url DB_URL [--table NAME] [--print]',
  help: 'create the standard intermediate table (PostgreSQL, MySQL/MariaDB, SQL Server);\n' +
    '--print (with --driver postgres|mysql|mssql instead of --url): print its DDL',
  details: async () => (await import('./cli.ts')).SQLPOLL_USAGE,
  run: async (args) => (await import('./cli.ts')).sqlpollCommand(['init-schema', ...args]),
}];

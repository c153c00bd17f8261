import { readFileSync } from 'node:fs';
import type { AdapterManifest, SourceFlag, ObservationKind } from '../../hub/sdk/index.ts';
import type { Dialect } from './ddl.ts';
import { sqlPollCommands } from './cli-commands.ts';

export const manifest: AdapterManifest = {
  id: 'sql_poll',
  version: '0.1.0',
  title: 'SQL intermediate database',
  description: 'Polls enterprise intermediate databases (PostgreSQL, MySQL/MariaDB, SQL Server): a standard table or any query, exactly once by a cursor committed with its readings.',
  direction: 'poll',
  stability: 'alpha',
  capabilities: { acknowledges: true, commands: false, history: true },
  conformance: { driver: () => import('./contract-driver.ts') },
  configSchema: JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')),
  commands: sqlPollCommands,
};

type Columns = { device?: string; field?: string; value?: string; unit?: string; time?: string; flag?: string; kind?: string };

/** One source after validation (defaults filled). */
export interface SourceConfig {
  name: string; driver: Dialect; url: string; mode: 'standard' | 'query';
  table: string; query?: string; tracking?: { id: string; time?: string };
  columns?: Columns; fixed?: { device?: string; field?: string; unit?: string; flag?: SourceFlag; kind?: ObservationKind };
  match: 'device' | 'identity' | 'point'; page_size: number; interval_s: number; timeout_s: number;
  settle_ms: number; settle_column?: string; start: 'beginning' | 'end'; timezone?: string;
}

export interface SqlPollConfig { sources: SourceConfig[]; backoff_initial_s: number; backoff_max_s: number }

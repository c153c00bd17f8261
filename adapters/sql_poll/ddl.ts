// The standard intermediate table (标准中间库): the one DDL that `lifeline sqlpoll init-schema` creates and prints,
// and that docs/intermediate-database.md shows (a test checks the page against this file).

import { sourceFlags, observationKinds } from '../../hub/sdk/enums.ts';

const FLAGS = sourceFlags.join(' ');
const KINDS = observationKinds.join(' | ');

export type Dialect = 'postgres' | 'mysql' | 'mssql';

export const DIALECTS: readonly Dialect[] = ['postgres', 'mysql', 'mssql'];

export const STANDARD_TABLE = 'lifeline_reading';

/** Standard column names, as the adapter reads them in standard mode. */
export const STANDARD_COLUMNS = {
  id: 'id', device: 'device_code', field: 'field_code', kind: 'kind', value: 'value', unit: 'unit',
  time: 'data_time', flag: 'flag', created: 'created_at',
} as const;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function checkTableName(table: string): void {
  if (!TABLE_NAME.test(table)) throw new Error(`table name "${table}": letters, digits and _ only (optionally schema.table)`);
}

/** Index name for a (possibly schema-qualified) table: the unqualified name plus a suffix. */
const indexName = (table: string, suffix: string) => `${table.split('.').pop()}_${suffix}`;

/** CREATE TABLE (+ index) statements for the standard table, idempotent (IF NOT EXISTS / IF OBJECT_ID … IS NULL). */
export function standardDdl(dialect: Dialect, table = STANDARD_TABLE): string[] {
  checkTableName(table);
  if (dialect === 'mssql') {
    const idx = indexName(table, 'created_at_idx');
    return [
      `IF OBJECT_ID(N'${table}', N'U') IS NULL
CREATE TABLE ${table} (
  id          BIGINT        IDENTITY(1,1) PRIMARY KEY,          -- increasing; the hub reads in id order
  device_code NVARCHAR(128) NOT NULL,                           -- device code as registered in the hub (NVARCHAR: Chinese text is safe)
  field_code  NVARCHAR(128) NOT NULL,                           -- indicator code (gas.pressure) or vendor code of the point
  kind        NVARCHAR(8)   NOT NULL DEFAULT 'rtd',             -- ${KINDS}
  value       FLOAT         NULL,                               -- NULL only with a flag other than N
  unit        NVARCHAR(32)  NULL,                               -- UCUM code (kPa, m3/h, Cel); NULL: the point's unit
  data_time   DATETIME2(3)  NOT NULL,                           -- when it was measured, Beijing time (UTC+8) unless agreed otherwise
  flag        CHAR(1)       NOT NULL DEFAULT 'N',               -- HJ 212 flag: ${FLAGS}
  created_at  DATETIME2(3)  NOT NULL DEFAULT SYSDATETIME()      -- when the row was written (the server's clock)
)`,
      `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'${idx}' AND object_id = OBJECT_ID(N'${table}'))
CREATE INDEX ${idx} ON ${table} (created_at)`,
    ];
  }
  if (dialect === 'postgres') {
    return [
      `CREATE TABLE IF NOT EXISTS ${table} (
  id          bigserial        PRIMARY KEY,                    -- increasing; the hub reads in id order
  device_code varchar(128)     NOT NULL,                       -- device code as registered in the hub
  field_code  varchar(128)     NOT NULL,                       -- indicator code (gas.pressure) or vendor code of the point
  kind        varchar(8)       NOT NULL DEFAULT 'rtd',         -- ${KINDS}
  value       double precision,                                -- NULL only with a flag other than N
  unit        varchar(32),                                     -- UCUM code (kPa, m3/h, Cel); NULL: the point's unit
  data_time   timestamptz      NOT NULL,                       -- when it was measured (with its zone)
  flag        char(1)          NOT NULL DEFAULT 'N',           -- HJ 212 flag: ${FLAGS}
  created_at  timestamptz      NOT NULL DEFAULT now()          -- when the row was written
)`,
      `CREATE INDEX IF NOT EXISTS ${indexName(table, 'created_at_idx')} ON ${table} (created_at)`,
    ];
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY COMMENT 'increasing; the hub reads in id order',
  device_code VARCHAR(128) NOT NULL COMMENT 'device code as registered in the hub',
  field_code  VARCHAR(128) NOT NULL COMMENT 'indicator code (gas.pressure) or vendor code of the point',
  kind        VARCHAR(8)   NOT NULL DEFAULT 'rtd' COMMENT '${KINDS}',
  value       DOUBLE       NULL COMMENT 'NULL only with a flag other than N',
  unit        VARCHAR(32)  NULL COMMENT 'UCUM code (kPa, m3/h, Cel); NULL: the point unit',
  data_time   DATETIME(3)  NOT NULL COMMENT 'when it was measured, Beijing time (UTC+8) unless agreed otherwise',
  flag        CHAR(1)      NOT NULL DEFAULT 'N' COMMENT 'HJ 212 flag: ${FLAGS}',
  created_at  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) COMMENT 'when the row was written',
  KEY ${indexName(table, 'created_at_idx')} (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ];
}

/** The DDL as one printable script. */
export function standardDdlText(dialect: Dialect, table = STANDARD_TABLE): string {
  return standardDdl(dialect, table).map((s) => `${s};`).join('\n') + '\n';
}

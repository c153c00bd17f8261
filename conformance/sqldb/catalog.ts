// Read-only catalog queries for the intermediate-database profile: columns, indexes, triggers, privileges, and the
// newest rows, in PostgreSQL and MySQL/MariaDB terms, all reduced to one shape.
import type { SqlConnection } from '../../adapters/sql_poll/db.ts';

export interface Column { name: string; type: string; nullable: boolean; default: string | null; maxLength: number | null; generated: boolean; onUpdate: boolean }
export interface Index { name: string; unique: boolean; primary: boolean; columns: string[] }
export interface Catalog { columns: Column[]; indexes: Index[]; updateTriggers: string[]; writePrivileges: string[] }

const split = (table: string) => { const p = table.split('.'); return p.length === 2 ? { schema: p[0]!, name: p[1]! } : { schema: undefined, name: p[0]! }; };
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export async function readCatalog(c: SqlConnection, table: string): Promise<Catalog> {
  const { schema, name } = split(table);
  if (c.dialect === 'postgres') {
    const sch = schema ?? ((await c.query('SELECT current_schema() AS s')).rows[0]!.s as string);
    const cols = await c.query(`SELECT column_name, data_type, is_nullable, column_default, character_maximum_length, is_identity
      FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [sch, name]);
    const rel = `${c.quote(sch)}.${c.quote(name)}`;
    const idx = await c.query(`SELECT ci.relname AS name, i.indisunique AS uniq, i.indisprimary AS prim,
        array_to_string(array(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ',') AS cols
      FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = $1::regclass`, [rel]);
    const trg = await c.query('SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND (tgtype & 16) <> 0', [rel]);
    const priv = await c.query(`SELECT has_table_privilege($1::text, 'INSERT') AS ins, has_table_privilege($1::text, 'UPDATE') AS upd, has_table_privilege($1::text, 'DELETE') AS del`, [rel]);
    const p = priv.rows[0]!;
    return {
      columns: cols.rows.map((r) => ({
        name: String(r.column_name), type: String(r.data_type), nullable: r.is_nullable === 'YES', default: str(r.column_default),
        maxLength: r.character_maximum_length === null ? null : Number(r.character_maximum_length),
        generated: r.is_identity === 'YES' || /^nextval\(/i.test(String(r.column_default ?? '')), onUpdate: false,
      })),
      indexes: idx.rows.map((r) => ({ name: String(r.name), unique: r.uniq === true, primary: r.prim === true, columns: String(r.cols).split(',').filter(Boolean) })),
      updateTriggers: trg.rows.map((r) => String(r.tgname)),
      writePrivileges: [p.ins && 'INSERT', p.upd && 'UPDATE', p.del && 'DELETE'].filter(Boolean) as string[],
    };
  }
  const db = schema ?? ((await c.query('SELECT DATABASE() AS s')).rows[0]!.s as string);
  const cols = await c.query(`SELECT COLUMN_NAME AS n, DATA_TYPE AS t, IS_NULLABLE AS nl, COLUMN_DEFAULT AS d, CHARACTER_MAXIMUM_LENGTH AS ml, EXTRA AS x
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [db, name]);
  const idx = await c.query(`SELECT INDEX_NAME AS n, NON_UNIQUE AS nu, SEQ_IN_INDEX AS s, COLUMN_NAME AS c
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [db, name]);
  const byName = new Map<string, Index>();
  for (const r of idx.rows) {
    const n = String(r.n);
    const e = byName.get(n) ?? byName.set(n, { name: n, unique: Number(r.nu) === 0, primary: n === 'PRIMARY', columns: [] }).get(n)!;
    e.columns.push(String(r.c));
  }
  const trg = await c.query(`SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = ? AND EVENT_OBJECT_TABLE = ? AND EVENT_MANIPULATION = 'UPDATE'`, [db, name]);
  const grants = (await c.query('SHOW GRANTS FOR CURRENT_USER()')).rows.map((r) => String(Object.values(r)[0]));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const on = new RegExp(`\\bON\\s+(\\*\\.\\*|\`?${esc(db)}\`?\\.(\\*|\`?${esc(name)}\`?))\\s+TO\\b`, 'i');
  const write = new Set<string>();
  for (const g of grants) {
    if (!on.test(g)) continue;
    const privs = /^GRANT\s+(.*?)\s+ON\s/i.exec(g)?.[1] ?? '';
    if (/ALL PRIVILEGES/i.test(privs)) { write.add('INSERT'); write.add('UPDATE'); write.add('DELETE'); }
    for (const w of ['INSERT', 'UPDATE', 'DELETE']) if (new RegExp(`\\b${w}\\b`, 'i').test(privs)) write.add(w);
  }
  return {
    columns: cols.rows.map((r) => ({
      name: String(r.n), type: String(r.t).toLowerCase(), nullable: r.nl === 'YES', default: str(r.d), maxLength: r.ml === null ? null : Number(r.ml),
      generated: /auto_increment/i.test(String(r.x ?? '')), onUpdate: /on update/i.test(String(r.x ?? '')),
    })),
    indexes: [...byName.values()],
    updateTriggers: trg.rows.map((r) => String(r.n)),
    writePrivileges: [...write],
  };
}

export interface RowSample { id: string; kind: unknown; value: unknown; unit: unknown; flag: unknown; data_time: string; created_at: string }

/** The newest `limit` rows (id descending), times as text: epoch ms for zone-aware columns, wall clock otherwise. */
export async function newestRows(c: SqlConnection, table: string, cols: Map<string, Column>, limit: number): Promise<RowSample[]> {
  const q = (x: string) => c.quote(x);
  const timeExpr = (name: string) => {
    const t = cols.get(name)!.type;
    if (c.dialect === 'postgres') return /with time zone/.test(t) ? `(extract(epoch from ${q(name)}) * 1000)::text` : `to_char(${q(name)}, 'YYYY-MM-DD"T"HH24:MI:SS.MS')`;
    return t === 'timestamp' ? `CAST(ROUND(UNIX_TIMESTAMP(${q(name)}) * 1000) AS CHAR)` : `DATE_FORMAT(${q(name)}, '%Y-%m-%dT%H:%i:%s.%f')`;
  };
  const sql = `SELECT CAST(${q('id')} AS ${c.dialect === 'postgres' ? 'text' : 'CHAR'}) AS id, ${q('kind')} AS kind, ${q('value')} AS value, ${q('unit')} AS unit, ${q('flag')} AS flag,
    ${timeExpr('data_time')} AS data_time, ${timeExpr('created_at')} AS created_at FROM ${c.quote(table)} ORDER BY ${q('id')} DESC LIMIT ${Math.trunc(limit)}`;
  return (await c.query(sql)).rows.map((r) => ({ ...r, id: String(r.id), data_time: String(r.data_time), created_at: String(r.created_at) })) as RowSample[];
}

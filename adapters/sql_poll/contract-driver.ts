// The sql_poll adapter's contract driver (docs/certification.md, "Adapter contract"): an intermediate database on
// PostgreSQL (a schema of its own, the standard table) that an enterprise fills one row per reading (value = the
// reading's number). "Acknowledged" is the cursor: a row is acknowledged once the committed checkpoint passed its id.
// The adapter reaches the database through a relay the kit can cut (health clause).
import pg from 'pg';
import { contractRegistry, contractTime, type ContractDriverFactory } from '../../hub/sdk/index.ts';
import { standardDdl } from './ddl.ts';

const driver: ContractDriverFactory = async (env) => {
  const url = new URL(env.services.postgresUrl);
  const admin = new pg.Client({ connectionString: url.href, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  const schema = env.prefix;
  const table = `${schema}.lifeline_reading`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  for (const sql of standardDdl('postgres', table)) await admin.query(sql);
  const relay = await env.relay({ host: url.hostname, port: Number(url.port || 5432) });
  const viaRelay = new URL(url.href);
  viaRelay.hostname = relay.host;
  viaRelay.port = String(relay.port);

  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const seqOfRow = new Map<number, number>();
  const acked = new Set<number>();
  let cursor = 0;
  // The checkpoint is the acknowledgement: read it as the hub committed it.
  const timer = setInterval(() => {
    void env.checkpoint('cursor:ct').then((c) => {
      const id = Number((c as { id?: string } | undefined)?.id ?? 0);
      if (id <= cursor) return;
      cursor = id;
      for (const [row, seq] of seqOfRow) if (row <= id) acked.add(seq);
    }, () => undefined);
  }, 20);
  return {
    config: {
      sources: [{ name: 'ct', driver: 'postgres', url: viaRelay.href, table, interval_s: 0.1, timeout_s: 2 }],
      backoff_initial_s: 0.1, backoff_max_s: 0.5,
    },
    registry: contractRegistry({ device: 'SQL-CT', fields: ['p'] }),
    async send(seqs) {
      for (const s of seqs) {
        const r = await admin.query<{ id: string }>(`INSERT INTO ${table} (device_code, field_code, value, unit, data_time) VALUES ('SQL-CT', 'p', $1, 'kPa', $2) RETURNING id`, [s, new Date(contractTime(base, s)).toISOString()]);
        seqOfRow.set(Number(r.rows[0]!.id), s);
      }
      env.note(`inserted rows for seq ${seqs.join(', ')} into ${table}`);
    },
    acknowledged: () => acked,
    outage: { down: () => relay.cut(), up: () => relay.restore() },
    async close() {
      clearInterval(timer);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await admin.end();
    },
  };
};
export default driver;

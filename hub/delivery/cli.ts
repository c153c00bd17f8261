// `lifeline publish status|dead-letters|replay|pause|resume`: through a running hub's API (--url, --key), or
// straight on the store named by --config (PostgreSQL; or PGlite when no hub holds it).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { LifelineError } from '../sdk/errors.ts';

const USAGE = `usage: lifeline publish status                       [--config FILE | --url URL --key KEY] [--json]
       lifeline publish dead-letters TARGET            [--limit N] [...]
       lifeline publish replay TARGET (ID... | --all)  [...]
       lifeline publish pause TARGET | resume TARGET   [...]`;

interface Ops {
  status(): Promise<Array<Record<string, unknown>>>;
  deadLetters(target: string, limit: number): Promise<Array<Record<string, unknown>>>;
  replay(target: string, ids: string[] | 'all'): Promise<string[]>;
  pause(target: string, paused: boolean): Promise<void>;
  close(): Promise<void>;
}

function apiOps(url: string, key: string): Ops {
  const call = async (method: string, path: string) => {
    const res = await fetch(new URL(path, url), { method, headers: { authorization: `Bearer ${key}` } });
    const body = await res.json() as Record<string, unknown>;
    if (!res.ok) throw new LifelineError(String(body.code ?? 'INTERNAL'), String(body.message ?? res.statusText));
    return body;
  };
  const t = (name: string) => `/v1/publish/targets/${encodeURIComponent(name)}`;
  return {
    status: async () => (await call('GET', '/v1/publish/targets')).data as never,
    deadLetters: async (name, limit) => (await call('GET', `${t(name)}/dead-letters?limit=${limit}`)).data as never,
    async replay(name, ids) {
      if (ids === 'all') return (await call('POST', `${t(name)}/dead-letters/replay`)).replayed as string[];
      const out: string[] = [];
      for (const id of ids) out.push(...((await call('POST', `${t(name)}/dead-letters/${id}/replay`)).replayed as string[]));
      return out;
    },
    async pause(name, paused) { await call('POST', `${t(name)}/${paused ? 'pause' : 'resume'}`); },
    async close() {},
  };
}

async function storeOps(file: string): Promise<Ops> {
  const loaded = loadConfig(file);
  const { openStore } = await import('../hub.ts');
  const { migrate } = await import('../store/migrate.ts');
  const s = await import('./store.ts');
  const targets = new Map(Object.entries(loaded.config.publish?.targets ?? {}));
  const db = await openStore(loaded);
  await migrate(db);
  await s.ensureTargets(db, [...targets].map(([name, t]) => ({ name, start: t.start })));
  const need = (name: string) => {
    if (!targets.has(name)) throw new LifelineError('PUBLISH_TARGET_NOT_FOUND', `no publish target "${name}" in ${loaded.source} (configured: ${[...targets.keys()].join(', ') || 'none'})`);
  };
  return {
    async status() {
      return (await s.targetStatus(db, [...targets.keys()])).map((r) => ({
        name: r.target, type: targets.get(r.target)!.type,
        state: targets.get(r.target)!.enabled === false ? 'disabled' : r.paused ? 'paused' : (r.head_attempt ?? 0) > 0 ? 'retrying' : 'running',
        backlog: r.pending_observations + r.unbatched_observations, pending_batches: r.pending_batches,
        lag_seconds: r.oldest_ms === null ? 0 : Math.round((r.now_ms - r.oldest_ms) / 100) / 10,
        attempts: r.head_attempt ?? 0, last_error: r.head_error, dead_letters: r.dead_letters,
      }));
    },
    async deadLetters(name, limit) { need(name); return (await s.deadLetters(db, name, undefined, limit)) as never; },
    async replay(name, ids) {
      need(name);
      const done = await s.replayDead(db, name, ids);
      if (ids !== 'all' && !done.length) throw new LifelineError('PUBLISH_DEAD_LETTER_NOT_FOUND', `target "${name}" has no dead-lettered batch ${ids.join(', ')}`);
      return done;
    },
    async pause(name, paused) { need(name); await s.setPaused(db, name, paused); },
    close: () => db.close(),
  };
}

export async function publishCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    config: { type: 'string', short: 'c' }, url: { type: 'string' }, key: { type: 'string' },
    json: { type: 'boolean' }, all: { type: 'boolean' }, limit: { type: 'string', default: '50' },
  } });
  const [cmd, target, ...ids] = positionals;
  if (!cmd || !['status', 'dead-letters', 'replay', 'pause', 'resume'].includes(cmd)) { console.error(USAGE); return 2; }
  if (cmd !== 'status' && !target) { console.error(`lifeline publish ${cmd}: name the target\n\n${USAGE}`); return 2; }
  if (cmd === 'replay' && !values.all && !ids.length) { console.error('lifeline publish replay: give dead-letter ids or --all'); return 2; }
  if (!values.url && !values.config) { console.error(`lifeline publish: give --config FILE (store) or --url URL --key KEY (API)\n\n${USAGE}`); return 2; }
  const key = values.key ?? process.env.LIFELINE_API_KEY;
  if (values.url && !key) { console.error('lifeline publish: --url needs --key (or LIFELINE_API_KEY)'); return 2; }
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) { console.error('--limit: a positive integer'); return 2; }
  const ops = values.url ? apiOps(values.url, key!) : await storeOps(values.config!);
  try {
    switch (cmd) {
      case 'status': {
        const rows = await ops.status();
        if (values.json) { console.log(JSON.stringify(rows, null, 2)); break; }
        if (!rows.length) { console.log('no publish targets configured'); break; }
        const head = ['target', 'type', 'state', 'backlog', 'lag_s', 'attempts', 'dead', 'last_error'];
        const table = rows.map((r) => [r.name, r.type, r.state, r.backlog, r.lag_seconds, r.attempts, r.dead_letters, r.last_error ?? ''].map((x) => String(x)));
        const w = head.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)));
        for (const r of [head, ...table]) console.log(r.map((x, k) => (k < r.length - 1 ? x.padEnd(w[k]!) : x)).join('  '));
        break;
      }
      case 'dead-letters': {
        const rows = await ops.deadLetters(target!, limit);
        if (values.json) { console.log(JSON.stringify(rows, null, 2)); break; }
        if (!rows.length) { console.log(`${target}: no dead letters`); break; }
        for (const r of rows) console.log(`${r.id}  ${r.count} observations  key ${r.idempotency_key}  attempts ${r.attempt}  ${r.last_error ?? ''}`);
        break;
      }
      case 'replay': {
        const done = await ops.replay(target!, values.all ? 'all' : ids);
        console.log(`${target}: ${done.length} batch(es) queued again, first in line: ${done.join(', ') || 'none'}`);
        break;
      }
      default:
        await ops.pause(target!, cmd === 'pause');
        console.log(`${target}: ${cmd === 'pause' ? 'paused' : 'resumed'}`);
    }
  } finally {
    await ops.close();
  }
  return 0;
}

// `lifeline publish status|dead-letters|replay|pause|resume`: through a running hub's API (--url, --key), or
// straight on the store named by --config (PostgreSQL; or PGlite when no hub holds it).
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { LifelineError } from '../sdk/errors.ts';
import { targetStatusOf, type PublishStatus } from './status.ts';

const USAGE = `usage: lifeline publish status                       [--config FILE | --url URL --key KEY] [--json]
       lifeline publish dead-letters TARGET            [--limit N] [...]
       lifeline publish replay TARGET (ID... | --all)  [...]
       lifeline publish pause TARGET | resume TARGET   [...]`;

interface Ops {
  /** The body of GET /v1/publish/targets, whichever way it is reached. */
  status(): Promise<PublishStatus>;
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
    status: async () => (await call('GET', '/v1/publish/targets')) as unknown as PublishStatus,
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
  const { resolvePublish, STREAM_TOPIC } = await import('./targets.ts');
  const settings = await resolvePublish(loaded.config.publish, loaded.baseDir, process.env);
  const targets = new Map(settings.targets.map((t) => [t.name, t]));
  const db = await openStore(loaded);
  await migrate(db);
  await s.ensureTargets(db, [...targets].map(([name, t]) => ({ name, start: t.start })));
  const need = (name: string) => {
    if (!targets.has(name)) throw new LifelineError('PUBLISH_TARGET_NOT_FOUND', `no publish target "${name}" in ${loaded.source} (configured: ${[...targets.keys()].join(', ') || 'none'})`);
  };
  return {
    // The API's shape and rules (status.ts); this process delivers nothing, so delivered_since_start is 0.
    async status() {
      const rows = await s.targetStatus(db, [...targets.keys()], [...targets.values()].map((t) => STREAM_TOPIC[t.stream]));
      return { driver: targets.size ? settings.driver : null, data: rows.map((r) => targetStatusOf(r, targets.get(r.target)!, 0)) };
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
        const body = await ops.status();
        if (values.json) { console.log(JSON.stringify(body, null, 2)); break; }
        const rows = body.data;
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

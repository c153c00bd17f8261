// JSON over MQTT (QoS 1, Mosquitto 127.0.0.1:1883) into PostgreSQL, PUBACK after commit: committed readings/s.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { stringify } from 'yaml';
import { BenchUsageError } from './lib/errors.ts';
import { spawnHub } from './lib/hub-process.ts';
import { simDevice, simFields } from '../adapters/json_mqtt/sim/publish.ts';

const TARGET = 20_000;
const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'bench';

/** utime+stime (clock ticks, 100/s) of a process, or of every process with that command name. */
function ticks(pid?: number, comm?: string): number {
  const pids = pid ? [String(pid)] : readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  let sum = 0;
  for (const p of pids) {
    let stat: string;
    try { stat = readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
    const close = stat.lastIndexOf(')');
    if (comm && stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
    const f = stat.slice(close + 2).split(' ');
    sum += Number(f[11]) + Number(f[12]);
  }
  return sum;
}

async function startHub(dir: string, url: string, cfg: object): Promise<{ proc: ChildProcess; api: string }> {
  const file = join(dir, 'hub.yaml');
  writeFileSync(file, stringify(cfg));
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []; // a .cpuprofile of the hub
  return spawnHub(file, { LIFELINE_API_KEY: KEY, DATABASE_URL: url }, prof);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    seconds: { type: 'string', default: '30' }, devices: { type: 'string', default: '200' }, fields: { type: 'string', default: '10' },
    clients: { type: 'string', default: '4' }, inflight: { type: 'string', default: '25' }, help: { type: 'boolean' },
  } });
  if (values.help) { console.log('npm run bench -- json-mqtt [--seconds 30] [--devices 200] [--fields 10] [--clients 4] [--inflight 25]\n  MQTT_URL (default mqtt://127.0.0.1:1883), DATABASE_URL (admin URL of a PostgreSQL to create a database in)'); return; }
  const seconds = Number(values.seconds), devices = Number(values.devices), perMessage = Number(values.fields);
  const probe = await mqtt.connectAsync(BROKER, { reconnectPeriod: 0, connectTimeout: 3000 }).catch((e: Error) => { throw new BenchUsageError(`no MQTT broker at ${BROKER}: ${e.message}`); });
  await probe.endAsync();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect().catch((e: Error) => { throw new BenchUsageError(`no PostgreSQL at ${ADMIN_URL}: ${e.message}`); });
  const dbName = `lifeline_bench_mqtt_${process.pid}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-mqtt-'));
  const prefix = `lifeline-bench/${process.pid}`;
  const clientId = `lifeline-bench-${process.pid}`;
  const fields = simFields(perMessage);
  const registry = {
    sites: [{ code: 'BENCH', name: 'bench', domain: 'water' }],
    devices: Array.from({ length: devices }, (_, i) => ({ code: simDevice(i), site: 'BENCH', identities: [{ protocol: 'json_mqtt', key: simDevice(i) }] })),
    points: Array.from({ length: devices }, (_, i) => fields.map((f) => ({ code: `${simDevice(i)}-${f}`, device: simDevice(i), indicator: 'water.pipe_pressure', field: f }))).flat(),
  };
  console.log(`json-mqtt: ${devices} devices × ${perMessage} values per message (device-array profile), QoS 1 via ${BROKER}, PostgreSQL ${dbName}; hub and publishers in child processes`);
  const { proc: hub, api } = await startHub(dir, url, {
    data_dir: dir, server: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' }, store: { url, pool_size: 8 },
    adapters: { json_mqtt: { broker: { url: BROKER, client_id: clientId }, subscriptions: [{ topic: `${prefix}/{device}/up`, profile: 'device-array' }] } },
    registry,
  });
  const health = async () => {
    const list = await (await fetch(`${api}/v1/adapters`, { headers: { authorization: `Bearer ${KEY}` } })).json() as { data: Array<{ name: string; health: { detail: Record<string, number> } }> };
    return list.data.find((a) => a.name === 'json_mqtt')!.health.detail;
  };
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  let pub: ChildProcess | undefined;
  try {
    // Flow control: Mosquitto sends a session up to its Receive Maximum (the hub's max_in_flight, 1000)
    // unacknowledged messages, queues max_queued_messages (default 1000) more, and drops QoS 1 messages
    // past that; so the publishers stay at most WINDOW (< 1000 + 1000) messages ahead of what the hub
    // has committed and acknowledged.
    const WINDOW = 1200;
    const opts = { url: BROKER, prefix, devices, perMessage, base: Date.UTC(2025, 0, 1), clients: Number(values.clients), inflight: Number(values.inflight), messages: Number.MAX_SAFE_INTEGER, seconds };
    pub = fork(new URL('../adapters/json_mqtt/sim/publish.ts', import.meta.url).pathname, [JSON.stringify(opts)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let published = 0;
    let done: { published: number; firstAt: number; lastAt: number; cpuS: number } | undefined;
    pub.on('message', (m: { published?: number; done?: typeof done }) => { if (m.published !== undefined) published = m.published; if (m.done) done = m.done; });
    const cpu0 = { hub: ticks(hub.pid), mosq: ticks(undefined, 'mosquitto'), pg: ticks(undefined, 'postgres'), t: performance.now() };
    const t0 = Date.now();
    let last = t0;
    let received = 0;
    pub.send({ allowed: WINDOW });
    while (!done) {
      await new Promise((r) => setTimeout(r, 100));
      const h = await health();
      received = h.messages ?? 0;
      if (pub.connected) pub.send({ allowed: received - (h.unacknowledged ?? 0) + WINDOW }); // acknowledged + WINDOW
      if (Date.now() - last >= 5000) { last = Date.now(); console.log(`  … ${published.toLocaleString()} messages published, ${received.toLocaleString()} received by the hub`); if (process.env.BENCH_DEBUG) console.log(await health()); }
    }
    const expected = done.published * perMessage;
    let stored = 0, t1 = Date.now(), idleSince = 0;
    const drainBy = Date.now() + 60_000;
    while (Date.now() < drainBy) {
      const before = stored;
      stored = Number((await db.query('SELECT count(*) AS n FROM observation')).rows[0].n);
      const h = await health();
      if (stored !== before) t1 = Date.now();
      if (stored >= expected && h.in_flight === 0 && h.unacknowledged === 0) break;
      // Nothing arriving any more although readings are missing: the broker dropped messages.
      if (stored === before && h.in_flight === 0) { idleSince ||= Date.now(); if (Date.now() - idleSince > 5000) break; } else idleSince = 0;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (performance.now() - cpu0.t) / 1000 - (Date.now() - t1) / 1000;
    const cores = (a: number, b: number) => ((b - a) / 100 / wall).toFixed(2);
    const cpu = `hub ${cores(cpu0.hub, ticks(hub.pid))}, publishers ${(done.cpuS / ((done.lastAt - done.firstAt) / 1000)).toFixed(2)} (while publishing), mosquitto ${cores(cpu0.mosq, ticks(undefined, 'mosquitto'))}, postgres ${cores(cpu0.pg, ticks(undefined, 'postgres'))} cores`;
    const h = await health();
    const secs = (t1 - t0) / 1000;
    const rate = stored / secs;
    console.log(`throughput: ${done.published.toLocaleString()} messages (${expected.toLocaleString()} readings) published in ${((done.lastAt - done.firstAt) / 1000).toFixed(1)} s, all committed after ${secs.toFixed(1)} s`);
    console.log(`  ${Math.round(done.published / secs).toLocaleString()} messages/s, ${Math.round(rate).toLocaleString()} readings/s committed and acknowledged (target ≥ ${TARGET.toLocaleString()} readings/s) ${rate >= TARGET ? 'PASS' : 'BELOW TARGET'}`);
    console.log(`  stored: count(*) = ${stored.toLocaleString()} ${stored === expected ? '= readings published ✓' : `≠ readings published ${expected.toLocaleString()} ✗ FAIL`}; hub: ${h.messages} messages, ${h.readings} readings, ${h.duplicates} duplicates, ${h.quarantined + h.rejected} quarantined`);
    const hubCpuS = (ticks(hub.pid) - cpu0.hub) / 100;
    console.log(`  cpu: ${cpu} (machine: ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
    console.log(`  hub cpu per reading: ${((hubCpuS / Math.max(1, stored)) * 1e6).toFixed(1)} µs (one hub core would sustain ≈ ${Math.round(stored / Math.max(0.01, hubCpuS)).toLocaleString()} readings/s; a figure below target on a loaded machine shows here as low hub cpu)`);
    if (stored !== expected) process.exitCode = 1;
  } finally {
    pub?.kill();
    hub.kill('SIGTERM');
    await new Promise((r) => hub.once('exit', r));
    await db.end();
    const c = await mqtt.connectAsync(BROKER, { clientId, clean: true, reconnectPeriod: 0 }).catch(() => undefined); // drop the hub's session
    await c?.endAsync();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

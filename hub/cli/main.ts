// `lifeline` command line. Each command imports what it needs when it runs (`await import`), so `--help` or
// `hj212 decode` does not load the hub, fastify or node-opcua: in the compiled build (dist/) every dynamic import is a
// chunk of its own. Keep the static imports below light.
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { hubVersion } from '../version.ts';
import { isLifelineError, LifelineError } from '../sdk/errors.ts';
import { domains } from '../../schemas/generated/enums.ts';
import { notOneOf } from '../did-you-mean.ts';

const usage = `lifeline ${hubVersion} — urban lifeline data hub

Usage:
  lifeline start [--config FILE]      run the hub (no config: embedded store in ./data and a sample registry)
  lifeline check-config FILE          validate a config file; errors name the offending path
  lifeline prepare-store              build the embedded store's template (npm install does it; makes a first start fast)
  lifeline indicators [--domain D] [--json]
                                      print the indicator catalogue
  lifeline hash-key KEY               print the hash to put in api.keys[].hash
  lifeline hj212 decode FRAME [--strict] [--crc hj212|modbus|modbus_le]
                                      decode one HJ 212 frame: JSON, or the typed error with its byte offset
  lifeline sim hj212 --devices N --interval S --target HOST:PORT [--duration S] [--registry-out FILE]
                                      simulated HJ 212 stations sending to a hub (FILE: their registry, YAML)
  lifeline sim hj212 --collector --target HOST:PORT [--break crc|no_retransmission|utc|qn_repeat|drift] [--version 2017|2025]
            [--interval S] [--minute-interval S] [--hour-interval S] [--heartbeat S] [--over-time S] [--re-count N]
            [--capabilities-out FILE]    one full data collector (commands, history, resends), or broken one way
  lifeline sim modbus [--devices N] [--port P] [--port-count K] [--profile NAMES] [--registry-out FILE]
                                      simulated Modbus TCP devices (faults on cue); FILE: hub config for them
  lifeline sim opcua [--port 4840] [--items N] [--registry-out FILE] [--accept-clients] [--allow-none]
                                      OPC UA simulator (secure; user lifeline/lifeline-sim); FILE: hub config for it
  lifeline opcua pki list|trust|reject [CERT|THUMBPRINT] [--data-dir DIR]
                                      the hub's OPC UA certificates and trust lists (<data-dir>/pki)
  lifeline opcua browse opc.tcp://… [--root NODEID] [--depth N] [--out FILE]
                                      draft OPC UA items (YAML) from a server's address space
  lifeline mapping test PROFILE PAYLOAD.json [--vars k=v,...] [--json]
                                      the readings a JSON payload maps to with a mapping profile, or why not
  lifeline mapping list               the shipped mapping profiles
  lifeline upload FILE --profile P [--url URL --key KEY] [--dry-run]
                                      send a CSV/XLSX file to a hub (progress, summary); --dry-run: map it here only
  lifeline sqlpoll init-schema --url DB_URL [--table NAME] [--print]
                                      create the standard intermediate table (PostgreSQL, MySQL/MariaDB, SQL Server);
                                      --print (with --driver postgres|mysql|mssql instead of --url): print its DDL
  lifeline publish status|dead-letters|replay|pause|resume [TARGET] [--config FILE | --url URL --key KEY]
                                      upstream delivery: backlog, lag, dead letters; replay, pause, resume
  lifeline alarms list|show|board|ack|assess|dispatch|resolve|archive [ID] [--url URL --key KEY]
                                      alarms and their handling (处置闭环) through a running hub's API
  lifeline rules backtest (--point|--device|--site C) --from T --to T --rule JSON|--rule-file FILE
                                      the alarms a rule would have raised over a past window (nothing written)
  lifeline store status|retention [--dry-run]|migrate [--config FILE | --data-dir DIR] [--json]
                                      observation partitions: sizes, rows, oldest/newest, what retention drops next;
                                      apply retention now; move a pre-partition store into the partitioned layout
  lifeline conformance MODULE [--config FILE] [--json] [--out FILE]
                                      certify an adapter (path or npm name); exit 1 when a clause fails
  lifeline conformance device hj212 --listen HOST:PORT --capabilities FILE [--mn MN] [--pw PW] [--duration 15m]
            [--profile P] [--out DIR] [--key-file FILE]
                                      certify a live HJ 212 collector: the kit plays the platform; exit 0 only when
                                      every MUST clause passed (docs/certification.md)
  lifeline conformance adapter NAME|PATH [--out DIR] [--key-file FILE]
                                      adapter-contract profile: faults at the ingest boundary, ack after commit, no
                                      loss/duplicate/phantom, stop, health; the adapter's manifest names its driver
  lifeline conformance verify DIR [--key-file FILE]
                                      check a report's SHA-256 digests and HMAC-SM3 signature
  lifeline --version | --help

Environment: DATABASE_URL (PostgreSQL instead of the embedded store), REDIS_URL (BullMQ delivery), PORT, HOST,
LIFELINE_DATA_DIR, LOG_LEVEL, LIFELINE_API_KEY (the key to accept when api.keys is empty), LIFELINE_CACHE_DIR (the
embedded store template, default ~/.cache/lifeline-hub), LIFELINE_EXIT_WITH_PARENT (1/0: stop when the launching
process exits; default 1 under npm/npx, 0 otherwise).`;

/** Build the embedded store's template now (npm install runs this), so the first start copies instead of initdb. */
async function prepareStore() {
  const { ensureTemplate } = await import('../pglite-template.ts');
  const t = performance.now();
  try {
    const { dir, built } = await ensureTemplate();
    console.log(`embedded store template ${built ? `built in ${((performance.now() - t) / 1000).toFixed(1)} s` : 'already there'}: ${dir}`);
  } catch (e) {
    // Never fail an install for this: without a template the first start runs initdb itself, only slower.
    console.log(`embedded store template not built (${(e as Error).message}); the first start will take a few seconds longer`);
  }
}

async function checkConfig(args: string[]) {
  if (!args[0]) throw new Error('usage: lifeline check-config FILE');
  // The checks `start` makes before it touches the store (schema, registry, environment, adapters, publish
  // targets), all of them in one run: each one goes on with what the others left usable.
  const { source, errors, counts: n } = await (await import('../config/check.ts')).checkConfigFile(args[0]);
  if (errors.length) throw new LifelineError('CONFIG_INVALID', `${source}: ${errors.length} problem(s):\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  console.log(`${source}: OK (${n!.sites} sites, ${n!.devices} devices, ${n!.points} points, ${n!.adapters} adapters)`);
}

async function indicators(args: string[]) {
  const { values } = parseArgs({ args, options: { domain: { type: 'string' }, json: { type: 'boolean' } } });
  if (values.domain !== undefined && !domains.includes(values.domain as never)) throw new Error(`--domain: ${notOneOf('domain', values.domain, domains)}`);
  const { loadCatalogue } = await import('../registry/catalogue.ts');
  const list = loadCatalogue().filter((i) => !values.domain || i.domain === values.domain);
  if (values.json) { console.log(JSON.stringify(list, null, 2)); return; }
  const rows = list.map((i) => [i.code, i.unit, i.range ? `${i.range.min ?? ''}..${i.range.max ?? ''}` : '', i.resolution?.toString() ?? '', `${i.name.zh} / ${i.name.en}`]);
  const head = ['code', 'unit', 'range', 'resolution', 'name'];
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((x, k) => (k < r.length - 1 ? x.padEnd(w[k]!) : x)).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`\n${list.length} indicators`);
}

async function conformance(args: string[]) {
  if (args[0] === 'device') { process.exitCode = await (await import('../../conformance/cli.ts')).deviceCommand(args.slice(1)); return; }
  if (args[0] === 'verify') { process.exitCode = await (await import('../../conformance/cli.ts')).verifyCommand(args.slice(1)); return; }
  if (args[0] === 'adapter') { process.exitCode = await (await import('../../conformance/contract/cli.ts')).adapterCommand(args.slice(1)); return; }
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } } });
  if (!positionals[0]) throw new Error('usage: lifeline conformance MODULE [--config FILE] [--json] [--out FILE]');
  const [{ runConformance, toMarkdown }, { parse }] = await Promise.all([import('../../conformance/index.ts'), import('yaml')]);
  // --config: YAML or JSON with the adapter's `config` and the `registry` its readings refer to.
  const opts = values.config ? (parse(readFileSync(values.config, 'utf8')) as Record<string, never>) : {};
  const report = await runConformance(positionals[0], { ...opts, baseDir: process.cwd() });
  const text = values.json ? JSON.stringify(report, null, 2) : toMarkdown(report);
  if (values.out) writeFileSync(values.out, text);
  console.log(text);
  if (report.failed) process.exitCode = 1;
}

async function hj212(args: string[]) {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { strict: { type: 'boolean' }, crc: { type: 'string' } } });
  if (positionals[0] !== 'decode' || positionals[1] === undefined) throw new Error("usage: lifeline hj212 decode '##0101QN=…&&1C80' [--strict] [--crc modbus_le]");
  const { decodeCommand } = await import('../../adapters/hj212/decode-cli.ts');
  const r = decodeCommand(positionals[1], { mode: values.strict ? 'strict' : 'lenient', crc: values.crc as never });
  (r.ok ? console.log : console.error)(r.output);
  if (!r.ok) process.exitCode = 1;
}

async function sim(args: string[]) {
  if (args[0] === 'hj212' && (args.includes('--collector') || args.some((a) => a.startsWith('--break')))) { process.exitCode = await (await import('../../adapters/hj212/sim/collector-cli.ts')).simCollector(args.slice(1)); return; }
  if (args[0] === 'opcua') { await (await import('../../adapters/opc_ua/sim/cli.ts')).simCommand(args.slice(1)); return; }
  if (args[0] === 'modbus') { await (await import('../../adapters/modbus_tcp/sim/cli.ts')).simModbus(args.slice(1)); return; }
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    devices: { type: 'string', default: '10' }, interval: { type: 'string', default: '30' }, target: { type: 'string', default: '127.0.0.1:9212' },
    duration: { type: 'string' }, 'registry-out': { type: 'string' }, prefix: { type: 'string', default: 'SIM' },
  } });
  if (positionals[0] !== 'hj212') throw new Error('usage: lifeline sim hj212 --devices N --interval S --target HOST:PORT [--duration S] [--registry-out FILE]');
  const devices = Number(values.devices), interval = Number(values.interval);
  const [host, port] = [values.target!.replace(/:\d+$/, ''), Number(values.target!.split(':').pop())];
  if (!Number.isInteger(devices) || devices < 1) throw new Error('--devices: a positive integer');
  if (!(interval > 0)) throw new Error('--interval: seconds > 0');
  if (!Number.isInteger(port)) throw new Error('--target: HOST:PORT');
  const { simStations, simRegistry } = await import('../../adapters/hj212/sim/stations.ts');
  if (values['registry-out']) {
    const { stringify } = await import('yaml');
    writeFileSync(values['registry-out'], stringify({ registry: simRegistry(simStations(devices, values.prefix)) }));
    console.log(`wrote the registry of ${devices} simulated stations to ${values['registry-out']} (add it to your config's registry)`);
    if (!values.duration && values.target === '127.0.0.1:9212' && !args.includes('--target')) return;
  }
  const { runSim } = await import('../../adapters/hj212/sim/run.ts');
  console.log(`sim: ${devices} stations → ${host}:${port}, every ${interval} s${values.duration ? ` for ${values.duration} s` : ' (Ctrl-C to stop)'}`);
  const st = await runSim({ devices, intervalS: interval, host, port, durationS: values.duration ? Number(values.duration) : undefined, prefix: values.prefix, log: (l) => console.log(l) });
  const rtt = st.rtt.sort((a, b) => a - b);
  const q = (p: number) => (rtt.length ? rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))]!.toFixed(1) : '-');
  console.log(`sim: ${st.sent} sent, ${st.acked} acknowledged (9014), ${st.failed} failed; round trip p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  if (st.failed) process.exitCode = 1;
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start': return await (await import('./start.ts')).start(rest);
      case 'check-config': return await checkConfig(rest);
      case 'prepare-store': return await prepareStore();
      case 'indicators': return await indicators(rest);
      case 'conformance': return await conformance(rest);
      case 'hj212': return await hj212(rest);
      case 'mapping': { const r = await (await import('../mapping/cli.ts')).mappingCommand(rest); (r.ok ? console.log : console.error)(r.output); if (!r.ok) process.exitCode = 1; return; }
      case 'upload': process.exitCode = await (await import('../uploads/cli.ts')).uploadCommand(rest); return;
      case 'sim': return await sim(rest);
      case 'store': process.exitCode = await (await import('../store/cli.ts')).storeCommand(rest); return;
      case 'alarms': process.exitCode = await (await import('../alarms/cli.ts')).alarmsCommand(rest); return;
      case 'rules': process.exitCode = await (await import('../alarms/cli.ts')).rulesCommand(rest); return;
      case 'publish': process.exitCode = await (await import('../delivery/cli.ts')).publishCommand(rest); return;
      case 'opcua': return await (await import('../../adapters/opc_ua/cli.ts')).opcuaCommand(rest);
      case 'sqlpoll': process.exitCode = await (await import('../../adapters/sql_poll/cli.ts')).sqlpollCommand(rest); return;
      case 'hash-key':
        if (!rest[0]) throw new Error('usage: lifeline hash-key KEY');
        console.log((await import('../api/auth.ts')).hashKey(rest[0]));
        return;
      case '--version': case '-v': console.log(hubVersion); return;
      case undefined: case '--help': case '-h': case 'help': console.log(usage); return;
      default: console.error(`unknown command "${cmd}"\n\n${usage}`); process.exitCode = 2;
    }
  } catch (e) {
    if (isLifelineError(e)) console.error(`error ${e.code}: ${e.message}`);
    else console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

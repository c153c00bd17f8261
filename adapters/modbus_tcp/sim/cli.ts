// `lifeline sim modbus`: serve simulated Modbus TCP devices; optionally write the hub config that polls them.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { builtinProfileNames } from '../profile.ts';
import { simAdapterConfig, simRegistry } from './devices.ts';
import { runModbusSim } from './run.ts';

export const simUsage = `usage: lifeline sim modbus [--devices N] [--port P | --ports P1,P2,… | --port P --port-count K] [--host H]
         [--profile NAME[,NAME…]] [--prefix MB] [--interval-ms MS] [--registry-out FILE] [--duration S]
         [--delay-ms MS] [--silent UNIT,…] [--exception UNIT:CODE] [--drop-every S] [--profiles-dir DIR]
  profiles: ${builtinProfileNames().join(', ')}
  --registry-out FILE   write a hub config (registry + adapters.modbus_tcp) for the simulated devices; start a hub with it
  --port-count K        listen on K consecutive ports from --port (devices spread over them, unit ids 1… per port)
  --delay-ms / --silent / --exception / --drop-every   faults on cue: delayed replies, units that never answer,
                        units answering exception CODE, every client connection dropped every S seconds`;

export async function simModbus(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    devices: { type: 'string', default: '3' }, port: { type: 'string', default: '1502' }, ports: { type: 'string' }, 'port-count': { type: 'string', default: '1' },
    host: { type: 'string', default: '127.0.0.1' }, profile: { type: 'string' }, prefix: { type: 'string', default: 'MB' },
    'interval-ms': { type: 'string', default: '1000' }, 'registry-out': { type: 'string' }, duration: { type: 'string' },
    'delay-ms': { type: 'string' }, silent: { type: 'string' }, exception: { type: 'string' }, 'drop-every': { type: 'string' },
    'profiles-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (values.help) { console.log(simUsage); return; }
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1) throw new Error(`--devices: a positive integer\n${simUsage}`);
  const base = Number(values.port), count = Number(values['port-count']);
  const ports = values.ports ? values.ports.split(',').map(Number) : Array.from({ length: count }, (_, i) => (base === 0 ? 0 : base + i)); // --port 0: any free ports
  if (ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535)) throw new Error(`--port/--ports: TCP ports\n${simUsage}`);
  if (Math.ceil(devices / ports.length) > 247) throw new Error(`${devices} devices need at least ${Math.ceil(devices / 247)} ports (247 unit ids per port): raise --port-count`);
  const profiles = (values.profile ?? 'water_pressure_transmitter,electromagnetic_flow_meter,heating_rtu').split(',').map((s) => s.trim()).filter(Boolean);
  const layout = { devices, ports, host: values.host, profiles, prefix: values.prefix, profilesDir: values['profiles-dir'] };
  const intervalMs = Number(values['interval-ms']);

  const sim = await runModbusSim(layout);
  if (values['registry-out']) {
    // Written after listening, so `--port 0` (any free port) gives the real ports in the identities.
    const config = {
      data_dir: './data-modbus-sim',
      server: { host: '127.0.0.1', port: 8080 },
      registry: simRegistry(sim.devices),
      adapters: { modbus_tcp: { ...simAdapterConfig(sim.devices, { intervalMs }), ...(values['profiles-dir'] ? { profiles_dir: values['profiles-dir'] } : {}) } },
    };
    writeFileSync(values['registry-out'], `# Hub config for ${devices} simulated Modbus TCP devices (lifeline sim modbus). Start: lifeline start --config ${values['registry-out']}\n${stringify(config)}`);
    console.log(`wrote a hub config (registry + adapters.modbus_tcp) for ${devices} simulated devices to ${values['registry-out']}`);
  }
  if (values['delay-ms']) sim.setBehaviour('*', { delayMs: Number(values['delay-ms']) });
  for (const u of (values.silent ?? '').split(',').filter(Boolean)) sim.setBehaviour(Number(u) - 1, { silent: true });
  if (values.exception) {
    const [u, code] = values.exception.split(':').map(Number);
    sim.setBehaviour(u! - 1, { exception: code || 4 });
  }
  const drop = values['drop-every'] ? setInterval(() => { sim.dropConnections(); console.log('sim: dropped every connection'); }, Number(values['drop-every']) * 1000) : undefined;
  const byPort = new Map<number, number>();
  for (const d of sim.devices) byPort.set(d.port, (byPort.get(d.port) ?? 0) + 1);
  console.log(`sim: ${devices} Modbus TCP devices (${profiles.join(', ')}) on ${values.host} ports ${[...byPort.keys()].join(', ')} (unit ids 1…${Math.max(...byPort.values())} per port)${values.duration ? ` for ${values.duration} s` : ' (Ctrl-C to stop)'}`);
  const progress = setInterval(() => console.log(`sim: ${[...sim.servers.values()].reduce((n, s) => n + s.requests, 0)} requests answered`), 10_000);
  let until: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (values.duration) until = setTimeout(done, Number(values.duration) * 1000);
  });
  clearTimeout(until);
  clearInterval(progress); clearInterval(drop);
  await sim.stop();
  console.log(`sim: stopped after ${[...sim.servers.values()].reduce((n, s) => n + s.requests, 0)} requests`);
}

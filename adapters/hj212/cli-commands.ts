// The `lifeline` commands the HJ 212 adapter adds (declared in its manifest): decode a frame, simulate stations or a
// full collector. Each imports its code when it runs, so `lifeline --help` stays light.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import type { CliCommand } from '../../hub/sdk/index.ts';

async function decode(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { strict: { type: 'boolean' }, crc: { type: 'string' } } });
  if (positionals[0] === undefined) throw new Error("usage: lifeline hj212 decode '##0101QN=…&&1C80' [--strict] [--crc modbus_le]");
  const { decodeCommand } = await import('./decode-cli.ts');
  const r = decodeCommand(positionals[0], { mode: values.strict ? 'strict' : 'lenient', crc: values.crc as never });
  (r.ok ? console.log : console.error)(r.output);
  return r.ok ? 0 : 1;
}

async function sim(args: string[]): Promise<number> {
  if (args.includes('--collector') || args.some((a) => a.startsWith('--break'))) return (await import('./sim/collector-cli.ts')).simCollector(args);
  const { values } = parseArgs({ args, options: {
    devices: { type: 'string', default: '10' }, interval: { type: 'string', default: '30' }, target: { type: 'string', default: '127.0.0.1:9212' },
    duration: { type: 'string' }, 'registry-out': { type: 'string' }, prefix: { type: 'string', default: 'SIM' },
  } });
  const devices = Number(values.devices), interval = Number(values.interval);
  const [host, port] = [values.target!.replace(/:\d+$/, ''), Number(values.target!.split(':').pop())];
  if (!Number.isInteger(devices) || devices < 1) throw new Error('--devices: a positive integer');
  if (!(interval > 0)) throw new Error('--interval: seconds > 0');
  if (!Number.isInteger(port)) throw new Error('--target: HOST:PORT');
  const { simStations, simRegistry } = await import('./sim/stations.ts');
  if (values['registry-out']) {
    const { stringify } = await import('yaml');
    writeFileSync(values['registry-out'], stringify({ registry: simRegistry(simStations(devices, values.prefix)) }));
    console.log(`wrote the registry of ${devices} simulated stations to ${values['registry-out']} (add it to your config's registry)`);
    if (!values.duration && !args.includes('--target')) return 0;
  }
  const { runSim } = await import('./sim/run.ts');
  console.log(`sim: ${devices} stations → ${host}:${port}, every ${interval} s${values.duration ? ` for ${values.duration} s` : ' (Ctrl-C to stop)'}`);
  const st = await runSim({ devices, intervalS: interval, host, port, durationS: values.duration ? Number(values.duration) : undefined, prefix: values.prefix, log: (l) => console.log(l) });
  const rtt = st.rtt.sort((a, b) => a - b);
  const q = (p: number) => (rtt.length ? rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))]!.toFixed(1) : '-');
  console.log(`sim: ${st.sent} sent, ${st.acked} acknowledged (9014), ${st.failed} failed; round trip p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  return st.failed ? 1 : 0;
}

export const hj212Commands: CliCommand[] = [
  {
    words: ['hj212', 'decode'], usage: 'FRAME [--strict] [--crc hj212|modbus|modbus_le]',
    help: 'decode one HJ 212 frame: JSON, or the typed error with its byte offset',
    run: decode,
  },
  {
    words: ['sim', 'hj212'], usage: '--devices N --interval S --target HOST:PORT [--duration S] [--registry-out FILE]\n' +
      '  | --collector --target HOST:PORT [--break crc|no_retransmission|utc|qn_repeat|drift] [--version 2017|2025]\n' +
      '    [--interval S] [--minute-interval S] [--hour-interval S] [--heartbeat S] [--over-time S] [--re-count N] [--capabilities-out FILE]',
    help: 'simulated HJ 212 stations sending to a hub (FILE: their registry, YAML); or one full data collector\n' +
      '(commands, history, resends), or one broken one way (--break)',
    run: sim,
  },
];

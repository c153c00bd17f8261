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
    // A whole hub config, like `sim modbus` and `sim opcua` write: the registry, and the HJ 212 adapter listening
    // where the stations send.
    const { stringify } = await import('yaml');
    const file = values['registry-out'];
    const config = {
      data_dir: './data-hj212-sim',
      server: { host: '127.0.0.1', port: 8080 },
      adapters: { hj212: { host, port } },
      registry: simRegistry(simStations(devices, values.prefix)),
    };
    writeFileSync(file, `# Hub config for ${devices} simulated HJ 212 stations (lifeline sim hj212). Start: lifeline start --config ${file}\n${stringify(config)}`);
    console.log(`wrote a hub config (registry + adapters.hj212 on ${host}:${port}) for ${devices} simulated stations to ${file}; start a hub with it: npx lifeline start --config ${file}`);
    if (!values.duration) return 0; // the hub it configures is not running yet
  }
  const { runSim, probeTarget } = await import('./sim/run.ts');
  const unreachable = await probeTarget(host, port);
  if (unreachable) { console.error(`sim: ${unreachable}`); return 1; }
  console.log(`sim: ${devices} stations → ${host}:${port}, every ${interval} s${values.duration ? ` for ${values.duration} s` : ' (Ctrl-C to stop)'}`);
  const st = await runSim({ devices, intervalS: interval, host, port, durationS: values.duration ? Number(values.duration) : undefined, prefix: values.prefix, log: (l) => console.log(l) });
  const rtt = st.rtt.sort((a, b) => a - b);
  const q = (p: number) => (rtt.length ? rtt[Math.min(rtt.length - 1, Math.floor(p * rtt.length))]!.toFixed(1) : '-');
  console.log(`sim: ${st.sent} sent, ${st.acked} acknowledged (9014), ${st.failed} failed; round trip p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  for (const [why, n] of st.failures) console.log(`sim: ${n} × ${why}`);
  return st.failed ? 1 : 0;
}

export const hj212Commands: CliCommand[] = [
  {
    words: ['hj212', 'decode'], usage: 'FRAME [--strict] [--crc hj212|modbus|modbus_le]',
    help: 'decode one HJ 212 frame: JSON, or the typed error with its byte offset',
    details: () => `usage: lifeline hj212 decode FRAME [--strict] [--crc hj212|modbus|modbus_le]

  Decode one frame (quote it; a trailing CRLF is added when missing) and print it as JSON, or the typed error:
  its code, the byte offset and field, the 9011 reply code a hub would answer, and the frame with a caret.
  --strict      the standard only (default: lenient, the hub's default mode, known deviations become warnings)
  --crc D       the CRC dialect a device is configured with: hj212 (default), modbus, modbus_le (lenient only)
  Exit status 0 when it decodes, 1 when it does not.`,
    run: decode,
  },
  {
    words: ['sim', 'hj212'], usage: '--devices N --interval S --target HOST:PORT [--duration S] [--registry-out FILE]\n' +
      '  | --collector --target HOST:PORT [--break crc|no_retransmission|utc|qn_repeat|drift] [--version 2017|2025]\n' +
      '    [--interval S] [--minute-interval S] [--hour-interval S] [--heartbeat S] [--over-time S] [--re-count N] [--capabilities-out FILE]',
    help: 'simulated HJ 212 stations sending to a hub (FILE: their registry, YAML); or one full data collector\n' +
      '(commands, history, resends), or one broken one way (--break)',
    details: () => `usage: lifeline sim hj212 [--devices N] [--interval S] [--target HOST:PORT] [--duration S] [--registry-out FILE] [--prefix P]
       lifeline sim hj212 --collector [--target HOST:PORT] [--break MODE] [--version 2017|2025] …

  Stations (default): N simulated data collectors, each sending a real-time upload (2011) every S seconds and a
  segmented minute upload (2051) every tenth, waiting for the 9014 of each; failures are printed once per cause.
  --devices N          stations (default 10), MNs from --prefix (default SIM)
  --interval S         seconds between two uploads of a station (default 30)
  --target HOST:PORT   the hub's HJ 212 listener (default 127.0.0.1:9212, the adapter's default port)
  --duration S         stop after S seconds and print the summary (default: until Ctrl-C)
  --registry-out FILE  write a hub config for these stations (registry + adapters.hj212 on --target) and stop
                       (with --duration: then send). Then: npx lifeline start --config FILE, and run the sim

  Collector (--collector): one full data collector that answers the platform's commands, keeps history and
  resends what was not acknowledged; --break MODE makes it wrong one way (crc, no_retransmission, utc, qn_repeat,
  drift) to see a certification fail. Options, with defaults: --interval 30 (real-time, s), --minute-interval 60,
  --hour-interval 3600, --heartbeat (60 with --version 2025, else off), --over-time 10, --re-count 3, --mn, --pw,
  --zone, --duration, --capabilities-out FILE (its capability statement, for lifeline conformance device hj212).`,
    run: sim,
  },
];

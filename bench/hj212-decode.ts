// HJ 212 codec decode speed on one core: frames/s and MB/s for a 10-factor 2011 upload (target ≥ 400,000 frames/s) and a 2051 minute upload.
//
// Each case decodes the same complete frame (bytes → Hj212Frame: length, CRC, text, header, CP items) in a
// tight loop on the main thread: a warm-up, then `rounds` runs of a fixed duration; the figure is the median.
// A third, diagnostic case feeds a 64 KiB TCP-like chunk of back-to-back 2011 frames through the Framer and
// decodes every frame (what the server does per socket read).
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { Framer, decodeFrame, encodeFrame, type BuildInput } from '../adapters/hj212/codec/index.ts';
import { BenchUsageError } from './lib/errors.ts';

const TARGET_2011 = 400_000;

const HELP = `usage: npm run bench -- hj212-decode [options]

  --seconds S     duration of each measured run (default 1)
  --rounds N      measured runs per case; the figure is the median (default 5)
  --warmup S      warm-up per case before measuring (default 1)
  --mode M        strict | lenient | both (default both)
`;

interface Options { seconds: number; rounds: number; warmup: number; modes: Array<'strict' | 'lenient'> }

function parseOptions(args: string[]): Options | undefined {
  let values;
  try {
    ({ values } = parseArgs({ args, options: {
      seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' },
      mode: { type: 'string', default: 'both' }, help: { type: 'boolean', short: 'h' },
    } }));
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`);
  }
  if (values.help) { console.log(HELP); return undefined; }
  const seconds = Number(values.seconds), rounds = Number(values.rounds), warmup = Number(values.warmup);
  if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1 || !(warmup >= 0)) throw new BenchUsageError(`--seconds, --rounds, --warmup: positive numbers\n\n${HELP}`);
  const modes = values.mode === 'both' ? ['lenient', 'strict'] as const : values.mode === 'strict' || values.mode === 'lenient' ? [values.mode] as const : undefined;
  if (!modes) throw new BenchUsageError(`--mode: strict, lenient or both\n\n${HELP}`);
  return { seconds, rounds, warmup, modes: [...modes] };
}

const MN = '010000A8900016F000169DC0';

/** A typical real-time upload from a wastewater outlet: 10 factors, Rtd + Flag, values as devices print them. */
export function frame2011(): Uint8Array {
  const values: Array<[string, string]> = [['w01018', '25.6'], ['w01019', '3.12'], ['w21003', '0.452'], ['w21011', '0.087'], ['w21001', '4.36'],
    ['w01001', '7.21'], ['w00000', '12.345'], ['w01010', '18.3'], ['w01009', '6.85'], ['w01014', '512']];
  const input: BuildInput = { qn: '20240101120000123', st: '32', cn: '2011', pw: '123456', mn: MN, ackRequested: true,
    cp: { records: [{ dataTime: '20240101120000', items: values.map(([code, v]) => ({ code, fields: { Rtd: v, Flag: 'N' } })) }] } };
  return encodeFrame(input);
}

/** A minute upload: 10 factors × Avg/Min/Max/Cou + Flag. */
export function frame2051(): Uint8Array {
  const codes = ['w01018', 'w01019', 'w21003', 'w21011', 'w21001', 'w01001', 'w00000', 'w01010', 'w01009', 'w01014'];
  const input: BuildInput = { qn: '20240101120100123', st: '32', cn: '2051', pw: '123456', mn: MN, ackRequested: true,
    cp: { records: [{ dataTime: '20240101120000', items: codes.map((code, i) => ({ code, fields: {
      Avg: (10 + i * 1.37).toFixed(2), Min: (8 + i * 1.1).toFixed(2), Max: (12 + i * 1.6).toFixed(2), Cou: (120.5 + i * 11).toFixed(1), Flag: 'N',
    } })) }] } };
  return encodeFrame(input);
}

interface Result { perSecond: number; bytesPerSecond: number; runs: number[] }

/** Calls `once` (which returns the number of frames it handled) for `seconds`; frames per second. */
function timed(once: () => number, seconds: number): number {
  const end = performance.now() + seconds * 1000;
  let frames = 0;
  const t0 = performance.now();
  let now = t0;
  while (now < end) {
    for (let k = 0; k < 256; k++) frames += once();
    now = performance.now();
  }
  return frames / ((now - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(once: () => number, bytesPerFrame: number, o: Options): Result {
  timed(once, o.warmup);
  const runs: number[] = [];
  for (let r = 0; r < o.rounds; r++) runs.push(timed(once, o.seconds));
  const perSecond = median(runs);
  return { perSecond, bytesPerSecond: perSecond * bytesPerFrame, runs };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB/s`;

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  if (!o) return;
  const f2011 = frame2011();
  const f2051 = frame2051();
  console.log(`hj212-decode: decodeFrame (length, CRC, text, header, CP items) on one core, the main thread; target ≥ ${fmt(TARGET_2011)} frames/s for the 10-factor 2011 frame`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}; ${o.rounds} runs of ${o.seconds} s after ${o.warmup} s warm-up, median`);
  console.log(`frames: 2011 = ${f2011.length} bytes (10 factors × Rtd, Flag); 2051 = ${f2051.length} bytes (10 factors × Avg, Min, Max, Cou, Flag)`);

  // sanity: what is measured decodes to what it should
  for (const mode of o.modes) {
    const a = decodeFrame(f2011, { mode }), b = decodeFrame(f2051, { mode });
    if (a.cp.records[0]!.items.length !== 10 || b.cp.records[0]!.items.length !== 10 || a.warnings.length || b.warnings.length) throw new Error('benchmark frames do not decode as expected');
  }

  const rows: Array<{ name: string; r: Result; target?: number }> = [];
  let sink = 0;
  for (const mode of o.modes) {
    const opts = { mode };
    rows.push({ name: `2011 upload, ${mode}`, target: TARGET_2011, r: measure(() => { sink += decodeFrame(f2011, opts).byteLength; return 1; }, f2011.length, o) });
    rows.push({ name: `2051 upload, ${mode}`, r: measure(() => { sink += decodeFrame(f2051, opts).byteLength; return 1; }, f2051.length, o) });
  }
  // Framer + decode over a 64 KiB chunk of back-to-back 2011 frames (lenient, like the server default)
  const per = Math.floor(65536 / f2011.length);
  const chunk = new Uint8Array(per * f2011.length);
  for (let i = 0; i < per; i++) chunk.set(f2011, i * f2011.length);
  const framer = new Framer({ mode: 'lenient', maxDataLength: 9999 });
  const streamOnce = () => {
    let n = 0;
    for (const ev of framer.push(chunk)) if (ev.type === 'frame') { sink += decodeFrame(ev.bytes, { mode: 'lenient' }).byteLength; n++; }
    return n;
  };
  const slow = { ...o, seconds: o.seconds, warmup: o.warmup };
  rows.push({ name: `Framer + decode, 64 KiB chunks (${per} frames each)`, r: measure(streamOnce, f2011.length, { ...slow, warmup: o.warmup / 4 || 0 }) });
  if (sink === 0) console.log('(sink)');

  console.log('');
  const w = Math.max(...rows.map((x) => x.name.length));
  console.log(`  ${'case'.padEnd(w)}  ${'frames/s'.padStart(10)}  ${'throughput'.padStart(11)}  target`);
  for (const { name, r, target } of rows) {
    const verdict = target === undefined ? '(no target)' : `≥ ${fmt(target)}  ${r.perSecond >= target ? 'PASS' : 'BELOW TARGET'}`;
    console.log(`  ${name.padEnd(w)}  ${fmt(r.perSecond).padStart(10)}  ${mb(r.bytesPerSecond).padStart(11)}  ${verdict}`);
  }
  console.log(`\n  runs (frames/s): ${rows.map((x) => `${x.name}: ${x.r.runs.map(fmt).join(', ')}`).join('; ')}`);
}

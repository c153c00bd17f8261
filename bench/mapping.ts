// Mapping engine speed on one core: readings/s for each shipped profile (target ≥ 30,000 readings/s, the hub's ingest target, so mapping is never the bottleneck).
//
// Each case maps the same payload (JSONata profile → SourceReadings, expressions compiled once) in a loop
// on the main thread: a warm-up, then `rounds` runs of a fixed duration; the figure is the median. The
// device-array case is a vendor-cloud message of 20 devices × 5 values (100 readings); the others map the
// shipped example payloads.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadProfile } from '../hub/mapping/index.ts';
import { BenchUsageError } from './lib/errors.ts';

const TARGET = 30_000;
const HELP = `usage: npm run bench -- mapping [--seconds S] [--rounds N] [--warmup S]`;

function bigDeviceArray(): unknown {
  return {
    msgId: 'bench', time: '2026-11-25 10:00:00',
    devices: Array.from({ length: 20 }, (_, d) => ({
      sn: `MH-${String(d).padStart(4, '0')}`,
      data: ['level', 'battery', 'temp', 'rssi', 'cover'].map((code, i) => ({ code, value: String(10 + d + i / 10), unit: 'cm' })),
    })),
  };
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '5' }, warmup: { type: 'string', default: '0.5' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return 0; }
  const seconds = Number(values.seconds), rounds = Number(values.rounds), warmup = Number(values.warmup);
  if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1 || !(warmup >= 0)) throw new BenchUsageError(HELP);

  const example = (n: string) => JSON.parse(readFileSync(new URL(`../hub/mapping/profiles/${n}.example.json`, import.meta.url), 'utf8'));
  const cases = [
    { name: 'device-array (20 devices × 5 values)', profile: 'device-array', payload: bigDeviceArray() },
    { name: 'flat-reading (example)', profile: 'flat-reading', payload: example('flat-reading') },
    { name: 'senml (example)', profile: 'senml', payload: example('senml') },
    { name: 'name-keyed (example)', profile: 'name-keyed', payload: example('name-keyed') },
  ];
  console.log(`mapping benchmark: readings/s on one core (median of ${rounds} × ${seconds} s); target ≥ ${TARGET.toLocaleString()} readings/s`);
  let allPass = true;
  for (const c of cases) {
    const p = loadProfile(c.profile, undefined, { protocol: 'json_http' });
    const per = (await p.map({ payload: c.payload, receivedAt: 1795572000000 })).readings.length;
    const loop = async (ms: number) => {
      const end = performance.now() + ms;
      let n = 0;
      const t0 = performance.now();
      while (performance.now() < end) { await p.map({ payload: c.payload, receivedAt: 1795572000000 }); n += per; }
      return n / ((performance.now() - t0) / 1000);
    };
    await loop(warmup * 1000);
    const rates: number[] = [];
    for (let i = 0; i < rounds; i++) rates.push(await loop(seconds * 1000));
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)]!;
    const pass = median >= TARGET;
    allPass &&= pass;
    console.log(`  ${c.name.padEnd(38)} ${Math.round(median).toLocaleString().padStart(9)} readings/s  (${per} per payload)  ${pass ? 'PASS' : 'BELOW TARGET'}`);
  }
  console.log(allPass ? 'PASS' : 'BELOW TARGET (other load on the machine lowers this figure; re-run on an idle machine)');
  return 0;
}

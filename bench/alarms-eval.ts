// The alarm evaluator alone: CPU per 1,000 readings of evaluate() on 10,000 points × 3 rules, quiet and amid ingest-like garbage (diagnostic of `bench alarms`).
//
// No store and no ingest: the hub thread's own work on the rules, which `npm run bench -- alarms` sees only beside
// everything else (where it is about 2–3.5 ms per 1,000 readings of the hub's CPU, 2026-12-05). --points points of
// water.pipe_pressure carry the same 3 rules as that bench (threshold, rate_of_change over 60 s, stuck over 30
// readings); each step evaluates --step readings of a random walk (one reading per point per second of data time, as
// there) through evaluate() and Batch.flush() on a store that answers no rows and keeps nothing (the rule states stay
// in the step's book, as in a hub that evaluates alone). Two modes, rounds alternating:
//   - quiet: nothing else happens between steps;
//   - garbage: between steps, --garbage small objects per step are made and kept for one step, as ingest's rows are
//     (what moved the evaluator's cost most in the hub: docs/alarms.md, fourth and eighth passes).
// Each mode runs once more without evaluate() (the walk and the garbage alone); the figure is the process CPU with the
// evaluator minus without, per 1,000 readings, and the wall time of evaluate() itself. No target of its own: the
// target is `npm run bench -- alarms` (≥ 85 %), in which these milliseconds are the rules' share of the hub.
import { parseArgs } from 'node:util';
import { catalogueByCode } from '../hub/registry/catalogue.ts';
import type { PointEntry, Registry } from '../hub/registry/registry.ts';
import { RuleBook } from '../hub/alarms/rules.ts';
import { evaluate, type Obs } from '../hub/alarms/evaluate.ts';
import { Batch, StateBook } from '../hub/alarms/batch.ts';
import type { Queryable } from '../hub/store/driver.ts';
import { BenchUsageError } from './lib/errors.ts';
import { benchRules } from './lib/alarm-rules.ts';

/** A store that answers no rows and keeps nothing: the evaluator's CPU alone. */
const noStore: Queryable = { query: async () => ({ rows: [] }) } as unknown as Queryable;

interface Result { evalMs: number; cpuMs: number }

async function phase(points: number, steps: number, stepSize: number, garbage: number, withEval: boolean): Promise<Result> {
  const cat = catalogueByCode();
  const indicator = cat.get('water.pipe_pressure')!;
  const list: PointEntry[] = Array.from({ length: points }, (_, i) => ({
    id: i + 1, code: `P${i}`, doc: {} as never, indicator,
    device: { id: 1 + (i % 100), code: `D${i % 100}`, doc: {} as never, site: { id: 1, code: 'S', doc: {} as never } },
  }));
  const registry = { pointById: new Map(list.map((p) => [p.id, p])) } as unknown as Registry;
  const ctx = { registry: () => registry, rules: new RuleBook(benchRules('S')) };
  const book = new StateBook();
  const v = new Float64Array(points).fill(0.4);
  let p = 0, second = 0;
  const held: unknown[] = [];
  const warm = Math.ceil(2 * points / stepSize); // every state made and its window filled before timing
  let evalMs = 0, cpu0 = process.cpuUsage();
  for (let s = 0; s < warm + steps; s++) {
    if (s === warm) { evalMs = 0; cpu0 = process.cpuUsage(); }
    const obs: Obs[] = [];
    for (let i = 0; i < stepSize; i++) {
      v[p] = Math.min(0.7, Math.max(0.2, v[p]! + (Math.random() - 0.5) * 0.02));
      obs.push({ pointId: p + 1, timeMs: second * 1000 + p, value: Math.round(v[p]! * 1000) / 1000, sourceFlag: 'N', kind: 'rtd', flags: [] });
      p = (p + 1) % points;
      if (p === 0) second++;
    }
    for (let g = 0; g < garbage; g++) held.push({ text: `row ${g}`, flags: [g], nested: { at: g } });
    if (held.length > 2 * garbage) held.splice(0, garbage);
    if (!withEval) continue;
    const t0 = performance.now();
    const b = new Batch(noStore, book);
    await evaluate(b, ctx, obs);
    await b.flush();
    evalMs += performance.now() - t0;
  }
  const c = process.cpuUsage(cpu0);
  const per = (ms: number) => ms / (steps * stepSize / 1000);
  return { evalMs: per(evalMs), cpuMs: per((c.user + c.system) / 1000) };
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, strict: true, options: {
    points: { type: 'string', default: '10000' }, steps: { type: 'string', default: '100' }, step: { type: 'string', default: '5000' },
    garbage: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' },
  } });
  const n = (k: keyof typeof values) => {
    const x = Number(values[k]);
    if (!Number.isInteger(x) || x < 0 || (k !== 'garbage' && x === 0)) throw new BenchUsageError(`--${k} must be a ${k === 'garbage' ? 'non-negative' : 'positive'} integer, got ${values[k]}`);
    return x;
  };
  const points = n('points'), steps = n('steps'), stepSize = n('step'), garbage = n('garbage'), rounds = n('rounds');
  console.log(`evaluator alone: ${points.toLocaleString()} points × 3 rules, ${steps} steps of ${stepSize.toLocaleString()} readings a phase, ${rounds} rounds`);
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [mode, g] of [['quiet', 0], ['garbage', garbage]] as const) {
    const cost: number[] = [], wall: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [false, true] : [true, false];
      const out = new Map<boolean, Result>();
      for (const withEval of order) out.set(withEval, await phase(points, steps, stepSize, g, withEval));
      cost.push(out.get(true)!.cpuMs - out.get(false)!.cpuMs);
      wall.push(out.get(true)!.evalMs);
    }
    console.log(`${mode.padEnd(7)}${mode === 'garbage' ? ` (${g.toLocaleString()} objects a step)` : ''}: evaluator CPU ${med(cost).toFixed(2)} ms per 1,000 readings `
      + `(rounds ${cost.map((x) => x.toFixed(2)).join(', ')}); evaluate() + flush() ${med(wall).toFixed(2)} ms per 1,000 (no target: see npm run bench -- alarms)`);
  }
}

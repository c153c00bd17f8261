// `lifeline sim hj212 --collector`: one simulated data collector against a platform (or the conformance kit).
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { SimCollector, collectorStatement, BREAK_MODES, type BreakMode, type CollectorOptions } from './collector.ts';

export async function simCollector(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: {
    collector: { type: 'boolean' }, target: { type: 'string', default: '127.0.0.1:9212' }, break: { type: 'string' }, version: { type: 'string', default: '2017' },
    mn: { type: 'string' }, pw: { type: 'string' }, zone: { type: 'string' }, interval: { type: 'string' }, 'minute-interval': { type: 'string' }, 'hour-interval': { type: 'string' },
    heartbeat: { type: 'string' }, 'over-time': { type: 'string' }, 're-count': { type: 'string' }, drift: { type: 'string' }, duration: { type: 'string' },
    'capabilities-out': { type: 'string' },
  } });
  if (values.break !== undefined && !BREAK_MODES.includes(values.break as BreakMode)) throw new Error(`--break: one of ${BREAK_MODES.join(', ')}`);
  if (values.version !== '2017' && values.version !== '2025') throw new Error('--version: 2017 or 2025');
  const m = /^(.*):(\d+)$/.exec(values.target!);
  if (!m) throw new Error('--target: HOST:PORT');
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n >= 0)) throw new Error(`--${name}: a number ≥ 0`);
    return n;
  };
  const o: CollectorOptions = {
    host: m[1]!, port: Number(m[2]), mn: values.mn, pw: values.pw, zone: values.zone, version: values.version, breakMode: values.break as BreakMode | undefined,
    rtdS: num('interval', values.interval), minuteS: num('minute-interval', values['minute-interval']), hourS: num('hour-interval', values['hour-interval']),
    heartbeatS: num('heartbeat', values.heartbeat), overTimeS: num('over-time', values['over-time']), reCount: num('re-count', values['re-count']), drift: num('drift', values.drift),
  };
  if (values['capabilities-out']) {
    writeFileSync(values['capabilities-out'], stringify(collectorStatement(o)));
    console.log(`sim: wrote the collector's capability statement to ${values['capabilities-out']}`);
  }
  const sim = new SimCollector(o);
  try { await sim.start(); } catch (e) { console.error(`sim: cannot connect to ${values.target}: ${(e as Error).message}`); return 1; }
  console.log(`sim: collector ${o.mn ?? 'SIM'} → ${values.target}${o.breakMode ? ` (broken: ${o.breakMode})` : ''}; Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    const dur = num('duration', values.duration);
    const timer = dur ? setTimeout(resolve, dur * 1000) : undefined;
    process.once('SIGINT', () => { clearTimeout(timer); resolve(); });
    process.once('SIGTERM', () => { clearTimeout(timer); resolve(); });
  });
  sim.stop();
  console.log(`sim: ${sim.stats.sent} uploads, ${sim.stats.acked} acknowledged, ${sim.stats.failed} unanswered, ${sim.stats.commands} requests answered`);
  return 0;
}

// `lifeline conformance device modbus`: read a live Modbus TCP device point by point against its register map,
// probe an unmapped address, judge values against the indicator catalogue and the declared byte orders, time every
// answer, and return the sealed report with its evidence log (every frame sent and received, in hex).
import { basename, dirname, extname } from 'node:path';
import { LifelineError } from '../../../hub/sdk/errors.ts';
import { catalogueByCode } from '../../../hub/registry/catalogue.ts';
import { conversion, applyConversion } from '../../../hub/units/convert.ts';
import { loadProfile, type Profile, type ProfilePoint } from '../../../adapters/modbus_tcp/profile.ts';
import { decodeRegisters, scaleValue } from '../../../adapters/modbus_tcp/codec/registers.ts';
import { planReads } from '../../../adapters/modbus_tcp/codec/plan.ts';
import { configSchema } from '../../../adapters/modbus_tcp/manifest.ts';
import { BYTE_ORDERS, isBitFunction, registerCount, type ByteOrder } from '../../../adapters/modbus_tcp/codec/types.ts';
import { failed, passed, warned, type Evidence, type Outcome } from '../../model.ts';
import { EvidenceLog, listSome, productStatement, quantile, sealLive, type LiveRun } from '../../live/report.ts';
import { KitModbusClient, EXCEPTION_NAMES, FC_OF, type Answer } from './client.ts';

export interface ModbusRunOptions {
  host: string;
  port: number;
  unit: number;
  /** A register-map file (YAML, the modbus_tcp device-profile format) or a built-in profile name. */
  profile: string;
  /** Reply timeout per request (default 1000 ms, the adapter's). */
  timeoutMs?: number;
  /** Times each point is read (default 3). */
  rounds?: number;
  /** An address known to be outside the device's map (holding registers unless the map has none). */
  unmapped?: number;
  /** Capability statement (product section) for the report header; else the map's vendor/model. */
  capabilities?: string;
  key?: { key: Uint8Array | string; id?: string };
  log?: (line: string) => void;
}

const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);

/** A register map by file path (YAML in the device-profile format) or built-in name. */
export function loadRegisterMap(arg: string): Profile {
  if (!/[/\\]/.test(arg) && !/\.ya?ml$/i.test(arg)) return loadProfile(arg);
  const ext = extname(arg);
  if (ext !== '.yaml') throw bad(`--profile ${arg}: a register map is a .yaml file named after its id (e.g. my_rtu.yaml with id: my_rtu)`);
  return loadProfile(basename(arg, ext), dirname(arg));
}

const key = (p: ProfilePoint) => `${p.function}:${p.address}:${isBitFunction(p.function) ? 1 : registerCount(p)}`;
const MULTI = new Set(['float32', 'float64', 'int32', 'uint32', 'int64', 'uint64']);
const catalogue = catalogueByCode();
// The adapter's own defaults (its config schema), so the kit judges the device as the hub will poll it.
const adapterDefault = (k: string) => ((configSchema.properties as Record<string, { default?: number }>)[k]?.default as number);

/** The point's value in one byte order (scaled), or the decoding error's message. */
function valueIn(p: ProfilePoint, words: number[], order: ByteOrder | undefined): number | string | Error {
  try {
    const raw = decodeRegisters(words, { ...p, ...(order ? { order } : {}) });
    return typeof raw === 'number' ? scaleValue(raw, p.scale, p.offset) : raw;
  } catch (e) { return e as Error; }
}

const isSentinel = (p: ProfilePoint, words: number[]) => {
  if (!p.sentinels?.length || isBitFunction(p.function)) return false;
  let raw: number | string;
  try { raw = decodeRegisters(words, p); } catch { return false; }
  return p.sentinels.some((s) => (s === 'NaN' || (typeof s === 'string' && /^nan$/i.test(s)) ? typeof raw === 'number' && Number.isNaN(raw) : Number(s) === raw));
};

/** Is v sane for this point: finite, not a denormal crumb, within the indicator's range (in its unit) or below 10⁹? */
function sanity(p: ProfilePoint, v: number): { sane: boolean; why?: string; converted?: number } {
  if (!Number.isFinite(v)) return { sane: false, why: Number.isNaN(v) ? 'NaN' : 'infinite' };
  if (v !== 0 && Math.abs(v) < 1e-20) return { sane: false, why: `${v} (a denormal crumb)` };
  const ind = p.indicator ? catalogue.get(p.indicator) : undefined;
  if (ind?.range && p.unit !== undefined) {
    const conv = conversion(p.unit, ind.unit, ind.lel_percent_vol);
    if (conv instanceof LifelineError) return { sane: Math.abs(v) <= 1e9, why: conv.message };
    const x = applyConversion(conv, v);
    const { min, max } = ind.range;
    if ((min !== undefined && x < min) || (max !== undefined && x > max)) return { sane: false, why: `${v} ${p.unit} = ${x} ${ind.unit}, outside ${ind.code}'s ${min ?? '−∞'}…${max ?? '∞'} ${ind.unit}`, converted: x };
    return { sane: true, converted: x };
  }
  if (Math.abs(v) > 1e9) return { sane: false, why: `${v} (|x| > 10⁹)` };
  return { sane: true };
}

/**
 * Is the declared-order value beyond any reading of this quantity (not merely out of range, which VAL-001 judges)?
 * NaN, ±∞, a denormal crumb, |x| > 10⁹, or further outside the indicator's range than 100 × its span.
 */
function absurd(p: ProfilePoint, v: number): string | undefined {
  const s = sanity(p, v);
  if (s.sane) return undefined;
  if (!Number.isFinite(v) || (v !== 0 && Math.abs(v) < 1e-20) || Math.abs(v) > 1e9) return s.why;
  const range = p.indicator ? catalogue.get(p.indicator)?.range : undefined;
  if (s.converted === undefined || range?.min === undefined || range.max === undefined) return undefined;
  const span = range.max - range.min;
  return s.converted < range.min - 100 * span || s.converted > range.max + 100 * span ? s.why : undefined;
}

export async function runModbusDevice(o: ModbusRunOptions): Promise<LiveRun> {
  const map = loadRegisterMap(o.profile);
  const timeoutMs = o.timeoutMs ?? adapterDefault('timeout_ms');
  const rounds = Math.max(1, o.rounds ?? 3);
  const statement = productStatement(o.capabilities, { vendor: map.vendor ?? 'unknown', name: map.title ?? map.id, ...(map.model ? { model: map.model } : {}), version: 'unspecified' });
  const log = new EvidenceLog();
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();
  const client = new KitModbusClient({ host: o.host, port: o.port, unit: o.unit, timeoutMs, log });
  const all: Answer[] = [];
  const ask = async (fn: ProfilePoint['function'], address: number, count: number) => { const a = await client.read(fn, address, count); all.push(a); return a; };
  log.note(`kit: register map ${map.id} (${map.points.length} points) against ${o.host}:${o.port} unit ${o.unit}; timeout ${timeoutMs} ms; ${rounds} round(s)`);
  o.log?.(`kit: reading ${o.host}:${o.port} unit ${o.unit} against ${map.id} (${map.points.length} points)`);

  const finish = () => {
    client.close();
    return sealLive({
      profile: 'modbus-device', statement, declared: new Set(['modbus']), outcomes, started, ended: Date.now(), log, key: o.key,
      subject: { kind: 'modbus-device', vendor: statement.statement.product.vendor, product: statement.statement.product.name, model: statement.statement.product.model, version: statement.statement.product.version, identity: `unit ${o.unit}, register map ${map.id}`, endpoint: `${o.host}:${o.port}` },
    });
  };

  // CONN-001: connect, then one read of the first point.
  try { await client.open(); } catch (e) {
    const n = log.add('conn', `cannot connect to ${o.host}:${o.port}: ${(e as Error).message}`);
    outcomes.set('MODBUS-CONN-001', failed(`no TCP connection to ${o.host}:${o.port}: ${(e as Error).message}`, [EvidenceLog.at(n, 'connect')]));
    return finish();
  }
  // One request per distinct (function, address, count): a bit of a status register shares the register's read.
  const points = map.points;
  const requests = [...new Map(points.map((p) => [key(p), p])).values()];
  const first = points[0]!;
  const a0 = await ask(first.function, first.address, isBitFunction(first.function) ? 1 : registerCount(first));
  if (a0.kind === 'timeout' || a0.kind === 'closed') {
    outcomes.set('MODBUS-CONN-001', failed(`unit ${o.unit} did not answer FC${FC_OF[first.function]} at ${first.address} (${a0.kind === 'timeout' ? `no answer in ${timeoutMs} ms` : a0.message}): wrong unit id, or a gateway whose serial side is down`, [EvidenceLog.at(a0.tx, 'request')]));
    return finish();
  }
  outcomes.set('MODBUS-CONN-001', passed(`connected; unit ${o.unit} answered (${a0.kind === 'data' ? 'data' : `exception ${a0.code}`}) in ${a0.ms.toFixed(1)} ms`, [EvidenceLog.at(a0.rx, 'first answer')]));

  // READ-001: every point on its own, `rounds` times.
  const answers = new Map<string, Answer[]>();
  for (let r = 0; r < rounds; r++) {
    for (const p of requests) {
      const a = await ask(p.function, p.address, isBitFunction(p.function) ? 1 : registerCount(p));
      (answers.get(key(p)) ?? answers.set(key(p), []).get(key(p))!).push(a);
    }
  }
  const fcs = [...new Set(points.map((p) => FC_OF[p.function]))].sort().map((f) => `FC${String(f).padStart(2, '0')}`);
  const readFails: Evidence[] = [];
  for (const p of points) {
    const bad1 = answers.get(key(p))!.find((a): a is Exclude<Answer, { kind: 'data' }> => a.kind !== 'data');
    if (bad1) readFails.push(EvidenceLog.at('rx' in bad1 ? bad1.rx : bad1.tx, `${p.name} (FC${FC_OF[p.function]} ${p.address}): ${bad1.kind === 'exception' ? `exception ${bad1.code} ${EXCEPTION_NAMES[bad1.code] ?? ''}` : bad1.kind === 'timeout' ? 'no answer' : bad1.message}`));
  }
  outcomes.set('MODBUS-READ-001', readFails.length
    ? failed(`${readFails.length} of ${points.length} points do not read: ${listSome(readFails.map((e) => e.text), 3)}`, readFails)
    : passed(`${points.length} points (${requests.length} requests) read ${rounds}× each with ${fcs.join(', ')}`, requests.map((p) => ({ kind: 'value' as const, event: (answers.get(key(p))![0] as { rx: number }).rx, text: `${p.name}: FC${FC_OF[p.function]} address ${p.address} × ${isBitFunction(p.function) ? 1 : registerCount(p)}` }))));

  // READ-002: the merged requests of the adapter's planner.
  const merged = planReads(map.points, { maxGapRegisters: adapterDefault('max_gap_registers'), maxGapBits: adapterDefault('max_gap_bits') }).filter((q) => q.points.length > 1 || q.count !== (isBitFunction(q.function) ? 1 : registerCount(q.points[0]!.point)));
  const mergedBad: Evidence[] = [];
  for (const q of merged) {
    const a = await ask(q.function, q.address, q.count);
    if (a.kind !== 'data') mergedBad.push(EvidenceLog.at('rx' in a ? a.rx : a.tx, `FC${FC_OF[q.function]} ${q.address}+${q.count} (${q.points.map((x) => x.point.name).join(', ')}): ${a.kind === 'exception' ? `exception ${a.code}` : a.kind}`));
  }
  outcomes.set('MODBUS-READ-002', !merged.length ? passed('the map plans into single-point requests only')
    : mergedBad.length ? failed(`${mergedBad.length} of ${merged.length} merged requests are refused (set max_gap_registers: 0 for this device, or fix its map): ${listSome(mergedBad.map((e) => e.text), 2)}`, mergedBad)
      : passed(`${merged.length} merged request(s) answered`));

  // EXC-001 / EXC-002: an address outside the map.
  const table = map.points.some((p) => p.function === 'holding_registers') ? 'holding_registers' : map.points[0]!.function;
  const end = Math.max(...map.points.filter((p) => p.function === table).map((p) => p.address + (isBitFunction(p.function) ? 1 : registerCount(p))));
  const candidates = o.unmapped !== undefined ? [o.unmapped] : [...new Set([Math.min(end, 65535), 65535])];
  let excDone = false;
  for (const addr of candidates) {
    const a = await ask(table, addr, 1);
    if (a.kind === 'exception') {
      outcomes.set('MODBUS-EXC-001', passed(`FC${FC_OF[table]} at unmapped address ${addr}: exception ${a.code} in ${a.ms.toFixed(1)} ms`, [EvidenceLog.at(a.rx, 'exception response')]));
      outcomes.set('MODBUS-EXC-002', a.code === 2 ? passed('exception 02 ILLEGAL DATA ADDRESS') : failed(`exception ${a.code} (${EXCEPTION_NAMES[a.code] ?? 'unknown'}), not 02 ILLEGAL DATA ADDRESS`, [EvidenceLog.at(a.rx, 'exception response')]));
      excDone = true; break;
    }
    if (a.kind === 'timeout' || a.kind === 'closed') {
      outcomes.set('MODBUS-EXC-001', failed(`FC${FC_OF[table]} at unmapped address ${addr}: ${a.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : `connection closed (${a.message})`}, not an exception response`, [EvidenceLog.at(a.tx, 'request')]));
      outcomes.set('MODBUS-EXC-002', failed('no exception code to judge (see MODBUS-EXC-001)'));
      excDone = true; break;
    }
    log.note(`address ${addr} answered data: it is mapped on this device`);
  }
  if (!excDone) {
    const msg = `every probed address (${candidates.join(', ')}) answered data; give an unmapped one with --unmapped ADDR`;
    outcomes.set('MODBUS-EXC-001', warned(`inconclusive: ${msg}`));
    outcomes.set('MODBUS-EXC-002', warned(`inconclusive: ${msg}`));
  }

  // ORDER-001 and VAL-001 from the values read.
  const orderFindings: Evidence[] = [], valFails: Evidence[] = [], valNotes: Evidence[] = [];
  const orderChecked: string[] = [];
  for (const p of points) {
    const reads = answers.get(key(p))!.filter((a): a is Extract<Answer, { kind: 'data' }> => a.kind === 'data');
    if (!reads.length) continue;
    let orderBad = false;
    if (MULTI.has(p.type) && !isBitFunction(p.function)) {
      orderChecked.push(p.name);
      for (const a of reads) {
        if (isSentinel(p, a.values)) continue;
        const declared = valueIn(p, a.values, undefined);
        if (typeof declared !== 'number') continue;
        const why = absurd(p, declared);
        if (why === undefined) continue;
        const others = BYTE_ORDERS.filter((x) => x !== (p.order ?? 'ABCD')).map((x) => ({ x, v: valueIn(p, a.values, x) }))
          .filter((c): c is { x: ByteOrder; v: number } => typeof c.v === 'number' && sanity(p, c.v).sane)
          .sort((m, n) => ['CDAB', 'ABCD', 'DCBA', 'BADC'].indexOf(m.x) - ['CDAB', 'ABCD', 'DCBA', 'BADC'].indexOf(n.x));
        if (!others.length) continue;
        orderBad = true;
        const regs = a.values.map((w) => `0x${w.toString(16).padStart(4, '0')}`).join(' ');
        orderFindings.push(EvidenceLog.at(a.rx, `${p.name} (${p.type} at ${p.address}, declared ${p.order ?? 'ABCD'}): registers ${regs} read ${why} in ${p.order ?? 'ABCD'}, but ${others[0]!.v}${p.unit ? ` ${p.unit}` : ''} in ${others[0]!.x}: likely order ${others[0]!.x}${others.length > 1 ? ` (also sane: ${others.slice(1).map((c) => `${c.x} ${c.v}`).join(', ')})` : ''}`, 'value'));
        break;
      }
    }
    if (orderBad) { valNotes.push({ kind: 'note', text: `${p.name}: not judged here, its byte order is wrong (MODBUS-ORDER-001)` }); continue; }
    for (const a of reads) {
      if (isSentinel(p, a.values)) { valNotes.push(EvidenceLog.at(a.rx, `${p.name}: sentinel (fault) value`, 'value')); continue; }
      const v = valueIn(p, a.values, undefined);
      if (v instanceof Error) { valFails.push(EvidenceLog.at(a.rx, `${p.name}: ${v.message}`, 'value')); break; }
      if (typeof v === 'string') continue;
      const s = sanity(p, v);
      if (!s.sane) { valFails.push(EvidenceLog.at(a.rx, `${p.name}: ${s.why}`, 'value')); break; }
    }
  }
  outcomes.set('MODBUS-ORDER-001', orderFindings.length
    ? failed(orderFindings.map((e) => e.text).join('; '), orderFindings)
    : passed(orderChecked.length ? `${orderChecked.length} multi-register point(s) sane in their declared order: ${listSome(orderChecked)}` : 'no multi-register points in the map'));
  const withInd = points.filter((p) => p.indicator && !valNotes.some((n) => n.text.startsWith(`${p.name}: not judged`))).length;
  outcomes.set('MODBUS-VAL-001', valFails.length
    ? failed(`${valFails.length} point(s) implausible: ${listSome(valFails.map((e) => e.text), 3)}`, [...valFails, ...valNotes])
    : passed(`${points.length} point(s) decode; ${withInd} with an indicator within its range${valNotes.length ? ` (${valNotes.length} note(s))` : ''}`, valNotes));

  // FRAME-001 over every data answer of the run.
  const data = all.filter((a): a is Extract<Answer, { kind: 'data' }> => a.kind === 'data');
  const malformed = data.filter((a) => a.malformed);
  outcomes.set('MODBUS-FRAME-001', malformed.length
    ? failed(`${malformed.length} of ${data.length} answers malformed: ${malformed[0]!.malformed}`, malformed.slice(0, 10).map((a) => EvidenceLog.at(a.rx, a.malformed!)))
    : passed(`${data.length} data answers well-formed`));

  // TIME-001 / TIME-002 over every request of the run.
  const timed = all.filter((a) => a.kind === 'data' || a.kind === 'exception').map((a) => a.ms);
  const timeouts = all.filter((a): a is Extract<Answer, { kind: 'timeout' }> => a.kind === 'timeout');
  const med = quantile(timed, 0.5), p95 = quantile(timed, 0.95), max = timed.length ? Math.max(...timed) : Number.NaN;
  const figures = `${timed.length} answers: median ${med.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms`;
  const expectedSilence = outcomes.get('MODBUS-EXC-001')?.status === 'fail' ? 1 : 0;
  outcomes.set('MODBUS-TIME-001', timeouts.length > expectedSilence
    ? failed(`${timeouts.length} of ${all.length} requests unanswered within ${timeoutMs} ms; ${figures}`, timeouts.slice(0, 10).map((a) => EvidenceLog.at(a.tx, 'unanswered request')))
    : passed(`${all.length} requests, ${timeouts.length ? `none unanswered but MODBUS-EXC-001's probe` : `all answered within ${timeoutMs} ms`}; ${figures}`, [{ kind: 'timing', text: figures }]));
  outcomes.set('MODBUS-TIME-002', med <= 100 && p95 <= 500 ? passed(figures, [{ kind: 'timing', text: figures }]) : failed(`${figures} (want median ≤ 100 ms, p95 ≤ 500 ms)`, [{ kind: 'timing', text: figures }]));
  log.note(`kit: ${all.length} requests; ${figures}`);
  o.log?.(`kit: done; ${figures}`);
  return finish();
}

// compileProfile: validate a profile against lifeline:mapping-profile, compile every JSONata expression
// once, and return a mapper. Mapping never throws for a bad payload: each record (or value) that cannot
// become a reading is a MappingFailure, and the good records of the same payload still map. The work per
// payload is bounded: at most MAX_VALUES_PER_PAYLOAD values (else the payload is refused as a whole,
// MAPPING_TOO_MANY_RECORDS), the first 100 failures kept, and the event loop is let run between chunks.
import type { SourceReading } from '../../schemas/generated/types.ts';
import { sourceFlags, sourceQualities, sourceQualityDefault } from '../../schemas/generated/enums.ts';
import { LifelineError } from '../sdk/errors.ts';
import { truncateText } from '../sdk/text.ts';
import { validator, fieldErrors } from '../schemas.ts';
import { isValidZone } from '../time/parse.ts';
import { timeReader, type TimeReader } from './time.ts';
import { senml } from './functions.ts';
import { compileExpr, Fail, list, single, type Expr } from './expr.ts';
import { ResultCollector, show } from './result.ts';
import type { CompiledProfile, CompileOptions, MappingInput, MappingResult } from './types.ts';

interface TimeSpec { expr: Expr; read: TimeReader; zone?: string }
interface ValueSpec {
  at: string; each?: Expr; field?: string | Expr; point?: string | Expr; value: Expr; unit?: string | Expr;
  kind?: string; flag?: string | Expr; quality?: string | Expr; time?: TimeSpec; optional: boolean;
}

const FLAGS = new Set<string>(sourceFlags);
const QUALITIES = new Set<string>(sourceQualities);
const numeric = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * Values (records × `each` items) one payload may make. A real batch upload is far below it (a 1 MB body of
 * `{"code":"level","value":1}` items is ~40,000); a body of `[1,1,1,…]` is not, and each of its items costs an
 * evaluation. Past it the whole payload is one MAPPING_TOO_MANY_RECORDS failure: the sender should split it.
 */
export const MAX_VALUES_PER_PAYLOAD = 100_000;
/** Mapping lets the event loop run after this many values: one big payload must not stall /health and every other input. */
const YIELD_EVERY = 1000;

/** Thrown inside map() when the payload has more values than MAX_VALUES_PER_PAYLOAD. */
class TooMany { constructor(readonly field: string, readonly count: string) {} }

function compileTime(t: Record<string, unknown>, path: string): TimeSpec {
  const format = (t.format as string | undefined) ?? 'auto';
  let read: TimeReader;
  try { read = timeReader(format); } catch (e) { throw new LifelineError('MAPPING_INVALID', `${path}/format: ${(e as Error).message}`, { details: { path: `${path}/format` } }); }
  const zone = t.zone as string | undefined;
  if (zone && !isValidZone(zone)) throw new LifelineError('MAPPING_INVALID', `${path}/zone: "${zone}" is not an IANA time zone`, { details: { path: `${path}/zone` } });
  return { expr: compileExpr(t.expr as string, `${path}/expr`), read, zone };
}

/** Literal key or its `_expr` twin. */
function litOrExpr(v: Record<string, unknown>, key: string, path: string): string | Expr | undefined {
  if (typeof v[`${key}_expr`] === 'string') return compileExpr(v[`${key}_expr`] as string, `${path}/${key}_expr`);
  return v[key] as string | undefined;
}

export function compileProfile(profile: unknown, opts: CompileOptions = {}): CompiledProfile {
  const validate = validator('lifeline:mapping-profile');
  if (!validate(profile)) {
    const errs = fieldErrors(validate.errors);
    throw new LifelineError('MAPPING_INVALID', `mapping profile${opts.name ? ` "${opts.name}"` : ''}: ${errs.map((e) => `${e.path} ${e.message}`).join('; ')}`, { details: { path: errs[0]!.path, errors: errs } });
  }
  const p = profile as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const name = opts.name ?? p.name ?? 'profile';
  if (p.table) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}" reads CSV/XLSX files (it has /table): use it with POST /v1/uploads or \`lifeline upload\`, not with a JSON adapter`, { details: { path: '/table' } });
  if (p.device && p.identity) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": give either /device or /identity, not both`, { details: { path: '/identity' } });
  const records = compileExpr(p.records ?? '$', '/records');
  const device = p.device ? compileExpr(p.device, '/device') : undefined;
  const identity = p.identity ? { protocol: (p.identity.protocol as string | undefined) ?? opts.protocol ?? 'json', key: compileExpr(p.identity.key, '/identity/key') } : undefined;
  const time = p.time ? compileTime(p.time, '/time') : undefined;
  const messageId = p.message_id_expr ? compileExpr(p.message_id_expr, '/message_id_expr') : undefined;
  const unitMap: Record<string, string> = p.unit_map ?? {};
  const zone = opts.timezone ?? 'Asia/Shanghai';
  if (!isValidZone(zone)) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": timezone "${zone}" is not an IANA time zone (e.g. Asia/Shanghai)`, { details: { path: '/timezone' } });
  const values: ValueSpec[] = (p.values as Record<string, unknown>[]).map((v, i) => {
    const at = `/values/${i}`;
    const spec: ValueSpec = {
      at, value: compileExpr(v.value as string, `${at}/value`), optional: v.optional === true,
      each: typeof v.each === 'string' ? compileExpr(v.each, `${at}/each`) : undefined,
      field: litOrExpr(v, 'field', at), point: litOrExpr(v, 'point', at), unit: litOrExpr(v, 'unit', at),
      flag: litOrExpr(v, 'flag', at), quality: litOrExpr(v, 'quality', at), kind: v.kind as string | undefined,
      time: v.time ? compileTime(v.time as Record<string, unknown>, `${at}/time`) : undefined,
    };
    if (!spec.field && !spec.point) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": ${at} needs field, field_expr, point or point_expr`, { details: { path: at } });
    if (spec.field && !spec.point && !device && !identity) throw new LifelineError('MAPPING_INVALID', `mapping profile "${name}": ${at} names a field but the profile has no /device or /identity to say whose`, { details: { path: at } });
    return spec;
  });

  const str = async (x: string | Expr | undefined, input: unknown, b: Record<string, unknown>): Promise<string | undefined> => {
    if (x === undefined || typeof x === 'string') return x;
    const r = single(await x.run(input, b));
    if (r === undefined || r === null || r === '') return undefined;
    if (typeof r === 'string') return r;
    if (typeof r === 'number' || typeof r === 'boolean') return String(r);
    throw new Fail('MAPPING_FAILED', x.path, `expression ${JSON.stringify(x.source)} gave ${show(r)}, not a string`);
  };
  const when = async (t: TimeSpec, input: unknown, b: Record<string, unknown>): Promise<number> => {
    const raw = single(await t.expr.run(input, b));
    if (raw === undefined || raw === null || raw === '') throw new Fail('MAPPING_BAD_TIME', t.expr.path, `no time: ${JSON.stringify(t.expr.source)} gave nothing`);
    const ms = t.read(raw, t.zone ?? zone);
    if (typeof ms === 'string') throw new Fail('MAPPING_BAD_TIME', t.expr.path, ms);
    return ms;
  };

  /** Counts the values of one payload: refuses past the bound, yields to the event loop every YIELD_EVERY. */
  const budget = () => {
    let used = 0;
    return async (n: number, field: string) => {
      const before = used;
      used += n;
      if (used > MAX_VALUES_PER_PAYLOAD) throw new TooMany(field, `${used}`);
      if (Math.floor(used / YIELD_EVERY) > Math.floor(before / YIELD_EVERY)) await new Promise<void>((r) => setImmediate(r));
    };
  };

  async function mapRecord(rec: unknown, index: number, base: Record<string, unknown>, receivedAt: number, out: ResultCollector, spend: (n: number, field: string) => Promise<void>) {
    const b = { ...base, record: rec, index };
    const fail = (f: Fail) => out.fail({ code: f.code, message: `record ${index}: ${f.message}`, field: f.field, record: index });
    const head: Partial<SourceReading> = {};
    let t: number;
    const warnings: string[] = [];
    try {
      if (device) {
        const d = await str(device, rec, b);
        if (!d) throw new Fail('MAPPING_NO_DEVICE', '/device', `no device: ${JSON.stringify(device.source)} gave nothing`);
        head.device = d;
      } else if (identity) {
        const k = await str(identity.key, rec, b);
        if (!k) throw new Fail('MAPPING_NO_DEVICE', '/identity/key', `no device key: ${JSON.stringify(identity.key.source)} gave nothing`);
        head.identity = { protocol: identity.protocol, key: k };
      }
      if (time) t = await when(time, rec, b);
      else { t = receivedAt; warnings.push('time_from_receipt'); }
      const mid = await str(messageId, rec, b);
      if (mid) head.message_id = truncateText(mid, 64); // never half a surrogate pair: that would make the record unstorable
    } catch (e) {
      if (e instanceof Fail) return fail(e);
      throw e;
    }
    for (const v of values) {
      let items: unknown[] = [rec];
      try { if (v.each) items = list(await v.each.run(rec, b)); } catch (e) { if (e instanceof Fail) { fail(e); continue; } throw e; }
      await spend(items.length, v.each?.path ?? v.at);
      for (const item of items) {
        try {
          const raw = single(await v.value.run(item, b));
          const quality = await str(v.quality, item, b);
          if (quality !== undefined && !QUALITIES.has(quality)) throw new Fail('MAPPING_BAD_VALUE', (v.quality as Expr).path ?? `${v.at}/quality`, `quality "${quality}" is not ${sourceQualities.join(', ')}`);
          let value: number | null;
          if (typeof raw === 'number' && Number.isFinite(raw)) value = raw;
          else if (typeof raw === 'string' && numeric.test(raw)) value = Number(raw);
          else if (typeof raw === 'boolean') value = raw ? 1 : 0;
          else if (raw === undefined || raw === null) {
            if (quality === 'bad') value = null;
            else if (v.optional) continue;
            else throw new Fail('MAPPING_BAD_VALUE', v.value.path, `no value: ${JSON.stringify(v.value.source)} gave nothing`);
          } else throw new Fail('MAPPING_BAD_VALUE', v.value.path, `value ${show(raw)} is not a number`);
          const r: SourceReading = { ...head, time: t! };
          const point = await str(v.point, item, b);
          if (point) { r.point = point; delete r.device; delete r.identity; }
          const field = await str(v.field, item, b);
          if (!point) {
            if (!field) throw new Fail('MAPPING_BAD_VALUE', typeof v.field === 'object' ? v.field.path : `${v.at}/field`, 'no field name');
            r.field = field;
          }
          if (v.time) r.time = await when(v.time, item, b);
          r.value = value;
          const unit = await str(v.unit, item, b);
          if (unit) r.unit = unitMap[unit] ?? unit;
          if (v.kind) r.kind = v.kind as SourceReading['kind'];
          const flag = await str(v.flag, item, b);
          if (flag !== undefined) {
            if (!FLAGS.has(flag)) throw new Fail('MAPPING_BAD_VALUE', typeof v.flag === 'object' ? v.flag.path : `${v.at}/flag`, `flag "${flag}" is not one of ${sourceFlags.join(' ')}`);
            r.flag = flag as SourceReading['flag'];
          }
          if (quality && quality !== sourceQualityDefault) r.quality = quality as SourceReading['quality'];
          if (warnings.length) r.warnings = [...warnings] as SourceReading['warnings'];
          out.readings.push(r);
        } catch (e) {
          if (e instanceof Fail) { fail(e); continue; }
          throw e;
        }
      }
    }
  }

  return {
    name,
    async map(input: MappingInput): Promise<MappingResult> {
      const receivedAt = input.receivedAt ?? Date.now();
      const out = new ResultCollector();
      const base: Record<string, unknown> = {
        payload: input.payload, vars: input.vars ?? {}, receivedAt,
        senml: (pack: unknown) => senml(pack, receivedAt),
      };
      let recs: unknown[];
      try { recs = list(await records.run(input.payload, base)); } catch (e) {
        if (!(e instanceof Fail)) throw e;
        out.fail({ code: e.code, message: e.message, field: e.field });
        return out.result();
      }
      if (!recs.length) out.fail({ code: 'MAPPING_FAILED', message: `no records: ${JSON.stringify(records.source)} gave nothing for this payload`, field: '/records' });
      const spend = budget();
      try {
        if (recs.length > MAX_VALUES_PER_PAYLOAD) throw new TooMany('/records', `${recs.length}`);
        for (let i = 0; i < recs.length; i++) await mapRecord(recs[i], i, base, receivedAt, out, spend);
      } catch (e) {
        if (!(e instanceof TooMany)) throw e;
        out.refuse({
          code: 'MAPPING_TOO_MANY_RECORDS', field: e.field,
          message: `the payload has more than ${MAX_VALUES_PER_PAYLOAD} values (records × items; ${e.field} made it ${e.count}); nothing of it was mapped: send it in smaller parts`,
        });
      }
      return out.result();
    },
  };
}

// `lifeline conformance feed --profile P --samples DIR`: map every sample with the hub's mapping engine, validate
// every reading (units, values, times and zones; with --config, through the hub's own pipeline step against the
// declared points) and report the coverage of the profile's fields and the declared points.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { LifelineError } from '../../hub/sdk/errors.ts';
import { loadProfile, resolveProfilePath, readProfile, isTableProfile } from '../../hub/mapping/load.ts';
import { tryFile } from '../../hub/uploads/try-file.ts';
import { isValidZone } from '../../hub/time/parse.ts';
import { isValidUnit } from '../../hub/units/convert.ts';
import { prepare } from '../../hub/pipeline/prepare.ts';
import type { SourceReading } from '../../schemas/generated/types.ts';
import { failed, passed, type Evidence, type Outcome } from '../model.ts';
import { EvidenceLog, listSome, productStatement, sealLive, type LiveRun } from '../live/report.ts';
import { registryFromConfig } from './registry.ts';

export interface FeedRunOptions {
  /** A shipped mapping profile name or a profile file. */
  profile: string;
  /** A folder of samples (or one sample file); default: the profile's own `examples`. */
  samples?: string;
  /** A hub config whose registry declares the feed's points. */
  config?: string;
  /** The zone the receiving hub reads wall-clock times in (default Asia/Shanghai). */
  timezone?: string;
  /** Identity protocol of the readings (default json_http). */
  protocol?: string;
  vars?: Record<string, string>;
  capabilities?: string;
  vendor?: string;
  product?: string;
  version?: string;
  key?: { key: Uint8Array | string; id?: string };
  /** The kit's clock (tests). */
  now?: number;
}

const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);
const MIN_TIME = Date.UTC(2000, 0, 1);

interface Sample { file: string; readings: SourceReading[]; failures: Array<{ code: string; message: string; where?: string }>; zoneless: number; event: number }

function sampleFiles(profileFile: string, table: boolean, samples: string | undefined): string[] {
  if (samples === undefined) {
    const ex = (readProfile(profileFile) as { examples?: string[] } | null)?.examples ?? [];
    if (!ex.length) throw bad(`--samples: the profile ${profileFile} lists no examples; give a folder of sample payloads`);
    return ex.map((f) => resolve(dirname(profileFile), f));
  }
  let st;
  try { st = statSync(samples); } catch (e) { throw bad(`--samples: ${(e as Error).message}`); }
  if (st.isFile()) return [resolve(samples)];
  const want = table ? /\.(csv|txt|tsv|xlsx)$/i : /\.json$/i;
  const files = readdirSync(samples).filter((f) => want.test(f)).sort().map((f) => resolve(join(samples, f)));
  if (!files.length) throw bad(`--samples: no ${table ? '.csv/.xlsx' : '.json'} files in ${samples}`);
  return files;
}

export async function runFeed(o: FeedRunOptions): Promise<LiveRun> {
  const zone = o.timezone ?? 'Asia/Shanghai';
  if (!isValidZone(zone)) throw bad(`--timezone: "${zone}" is not an IANA time zone`);
  const protocol = o.protocol ?? 'json_http';
  const profileFile = resolveProfilePath(o.profile);
  const table = isTableProfile(o.profile);
  const files = sampleFiles(profileFile, table, o.samples);
  const reg = o.config ? await registryFromConfig(o.config) : undefined;
  const profileName = basename(profileFile, extname(profileFile));
  const statement = productStatement(o.capabilities, { vendor: o.vendor ?? 'unknown', name: o.product ?? `feed through mapping profile ${profileName}`, version: o.version ?? 'unspecified' });
  const declared = new Set(['feed', ...(reg ? ['feed.points'] : []), ...(table ? ['feed.table'] : [])]);
  const log = new EvidenceLog();
  const outcomes = new Map<string, Outcome>();
  const started = Date.now();
  const now = o.now ?? started;
  log.note(`kit: mapping profile ${profileFile} (${table ? 'table' : 'JSON'}); ${files.length} sample(s); hub zone ${zone}; ${reg ? `points from ${o.config}` : 'no points declared (--config)'}`);

  // Map each sample in the hub's zone, and again in the "other" zone: readings whose time moves are zone-less.
  const other = zone === 'UTC' ? 'Asia/Shanghai' : 'UTC';
  const json = table ? undefined : [loadProfile(profileFile, undefined, { timezone: zone, protocol }), loadProfile(profileFile, undefined, { timezone: other, protocol })] as const;
  const samples: Sample[] = [];
  for (const file of files) {
    let readings: SourceReading[] = [], otherReadings: SourceReading[] = [];
    const failures: Sample['failures'] = [];
    try {
      if (json) {
        const payload = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as unknown;
        const [a, b] = await Promise.all(json.map((p) => p.map({ payload, vars: o.vars ?? {}, receivedAt: now })));
        readings = a!.readings; otherReadings = b!.readings;
        failures.push(...a!.failures.map((f) => ({ code: f.code, message: f.message, where: f.field })));
      } else {
        const [a, b] = await Promise.all([zone, other].map((z) => tryFile(profileFile, file, { timezone: z, keep: 100_000, validate: true })));
        readings = a!.readings; otherReadings = b!.readings;
        failures.push(...a!.failures.map((f) => ({ code: f.code, message: f.message, where: `row ${f.row}${f.column ? ` column ${f.column}` : ''}` })));
      }
    } catch (e) {
      failures.push({ code: (e as { code?: string }).code ?? 'MAPPING_FAILED', message: (e as Error).message });
    }
    const zoneless = readings.length === otherReadings.length ? readings.filter((r, i) => r.time !== otherReadings[i]!.time).length : 0;
    const event = log.note(`sample ${basename(file)}: ${readings.length} reading(s), ${failures.length} failure(s)${failures.length ? `: ${failures.slice(0, 5).map((f) => `${f.code}${f.where ? ` at ${f.where}` : ''}: ${f.message}`).join('; ')}` : ''}${zoneless ? `; ${zoneless} zone-less time(s)` : ''}`);
    samples.push({ file: basename(file), readings, failures, zoneless, event });
  }
  const at = (s: Sample, text: string): Evidence => EvidenceLog.at(s.event, text, 'note');
  const all = samples.flatMap((s) => s.readings.map((r) => ({ s, r })));

  // MAP-001
  const mapBad = samples.filter((s) => (json ? s.failures.length : s.failures.some((f) => f.where === undefined)) || !s.readings.length);
  outcomes.set('FEED-MAP-001', mapBad.length
    ? failed(`${mapBad.length} of ${samples.length} sample(s) do not map: ${listSome(mapBad.map((s) => `${s.file}: ${s.failures[0] ? `${s.failures[0].code} ${s.failures[0].message}` : 'no readings'}`), 3)}`, mapBad.map((s) => at(s, s.file)))
    : passed(`${samples.length} sample(s) → ${all.length} reading(s)`, samples.map((s) => at(s, `${s.file}: ${s.readings.length} reading(s)`))));

  if (!json) {
    const rowBad = samples.filter((s) => s.failures.some((f) => f.where !== undefined));
    const n = rowBad.reduce((k, s) => k + s.failures.length, 0);
    outcomes.set('FEED-MAP-003', rowBad.length
      ? failed(`${n} row(s) in ${rowBad.length} file(s) do not map: ${listSome(rowBad.flatMap((s) => s.failures.map((f) => `${s.file} ${f.where}: ${f.code}`)), 4)}`, rowBad.map((s) => at(s, s.file)))
      : passed(`every row of ${samples.length} file(s) maps`));
  }

  // UNIT-001, VAL-001, TIME-001, TIME-002 on the readings as mapped
  const unitBad = all.filter(({ r }) => r.unit !== undefined && r.unit !== null && !isValidUnit(r.unit));
  outcomes.set('FEED-UNIT-001', unitBad.length
    ? failed(`${unitBad.length} reading(s) with a unit the hub does not know: ${listSome([...new Set(unitBad.map(({ r }) => JSON.stringify(r.unit)))])} (add it to the profile's unit_map as a UCUM code)`, unitBad.slice(0, 5).map(({ s, r }) => at(s, `${s.file}: ${r.field} unit ${r.unit}`)))
    : passed(`${all.filter(({ r }) => r.unit).length} reading(s) with a unit, all UCUM: ${listSome([...new Set(all.map(({ r }) => r.unit).filter(Boolean) as string[])])}`));
  const valBad = all.filter(({ r }) => {
    const v = r.value ?? (r.kind && r.kind !== 'rtd' ? r.avg : undefined);
    if (v === undefined || v === null) return (r.flag ?? 'N') === 'N' && (r.quality ?? 'good') !== 'bad';
    return !Number.isFinite(v);
  });
  outcomes.set('FEED-VAL-001', valBad.length
    ? failed(`${valBad.length} reading(s) without a finite value and without a fault flag: ${listSome(valBad.map(({ s, r }) => `${s.file} ${r.device ?? r.identity?.key ?? r.point} ${r.field}`), 3)}`, valBad.slice(0, 5).map(({ s, r }) => at(s, `${r.field}: ${JSON.stringify(r.value)}`)))
    : passed(`${all.length} reading(s): values finite, or missing with a flag`));
  const fromReceipt = all.filter(({ r }) => r.warnings?.includes('time_from_receipt' as never));
  outcomes.set('FEED-TIME-001', fromReceipt.length
    ? failed(`${fromReceipt.length} reading(s) carry no time of their own (time_from_receipt): map the payload's measurement time`, fromReceipt.slice(0, 5).map(({ s }) => at(s, s.file)))
    : passed(`${all.length} reading(s) carry their measurement time`));
  const timeBad = all.filter(({ r }) => typeof r.time !== 'number' || r.time < MIN_TIME || r.time > now + 300_000);
  outcomes.set('FEED-TIME-002', timeBad.length
    ? failed(`${timeBad.length} reading(s) with a time before 2000 or in the future: ${listSome(timeBad.map(({ s, r }) => `${s.file} ${r.field} ${typeof r.time === 'number' ? new Date(r.time).toISOString() : r.time}${typeof r.time === 'number' && r.time > now ? ` (${((r.time - now) / 3_600_000).toFixed(1)} h ahead)` : ''}`), 3)}`, timeBad.slice(0, 5).map(({ s }) => at(s, s.file)))
    : passed(`${all.length} time(s) between 2000 and now`));

  // TIME-003 zone
  const zl = samples.filter((s) => s.zoneless);
  outcomes.set('FEED-TIME-003', zl.length
    ? failed(`${zl.reduce((n, s) => n + s.zoneless, 0)} reading(s) in ${zl.length} sample(s) have zone-less times (${listSome(zl.map((s) => s.file), 3)}): read as ${zone} wall-clock time; a hub in another zone would place them elsewhere. Send an offset (+08:00) or epoch time, or pin time.zone in the profile`, zl.map((s) => at(s, `${s.file}: ${s.zoneless} zone-less time(s)`)))
    : passed('every time carries its zone (offset, Z or epoch) or the profile pins one'));

  // COV-001: fixed fields of the profile
  const doc = readProfile(profileFile) as { values?: Array<{ field?: string; optional?: boolean }> } | null;
  const fixed = (doc?.values ?? []).filter((v) => typeof v.field === 'string' && !v.optional).map((v) => v.field!);
  const seenFields = new Set(all.map(({ r }) => r.field));
  const unseen = fixed.filter((f) => !seenFields.has(f));
  outcomes.set('FEED-COV-001', !fixed.length ? passed(`the profile names no fixed fields; the samples carry ${seenFields.size}: ${listSome([...seenFields].map(String))}`)
    : unseen.length ? failed(`fields the profile names but no sample carries: ${unseen.join(', ')} (${fixed.length - unseen.length}/${fixed.length} covered)`)
      : passed(`${fixed.length}/${fixed.length} fields of the profile covered: ${fixed.join(', ')}`));

  // With declared points: the hub's own pipeline step, and point coverage.
  if (reg) {
    const batch = all.map(({ r }) => r);
    const p = prepare(batch, reg, { receivedAtMs: now, timezone: zone, futureToleranceMs: 300_000, lateAfterMs: 0 });
    const q = (reasons: string[]) => p.slots.map((slot, i) => ({ slot, i })).filter(({ slot }) => 'quarantine' in slot && reasons.includes(p.quarantine[(slot as { quarantine: number }).quarantine]!.reason))
      .map(({ slot, i }) => ({ ...all[i]!, why: p.quarantine[(slot as { quarantine: number }).quarantine]! }));
    const unknown = q(['UNKNOWN_DEVICE', 'UNKNOWN_POINT']);
    outcomes.set('FEED-MAP-002', unknown.length
      ? failed(`${unknown.length} of ${all.length} reading(s) resolve to no declared point: ${listSome([...new Set(unknown.map((u) => `${u.why.reason}: ${u.why.message}`))], 3)}`, unknown.slice(0, 5).map((u) => at(u.s, u.why.message)))
      : passed(`${all.length} reading(s) resolve to declared points`));
    const units = q(['UNIT_UNKNOWN', 'UNIT_INCOMPATIBLE']);
    outcomes.set('FEED-UNIT-002', units.length
      ? failed(`${units.length} reading(s) whose unit does not convert: ${listSome([...new Set(units.map((u) => u.why.message))], 3)}`, units.slice(0, 5).map((u) => at(u.s, u.why.message)))
      : passed(`units convert to the indicators' (${p.rows.filter((r) => r.flags.includes('unit_converted')).length} converted)`));
    const more = q(['MISSING_VALUE', 'INVALID_RECORD', 'INVALID_TIME']);
    if (more.length && outcomes.get('FEED-VAL-001')!.status === 'pass') outcomes.set('FEED-VAL-001', failed(`${more.length} reading(s) rejected by the pipeline: ${listSome([...new Set(more.map((u) => `${u.why.reason}: ${u.why.message}`))], 3)}`, more.slice(0, 5).map((u) => at(u.s, u.why.message))));
    const rowOf = new Map(p.slots.map((slot, i) => [i, 'row' in slot ? p.rows[slot.row] : undefined] as const));
    const oor = all.map((x, i) => ({ ...x, row: rowOf.get(i) })).filter((x) => x.row?.flags.includes('out_of_range'));
    outcomes.set('FEED-RANGE-001', oor.length
      ? failed(`${oor.length} reading(s) outside their indicator's range: ${listSome(oor.map((x) => `${x.s.file} ${x.r.field} ${x.r.value}${x.r.unit ? ` ${x.r.unit}` : ''} → ${x.row!.value} ${x.row!.unit} (${x.row!.indicator})`), 3)}`, oor.slice(0, 5).map((x) => at(x.s, `${x.r.field} → ${x.row!.value} ${x.row!.unit}`)))
      : passed(`${p.rows.length} stored reading(s) within their indicators' ranges`));
    const future = p.rows.filter((r) => r.flags.includes('future_time'));
    if (future.length && outcomes.get('FEED-TIME-002')!.status === 'pass') outcomes.set('FEED-TIME-002', failed(`${future.length} reading(s) in the future once read in their device's zone`));
    const covered = new Set(p.rows.map((r) => r.pointId));
    const points = [...reg.points.values()];
    const missing = points.filter((pt) => !covered.has(pt.id)).map((pt) => pt.code);
    const cov = `${points.length - missing.length}/${points.length} declared point(s) covered`;
    log.note(`coverage: ${cov}${missing.length ? `; not in any sample: ${missing.join(', ')}` : ''}`);
    outcomes.set('FEED-COV-002', missing.length ? failed(`${cov}; no sample for ${listSome(missing)}`) : passed(cov));
  }
  return sealLive({
    profile: 'vendor-feed', statement, declared, outcomes, started, ended: Date.now(), log, key: o.key,
    explain: { 'feed.points': 'no points declared (give the hub config that registers them with --config)', 'feed.table': 'only for a file export (a table profile)' },
    subject: { kind: 'vendor-feed', vendor: statement.statement.product.vendor, product: statement.statement.product.name, version: statement.statement.product.version, identity: `mapping profile ${profileName}`, endpoint: `${samples.length} sample(s)${o.samples ? ` from ${o.samples}` : ' (the profile\'s examples)'}` },
  });
}


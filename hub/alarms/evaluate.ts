// The alarm evaluator's steps on the store. alarmStep follows the outbox (cursor row 'alarms' in rollup_cursor, behind
// the OutboxHorizon like the rollup roller's, plus the entries already evaluated above it in `seen`) and commits rule
// state, alarms, events with their notifications' outbox entry, and the cursor in ONE transaction, so a crash loses
// or doubles nothing. noDataTick raises no_data and device-offline alarms on the hub's
// clock. backtest runs a rule over past observations in a transaction it rolls back.
import type { Queryable, SqlDriver } from '../store/driver.ts';
import type { PointEntry, Registry } from '../registry/registry.ts';
import { byIdsWhere, spanOf, SPAN_COLS, type SpanRow } from '../store/time-span.ts';
import type { CompiledRule, GaugeRule, RuleBook } from './rules.ts';
import { indicated, step } from './threshold.ts';
import { Batch, key, type Memo, type StateRow, type Tags } from './batch.ts';

export type { StateRow } from './batch.ts';
import { packBounds } from '../store/pack.ts';

export const CURSOR = 'alarms';
/** HJ 212 source flags that never raise: maintenance, calibration. */
export const NO_RAISE_FLAGS = new Set(['M', 'C']);
/** The device-offline alarm's rule id and kind. */
export const OFFLINE_RULE = 'device_offline';
/** A rate_of_change rule keeps at most this many readings of its window, at least window/WINDOW_CAP apart (the oldest stays as the anchor). */
export const WINDOW_CAP = 32;

export interface AlarmContext {
  registry: () => Registry; rules: RuleBook; onRuleError?: (pointId: number, e: unknown) => void;
  /**
   * Rule state as this process last committed it, valid while the cursor (position and seen entries) is where this
   * process left it (no other process evaluated in between): steps then read only the states they have not seen and
   * write only those whose stored form changed.
   */
  cache?: { cursor: string; states: Map<string, StateRow> };
  /** Observations this process committed, by id: a step takes them from here instead of reading them back. */
  recent?: Map<string, Obs>;
}

/** How many committed observations `recent` keeps (the oldest go first). */
export const RECENT_CAP = 200_000;

/** Remembers rows this process committed (ingest's onCommitted). */
export function remember(recent: Map<string, Obs>, rows: ReadonlyArray<{ id: string; row: { pointId: number; timeMs: number; value: number | null; sourceFlag: string; kind: string; flags: string[] } }>): void {
  for (const { id, row } of rows) recent.set(id, { point_id: row.pointId, t: row.timeMs, value: row.value, source_flag: row.sourceFlag, kind: row.kind, flags: row.flags, n: Number(id) });
  if (recent.size > RECENT_CAP) {
    let drop = recent.size - RECENT_CAP;
    for (const k of recent.keys()) { if (drop-- <= 0) break; recent.delete(k); }
  }
}


export interface Obs { point_id: number; t: number; value: number | null; source_flag: string; kind: string; flags: string[]; /** observation id (order of readings at the same time) */ n?: number }

/**
 * What a rule measures of one reading, updating its memory: the value (threshold), the change over the window
 * (rate_of_change), the length of the run of equal values (stuck), the length of the run of bad readings (quality).
 * undefined: the reading says nothing to this rule.
 */
export function measure(rule: GaugeRule, s: { memo: Memo }, o: Obs): number | undefined {
  switch (rule.kind) {
    case 'threshold': return o.value ?? undefined;
    case 'rate_of_change': {
      if (o.value === null) return undefined;
      const w = Array.isArray(s.memo) ? s.memo : [];
      // The newest reading replaces the one before it when that one is less than window/WINDOW_CAP after its own predecessor.
      const gap = rule.windowMs / WINDOW_CAP;
      if (w.length >= 2 && w[w.length - 1]![0] - w[w.length - 2]![0] < gap) w[w.length - 1] = [o.t, o.value];
      else w.push([o.t, o.value]);
      while (w.length > 1 && w[0]![0] < o.t - rule.windowMs) w.shift();
      if (w.length > WINDOW_CAP + 1) w.splice(1, 1);
      s.memo = w;
      const d = o.value - w[0]![1];
      (s as StateRow).m = d;
      return d;
    }
    case 'stuck': {
      if (o.value === null) return undefined;
      const m = s.memo && !Array.isArray(s.memo) && 'v' in s.memo ? s.memo : undefined;
      if (m && Math.abs(o.value - m.v) <= rule.tolerance) m.n++; // in place: no object per reading
      else if (m) { m.v = o.value; m.n = 1; } else s.memo = { v: o.value, n: 1 };
      return (s.memo as { n: number }).n;
    }
    case 'quality': {
      const n = s.memo && !Array.isArray(s.memo) ? s.memo.n : 0;
      const bad = o.flags.includes('bad') || o.source_flag === 'D';
      s.memo = { n: bad ? n + 1 : 0 };
      return s.memo.n;
    }
  }
}

/** The state keys of a point's rules, made once per compiled list (a Map lookup by the same string reuses its hash). */
const keyCache = new WeakMap<CompiledRule[], string[]>();
function keysOf(rules: CompiledRule[], pointId: number): string[] {
  let k = keyCache.get(rules);
  if (!k) keyCache.set(rules, (k = rules.map((r) => key(r.id, pointId))));
  return k;
}

/** A point's readings in (time, id) order: as they come nearly always; sorted when not. */
function inOrder(l: Obs[]): void {
  for (let i = 1; i < l.length; i++) {
    const a = l[i - 1]!, b = l[i]!;
    if (a.t > b.t || (a.t === b.t && (a.n ?? 0) > (b.n ?? 0))) { l.sort((x, y) => x.t - y.t || (x.n ?? 0) - (y.n ?? 0)); return; }
  }
}

/** Runs readings through the rules of their points (per point, in time order). Points without rules cost a lookup. */
async function evaluate(b: Batch, ctx: AlarmContext, obs: Obs[], ruleFor?: (pointId: number) => CompiledRule[] | undefined): Promise<void> {
  const reg = ctx.registry();
  const byPoint = new Map<number, Obs[]>();
  for (const o of obs) { const l = byPoint.get(o.point_id); if (l) l.push(o); else byPoint.set(o.point_id, [o]); }
  const work: Array<{ p: PointEntry; rules: CompiledRule[]; keys: string[]; readings: Obs[] }> = [];
  const noDataDevices = new Set<number>();
  const unknown: Array<[string, number]> = [];
  for (const [pointId, readings] of byPoint) {
    const p = reg.pointById.get(pointId);
    if (!p) continue;
    let rules: CompiledRule[] | undefined;
    try { rules = ruleFor ? ruleFor(pointId) : ctx.rules.rulesFor(p); } catch (e) { ctx.onRuleError?.(pointId, e); continue; }
    if (!rules?.length) continue;
    inOrder(readings);
    const keys = keysOf(rules, pointId);
    for (let i = 0; i < rules.length; i++) {
      if (!b.states.has(keys[i]!)) unknown.push([rules[i]!.id, pointId]);
      if (rules[i]!.kind === 'no_data') noDataDevices.add(p.device.id);
    }
    work.push({ p, rules, keys, readings });
  }
  // Points in id order: the alarms a step raises get their ids in the same order whatever order the readings came in.
  work.sort((x, y) => x.p.id - y.p.id);
  await b.loadStates(unknown);
  const alarmIds: string[] = [];
  for (const w of work) for (const k of w.keys) { const id = b.states.get(k)?.alarmId; if (id) alarmIds.push(id); }
  await b.preload(alarmIds);
  // Data from a device that is offline clears its device alarm (at the first reading that came back).
  if (noDataDevices.size) {
    const offline = (await b.tx.query<{ id: string; device_id: number }>(`SELECT id::text AS id, device_id FROM alarm WHERE active AND kind = 'offline' AND device_id = ANY($1::int[])`, [[...noDataDevices]])).rows;
    for (const r of offline) {
      const first = obs.filter((o) => reg.pointById.get(o.point_id)?.device.id === r.device_id).reduce((m, o) => (m && m.t <= o.t ? m : o), undefined as Obs | undefined);
      if (first) await b.clearAlarm(r.id, first.t, first.value);
    }
  }
  for (const { p, rules, keys, readings } of work) {
    const pointId = p.id;
    let tags: Tags | undefined;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const s = b.stateKeyed(keys[i]!, rule.id, pointId, null, rule);
      for (const o of readings) {
        const late = s.lastMs !== null && o.t < s.lastMs;
        if (!late) s.lastMs = o.t;
        s.dirty = true;
        if (rule.kind === 'no_data') {
          if (s.alarmId) await b.clear(s, o.t, o.value); // data returned
          continue;
        }
        // Real-time readings in time order that their source does not flag maintenance/calibration.
        if (late || o.kind !== 'rtd' || NO_RAISE_FLAGS.has(o.source_flag)) continue;
        const m = measure(rule, s, o);
        if (m === undefined) continue;
        const before = s.level;
        const next = step(rule, s, m, o.t);
        if (next !== undefined) {
          tags ??= { device: p.device.id, site: p.device.site.id, indicator: p.indicator.code };
          if (before === 0) await b.raise(s, rule, tags, next, m, o.t);
          else if (next === 0) await b.clear(s, o.t, m);
          else {
            const a = await b.alarm(s.alarmId!);
            a.level = next; a.peakLevel = Math.min(a.peakLevel, next); a.dirty = true;
            await b.event(a.id, next < before ? 'escalated' : 'de_escalated', o.t, next, m);
          }
          if (before === 0 || next === 0) continue;
        }
        if (s.level !== 0 && s.alarmId && indicated(rule, m, s.level) !== 0) {
          const a = await b.alarm(s.alarmId);
          const up = rule.direction === 'upper';
          a.count++; a.latest = m; a.latestMs = Math.max(a.latestMs, o.t);
          a.peak = a.peak === null ? m : up ? Math.max(a.peak, m) : Math.min(a.peak, m);
          a.dirty = true;
        }
      }
    }
  }
}

/** The cursor row (at the outbox's start when new). */
export async function ensureAlarmCursor(db: Queryable): Promise<void> {
  await db.query('INSERT INTO rollup_cursor (name, outbox_id) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING', [CURSOR]);
}

export interface AlarmStep { observations: number; caughtUp: boolean; /** another process holds the cursor */ busy?: boolean; events: number }

const OBS_COLS = `point_id, (extract(epoch FROM time) * 1000)::float8 AS t, value, source_flag, kind, flags`;

/**
 * The observation entries of the outbox after `cursor` that are not in `seen`, in id order, whatever the horizon (all
 * visible ones are committed), about `cap` observations at most. `cut`: some were left for the next step.
 */
async function takeVisible(tx: Queryable, cap: number, asyncCommit: boolean, safeMax: string) {
  // The cursor row (locked: one evaluator at a time; SKIP LOCKED: the others move on) and the entries of every topic
  // after it, one round trip.
  const all = (await tx.query<{ c: string; seen: string; id: string | null; obs: boolean; ids: string; n: number } & SpanRow>(
    `WITH cur AS (SELECT outbox_id, seen${asyncCommit ? ", set_config('synchronous_commit', 'off', true) AS sc" : ''} FROM rollup_cursor WHERE name = $1 FOR UPDATE SKIP LOCKED)
     SELECT cur.outbox_id::text AS c, cur.seen::text AS seen, o.* FROM cur LEFT JOIN LATERAL (
       SELECT id::text AS id, topic = 'observation' AS obs, CASE WHEN topic = 'observation' THEN ref_ids::text ELSE '{}' END AS ids, count AS n, ${SPAN_COLS}
       FROM outbox WHERE id > cur.outbox_id ORDER BY outbox.id LIMIT 1000) o ON true`, [CURSOR])).rows;
  if (!all.length) return undefined;
  const cur = { c: all[0]!.c, seen: all[0]!.seen };
  const seen = new Set(parseIdArray(cur.seen));
  const rows = all[0]!.id === null ? [] : all;
  // In id order up to the first id that is missing and may still commit (above the horizon: a writer in flight, most
  // often another ingest finishing): readings of a point are evaluated in the order their batches took their entries,
  // as with the horizon alone, but without waiting for transactions that write no entry (the roller's).
  const safe = BigInt(safeMax);
  let expect = BigInt(cur.c) + 1n;
  let taken = 0, sum = 0;
  // cutAt: more entries may follow now; everything up to this id was looked at.
  let cutAt: bigint | undefined, done: bigint | undefined;
  const ids: string[] = [];
  const used: typeof rows = [];
  let gap = false;
  for (const r of rows) {
    const id = BigInt(r.id!);
    if (id > expect && expect > safe) { gap = true; break; } // a gap that may still fill
    if (r.obs && !seen.has(r.id!)) {
      if (taken && sum + r.n > cap) { cutAt = done; break; }
      if (r.ids.length > 2) for (const x of r.ids.slice(1, -1).split(',')) ids.push(x);
      sum += r.n;
      taken++;
      used.push(r);
    }
    expect = id + 1n;
    done = id;
  }
  if (!gap && cutAt === undefined && rows.length === 1000) cutAt = done;
  return { cur, ids, span: spanOf(used), entries: used.map((r) => r.id!), cut: cutAt !== undefined, cutAt };
}

const parseIdArray = (text: string): string[] => (text.length > 2 ? text.slice(1, -1).split(',') : []);

/**
 * One step, one transaction: the observation entries committed since the last step (every visible one after the
 * cursor not yet seen, about `cap` observations) evaluated; then the cursor moves up to `safeMax` (the OutboxHorizon:
 * below it nothing can commit any more) and the entries evaluated above it are kept in `seen`. So an alarm waits for
 * its own commit only, not for every transaction in flight, and each entry is evaluated exactly once.
 */
export async function alarmStep(db: SqlDriver, safeMax: string, ctx: AlarmContext, cap = 20_000): Promise<AlarmStep> {
  return db.transaction(async (tx) => {
    // What a step writes is derived from committed observations and the committed state: its commit need not wait for
    // its own WAL flush (one fsync per step less, beside ingest's). A hub crash loses nothing (the server has it); a
    // server crash may lose the last steps, which the evaluator then redoes from the state and cursor that remain.
    // Nothing of them leaves the hub first but the SSE stream: a notification's batch is built by a later,
    // synchronous commit, whose flush covers this one (docs/alarms.md, durability).
    // (Set in the step's first query: no round trip of its own.)
    // SKIP LOCKED (as the rollup roller): with several hub processes one evaluates while the others sleep.
    const take = await takeVisible(tx, cap, db.kind === 'postgres', safeMax);
    if (!take) {
      const exists = (await tx.query('SELECT 1 FROM rollup_cursor WHERE name = $1', [CURSOR])).rows.length > 0;
      return { observations: 0, caughtUp: !exists, busy: exists, events: 0 };
    }
    const { cur, ids, span, entries, cut } = take;
    const seen = parseIdArray(cur.seen);
    const position = `${cur.c}|${cur.seen}`;
    // Below safeMax every entry is committed and so was taken now or before; with some left for the next step, the
    // cursor stops at the last one taken.
    let next = BigInt(safeMax);
    if (take.cutAt !== undefined && take.cutAt < next) next = take.cutAt;
    if (next < BigInt(cur.c)) next = BigInt(cur.c);
    const nextSeen = [...seen, ...entries].filter((id) => BigInt(id) > next).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const nextPosition = `${next}|{${nextSeen.join(',')}}`;
    if (!entries.length && nextPosition === position) return { observations: 0, caughtUp: true, events: 0, commit: { cursor: position, states: ctx.cache?.cursor === position ? ctx.cache.states : new Map<string, StateRow>() } };
    let events = 0;
    // The cache holds only while the cursor is where this process left it; it is handed back only after a commit.
    const states = ctx.cache?.cursor === position ? ctx.cache.states : new Map<string, StateRow>();
    ctx.cache = undefined;
    if (ids.length) {
      // Rows this process committed come from memory; the rest (another process's, or evicted) are read back.
      const obs: Obs[] = [];
      const missing: string[] = [];
      const recent = ctx.recent;
      for (const id of ids) {
        const o = recent?.get(id);
        if (o) { obs.push(o); recent!.delete(id); } else missing.push(id);
      }
      if (missing.length) {
        const params: unknown[] = [missing];
        for (const o of (await tx.query<Obs & { id: string }>(`SELECT id::text AS id, ${OBS_COLS} FROM observation WHERE ${byIdsWhere('$1', span, params)}`, params)).rows) {
          const { id, ...rest } = o;
          rest.n = Number(id);
          obs.push(rest);
        }
      }
      // Per point in (time, id) order: evaluate() groups them and sorts a point's readings only when they are not.
      const b = new Batch(tx, states);
      await evaluate(b, ctx, obs);
      await b.flush({ name: CURSOR, next: String(next), seen: nextSeen });
      events = b.events;
    } else await new Batch(tx, states).flush({ name: CURSOR, next: String(next), seen: nextSeen });
    return { observations: ids.length, caughtUp: !cut, events, commit: { cursor: nextPosition, states } };
  }).then((r) => {
    const { commit, ...out } = r as AlarmStep & { commit?: { cursor: string; states: Map<string, StateRow> } };
    if (commit) ctx.cache = commit;
    return out;
  });
}

/**
 * no_data on the clock: a point with a no_data rule whose latest reading (its time, as the evaluator has seen it) is
 * more than intervals × expected_interval_s before `nowMs` is silent. A point never heard from is counted from the
 * first tick that saw its rule. A device of two or more points whose every point has a no_data rule and is silent is offline: one device
 * alarm (kind offline), which replaces its points' no_data alarms (inhibition: active ones clear, no new ones raise).
 * The next reading clears either. Run only when the evaluator is caught up. Returns the events written.
 */
export async function noDataTick(db: SqlDriver, nowMs: number, ctx: AlarmContext, opts: { wait?: boolean } = {}): Promise<number> {
  const reg = ctx.registry();
  type W = { rule: Extract<CompiledRule, { kind: 'no_data' }>; pointId: number; tags: Tags };
  const work: W[] = [];
  const perDevice = new Map<number, { points: Set<number>; work: W[] }>();
  for (const p of reg.pointById.values()) {
    let rules: CompiledRule[];
    try { rules = ctx.rules.rulesFor(p); } catch (e) { ctx.onRuleError?.(p.id, e); continue; }
    for (const rule of rules) {
      if (rule.kind !== 'no_data') continue;
      const w: W = { rule, pointId: p.id, tags: { device: p.device.id, site: p.device.site.id, indicator: p.indicator.code } };
      work.push(w);
      let d = perDevice.get(p.device.id);
      if (!d) perDevice.set(p.device.id, d = { points: new Set(), work: [] });
      d.points.add(p.id); d.work.push(w);
    }
  }
  if (!work.length) return 0;
  const pointsOf = new Map<number, number>();
  for (const p of reg.pointById.values()) pointsOf.set(p.device.id, (pointsOf.get(p.device.id) ?? 0) + 1);
  return db.transaction(async (tx) => {
    // One writer at a time with alarmStep; another process holding the cursor runs the check itself.
    // wait (catchUp): after the step or check holding it, so the check has surely run when this returns.
    if (!(await tx.query(`SELECT 1 FROM rollup_cursor WHERE name = $1 FOR UPDATE${opts.wait ? '' : ' SKIP LOCKED'}`, [CURSOR])).rows.length) return 0;
    const b = new Batch(tx);
    await b.loadStates(work.map((w) => [w.rule.id, w.pointId]));
    const silent = (w: W) => { const s = b.state(w.rule.id, w.pointId, nowMs); return s.lastMs !== null && nowMs - s.lastMs > w.rule.silenceMs; };
    const offlineNow = (await tx.query<{ device_id: number }>(`SELECT device_id FROM alarm WHERE active AND kind = 'offline'`)).rows.map((r) => r.device_id);
    const offline = new Set(offlineNow);
    for (const [device, d] of perDevice) {
      // A one-point device stays a point alarm: the device alarm would say nothing more.
      if (offline.has(device) || d.points.size < 2 || d.points.size !== pointsOf.get(device) || !d.work.every(silent)) continue;
      const level = Math.min(...d.work.map((w) => w.rule.level));
      const dev = reg.deviceById.get(device)!;
      await b.insertAlarm(OFFLINE_RULE, 'offline', 'device_offline', null, { device, site: dev.site.id, indicator: '' }, level, null, nowMs);
      offline.add(device);
      for (const w of d.work) {
        const s = b.state(w.rule.id, w.pointId, nowMs);
        if (s.alarmId) await b.clear(s, nowMs, null, 'device offline');
      }
    }
    for (const w of work) {
      const s = b.state(w.rule.id, w.pointId, nowMs);
      if (s.alarmId || offline.has(w.tags.device) || !silent(w)) continue;
      s.level = w.rule.level;
      await b.raise(s, w.rule, w.tags, w.rule.level, null, nowMs);
    }
    await b.flush();
    // Its raises changed states the cache holds (the cache is only read by steps of this process).
    if (b.events) ctx.cache = undefined;
    return b.events;
  });
}

export interface BacktestAlarm { point: number; first_time: string; latest_time: string; cleared_time: string | null; level: number; peak_level: number; peak_value: number | null; count: number; type: string; events: Array<{ type: string; at: string; level: number | null; value: number | null }> }

class Rollback extends Error {}

/**
 * A rule over past real-time observations of some points (from..to, time order): the alarms it would have raised,
 * evaluated by the same code as alarmStep in a transaction that is rolled back, so nothing is written. At most
 * `cap` readings (the first ones of the window).
 */
export async function backtest(db: SqlDriver, ctx: AlarmContext, rules: Map<number, CompiledRule>, fromMs: number, toMs: number, cap = 200_000): Promise<{ readings: number; truncated: boolean; alarms: BacktestAlarm[] }> {
  let out: { readings: number; truncated: boolean; alarms: BacktestAlarm[] } | undefined;
  const tag = `backtest_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e9)}`;
  const renamed = new Map([...rules].map(([p, r]) => [p, [{ ...r, id: tag } as CompiledRule]]));
  await db.transaction(async (tx) => {
    const obs = (await tx.query<Obs>(`SELECT ${OBS_COLS} FROM observation WHERE point_id = ANY($1::int[]) AND kind = 'rtd'
      AND time >= to_timestamp($2 / 1000.0) AND time < to_timestamp($3 / 1000.0) AND ${packBounds('to_timestamp($2 / 1000.0)', 'to_timestamp($3 / 1000.0)')}
      ORDER BY point_id, time, id LIMIT $4`, [[...rules.keys()], fromMs, toMs, cap + 1])).rows;
    const truncated = obs.length > cap;
    const b = new Batch(tx);
    await evaluate(b, ctx, obs.slice(0, cap), (p) => renamed.get(p));
    await b.flush();
    const alarms = (await tx.query<{ id: string; point_id: number; first_time: Date; latest_time: Date; cleared_time: Date | null; level: number; peak_level: number; peak_value: number | null; count: number; type: string }>(
      `SELECT id::text AS id, point_id, first_time, latest_time, cleared_time, level, peak_level, peak_value, count, type FROM alarm WHERE rule = $1 ORDER BY alarm.id`, [tag])).rows;
    const events = (await tx.query<{ alarm: string; type: string; at: Date; level: number | null; value: number | null }>(
      `SELECT e.alarm_id::text AS alarm, e.type, e.at, e.level, e.value FROM alarm_event e JOIN alarm a ON a.id = e.alarm_id WHERE a.rule = $1 ORDER BY e.id`, [tag])).rows;
    out = {
      readings: Math.min(obs.length, cap), truncated,
      alarms: alarms.map((a) => ({
        point: a.point_id, first_time: a.first_time.toISOString(), latest_time: a.latest_time.toISOString(), cleared_time: a.cleared_time?.toISOString() ?? null,
        level: a.level, peak_level: a.peak_level, peak_value: a.peak_value, count: a.count, type: a.type,
        events: events.filter((e) => e.alarm === a.id).map((e) => ({ type: e.type, at: e.at.toISOString(), level: e.level, value: e.value })),
      })),
    };
    throw new Rollback();
  }).catch((e) => { if (!(e instanceof Rollback)) throw e; });
  return out!;
}

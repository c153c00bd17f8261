// no_data on the hub's clock, and the device-offline alarm that replaces its points' no_data alarms
// (docs/alarms.md#no-data). Runs in the evaluator's loop when it has read everything committed.
import type { SqlDriver } from '../store/driver.ts';
import type { CompiledRule } from './rules.ts';
import { Batch, type Tags } from './batch.ts';
import { OFFLINE_RULE, type AlarmContext } from './evaluate.ts';
import { lockSteps, oneAtATime } from './step.ts';

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
  // The embedded store's steps take no lock: one at a time with them in this process (oneAtATime).
  const tick = () => db.transaction(async (tx) => {
    // One writer at a time with alarmStep (the step lock); another process holding it runs the check itself.
    // wait (catchUp): after the step or check holding it, so the check has surely run when this returns.
    if (db.kind !== 'pglite' && !(await lockSteps(tx, opts.wait ?? false))) return 0;
    const b = new Batch(tx);
    await b.loadStates(work.map((w) => [w.rule.id, w.pointId]));
    const silent = (w: W) => { const s = b.state(w.rule.id, w.pointId, nowMs); return !Number.isNaN(s.lastMs) && nowMs - s.lastMs > w.rule.silenceMs; };
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
  return db.kind === 'pglite' ? oneAtATime(db, tick) : tick();
}


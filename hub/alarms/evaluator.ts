// The alarm evaluator's loop: follows the outbox (each entry as soon as it is committed; its cursor behind the
// OutboxHorizon, as the rollup roller's) and, whenever
// it is caught up and no_data_check_s has passed on the hub's clock, checks silent points. Woken after each ingest
// commit (wake()); tells listeners (the SSE stream, notifications) after each commit that wrote alarm events.
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import { OutboxHorizon } from '../delivery/horizon.ts';
import { Waker, pause } from '../delivery/wait.ts';
import { rollupLag } from '../store/rollups.ts';
import type { AlarmContext } from './evaluate.ts';
import { alarmStep, ensureAlarmCursor, CURSOR } from './step.ts';
import { noDataTick } from './no-data.ts';
import { Recent } from './recent.ts';
import type { ObservationRow } from '../store/rows.ts';
import { RuleBook, checkOverrides, type AlarmOverride } from './rules.ts';
import { loadStoredRules } from './rule-store.ts';

export interface EvaluatorOptions {
  registry: () => Registry;
  overrides: AlarmOverride[];
  clock: { now(): number };
  noDataCheckMs: number;
  /** Idle poll (ms; default 100): a commit in another process is seen this late at most. */
  pollMs?: number;
  /** Share of the time the evaluator may work while it has a backlog (as the rollup roller's `duty`; default 0.5). */
  duty?: number;
  /**
   * Least time (ms; default 50) from the start of one step to the start of the next, commits or wake() notwithstanding:
   * an alarm is raised at most this much later, and a stream of batches is evaluated a few batches a step instead of
   * one (docs/alarms.md, fifth pass).
   */
  minStepMs?: number;
}


export interface AlarmEvaluator {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Evaluate everything committed so far, then run the no_data check once (tests, CLI). */
  catchUp(): Promise<void>;
  /** Forget compiled rules (after a registry change). */
  invalidate(): void;
  /** Reload the rules added through the API (after /v1/alarm-rules changed them). */
  reloadRules(): Promise<void>;
  /** Evaluate now instead of at the next poll (after an ingest commit). */
  wake(): void;
  /**
   * An ingest of this process starts to commit; call what it returns when the commit ended, with the batch's outbox
   * entry and rows (kept for the next step, not read back) or undefined, and the evaluator wakes.
   */
  committing(): (c: { entry: string; rows: readonly ObservationRow[] } | undefined) => void;
  /** Called after each commit that wrote alarm events (also call it after a handling step: `changed()`). */
  onEvents(f: () => void): () => void;
  changed(): void;
  context(): AlarmContext;
  status(): Promise<{ cursor: string; lag_seconds: number; running: boolean }>;
}

export function createAlarmEvaluator(db: SqlDriver, o: EvaluatorOptions, logger: Logger): AlarmEvaluator {
  checkOverrides(o.overrides);
  const rules = new RuleBook(o.overrides);
  let lastRegistry: Registry | undefined;
  const ctx: AlarmContext = {
    registry: () => {
      const r = o.registry();
      if (r !== lastRegistry) { rules.invalidate(); lastRegistry = r; }
      return r;
    },
    rules,
    recent: new Recent(),
    inflight: () => inflight,
    onRuleError: (pointId, e) => logger.error({ err: e, point_id: pointId }, 'alarm rule invalid for this point; skipped'),
  };
  const horizon = new OutboxHorizon(db);
  const waker = new Waker();
  const abort = new AbortController();
  const pollMs = o.pollMs ?? 100;
  const minStepMs = o.minStepMs ?? 50;
  const duty = Math.min(1, Math.max(0.05, o.duty ?? 0.5));
  const listeners = new Set<() => void>();
  const changed = () => { for (const f of listeners) { try { f(); } catch (e) { logger.error({ err: e }, 'alarm listener failed'); } } };
  let lastCheck = -Infinity;
  let lastCommit = -Infinity; // performance.now() of the latest ingest commit in this process
  let inflight = 0; // ingest commits of this process started and not ended
  let loop: Promise<void> | undefined;
  let woken = true, lastSafe = '', lastCaughtUp = false, horizonAt = -Infinity;
  let rulesSeen = '';

  async function reloadRules(): Promise<void> {
    const stored = await loadStoredRules(db);
    rules.setStored(stored);
    rulesSeen = stored.map((r) => `${r.id}@${r.updated_at}`).join(',');
  }

  async function run(): Promise<void> {
    let sinceRules = 0;
    while (!abort.signal.aborted) {
      let caughtUp = true;
      const t0 = performance.now();
      try {
        // Rules another process changed through the API: looked at every 5 s.
        if (performance.now() - sinceRules > 5000) {
          sinceRules = performance.now();
          const seen = rulesSeen;
          const stored = await loadStoredRules(db);
          if (stored.map((r) => `${r.id}@${r.updated_at}`).join(',') !== seen) { rules.setStored(stored); rulesSeen = stored.map((r) => `${r.id}@${r.updated_at}`).join(','); }
        }
        const now0 = performance.now();
        // Woken by a commit: its entries are taken as soon as visible, whatever the horizon; the horizon (a query of
        // the server's activity) only moves the cursor, so it is asked at most every 200 ms while commits keep coming.
        const reuse = woken && lastSafe !== '' && now0 - horizonAt < 200;
        if (!reuse) horizonAt = now0;
        const safe = reuse ? lastSafe : await horizon.safeMax();
        // Nothing committed in this process since the last step and no move of the horizon (another process's commit):
        // no transaction to open.
        const idle = !woken && lastCaughtUp && safe === lastSafe;
        woken = false;
        const r = idle ? { caughtUp: true, events: 0, busy: false } : await alarmStep(db, safe, ctx);
        lastSafe = safe; lastCaughtUp = r.caughtUp && !r.busy;
        caughtUp = r.caughtUp;
        if (r.events) changed();
        const now = o.clock.now();
        if (caughtUp && !r.busy && now - lastCheck >= o.noDataCheckMs) { lastCheck = now; if (await noDataTick(db, now, ctx)) changed(); }
      } catch (e) {
        if (abort.signal.aborted) break;
        logger.error({ err: e }, 'alarm evaluation failed; retrying');
        await waker.sleep(1000, abort.signal);
      }
      // Steps start minStepMs apart however often commits wake the loop: under a stream of batches a step per commit
      // paid a transaction and a step's fixed work for each batch, now for the few that arrived meanwhile.
      await pause(minStepMs - (performance.now() - t0), abort.signal);
      if (caughtUp) await waker.sleep(pollMs, abort.signal);
      // The duty cycle yields to ingest: with no commit in this process for a second, a backlog is worked off at once.
      else if (duty < 1 && performance.now() - lastCommit < 1000) await waker.sleep(Math.min(5000, (performance.now() - t0) * (1 - duty) / duty), abort.signal);
    }
  }

  return {
    async start() {
      await reloadRules();
      // Every rule of every registered point compiles, or the hub does not start (CONFIG_INVALID names the rule).
      // Points added later through the admin API with a rule that does not fit are logged and skipped.
      for (const p of ctx.registry().pointById.values()) rules.rulesFor(p);
      await ensureAlarmCursor(db);
      loop ??= run();
    },
    async stop() { abort.abort(); waker.wake(); await loop; },
    async catchUp() {
      await ensureAlarmCursor(db);
      for (let i = 0; i < 10_000; i++) {
        const now0 = performance.now();
        // Woken by a commit: its entries are taken as soon as visible, whatever the horizon; the horizon (a query of
        // the server's activity) only moves the cursor, so it is asked at most every 200 ms while commits keep coming.
        const reuse = woken && lastSafe !== '' && now0 - horizonAt < 200;
        if (!reuse) horizonAt = now0;
        const safe = reuse ? lastSafe : await horizon.safeMax();
        const r = await alarmStep(db, safe, ctx);
        if (r.events) changed();
        if (r.busy) { await new Promise((res) => setTimeout(res, 20)); continue; }
        if (r.caughtUp) {
          const max = (await db.query<{ m: string }>("SELECT COALESCE(max(id), 0)::text AS m FROM outbox WHERE topic = 'observation'")).rows[0]!.m;
          if (BigInt(safe) >= BigInt(max)) break;
          await new Promise((res) => setTimeout(res, 20));
        }
      }
      if (await noDataTick(db, o.clock.now(), ctx, { wait: true })) changed();
    },
    invalidate() { rules.invalidate(); },
    reloadRules,
    wake() { woken = true; waker.wake(); },
    committing() {
      inflight++;
      let ended = false;
      return (c) => {
        if (ended) return;
        ended = true; inflight--;
        lastCommit = performance.now();
        if (c && loop) ctx.recent!.add(c.entry, c.rows);
        woken = true; waker.wake();
      };
    },
    onEvents(f) { listeners.add(f); return () => listeners.delete(f); },
    changed,
    context: () => ctx,
    async status() { return { ...(await rollupLag(db, CURSOR)), running: loop !== undefined && !abort.signal.aborted }; },
  };
}

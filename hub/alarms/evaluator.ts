// The alarm evaluator's loop: follows the outbox behind the OutboxHorizon (as the rollup roller does) and, whenever
// it is caught up and no_data_check_s has passed on the hub's clock, checks silent points.
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import { OutboxHorizon } from '../delivery/horizon.ts';
import { Waker } from '../delivery/wait.ts';
import { rollupLag } from '../store/rollups.ts';
import { alarmStep, ensureAlarmCursor, noDataTick, CURSOR, type AlarmContext } from './evaluate.ts';
import { RuleBook, checkOverrides, type AlarmOverride } from './rules.ts';

export interface EvaluatorOptions {
  registry: () => Registry;
  overrides: AlarmOverride[];
  clock: { now(): number };
  noDataCheckMs: number;
  pollMs?: number;
  /** Share of the time the evaluator may work while it has a backlog (as the rollup roller's `duty`; default 0.5). */
  duty?: number;
}

export interface AlarmEvaluator {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Evaluate everything committed so far, then run the no_data check once (tests, CLI). */
  catchUp(): Promise<void>;
  /** Forget compiled rules (after a registry change). */
  invalidate(): void;
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
    onRuleError: (pointId, e) => logger.error({ err: e, point_id: pointId }, 'alarm rule invalid for this point; skipped'),
  };
  const horizon = new OutboxHorizon(db);
  const waker = new Waker();
  const abort = new AbortController();
  const pollMs = o.pollMs ?? 500;
  const duty = Math.min(1, Math.max(0.05, o.duty ?? 0.5));
  let lastCheck = -Infinity;
  let loop: Promise<void> | undefined;

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      let caughtUp = true;
      const t0 = performance.now();
      try {
        caughtUp = (await alarmStep(db, await horizon.safeMax(), ctx)).caughtUp;
        const now = o.clock.now();
        if (caughtUp && now - lastCheck >= o.noDataCheckMs) { lastCheck = now; await noDataTick(db, now, ctx); }
      } catch (e) {
        if (abort.signal.aborted) break;
        logger.error({ err: e }, 'alarm evaluation failed; retrying');
        await waker.sleep(1000, abort.signal);
      }
      if (caughtUp) await waker.sleep(pollMs, abort.signal);
      else if (duty < 1) await waker.sleep(Math.min(5000, (performance.now() - t0) * (1 - duty) / duty), abort.signal);
    }
  }

  return {
    async start() {
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
        const safe = await horizon.safeMax();
        const r = await alarmStep(db, safe, ctx);
        if (r.caughtUp) {
          const max = (await db.query<{ m: string }>('SELECT COALESCE(max(id), 0)::text AS m FROM outbox')).rows[0]!.m;
          if (BigInt(safe) >= BigInt(max)) break;
          await new Promise((res) => setTimeout(res, 20));
        }
      }
      await noDataTick(db, o.clock.now(), ctx);
    },
    invalidate() { rules.invalidate(); },
    async status() { return { ...(await rollupLag(db, CURSOR)), running: loop !== undefined && !abort.signal.aborted }; },
  };
}

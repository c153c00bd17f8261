// The roller: follows the outbox (as delivery does, behind the same OutboxHorizon so an entry committed out of id
// order is never skipped) and keeps the rollups (hub/store/rollups.ts) up to date off the ingest hot path.
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { HubMetrics } from '../metrics.ts';
import { OutboxHorizon } from '../delivery/horizon.ts';
import { Waker } from '../delivery/wait.ts';
import { ensureCursor, rollStep, rollupLag, HELD_STEP_CAP, STEP_CAP, type HeldRows } from '../store/rollups.ts';
import type { ObservationRow } from '../store/rows.ts';
import { Recent } from '../alarms/recent.ts';
import { heldColumns, minuteDeltas, type HeldBatch, type HeldColumns } from './deltas.ts';

export interface RollerOptions {
  zone: string;
  /** Idle poll (ms) when caught up. */
  pollMs?: number;
  /**
   * Least time (ms; default 2,000) from the start of one step to the start of the next while it keeps up with what is
   * committed. A step's work grows with the buckets it touches (each point's minute, hour and day) more than with the
   * readings in them: under a steady stream, a step every 2 s writes each point's buckets once per 2 s instead of once
   * per step of the half-second poll. Rollups trail ingest by up to that much more. A backlog is still worked off
   * step after step (within `duty`), and a step starts sooner once this process holds a step's worth (`heldStepSize`)
   * of committed readings: no more is held than a step takes.
   */
  minStepMs?: number;
  /** Observations per step (one transaction) read back from the store (default STEP_CAP, 50,000). */
  stepSize?: number;
  /**
   * Observations per step when the rest are this process's own batches, summed in memory (default HELD_STEP_CAP,
   * 200,000, on PostgreSQL; STEP_CAP on PGlite; with `stepSize` set, that).
   */
  heldStepSize?: number;
  /**
   * Share of the time the roller may work while it has a backlog and batches keep being committed (default 0.5):
   * after a step of d ms it pauses d × (1 − duty) / duty, so a burst of ingest keeps most of the store's CPU and the
   * roller catches up behind it. Once nothing new was committed during a step (the burst is over), the backlog is
   * worked off without pausing.
   */
  duty?: number;
}

export interface RollerStatus { cursor: string; lag_seconds: number; running: boolean }

export interface Roller {
  /** Creates the cursor row (the outbox pruner respects it from then on) and starts the loop. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Roll everything committed so far, now (tests, CLI). Resolves when caught up with what was visible at the call. */
  catchUp(): Promise<void>;
  status(): Promise<RollerStatus>;
  /**
   * Ingest is committing a batch: the callback gets what it stored (or undefined), which the roller then holds until
   * its step, so the step sums it from memory instead of reading it back (only while the roller runs).
   */
  committing(): (c: { entry: string; rows: readonly ObservationRow[]; receivedAtMs: number } | undefined) => void;
}

/**
 * The batches a roller holds, as a step takes them (HeldRows). `minReadingsPerSum` (default 2): the step sums held rows
 * only when there are at least that many readings per minute sum, else it reads them back.
 *
 * `presum(safeMax, cap)` sums, before the step's transaction opens, the entries the step will most likely take: the
 * held ones after the cursor the last step left, up to safeMax and `cap` observations. The step's `sums()` then finds
 * them ready when it took exactly those (with the same report setting), and sums what it took otherwise. On PGlite an
 * open transaction holds the whole engine: summing inside it kept ingest waiting for this thread's JavaScript.
 */
export function heldRows(o: { minReadingsPerSum?: number } = {}): HeldRows & {
  add(entry: string, batch: HeldBatch): void;
  /** Observations held. */
  count(): number;
  /** The entries summed ahead, and their sums (what `sums()` hands out for exactly those entries). */
  presum(safeMax: string, cap: number): { entries: string[]; out: { json: string; observations: number } | undefined } | undefined;
} {
  // In columns (deltas.ts, heldColumns): not the rows themselves, which can then go once ingest and the alarm evaluator
  // are done with them (on a 1 GB upload, holding the rows cost 20-30 MB more RSS at the peak).
  const recent = new Recent<HeldColumns>();
  const minReadings = o.minReadingsPerSum ?? 2;
  let cursor: bigint | undefined;
  let timely: number | null | undefined;
  let ready: { key: string; out: { json: string; observations: number } | undefined } | undefined;
  const keyOf = (entries: string[], timelyS: number | null) => `${timelyS}|${entries.join(',')}`;
  function sum(entries: string[], timelyS: number | null) {
    const batches = entries.map((e) => recent.peek(e)!);
    const d = minuteDeltas(batches, timelyS, minReadings);
    // Worth it only where points read more often than once a minute: the store parses a sum's JSON dearer than it
    // reads a row back (bench/rollups, one reading a minute, when every held batch was summed: 32,000-41,000
    // observations/s against 56,000-59,000/s read back; at 20 a minute, 401,000/s against 227,000/s).
    if (!d) return undefined;
    return { json: d.json, observations: batches.reduce((n, b) => n + b.length, 0) };
  }
  return {
    add: (entry, batch) => recent.add(entry, heldColumns(batch)),
    count: () => recent.count,
    has: (entry) => recent.peek(entry) !== undefined,
    presum(safeMax, cap) {
      if (cursor === undefined || timely === undefined) return undefined; // no step yet: nothing to go by
      const max = BigInt(safeMax);
      const next = [...recent.held().keys()].map(BigInt).filter((e) => e > cursor! && e <= max).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const entries: string[] = [];
      let n = 0;
      for (const e of next) {
        const b = recent.peek(String(e))!;
        if (entries.length && n + b.length > cap) break;
        entries.push(String(e));
        n += b.length;
      }
      if (!entries.length) return undefined;
      const key = keyOf(entries, timely);
      if (ready?.key !== key) ready = { key, out: sum(entries, timely) };
      return { entries, out: ready.out };
    },
    sums(entries, timelyS) {
      timely = timelyS;
      const key = keyOf(entries, timelyS);
      const out = ready?.key === key ? ready.out : sum(entries, timelyS);
      ready = undefined;
      return out;
    },
    forget(entries, next) { recent.forget(entries, next); cursor = next; },
  };
}

export function createRoller(db: SqlDriver, o: RollerOptions, logger: Logger, metrics?: HubMetrics): Roller {
  const horizon = new OutboxHorizon(db);
  const held = heldRows();
  const waker = new Waker();
  /** Cuts the wait between steps short when a step's worth of readings is held (committing()). */
  const stepWorth = new Waker();
  const abort = new AbortController();
  const pollMs = o.pollMs ?? 500;
  const minStepMs = o.minStepMs ?? 2000;
  // PGlite: STEP_CAP. A step's transaction holds the whole engine, ingest waiting: a step four times longer stalled
  // commits (`npm run bench -- modbus`, 20,000 points/s: 16,900–18,100 stored a second against 19,800–20,400).
  const heldCap = o.heldStepSize ?? o.stepSize ?? (db.kind === 'pglite' ? STEP_CAP : HELD_STEP_CAP);
  const duty = Math.min(1, Math.max(0.05, o.duty ?? 0.5));
  let loop: Promise<void> | undefined;
  let lastGauge = 0;
  let lastSafe = '';

  async function gauge(): Promise<void> {
    if (!metrics || Date.now() - lastGauge < 2000) return;
    lastGauge = Date.now();
    metrics.rollupLag.set((await rollupLag(db)).lag_seconds);
  }

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      let caughtUp = true, ingesting = false;
      const t0 = performance.now();
      try {
        // The horizon moved since the last step: something was committed meanwhile, by this process or another.
        const safe = await horizon.safeMax();
        ingesting = lastSafe !== '' && safe !== lastSafe;
        lastSafe = safe;
        // PGlite only: there the step's transaction holds the engine (on PostgreSQL it holds one row, and a guess
        // that missed, with another process's entries among ours, would sum twice).
        if (db.kind === 'pglite') held.presum(safe, heldCap);
        const r = await rollStep(db, safe, o.zone, o.stepSize, undefined, held, heldCap);
        caughtUp = r.caughtUp || r.busy === true; // busy: another process is rolling up; look again after pollMs
        if (r.observations) metrics?.rollupObservations.inc(r.observations);
        await gauge();
      } catch (e) {
        if (abort.signal.aborted) break;
        logger.error({ err: e }, 'rolling up failed; retrying');
        await waker.sleep(1000, abort.signal);
      }
      if (caughtUp) await stepWorth.sleep(Math.max(pollMs, minStepMs - (performance.now() - t0)), abort.signal);
      else if (duty < 1 && ingesting) await waker.sleep(Math.min(5000, (performance.now() - t0) * (1 - duty) / duty), abort.signal);
    }
  }

  return {
    async start() { await ensureCursor(db); loop ??= run(); },
    async stop() { abort.abort(); waker.wake(); await loop; },
    async catchUp() {
      await ensureCursor(db);
      // The horizon only hands out a position once the transactions in flight at its first look have ended.
      for (let i = 0; i < 10_000; i++) {
        const safe = await horizon.safeMax();
        const r = await rollStep(db, safe, o.zone, o.stepSize, undefined, held, heldCap);
        if (r.busy) { await new Promise((res) => setTimeout(res, 20)); continue; }
        if (r.caughtUp) {
          const max = (await db.query<{ m: string }>('SELECT COALESCE(max(id), 0)::text AS m FROM outbox')).rows[0]!.m;
          if (BigInt(safe) >= BigInt(max)) return;
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    },
    async status() { return { ...(await rollupLag(db)), running: loop !== undefined && !abort.signal.aborted }; },
    committing() {
      return (c) => {
        if (!c || !loop || abort.signal.aborted) return;
        held.add(c.entry, { rows: c.rows, receivedAtMs: c.receivedAtMs, length: c.rows.length });
        // A step's worth held: step now rather than at minStepMs (memory: what is held waits for the next step; as
        // columns, about 45 bytes a reading, 9 MB for a step's worth).
        if (held.count() >= heldCap) stepWorth.wake();
      };
    },
  };
}

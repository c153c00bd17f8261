// Backtest (POST /v1/alarm-rules/backtest): a rule over past observations, evaluated by the evaluator's own code in a
// transaction that is rolled back, so nothing is written. docs/alarms.md#backtest.
import type { SqlDriver } from '../store/driver.ts';
import { packBounds } from '../store/pack.ts';
import type { CompiledRule } from './rules.ts';
import { Batch } from './batch.ts';
import { evaluate, OBS_COLS, type AlarmContext, type Obs } from './evaluate.ts';

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

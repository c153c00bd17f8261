// Writing alarm events: the order lock every writer takes before it inserts, and the notification (an outbox entry of
// topic `alarm` naming the alarm_event ids, written in the transaction that wrote the events; hub/alarms/notify.ts,
// docs/alarms.md#notifications).
import type { Queryable } from '../store/driver.ts';

export const ALARM_TOPIC = 'alarm';

/**
 * Readers follow alarm_event by id (the SSE stream and its Last-Event-ID), so ids must become visible in id order. A
 * sequence alone does not do that: a transaction that took id 7 may commit after one that took id 8, and a reader that
 * saw 8 would skip 7 for ever. So every writer (an evaluator step, a handling step) takes this transaction lock just
 * before it inserts events and holds it until it commits: ids are taken and committed in the same order. Taken after
 * the writer's alarm rows are locked, and nothing but outbox and rule-state rows is locked after it, so two writers
 * cannot deadlock on it. Writers hold it for the end of their transaction only (a few statements).
 */
export const EVENT_ORDER_LOCK = 0x6c6c_6576; // 'llev': the key of pg_advisory_xact_lock, one per database

export async function lockEventOrder(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [EVENT_ORDER_LOCK]);
}

/** Enqueue alarm events (ids in commit order) for the targets with stream: alarms. Call inside the writing transaction. */
export async function enqueueAlarmEvents(tx: Queryable, eventIds: string[]): Promise<void> {
  if (!eventIds.length) return;
  await tx.query(`INSERT INTO outbox (topic, ref_ids, count) VALUES ($1, $2::bigint[], $3)`, [ALARM_TOPIC, eventIds, eventIds.length]);
}

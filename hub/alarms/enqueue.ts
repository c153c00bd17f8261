// An alarm event's notification is an outbox entry of topic `alarm` naming the alarm_event ids, written in the
// transaction that wrote the events (hub/alarms/notify.ts, docs/alarms.md#notifications).
import type { Queryable } from '../store/driver.ts';

export const ALARM_TOPIC = 'alarm';

/** Enqueue alarm events (ids in commit order) for the targets with stream: alarms. Call inside the writing transaction. */
export async function enqueueAlarmEvents(tx: Queryable, eventIds: string[]): Promise<void> {
  if (!eventIds.length) return;
  await tx.query(`INSERT INTO outbox (topic, ref_ids, count) VALUES ($1, $2::bigint[], $3)`, [ALARM_TOPIC, eventIds, eventIds.length]);
}

// Batch bodies: JSON envelope or protobuf lifeline.v1.ObservationBatch; and the request signature.
import { createHmac } from 'node:crypto';
import type { Type } from 'protobufjs';
import { lifelineType } from '../../schemas/proto/lifeline.ts';
import type { Observation, PublishBatch } from '../../hub/sdk/index.ts';

/** lifeline.v1.ObservationBatch (loaded on first use: schemas/proto/lifeline.ts). */
export const observationBatchType = (): Type => lifelineType('ObservationBatch');

export const jsonBody = (b: PublishBatch): Buffer => Buffer.from(JSON.stringify({ idempotency_key: b.idempotencyKey, observations: b.observations }));

/** Alarm events: a templated notice's body as it is (alone in its batch), else `{idempotency_key, alarms: [AlarmNotification…]}`. */
export function alarmBody(b: PublishBatch): Buffer {
  const list = b.alarms ?? [];
  if (list.length === 1 && list[0]!.body !== undefined) return Buffer.from(JSON.stringify(list[0]!.body));
  return Buffer.from(JSON.stringify({ idempotency_key: b.idempotencyKey, alarms: list.map((n) => n.notification) }));
}

const opt = <T>(v: T | null | undefined) => (v === null || v === undefined ? undefined : v);

function toProto(o: Observation) {
  return {
    id: o.id, point: o.point, device: o.device, site: o.site, indicator: o.indicator, domain: o.domain, kind: o.kind,
    time_ms: Date.parse(o.time), value: opt(o.value), avg: opt(o.avg), min: opt(o.min), max: opt(o.max), cou: opt(o.cou),
    unit: o.unit, source_flag: o.quality.source_flag, flags: o.quality.flags, warnings: o.quality.warnings ?? [],
    adapter: o.source.adapter, message_id: opt(o.source.message_id), received_at_ms: Date.parse(o.source.received_at),
    raw_value: opt(o.source.raw_value), raw_unit: opt(o.source.raw_unit),
  };
}

export function protobufBody(b: PublishBatch): Buffer {
  const T = observationBatchType();
  return Buffer.from(T.encode(T.fromObject({ idempotency_key: b.idempotencyKey, observations: b.observations.map(toProto) })).finish());
}

/** Decode a protobuf batch back to plain objects (receivers, tests). */
export function decodeProtobufBody(buf: Uint8Array): { idempotency_key: string; observations: Array<Record<string, unknown>> } {
  const T = observationBatchType();
  return T.toObject(T.decode(buf), { longs: Number, defaults: true, arrays: true }) as never;
}

/** `<algo>=<hex>` of HMAC(secret, `<timestamp>.<body>`). */
export function sign(algorithm: 'hmac-sha256' | 'hmac-sm3', secret: string, timestamp: string, body: Uint8Array): string {
  const algo = algorithm === 'hmac-sm3' ? 'sm3' : 'sha256';
  return `${algo}=${createHmac(algo, secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

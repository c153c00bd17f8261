// application/x-protobuf bodies: schemas/proto/lifeline/v1/observation.proto → SourceReading objects.
import type { Message } from 'protobufjs';
import { lifelineType } from '../../schemas/proto/lifeline.ts';
import type { SourceReading } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';

/** lifeline.v1.IngestBatch (protobufjs is loaded on first use: schemas/proto/lifeline.ts). */
export const ingestBatchType = () => lifelineType('IngestBatch');

/** Decode a protobuf IngestBatch into the JSON form the schema validates. */
export function decodeIngestBatch(buf: Uint8Array): { records: SourceReading[] } {
  let msg: Message;
  try {
    msg = ingestBatchType().decode(buf);
  } catch (cause) {
    throw new LifelineError('INGEST_INVALID', `protobuf body is not a lifeline.v1.IngestBatch: ${(cause as Error).message}`, { cause, details: { path: '/' } });
  }
  const obj = ingestBatchType().toObject(msg, { longs: Number, defaults: false, arrays: false }) as { records?: Array<Record<string, unknown>> };
  const records = (obj.records ?? []).map((r) => {
    const { time_ms: ms, ...rest } = r as Record<string, unknown> & { time_ms?: number };
    const out: Record<string, unknown> = { ...rest };
    if (ms !== undefined) out.time = ms;
    if (Array.isArray(out.warnings) && out.warnings.length === 0) delete out.warnings;
    return out as unknown as SourceReading;
  });
  return { records };
}

/** Encode (used by tests, the bench and vendors' examples). */
export function encodeIngestBatch(batch: { records: SourceReading[] }): Uint8Array {
  const records = batch.records.map((r) => {
    const { time, ...rest } = r;
    return typeof time === 'number' ? { ...rest, time_ms: time } : { ...rest, time };
  });
  const err = ingestBatchType().verify({ records });
  if (err) throw new LifelineError('INGEST_INVALID', `cannot encode batch: ${err}`);
  return ingestBatchType().encode(ingestBatchType().fromObject({ records })).finish();
}

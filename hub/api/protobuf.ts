// application/x-protobuf bodies: schemas/proto/lifeline/v1/observation.proto → SourceReading objects.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { SourceReading } from '../../schemas/generated/types.ts';
import { LifelineError } from '../sdk/errors.ts';

const protoPath = fileURLToPath(new URL('../../schemas/proto/lifeline/v1/observation.proto', import.meta.url));
// keepCase: field names stay snake_case, as in the JSON form.
const root = new protobuf.Root().loadSync(protoPath, { keepCase: true });
export const IngestBatchType = root.lookupType('lifeline.v1.IngestBatch');

/** Decode a protobuf IngestBatch into the JSON form the schema validates. */
export function decodeIngestBatch(buf: Uint8Array): { records: SourceReading[] } {
  let msg: protobuf.Message;
  try {
    msg = IngestBatchType.decode(buf);
  } catch (cause) {
    throw new LifelineError('INGEST_INVALID', `protobuf body is not a lifeline.v1.IngestBatch: ${(cause as Error).message}`, { cause, details: { path: '/' } });
  }
  const obj = IngestBatchType.toObject(msg, { longs: Number, defaults: false, arrays: false }) as { records?: Array<Record<string, unknown>> };
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
  const err = IngestBatchType.verify({ records });
  if (err) throw new LifelineError('INGEST_INVALID', `cannot encode batch: ${err}`);
  return IngestBatchType.encode(IngestBatchType.fromObject({ records })).finish();
}

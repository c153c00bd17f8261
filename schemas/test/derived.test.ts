// Derived artefacts agree with schemas/: generated types are current, the .proto mirrors SourceReading.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { generateTypes } from '../../scripts/gen-types.ts';
import { schemaById, loadSchemas, createAjv } from '../../hub/schemas.ts';
import type { SourceReading } from '../generated/types.ts';
import { ingestBatchType, decodeIngestBatch, encodeIngestBatch } from '../../hub/api/protobuf.ts';

t.test('schemas/generated/types.ts is what npm run gen writes', async (t) => {
  const committed = readFileSync(new URL('../generated/types.ts', import.meta.url), 'utf8');
  t.equal(committed, await generateTypes(), 'run `npm run gen` and commit');
});

t.test('every schema compiles and has a title and description', async (t) => {
  const ajv = createAjv();
  for (const s of loadSchemas()) {
    // Checked here rather than at every start: createAjv adds the hub's schemas without meta-validation.
    t.ok(ajv.validateSchema(s), `${s.$id} is a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
    t.ok(ajv.getSchema(s.$id), `${s.$id} compiles`);
    t.ok(s.title && (s as { description?: string }).description, `${s.$id} documented`);
  }
});

t.test('the protobuf SourceReading carries exactly the JSON schema fields', async (t) => {
  const json = Object.keys((schemaById('lifeline:source-reading') as unknown as { properties: Record<string, unknown> }).properties).sort();
  const reading = ingestBatchType().lookupType('lifeline.v1.SourceReading');
  const proto = Object.keys(reading.fields).map((f) => (f === 'time_ms' ? 'time' : f));
  t.same([...new Set(proto)].sort(), json);
});

t.test('protobuf round trip', async (t) => {
  const batch: { records: SourceReading[] } = { records: [
    { point: 'P', time: '2026-11-25T10:00:00+08:00', value: 1.5, unit: 'kPa', flag: 'N' as const, message_id: 'QN1' },
    { device: 'D', field: 'w01018', time: 1764036000000, kind: 'hour' as const, avg: 2, min: 1, max: 3, cou: 7, warnings: ['crc_low_byte_first'] },
    { identity: { protocol: 'hj212', key: 'MN' }, field: 'f', time: 1, value: null },
  ] };
  const back = decodeIngestBatch(encodeIngestBatch(batch));
  t.same(back.records[0], batch.records[0]);
  t.same(back.records[1], batch.records[1]);
  t.same(back.records[2], { identity: { protocol: 'hj212', key: 'MN' }, field: 'f', time: 1 }, 'null value travels as absent');
});

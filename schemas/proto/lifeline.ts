// The lifeline.v1 protobuf types (lifeline/v1/observation.proto), for the ingest API's protobuf bodies and the http_push
// publisher's. Loaded on first use: protobufjs is 45 modules, about 60 ms of CPU to load, which a process that never
// sees a protobuf body (most hubs, every CLI command, most test processes) need not pay.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
let root: Protobuf.Root | undefined;
const types = new Map<string, Protobuf.Type>();

/** A message type of package lifeline.v1 (keepCase: snake_case fields, as in the JSON form). */
export function lifelineType(name: 'IngestBatch' | 'ObservationBatch' | 'SourceReading'): Protobuf.Type {
  let type = types.get(name);
  if (!type) {
    root ??= new (require('protobufjs') as typeof Protobuf).Root().loadSync(fileURLToPath(new URL('./lifeline/v1/observation.proto', import.meta.url)), { keepCase: true });
    type = root.lookupType(`lifeline.v1.${name}`);
    types.set(name, type);
  }
  return type;
}

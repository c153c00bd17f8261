// An adapter's or publisher's config with the defaults of its config schema filled in, the way the hub fills them
// (ajv, useDefaults) before create(): for code that builds a config without the hub (tests, benches, simulators),
// so that no default is written a second time in code.
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../schemas.ts';

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** A deep copy of `config` with every default of `schema` filled in. It does not reject: the hub validates. */
export function withSchemaDefaults<T>(schema: Record<string, unknown>, config: unknown): T {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = (ajv ??= createAjv({ useDefaults: true })).compile({ ...schema, $id: undefined });
    compiled.set(schema, validate);
  }
  const copy = structuredClone(config ?? {});
  validate(copy);
  return copy as T;
}

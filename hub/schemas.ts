// Loads every JSON Schema in schemas/json into one ajv instance: the single source of truth for
// validators (here), TypeScript types (scripts/gen-types.ts) and the OpenAPI document (hub/api).
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isValidZone } from './time/parse.ts';
import { truncateText } from './sdk/text.ts';
import { closest } from './did-you-mean.ts';

// Both packages are CJS with a `default` property; unwrap whichever shape the loader hands us.
const Ajv = AjvModule.default ?? AjvModule;
type AddFormats = (ajv: InstanceType<typeof Ajv>) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export const schemaDir = fileURLToPath(new URL('../schemas/json/', import.meta.url));

export type JsonSchema = Record<string, unknown> & { $id: string; title?: string };

let cache: JsonSchema[] | undefined;

/** All hub schemas, in file order. */
export function loadSchemas(): JsonSchema[] {
  cache ??= readdirSync(schemaDir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as JsonSchema);
  return cache;
}

export function schemaById(id: string): JsonSchema {
  const s = loadSchemas().find((x) => x.$id === id);
  if (!s) throw new Error(`no schema ${id}`);
  return s;
}

/** A fresh ajv with every hub schema registered (useDefaults fills config defaults). */
export function createAjv(opts: { useDefaults?: boolean; coerceTypes?: boolean } = {}) {
  // verbose: an error carries the value at fault (`data`), so a message can show it (`"Mars/Base" is not …`).
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, useDefaults: opts.useDefaults ?? false, coerceTypes: opts.coerceTypes ?? false });
  addFormats(ajv);
  // `format: iana-zone` on every timezone key: a misspelt zone is a config error at start, not a RangeError later.
  ajv.addFormat('iana-zone', { type: 'string', validate: isValidZone });
  // Added without checking them against the meta-schema, which cost every instance (and so every start and CLI
  // command) compiling draft-07's own validator: they are our files, checked by schemas/test/derived.test.ts.
  // Schemas compiled later (adapters' config schemas) are still checked.
  for (const s of loadSchemas()) ajv.addSchema(s, undefined, undefined, false);
  return ajv;
}

const shared = createAjv();
const compiled = new Map<string, ValidateFunction>();

export function validator<T = unknown>(id: string): ValidateFunction<T> {
  let v = compiled.get(id);
  if (!v) {
    v = shared.getSchema(id);
    if (!v) throw new Error(`no schema ${id}`);
    compiled.set(id, v);
  }
  return v as ValidateFunction<T>;
}

export interface FieldError { path: string; message: string }

/** ajv errors as `{ path, message }` with JSON-pointer paths a person can follow. */
/** At most this many field errors are reported for one document. */
export const MAX_FIELD_ERRORS = 50;

export function fieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  // A hostile document can fail one rule per key (millions): the first 50 say what is wrong.
  for (const e of (errors ?? []).slice(0, MAX_FIELD_ERRORS)) {
    let path = prefix + e.instancePath;
    if (e.keyword === 'required') path += `/${(e.params as { missingProperty: string }).missingProperty}`;
    if (e.keyword === 'additionalProperties') path += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      const near = typeof e.data === 'string' ? closest(e.data, allowed.filter((a): a is string => typeof a === 'string')) : undefined;
      message += `: ${allowed.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`;
    }
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'additionalProperties') message = 'is not a known field';
    if (e.keyword === 'format' && (e.params as { format: string }).format === 'iana-zone') message = `${typeof e.data === 'string' ? `${JSON.stringify(truncateText(e.data, 80, '…'))} ` : ''}is not an IANA time zone (e.g. Asia/Shanghai)`;
    out.push({ path: path || '/', message });
  }
  // oneOf produces one error per branch plus a summary; keep distinct lines only
  const seen = new Set<string>();
  return out.filter((x) => (seen.has(x.path + x.message) ? false : (seen.add(x.path + x.message), true)));
}

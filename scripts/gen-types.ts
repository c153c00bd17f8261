// Generates schemas/generated/types.ts and enums.ts from schemas/json/*.schema.json, and the docs' config tables from
// the adapters' schemas.
// `npm run gen`; a test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { compile } from 'json-schema-to-typescript';
import { loadSchemas, type JsonSchema } from '../hub/schemas.ts';
import { writeConfigTables } from './config-table.ts';
import { writeClauseCatalogue } from './clause-catalogue.ts';

const typeName = (id: string) =>
  id.replace(/^lifeline:/, '').split(/[-_]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/** Replace `$ref: lifeline:x` with a reference to the generated type X so each type is emitted once. */
function localise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(localise);
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.$ref === 'string' && o.$ref.startsWith('lifeline:')) {
      const { $ref, ...rest } = o;
      return { ...rest, tsType: typeName($ref as string) };
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, localise(v)]));
  }
  return node;
}

export async function generateTypes(): Promise<string> {
  const parts = ['// generated — do not edit. Source: schemas/json/*.schema.json; run `npm run gen`.\n/* eslint-disable */\n'];
  for (const s of loadSchemas()) {
    const schema = localise({ ...s, title: typeName(s.$id) }) as JsonSchema;
    delete (schema as Record<string, unknown>).$id;
    parts.push(await compile(schema as never, typeName(s.$id), { bannerComment: '', additionalProperties: false, declareExternallyReferenced: true, format: true }));
  }
  return parts.join('\n');
}

/** `lifeline:source-flag` → `sourceFlags`: the name of the generated list of an enum schema's values. */
const camelName = (id: string) => { const t = typeName(id); return `${t[0]!.toLowerCase()}${t.slice(1)}`; };
export const enumListName = (id: string) => camelName(id).replace(/([^aeiou])y$/, '$1ie') + 's';

/**
 * One `as const` list per enum schema (source flags, quality flags, kinds, domains): code that must check or
 * list the values imports these instead of copying them, so the schema stays their only source.
 */
export function generateEnums(): string {
  const parts = ['// generated — do not edit. Source: schemas/json/*.schema.json (the enum schemas); run `npm run gen`.\n'];
  const types = loadSchemas().filter((s) => Array.isArray((s as { enum?: unknown }).enum)).map((s) => typeName(s.$id));
  parts.push(`import type { ${types.join(', ')} } from './types.ts';\n`);
  for (const s of loadSchemas()) {
    const values = (s as { enum?: unknown }).enum;
    if (!Array.isArray(values)) continue;
    const type = typeName(s.$id);
    parts.push(`/** The values of \`${s.$id}\` (${type}), in the schema's order. */`);
    parts.push(`export const ${enumListName(s.$id)}: readonly ${type}[] = ${JSON.stringify(values)};\n`);
    const dflt = (s as { default?: unknown }).default;
    if (dflt !== undefined) parts.push(`/** The default of \`${s.$id}\`: what an absent value means. */\nexport const ${camelName(s.$id)}Default: ${type} = ${JSON.stringify(dflt)};\n`);
  }
  return parts.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = new URL('../schemas/generated/types.ts', import.meta.url);
  writeFileSync(out, await generateTypes());
  console.log(`wrote ${out.pathname}`);
  const enums = new URL('../schemas/generated/enums.ts', import.meta.url);
  writeFileSync(enums, generateEnums());
  console.log(`wrote ${enums.pathname}`);
  for (const page of writeConfigTables(new URL('../', import.meta.url))) console.log(`wrote the config table of ${page}`);
  if (writeClauseCatalogue(new URL('../', import.meta.url))) console.log('wrote docs/reference/conformance-clauses.md');
}

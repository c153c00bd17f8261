// One source for the enums: schemas/generated/enums.ts is what `npm run gen` writes, and no TypeScript or
// JavaScript file carries its own copy of an enum schema's list (source flags, quality flags, kinds, domains).
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateEnums } from '../../scripts/gen-types.ts';
import { loadSchemas } from '../../hub/schemas.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const skip = new Set(['node_modules', 'dist', '.git', 'generated', 'fixtures']);

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) yield p;
  }
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const enums = loadSchemas().filter((s) => Array.isArray((s as { enum?: unknown }).enum)).map((s) => ({ id: s.$id, values: (s as unknown as { enum: string[] }).enum }));

/** Four values of the schema's list in a row, quoted and comma-separated (`'N', 'F', 'M', 'S'`), or as text (`N F M S`). */
function copyPatterns(values: string[]): RegExp[] {
  const run = values.slice(0, Math.min(4, values.length));
  const q = `['"\`]`;
  return [
    new RegExp(run.map((v) => `${q}${esc(v)}${q}`).join('\\s*,\\s*')),
    ...(run.every((v) => v.length === 1) ? [new RegExp(`\\b${run.join('[ ,/|]')}\\b`)] : []),
  ];
}

t.test('schemas/generated/enums.ts is what npm run gen writes', async (t) => {
  t.equal(readFileSync(new URL('../generated/enums.ts', import.meta.url), 'utf8'), generateEnums(), 'run `npm run gen` and commit');
});

t.test('the patterns catch a copy', async (t) => {
  const flags = enums.find((e) => e.id === 'lifeline:source-flag')!.values;
  t.ok(copyPatterns(flags).some((re) => re.test(`const FLAGS = new Set(['N', 'F', 'M', 'S', 'D', 'C', 'T', 'B']);`)));
  t.ok(copyPatterns(flags).some((re) => re.test('`is not one of N F M S D C T B`')));
  const kinds = enums.find((e) => e.id === 'lifeline:observation-kind')!.values;
  t.ok(copyPatterns(kinds).some((re) => re.test(`const KINDS = ["rtd","min","hour","day"]`)));
  t.notOk(copyPatterns(kinds).some((re) => re.test(`{ rtd: 'day', min: 'day', hour: 'month', day: 'year' }`)), 'a map keyed by kind is not a copy');
});

t.test('no source file copies an enum list from schemas/json', async (t) => {
  const hits: string[] = [];
  const self = fileURLToPath(import.meta.url); // its own samples of a copy, above
  for (const file of sources(root)) {
    if (file === self) continue;
    const text = readFileSync(file, 'utf8');
    for (const e of enums) for (const re of copyPatterns(e.values)) {
      const m = re.exec(text);
      if (m) hits.push(`${relative(root, file)}: ${e.id} (${m[0]}): import it from schemas/generated/enums.ts (hub/sdk for adapters)`);
    }
  }
  t.same(hits, [], 'enum lists copied from a schema');
});

// Adapter and publisher config defaults live in their config.schema.json only (the publish settings' in the hub's): ajv fills them before create(), and
// withSchemaDefaults (hub/sdk) for code that builds a config itself. A `key ?? <the schema's default for key>` in an
// adapter's sources is a second copy that can drift from the schema; this test fails on one.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const adaptersDir = join(root, 'adapters');

/** `key ?? literal` that is not a config default, with why. */
const allowed: Record<string, string> = {
  // The codecs are pure functions with options of their own (decoder CLI, sims, fuzzing), not the config block.
  'adapters/hj212/codec/segments.ts .mode': 'codec option',
  'adapters/hj212/decode-cli.ts .mode': 'lifeline hj212 decode --strict, not config',
  'adapters/modbus_tcp/codec/registers.ts .order': 'codec option (register layouts from profiles and tests)',
  'adapters/json_http/signature.ts .prefix': 'sign/verify take a partial HMAC config from tests and the fuzzer',
  // The default sits inside an optional `tls` block: without the block ajv has nothing to fill it in.
  'adapters/hj212_upstream/index.ts .reject_unauthorized': 'inside optional tls',
  'adapters/mqtt_publish/index.ts .reject_unauthorized': 'inside optional tls',
};

function defaultsByKey(node: unknown, out: Map<string, Set<string>>): Map<string, Set<string>> {
  if (Array.isArray(node)) for (const x of node) defaultsByKey(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries((node as { properties?: Record<string, unknown> }).properties ?? {})) {
      if (v && typeof v === 'object' && 'default' in v) { if (!out.has(k)) out.set(k, new Set()); out.get(k)!.add(JSON.stringify((v as { default: unknown }).default)); }
    }
    for (const v of Object.values(node)) defaultsByKey(v, out);
  }
  return out;
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (['test', 'sim', 'vectors', 'fixtures', 'examples'].includes(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const literal = /\.(\w+)\s*\?\?\s*(-?\d[\d_]*(?:\.\d+)?|'[^'\n]*'|"[^"\n]*"|true|false)(?![\w.])/g;
const asJson = (lit: string) => (/^['"]/.test(lit) ? JSON.stringify(lit.slice(1, -1)) : JSON.stringify(JSON.parse(lit.replace(/_/g, ''))));

/** Each `key ?? literal` in the adapter's sources whose literal is the schema's default for that key. */
export function repeatedDefaults(id: string): string[] {
  const schemaFile = join(adaptersDir, id, 'config.schema.json');
  if (!existsSync(schemaFile)) return [];
  const defaults = defaultsByKey(JSON.parse(readFileSync(schemaFile, 'utf8')), new Map());
  const hits: string[] = [];
  for (const file of sources(join(adaptersDir, id))) {
    for (const m of readFileSync(file, 'utf8').matchAll(literal)) {
      const where = `${relative(root, file)} .${m[1]}`;
      if (defaults.get(m[1]!)?.has(asJson(m[2]!)) && !(where in allowed)) hits.push(`${where} ?? ${m[2]}`);
    }
  }
  return hits;
}

t.test('the scan finds a repeated default', async (t) => {
  const text = "const port = d.port ?? 502, unit = d.unit_id ?? 1; const q = s.qos ?? 1; x.other ?? 7;";
  const found = [...text.matchAll(literal)].map((m) => `${m[1]} ${asJson(m[2]!)}`);
  t.same(found, ['port 502', 'unit_id 1', 'qos 1', 'other 7']);
});

/** The hub's own config sections read by these folders: their defaults are in schemas/json/config.schema.json only. */
const hubFolders = ['hub/delivery', 'hub/config'];

t.test('the publish settings do not repeat a default of the hub config schema', async (t) => {
  const defaults = defaultsByKey(JSON.parse(readFileSync(join(root, 'schemas/json/config.schema.json'), 'utf8')), new Map());
  const hits: string[] = [];
  for (const folder of hubFolders) for (const file of sources(join(root, folder))) {
    for (const m of readFileSync(file, 'utf8').matchAll(literal)) if (defaults.get(m[1]!)?.has(asJson(m[2]!))) hits.push(`${relative(root, file)} .${m[1]} ?? ${m[2]}`);
  }
  t.same(hits, [], 'take it from the schema: ajv filled it (or withSchemaDefaults)');
});

t.test('no adapter repeats a default of its config schema', async (t) => {
  const ids = readdirSync(adaptersDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  t.ok(ids.includes('modbus_tcp') && ids.includes('mqtt_publish'));
  t.same(ids.flatMap(repeatedDefaults), [], 'take it from the schema: ajv filled it (or withSchemaDefaults from hub/sdk)');
});

// The config tables in docs/ are generated from the JSON Schemas, so they cannot drift: `npm run gen`
// rewrites every block between `<!-- config:start -->` and `<!-- config:end -->`, and a test compares.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

interface Prop {
  type?: string | string[]; default?: unknown; description?: string; enum?: unknown[]; $ref?: string;
  properties?: Record<string, Prop>; items?: Prop; required?: string[]; oneOf?: Prop[]; anyOf?: Prop[];
  additionalProperties?: boolean | Prop; minimum?: number; maximum?: number;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n+/g, ' ');
const show = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function typeOf(p: Prop): string {
  if (p.enum) return p.enum.map((e) => String(e)).join(' | ');
  if (p.$ref) return p.$ref.replace(/^lifeline:/, '');
  const alts = p.oneOf ?? p.anyOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(' or ');
  const t = Array.isArray(p.type) ? p.type.join(' or ') : p.type ?? 'any';
  if (t === 'array' && p.items) return `array of ${p.items.properties ? 'objects' : typeOf(p.items)}`;
  if (t === 'object' && !p.properties && typeof p.additionalProperties === 'object') return `map of ${p.additionalProperties.properties ? 'objects' : typeOf(p.additionalProperties)}`;
  const range = p.minimum !== undefined || p.maximum !== undefined ? ` (${p.minimum ?? ''}…${p.maximum ?? ''})` : '';
  return t + range;
}

function rows(props: Record<string, Prop>, required: string[], prefix: string, out: string[]): void {
  for (const [k, p] of Object.entries(props)) {
    const key = prefix + k;
    const def = 'default' in p ? show(p.default) : required.includes(k) ? 'required' : '';
    out.push(`| \`${key}\` | ${def} | ${cell(typeOf(p))} | ${cell(p.description ?? '')} |`);
    const nested = p.properties ? p : p.items?.properties ? p.items : typeof p.additionalProperties === 'object' && p.additionalProperties.properties ? p.additionalProperties : undefined;
    if (nested?.properties) {
      const sep = p.properties ? '.' : p.items ? '[].' : '.<name>.';
      rows(nested.properties, nested.required ?? [], key + sep, out);
    }
  }
}

/** The Markdown table of a config schema: one row per key, nested keys dotted (`tls.cert`, `devices[].host`). */
export function renderConfigTable(schema: Prop): string {
  const out = ['| Key | Default | Type | Meaning |', '|---|---|---|---|'];
  rows(schema.properties ?? {}, schema.required ?? [], '', out);
  return out.join('\n');
}

const MARK = /(<!-- config:start -->\n)[\s\S]*?(\n<!-- config:end -->)/;

/** Docs pages with a config block, and the schema each is generated from. */
export function configPages(root: URL): { page: URL; schema: URL }[] {
  const out: { page: URL; schema: URL }[] = [{ page: new URL('docs/config.md', root), schema: new URL('schemas/json/config.schema.json', root) }];
  for (const dir of ['docs/adapters/', 'docs/publishers/']) {
    const d = new URL(dir, root);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).filter((f) => f.endsWith('.md'))) {
      const schema = new URL(`adapters/${f.replace(/\.md$/, '')}/config.schema.json`, root);
      if (existsSync(schema)) out.push({ page: new URL(f, d), schema });
    }
  }
  return out;
}

/** The page's text with its config block regenerated (unchanged when it has no markers). */
export function withConfigTable(page: string, schema: Prop): string {
  return page.replace(MARK, (_m, a: string, b: string) => `${a}${renderConfigTable(schema)}${b}`);
}

export function writeConfigTables(root: URL): string[] {
  const changed: string[] = [];
  for (const { page, schema } of configPages(root)) {
    const before = readFileSync(page, 'utf8');
    const after = withConfigTable(before, JSON.parse(readFileSync(schema, 'utf8')) as Prop);
    if (after !== before) { writeFileSync(page, after); changed.push(page.pathname); }
  }
  return changed;
}

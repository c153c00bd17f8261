// Catalogue checks over every built-in adapter (zigbee-herdsman-converters style).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { builtinAdapters } from '../adapters/index.ts';
import { assertAdapter } from '../hub/adapters/loader.ts';

const ids = Object.keys(builtinAdapters);
t.ok(ids.length >= 1, `${ids.length} built-in adapter(s)`);
for (const id of ids) {
  t.test(id, async (t) => {
    const def = assertAdapter(await builtinAdapters[id]!(), id);
    t.equal(def.manifest.id, id, 'registered under its own id');
    t.match(id, /^[a-z][a-z0-9_]*$/, 'snake_case');
    t.ok(existsSync(new URL(`../docs/adapters/${id}.md`, import.meta.url)), `docs/adapters/${id}.md exists`);
    t.ok(existsSync(new URL(`../adapters/${id}/test/conformance.test.ts`, import.meta.url)), 'runs the conformance kit in its tests');
    // The docs page's config table is written by hand: it must list exactly the schema's keys, with their defaults.
    const page = readFileSync(new URL(`../docs/adapters/${id}.md`, import.meta.url), 'utf8');
    const block = /<!-- config:start -->([\s\S]*?)<!-- config:end -->/.exec(page)?.[1] ?? '';
    const rows = new Map([...block.matchAll(/^\| `([a-z0-9_]+)` \| ([^|]*) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));
    const props = (def.manifest.configSchema as { properties: Record<string, { default?: unknown }> }).properties;
    t.same([...rows.keys()].sort(), Object.keys(props).sort(), 'docs config table lists every key, and only those');
    for (const [k, p] of Object.entries(props)) {
      if ('default' in p) t.equal(rows.get(k), `\`${String(p.default)}\``, `${k}: documented default`);
    }
  });
}

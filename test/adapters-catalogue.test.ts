// Catalogue checks over every built-in adapter (zigbee-herdsman-converters style).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { builtinAdapters } from '../adapters/index.ts';
import { assertAdapter } from '../hub/adapters/loader.ts';
import { withConfigTable } from '../scripts/config-table.ts';

const ids = Object.keys(builtinAdapters);
t.ok(ids.length >= 1, `${ids.length} built-in adapter(s)`);
for (const id of ids) {
  t.test(id, async (t) => {
    const def = assertAdapter(await builtinAdapters[id]!(), id);
    t.equal(def.manifest.id, id, 'registered under its own id');
    t.match(id, /^[a-z][a-z0-9_]*$/, 'snake_case');
    t.ok(existsSync(new URL(`../docs/adapters/${id}.md`, import.meta.url)), `docs/adapters/${id}.md exists`);
    t.ok(existsSync(new URL(`../adapters/${id}/test/conformance.test.ts`, import.meta.url)), 'runs the conformance kit in its tests');
    t.equal(typeof def.manifest.conformance?.driver, 'function', 'declares its adapter-contract driver (manifest.conformance.driver; conformance/test/contract.test.ts runs it)');
    // The docs page's config table is generated from the schema (`npm run gen`); stale means someone forgot.
    const page = readFileSync(new URL(`../docs/adapters/${id}.md`, import.meta.url), 'utf8');
    t.match(page, /<!-- config:start -->\n[\s\S]*\n<!-- config:end -->/, 'has a config table block');
    t.equal(page, withConfigTable(page, def.manifest.configSchema), 'its config table matches the schema (run `npm run gen`)');
  });
}

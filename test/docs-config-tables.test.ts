// Every config table in docs/ is generated from its schema; a stale one means `npm run gen` was not run.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { configPages, withConfigTable } from '../scripts/config-table.ts';

const pages = configPages(new URL('../', import.meta.url));
t.ok(pages.some((p) => p.page.pathname.endsWith('docs/config.md')), 'the hub config page is generated too');
for (const { page, schema } of pages) {
  const text = readFileSync(page, 'utf8');
  t.equal(text, withConfigTable(text, JSON.parse(readFileSync(schema, 'utf8'))), `${page.pathname.replace(/.*\/docs\//, 'docs/')} matches ${schema.pathname.replace(/.*\/(adapters|schemas)\//, '$1/')}`);
}
t.test('renders nested keys, defaults, required and enums', async (t) => {
  const { renderConfigTable } = await import('../scripts/config-table.ts');
  const table = renderConfigTable({
    required: ['url'],
    properties: {
      url: { type: 'string', description: 'Where | to go.' },
      mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
      devices: { type: 'array', items: { type: 'object', required: ['host'], properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535, default: 502 } } } },
    },
  });
  t.equal(table, [
    '| Key | Default | Type | Meaning |', '|---|---|---|---|',
    '| `url` | required | string | Where \\| to go. |',
    '| `mode` | `a` | a \\| b |  |',
    '| `devices` |  | array of objects |  |',
    '| `devices[].host` | required | string |  |',
    '| `devices[].port` | `502` | integer (1…65535) |  |',
  ].join('\n'));
});

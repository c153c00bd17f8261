// Publisher manifest and config-schema checks (the conformance kit's clauses are adapter-shaped: its
// CONFIG-* clauses are reused as they are; the manifest rules are restated for publishers).
import type { Test } from 'tap';
import { createAjv } from '../../../hub/schemas.ts';
import { configSchemaClauses } from '../../../conformance/clauses/config-schema.ts';
import type { ClauseContext } from '../../../conformance/clauses/types.ts';
import type { PublisherDefinition } from '../../../hub/sdk/index.ts';

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema; type?: unknown };

/** Fields (at any depth) without a description. */
function undocumented(s: Schema, path = ''): string[] {
  const out: string[] = [];
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (!p.description) out.push(`${path}/${k}`);
    out.push(...undocumented(p, `${path}/${k}`));
    if (p.items) out.push(...undocumented(p.items, `${path}/${k}/items`));
  }
  return out;
}

export async function publisherConformance(t: Test, def: PublisherDefinition<never>, goodConfigs: unknown[], badConfigs: Array<[unknown, RegExp]>) {
  const m = def.manifest;
  t.match(m.id, /^[a-z][a-z0-9_]*$/, 'PUBLISHER-MANIFEST-001 id is snake_case');
  t.match(m.version, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, 'PUBLISHER-MANIFEST-002 version is semver');
  t.ok(m.title.trim() && m.description.trim() && !m.description.includes('\n'), 'PUBLISHER-MANIFEST-003 title and a one-line description');
  t.ok(['development', 'alpha', 'beta', 'stable', 'deprecated'].includes(m.stability), 'PUBLISHER-MANIFEST-004 known stability');
  t.equal(m.configSchema.$id, `lifeline:publisher/${m.id}`, 'PUBLISHER-MANIFEST-005 configSchema is named lifeline:publisher/<id>');
  t.equal(m.configSchema.$schema, 'http://json-schema.org/draft-07/schema#', 'draft-07');
  t.equal(typeof def.create, 'function');
  const validate = createAjv({ useDefaults: true }).compile({ ...m.configSchema, $id: undefined });
  t.same(undocumented(m.configSchema as Schema), [], 'every field at every depth has a description');
  const ctx = { adapter: { manifest: m } } as unknown as ClauseContext;
  for (const c of configSchemaClauses) {
    const r = await c.run(ctx);
    t.equal(r.status, 'pass', `${c.id} ${c.title}: ${r.message}`);
  }
  for (const g of goodConfigs) t.ok(validate(structuredClone(g)), `valid: ${JSON.stringify(g).slice(0, 80)} ${JSON.stringify(validate.errors ?? '')}`);
  for (const [b, why] of badConfigs) {
    t.notOk(validate(structuredClone(b)), `invalid: ${JSON.stringify(b).slice(0, 80)}`);
    t.match(JSON.stringify(validate.errors), why, 'the error names the field');
  }
}

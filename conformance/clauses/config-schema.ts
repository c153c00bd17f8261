// Config schema clauses: every field documented, defaults and examples valid (docs and forms are generated from it).
import { createAjv } from '../../hub/schemas.ts';
import { pass, fail, type Clause } from './types.ts';

type Props = Record<string, Record<string, unknown>>;
const props = (schema: Record<string, unknown>): Props => (schema.properties ?? {}) as Props;

export const configSchemaClauses: Clause[] = [
  {
    id: 'CONFIG-001', title: 'every config field has a description',
    run: ({ adapter }) => {
      const missing = Object.entries(props(adapter.manifest.configSchema)).filter(([, p]) => !p.description).map(([k]) => k);
      return missing.length ? fail(`no description: ${missing.join(', ')}`) : pass();
    },
  },
  {
    id: 'CONFIG-002', title: 'every config field has examples, and they validate',
    run: ({ adapter }) => {
      const ajv = createAjv();
      for (const [k, p] of Object.entries(props(adapter.manifest.configSchema))) {
        const examples = p.examples as unknown[] | undefined;
        if (!Array.isArray(examples) || !examples.length) return fail(`${k}: no examples`);
        const { examples: _e, default: _d, ...bare } = p;
        const v = ajv.compile(bare);
        const bad = examples.find((x) => !v(x));
        if (bad !== undefined) return fail(`${k}: example ${JSON.stringify(bad)} does not match the field's schema`);
      }
      return pass();
    },
  },
  {
    id: 'CONFIG-003', title: 'defaults validate against their field',
    run: ({ adapter }) => {
      const ajv = createAjv();
      for (const [k, p] of Object.entries(props(adapter.manifest.configSchema))) {
        if (!('default' in p)) continue;
        const { examples: _e, default: d, ...bare } = p;
        if (!ajv.compile(bare)(d)) return fail(`${k}: default ${JSON.stringify(d)} does not match the field's schema`);
      }
      return pass();
    },
  },
];

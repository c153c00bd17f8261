// Manifest clauses: what a hub, a catalogue and a docs generator read without running the adapter.
import { createAjv } from '../../hub/schemas.ts';
import { commandProblems } from '../../hub/cli/adapter-commands.ts';
import { pass, fail, type Clause } from './types.ts';

const directions = ['listen', 'poll', 'subscribe'];
const stabilities = ['development', 'alpha', 'beta', 'stable', 'deprecated'];

export const manifestClauses: Clause[] = [
  {
    id: 'MANIFEST-001', title: 'id is a snake_case protocol noun',
    run: ({ adapter: { manifest: m } }) => (/^[a-z][a-z0-9_]*$/.test(m.id) ? pass() : fail(`id "${m.id}" is not snake_case`)),
  },
  {
    id: 'MANIFEST-002', title: 'version is semver',
    run: ({ adapter: { manifest: m } }) => (/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(m.version) ? pass() : fail(`version "${m.version}" is not semver (MAJOR.MINOR.PATCH)`)),
  },
  {
    id: 'MANIFEST-003', title: 'title and a one-line description',
    run: ({ adapter: { manifest: m } }) => {
      if (!m.title?.trim()) return fail('title is empty');
      if (!m.description?.trim()) return fail('description is empty');
      return m.description.includes('\n') ? fail('description must be one line') : pass();
    },
  },
  {
    id: 'MANIFEST-004', title: 'direction and stability are known values',
    run: ({ adapter: { manifest: m } }) => {
      if (!directions.includes(m.direction)) return fail(`direction "${m.direction}" is not one of ${directions.join(', ')}`);
      return stabilities.includes(m.stability) ? pass() : fail(`stability "${m.stability}" is not one of ${stabilities.join(', ')}`);
    },
  },
  {
    id: 'MANIFEST-005', title: 'configSchema compiles and is named lifeline:adapter/<id>',
    run: ({ adapter: { manifest: m } }) => {
      const want = `lifeline:adapter/${m.id}`;
      if (m.configSchema.$id !== want) return fail(`configSchema.$id is ${JSON.stringify(m.configSchema.$id)}, expected "${want}"`);
      try { createAjv().compile({ ...m.configSchema, $id: undefined }); } catch (e) { return fail(`configSchema does not compile: ${(e as Error).message}`); }
      return m.configSchema.type === 'object' ? pass() : fail('configSchema must describe an object');
    },
  },
  {
    id: 'MANIFEST-006', title: 'every CLI command it declares has words, usage, help text and a handler',
    run: ({ adapter: { manifest: m } }) => {
      const problems = commandProblems(m.commands);
      return problems.length ? fail(problems.join('; ')) : pass();
    },
  },
];

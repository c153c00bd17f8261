// The clause model: catalogue well-formed and its docs page current; undeclared capability → not applicable.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { clauseCatalogue, profiles, profileById } from '../profiles.ts';
import { allClauses } from '../runner.ts';
import { resultOf, verdictOf, passed, failed } from '../model.ts';
import { capabilitiesOf, checkStatement } from '../capabilities.ts';
import { renderClauseCatalogue, catalogueFile } from '../../scripts/clause-catalogue.ts';

t.test('docs/reference/conformance-clauses.md is what npm run gen writes', async (t) => {
  t.equal(readFileSync(catalogueFile(new URL('../../', import.meta.url)), 'utf8'), renderClauseCatalogue(), 'run `npm run gen` and commit');
});

t.test('clauses: unique ids, traced, levelled; profiles name only known clauses', async (t) => {
  const ids = clauseCatalogue.map((c) => c.id);
  t.equal(new Set(ids).size, ids.length, 'ids unique');
  for (const c of clauseCatalogue) {
    t.match(c.id, /^([A-Z0-9]+-)?[A-Z]+-\d{3}$/, `${c.id} id form`);
    t.ok(c.title && c.title_zh && c.traces && c.method, `${c.id} documented`);
    t.ok(['MUST', 'SHOULD', 'MAY'].includes(c.level), `${c.id} level`);
  }
  for (const p of profiles) for (const id of p.clauses) t.ok(ids.includes(id), `${p.id}: ${id} exists`);
  t.same(profileById('adapter-package').clauses, allClauses.map((c) => c.id), 'the adapter-package profile is what runConformance runs');
  const basic = profileById('hj212-collector-basic').clauses, full = profileById('hj212-collector-full').clauses;
  t.ok(basic.every((id) => full.includes(id)) && full.length > basic.length, 'full is a superset of basic');
  t.throws(() => profileById('nope'), /unknown profile/);
});

t.test('a clause whose capability is not declared is not applicable, never pass', async (t) => {
  const spec = clauseCatalogue.find((c) => c.id === 'HJ212-RETX-001')!;
  const st = checkStatement({ product: { vendor: 'v', name: 'n', version: '1' }, hj212: { version: '2017', uploads: { 2011: { interval_s: 30 } } } });
  const caps = capabilitiesOf(st);
  t.ok(caps.has('hj212.upload.2011') && !caps.has('hj212.retransmission'));
  const r = resultOf(spec, caps, () => passed('would pass'));
  t.equal(r.status, 'not_applicable');
  t.match(r.message, /hj212\.retransmission/);
  t.equal(resultOf(spec, new Set([...caps, 'hj212.retransmission']), () => passed()).status, 'pass');
  t.equal(verdictOf([r]), 'pass', 'not applicable does not block');
  t.equal(verdictOf([r, resultOf(spec, new Set([...caps, 'hj212.retransmission']), () => failed('x'))]), 'fail');
  const should = { ...clauseCatalogue.find((c) => c.id === 'HJ212-FRAME-004')!, needs: [] };
  const broken = resultOf(should, caps, () => failed('lowercase'));
  t.equal(broken.status, 'warning', 'a broken SHOULD is a warning');
  t.match(broken.message, /^SHOULD not met: lowercase/);
  t.equal(verdictOf([broken]), 'pass', 'and does not fail the verdict');
});

t.test('capability statements are validated against their schema', async (t) => {
  t.throws(() => checkStatement({ product: { vendor: 'v', name: 'n' } }), { code: 'CONFORMANCE_INVALID', message: /version/ });
  t.throws(() => checkStatement({ product: { vendor: 'v', name: 'n', version: '1' }, hj212: { version: '2017', retransmission: { over_time_s: 10 } } }), { code: 'CONFORMANCE_INVALID', message: /re_count/ });
  t.throws(() => checkStatement({ product: { vendor: 'v', name: 'n', version: '1' }, hj212: { version: '2017', commands: ['9999'] } }), { code: 'CONFORMANCE_INVALID' });
});

t.test('the capability statement shown in docs/certification.md is valid', async (t) => {
  const { parse } = await import('yaml');
  const doc = readFileSync(new URL('../../docs/certification.md', import.meta.url), 'utf8');
  const block = /## The capability statement[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  t.ok(block, 'the page has the example');
  const st = checkStatement(parse(block!));
  t.same([...capabilitiesOf(st)].sort(), ['hj212', 'hj212.command', 'hj212.command.1011', 'hj212.command.1012', 'hj212.history', 'hj212.retransmission', 'hj212.segmented_uploads', 'hj212.upload.2011', 'hj212.upload.2051', 'hj212.upload.2061']);
});

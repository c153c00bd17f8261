import t from 'tap';
import { runConformance, conformanceSuite, toMarkdown, allClauses } from '../index.ts';

const fixtures = new URL('../../test/fixtures/', import.meta.url).pathname;

t.test('a conforming adapter passes every clause', async (t) => {
  const report = await conformanceSuite(t, `${fixtures}echo-adapter/index.ts`, {
    config: { readings: [{ point: 'P', time: '2026-11-25T10:00:00+08:00', value: 1 }] },
    registry: { sites: [{ code: 'S', name: 's', domain: 'water' }], devices: [{ code: 'D', site: 'S' }], points: [{ code: 'P', device: 'D', indicator: 'water.pipe_pressure' }] },
  });
  t.equal(report.results.length, allClauses.length);
  t.equal(report.failed, 0);
  t.match(toMarkdown(report), /PASSED.*\| LIFECYCLE-003 \|/s);
});

t.test('a sloppy adapter fails the clauses it breaks, and only those', async (t) => {
  const report = await runConformance(`${fixtures}sloppy-adapter/index.ts`, { config: { port: 1 } });
  const failed = report.results.filter((r) => r.status === 'fail').map((r) => r.id);
  t.same(failed, ['MANIFEST-002', 'MANIFEST-003', 'MANIFEST-004', 'MANIFEST-005', 'MANIFEST-006', 'CONFIG-001', 'CONFIG-002', 'CONFIG-003', 'LIFECYCLE-002', 'LIFECYCLE-003']);
  t.match(report.results.find((r) => r.id === 'LIFECYCLE-003')!.message, /status must be ok, degraded or down/);
  t.match(report.results.find((r) => r.id === 'MANIFEST-006')!.message, /commands\[0\]\.words must be lower-case.*commands\[0\]\.help is empty/);
  t.match(toMarkdown(report), /FAILED/);
});

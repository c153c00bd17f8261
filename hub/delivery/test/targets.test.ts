// Publish config checks that stop the hub at start, with the path: a filter that can never match is an error,
// because the target's cursor moves past what its filter excludes.
import t from 'tap';
import { resolvePublish } from '../targets.ts';

t.test('a misspelt indicator in a target filter is CONFIG_INVALID naming the entry', async (t) => {
  const publish = { targets: { city: { type: 'http_push', filter: { indicators: ['water.pipe_pressure', 'water.pipe_presure'] }, config: { url: 'http://127.0.0.1:9/x' } } } };
  await t.rejects(resolvePublish(publish as never, process.cwd(), {}), {
    code: 'CONFIG_INVALID', details: { errors: [{ path: '/publish/targets/city/filter/indicators/1', message: /"water.pipe_presure" is not an indicator code/ }] },
  });
  const ok = await resolvePublish({ targets: { city: { ...publish.targets.city, filter: { indicators: ['water.pipe_pressure'] } } } } as never, process.cwd(), {});
  t.same(ok.targets.map((x) => x.filter), [{ indicators: ['water.pipe_pressure'] }]);
});

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

t.test('a target written without batch, retry, enabled or start gets the config schema\'s defaults', async (t) => {
  const { schemaById } = await import('../../schemas.ts');
  const target = (schemaById('lifeline:config') as any).properties.publish.properties.targets.additionalProperties.properties; // eslint-disable-line @typescript-eslint/no-explicit-any
  const s = await resolvePublish({ targets: { up: { type: 'http_push', config: { url: 'http://127.0.0.1:1/' } } } } as never, process.cwd(), {});
  const up = s.targets[0]!;
  t.equal(up.enabled, target.enabled.default);
  t.equal(up.start, target.start.default);
  t.same(up.batch, { maxSize: target.batch.properties.max_size.default, maxWaitMs: target.batch.properties.max_wait_ms.default });
  t.same(up.retry, {
    initialMs: target.retry.properties.initial_ms.default, maxMs: target.retry.properties.max_ms.default, multiplier: target.retry.properties.multiplier.default,
    maxAttempts: target.retry.properties.max_attempts.default, jitter: target.retry.properties.jitter.default,
  });
  t.ok(Object.values(up.retry).every((v) => typeof v === 'number'), 'every retry setting has a schema default');
  t.equal(s.pollMs, (schemaById('lifeline:config') as any).properties.publish.properties.poll_ms.default); // eslint-disable-line @typescript-eslint/no-explicit-any
});

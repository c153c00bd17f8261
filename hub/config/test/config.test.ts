import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig, sampleConfigPath, validateConfigDoc } from '../load.ts';
import { childEnv } from '../../../test/helpers/child-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-cfg-'));
const write = (name: string, text: string) => { const f = join(dir, name); writeFileSync(f, text); return f; };
const bin = new URL('../../../bin/lifeline.js', import.meta.url).pathname;

t.test('the sample config is valid and gets defaults', async (t) => {
  const { config } = loadConfig(sampleConfigPath, {});
  t.equal(config.server.port, 8080);
  t.equal(config.timezone, 'Asia/Shanghai');
  t.equal(config.store.url, undefined, 'embedded store by default');
  t.same(config.api.keys, []);
  t.ok(config.registry.points.length >= 5);
});

t.test('env overrides', async (t) => {
  const { config } = loadConfig(sampleConfigPath, { DATABASE_URL: 'postgres://x@h/db', PORT: '9999', LIFELINE_DATA_DIR: '/var/x' });
  t.equal(config.store.url, 'postgres://x@h/db');
  t.equal(config.server.port, 9999);
  t.equal(config.data_dir, '/var/x');
  t.equal(config.store.embedded_cache_mb, 128, 'the embedded page cache defaults to PostgreSQL\'s 128 MB');
  t.equal(loadConfig(sampleConfigPath, { LIFELINE_EMBEDDED_CACHE_MB: '24' }).config.store.embedded_cache_mb, 24);
  for (const v of ['0', '1.5', 'lots']) t.throws(() => loadConfig(sampleConfigPath, { LIFELINE_EMBEDDED_CACHE_MB: v }), { code: 'CONFIG_INVALID', message: /LIFELINE_EMBEDDED_CACHE_MB/ }, v);
  t.throws(() => loadConfig(sampleConfigPath, { PORT: 'abc' }), { code: 'CONFIG_INVALID', message: /PORT/ });
  t.throws(() => loadConfig(sampleConfigPath, { LOG_LEVEL: 'loud' }), { code: 'CONFIG_INVALID', message: /LOG_LEVEL/ });
});

t.test('errors name the offending path', async (t) => {
  const cases: Array<[unknown, string, RegExp]> = [
    [{ server: { port: 'eighty' } }, '/server/port', /integer/],
    [{ colour: 1 }, '/colour', /not a known field/],
    [{ timezone: 'Mars/Base' }, '/timezone', /IANA/],
    [{ api: { keys: [{ name: 'a', hash: 'plain', scopes: ['read'] }] } }, '/api/keys/0/hash', /pattern/],
    [{ api: { keys: [{ name: 'a', hash: 'sha256:' + '0'.repeat(64), scopes: ['root'] }] } }, '/api/keys/0/scopes/0', /read, ingest, admin/],
    [{ registry: { sites: [{ code: 'S', name: 's', domain: 'water' }], devices: [{ code: 'D', site: 'S' }], points: [{ code: 'P', device: 'D', indicator: 'water.nope' }] } }, '/registry/points/0/indicator', /catalogue/],
    [{ registry: { sites: [{ code: 'S', name: 's', domain: 'water' }], devices: [{ code: 'D', site: 'T' }] } }, '/registry/devices/0/site', /not registered/],
    [{ registry: { sites: [{ code: 'S', name: 's', domain: 'water' }], devices: [{ code: 'D', site: 'S' }], points: [{ code: 'P', device: 'D', indicator: 'water.pipe_pressure', source_unit: 'm/s' }] } }, '/registry/points/0/source_unit', /cannot convert/],
    [{ registry: { sites: [{ code: 'S', name: 's', domain: 'water' }], devices: [{ code: 'D', site: 'S', identities: [{ protocol: 'hj212', key: '1' }] }, { code: 'E', site: 'S', identities: [{ protocol: 'hj212', key: '1' }] }] } }, '/registry/devices/1/identities/0/key', /already/],
    [{ registry: { sites: [{ code: 'S', name: 's', domain: 'rivers' }] } }, '/registry/sites/0/domain', /gas, water/],
  ];
  for (const [doc, path, msg] of cases) {
    const errors = validateConfigDoc(doc);
    const hit = errors.find((e) => e.path === path);
    t.ok(hit, `${path} reported (got ${JSON.stringify(errors)})`);
    if (hit) t.match(hit.message, msg);
  }
});

t.test('lifeline check-config', async (t) => {
  const good = spawnSync(process.execPath, [bin, 'check-config', sampleConfigPath], { encoding: 'utf8', env: childEnv() });
  t.equal(good.status, 0, good.stderr);
  t.match(good.stdout, /OK \(5 sites, 6 devices, 6 points/);
  const f = write('bad.yaml', 'server:\n  port: -1\nregistry:\n  points:\n    - { code: P, device: NOPE, indicator: gas.pipe_pressure }\n');
  const bad = spawnSync(process.execPath, [bin, 'check-config', f], { encoding: 'utf8', env: childEnv() });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /CONFIG_INVALID/);
  t.match(bad.stderr, /\/server\/port/);
  const syntax = spawnSync(process.execPath, [bin, 'check-config', write('syntax.yaml', 'server: [\n')], { encoding: 'utf8', env: childEnv() });
  t.equal(syntax.status, 1);
  t.match(syntax.stderr, /YAML syntax/);
  const missing = spawnSync(process.execPath, [bin, 'check-config', join(dir, 'nope.yaml')], { encoding: 'utf8', env: childEnv() });
  t.match(missing.stderr, /CONFIG_NOT_FOUND/);
});

t.test('lifeline indicators prints the catalogue', async (t) => {
  const r = spawnSync(process.execPath, [bin, 'indicators', '--domain', 'water'], { encoding: 'utf8', env: childEnv() });
  t.equal(r.status, 0);
  t.match(r.stdout, /water\.pipe_pressure\s+MPa\s+0\.\.2\.5/);
  t.match(r.stdout, /water\.hydrant_flow\s+m3\/h\s+1\.8\.\.180/);
  t.notMatch(r.stdout, /gas\./);
  const json = JSON.parse(spawnSync(process.execPath, [bin, 'indicators', '--json'], { encoding: 'utf8', env: childEnv() }).stdout) as unknown[];
  t.equal(json.length, 49);
  const hk = spawnSync(process.execPath, [bin, 'hash-key', 'test'], { encoding: 'utf8', env: childEnv() });
  t.equal(hk.stdout.trim(), 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
});

t.test('a misspelt zone in an adapter block is a config error naming the key, not a RangeError later', async (t) => {
  const { resolveAdapters, validateAdapterConfigs } = await import('../../adapters/loader.ts');
  const defs = await resolveAdapters(['json_mqtt', 'sql_poll'], [], process.cwd());
  const errors = validateAdapterConfigs(defs, {
    json_mqtt: { broker: { url: 'mqtt://127.0.0.1:1883' }, subscriptions: [{ topic: 'x/{device}/up', profile: 'flat-reading' }], timezone: 'Asia/Shanghia' },
    sql_poll: { sources: [{ name: 's', driver: 'postgres', url: 'postgres://127.0.0.1/x', timezone: 'Mars/Olympus' }] },
  });
  t.same(errors.map((e) => [e.path, e.message]), [
    ['/adapters/json_mqtt/timezone', '"Asia/Shanghia" is not an IANA time zone (e.g. Asia/Shanghai)'],
    ['/adapters/sql_poll/sources/0/timezone', '"Mars/Olympus" is not an IANA time zone (e.g. Asia/Shanghai)'],
  ]);
});

t.test('check-config lists every mistake of a file in one run', async (t) => {
  // Nine mistakes of seven kinds, found by four different checks (schema, registry, adapter lookup, adapter and
  // publish target config): it used to take four runs, each showing only the first check's findings.
  const f = write('many.yaml', [
    'timezone: Mars/Base', 'server:', '  port: eighty', 'colour: blue',
    'registry:',
    '  sites:', '    - { code: S1, name: Site one, domain: gass }',
    '  devices:', '    - { code: D1, site: S9 }',
    '  points:',
    '    - { code: P1, device: D1, indicator: gas.nope }',
    '    - { code: P2, device: D1, indicator: gas.pipe_pressure, source_unit: m/s }',
    '    - { code: P3, device: D1 }',
    'adapters:', '  hj21: {}', '  json_http: { profiles: 5 }',
    'publish:', '  targets:', '    up: { type: http_push, config: { url: 12 } }',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [bin, 'check-config', f], { encoding: 'utf8', env: childEnv({ LIFELINE_RUN: 'ts' }) });
  t.equal(r.status, 1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('  /')).map((l) => l.trim());
  t.same(lines.map((l) => l.split(':')[0]), [
    '/colour', '/timezone', '/server/port', '/registry/sites/0/domain', '/registry/points/2/indicator',
    '/registry/devices/0/site', '/registry/points/0/indicator', '/registry/points/1/source_unit',
    '/adapters/hj21', '/adapters/json_http/profiles', '/publish/targets/up/config/url',
  ], r.stderr);
  t.match(r.stderr, /11 problem\(s\)/);
  t.match(r.stderr, /\/timezone: "Mars\/Base" is not an IANA time zone/, 'the bad zone is in the message');
  t.match(r.stderr, /\/registry\/sites\/0\/domain: .*\(did you mean "gas"\?\)/);
  t.match(r.stderr, /\/adapters\/hj21: no built-in adapter or plugin has id "hj21" \(did you mean "hj212"\?\)/);
  t.match(r.stderr, /\/registry\/points\/2\/indicator: is required/);
  t.notMatch(r.stderr, /"undefined"/, 'a field the schema reported missing is not reported again by the registry check');
});

t.test('the registry is cross-checked past schema errors, without repeating them', async (t) => {
  const errors = validateConfigDoc({ server: { port: -1 }, registry: { sites: [{ code: 'S', name: 's', domain: 'water' }, 7], devices: [{ code: 'D', site: 'T', identities: 'x' }], points: [{ code: 'P', device: 'D', indicator: 'water.nope' }, { device: 'E' }] } });
  t.same(errors.map((e) => e.path).sort(), [
    '/registry/devices/0/identities', '/registry/devices/0/site', '/registry/points/0/indicator', '/registry/points/1/code',
    '/registry/points/1/device', '/registry/points/1/indicator', '/registry/sites/1', '/server/port',
  ].sort(), JSON.stringify(errors));
  t.match(errors.find((e) => e.path === '/registry/points/1/device')!.message, /device "E" is not registered/);
});

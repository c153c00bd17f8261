// Files named in config are read at create(): a wrong path is CONFIG_INVALID naming the key, not a later ENOENT.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigFile } from '../files.ts';
import mqttPublish from '../../../adapters/mqtt_publish/index.ts';

t.test('relative to the config directory; missing → CONFIG_INVALID with the key path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-files-'));
  writeFileSync(join(dir, 'ca.pem'), 'pem');
  t.equal(readConfigFile('ca.pem', '/x/ca', dir).toString(), 'pem');
  t.throws(() => readConfigFile('missing.pem', '/x/ca', dir), { code: 'CONFIG_INVALID', details: { path: '/x/ca' }, message: new RegExp(`/x/ca: cannot read ${join(dir, 'missing.pem')}: ENOENT`) });
});

t.test('mqtt_publish with a missing CA file fails at create, naming the target key', async (t) => {
  const ctx = { name: 'city', logger: console, metrics: { received() {}, sent() {}, error() {}, dropped() {} }, signal: new AbortController().signal, clock: { now: Date.now } };
  await t.rejects(Promise.resolve().then(() => mqttPublish.create({ url: 'mqtt://127.0.0.1:1883', topic: 'x/{point}', tls: { ca: '/nonexistent/ca.pem' } } as never, ctx as never)),
    { code: 'CONFIG_INVALID', details: { path: '/publish/targets/city/config/tls/ca' } });
});

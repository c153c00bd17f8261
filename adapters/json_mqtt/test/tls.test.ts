// TLS with a private CA, a client certificate the broker requires, and a user name + password (from an
// environment variable): readings flow. A broker certificate from another CA is refused and reported.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needService } from '../../../test/helpers/services.ts';
import { mosquittoAvailable, privateBroker, connect, until } from './fixtures/broker.ts';
import { hubWithMqtt, health, observations, topicProfile } from './fixtures/setup.ts';

const ssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

function makePki(dir: string): void {
  for (const ca of ['ca', 'other-ca']) {
    ssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  }
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, ext] of [['server', ['-extfile', 'san.ext']], ['client', []]] as const) {
    ssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    ssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...ext);
  }
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'hub', 's3cret'], { stdio: 'ignore' });
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644); // Mosquitto may run as its own user
}

t.test('mqtts with CA, client certificate and password', async (t) => {
  if (!needService(t, 'mosquitto binary', mosquittoAvailable())) return;
  // Start a plain one for its port and directory, then restart it with TLS (the PKI goes into its directory).
  const broker = await privateBroker();
  await broker.kill();
  const pki = broker.dir;
  makePki(pki);
  writeFileSync(join(pki, 'mosquitto.conf'), [
    `listener ${broker.port} 127.0.0.1`, `cafile ${pki}/ca.crt`, `certfile ${pki}/server.crt`, `keyfile ${pki}/server.key`,
    'require_certificate true', 'allow_anonymous false', `password_file ${pki}/passwd`, 'log_dest none', '',
  ].join('\n'));
  await broker.start();
  t.teardown(() => broker.cleanup());
  const url = `mqtts://127.0.0.1:${broker.port}`;

  process.env.LT_MQTT_PASSWORD = 's3cret';
  const h = await hubWithMqtt({
    broker: { url, ca: `${pki}/ca.crt`, cert: `${pki}/client.crt`, key: `${pki}/client.key`, username: 'hub', password_env: 'LT_MQTT_PASSWORD', client_id: 'tls-hub' },
    subscriptions: [{ topic: 'secure/{device}', profile: topicProfile }],
  });
  t.teardown(() => h.cleanup());
  t.equal((await health(h)).detail.state, 'connected', 'connected over TLS with client certificate and password');
  const pub = await connect(url, { username: 'hub', password: 's3cret', ...certs(pki) });
  await pub.publishAsync('secure/dev-1', JSON.stringify({ ts: Date.UTC(2026, 0, 1), data: [{ code: 'level', value: 7 }] }), { qos: 1 });
  await pub.endAsync();
  await until(async () => (await observations(h)).length === 1, 10_000, 'reading over TLS');
  t.pass('reading stored');

  const bad = await hubWithMqtt({
    broker: { url, ca: `${pki}/other-ca.crt`, cert: `${pki}/client.crt`, key: `${pki}/client.key`, username: 'hub', password: 's3cret', client_id: 'tls-bad', connect_timeout_ms: 1000, reconnect_period_ms: 500 },
    subscriptions: [{ topic: 'secure/{device}', profile: topicProfile }],
  });
  t.teardown(() => bad.cleanup());
  const hb = await until(async () => { const x = await health(bad); return x.detail.last_error ? x : undefined; }, 10_000, 'error reported');
  t.equal(hb.status, 'degraded', 'not connected: degraded');
  t.match(hb.detail.last_error, /certificate|self.signed|verify/i, `last_error: ${hb.detail.last_error}`);
});

function certs(pki: string) {
  const read = (f: string) => readFileSync(join(pki, f));
  return { ca: read('ca.crt'), cert: read('client.crt'), key: read('client.key') };
}

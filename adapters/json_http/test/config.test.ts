// Endpoint config problems stop the hub at start, with the path of the key.
import t from 'tap';
import { buildEndpoints } from '../webhook.ts';
import type { JsonHttpConfig } from '../manifest.ts';
import { sign } from '../signature.ts';

// Computed with the openssl commands in the last test (independent of Node's crypto).
const KNOWN_SHA256 = '471d35fa68213849b4a1d2f9e1842a43b7eb85775434576a726fe8203446ebb9';
const KNOWN_SM3_B64 = 'KCdbjYSZAOunL+U4sbBn2J7qIXZ0EIBWb1uCyPRgwpM=';
const ctx = { timezone: 'Asia/Shanghai' };
const build = (profiles: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => buildEndpoints({ profiles } as unknown as JsonHttpConfig, ctx, env);

t.throws(() => build({ x: { mapping: 'no-such-profile' } }), { code: 'CONFIG_INVALID', details: { path: '/adapters/json_http/profiles/x/mapping' } }, 'unknown shipped profile');
t.throws(() => build({ x: { mapping: { device: 'd', values: [{ field: 'a', value: '(' }] } } }), { code: 'CONFIG_INVALID', message: /profiles\.x\.mapping: .*\/values\/0\/value/ }, 'inline profile with a syntax error');
t.throws(() => build({ x: { mapping: 'flat-reading', auth: 'hmac' } }), { code: 'CONFIG_INVALID', message: /needs hmac\.secret or hmac\.secret_env/ });
t.throws(() => build({ x: { mapping: 'flat-reading', auth: 'hmac', hmac: { secret_env: 'NOPE' } } }), { code: 'CONFIG_INVALID', message: /NOPE .* is not set/ });
t.throws(() => build({ x: { mapping: 'flat-reading', auth: 'hmac', hmac: { secret: 'short' } } }), { code: 'CONFIG_INVALID', message: /at least 16/ });

t.test('a good config: defaults filled, the endpoint name is the default profile', async (t) => {
  const eps = build({ 'flat-reading': {}, s: { mapping: 'senml', auth: 'hmac', hmac: { secret_env: 'S' } } }, { S: 'x'.repeat(20) });
  t.same([...eps.keys()], ['flat-reading', 's']);
  t.equal(eps.get('flat-reading')!.cfg.auth, 'api_key');
  t.equal(eps.get('flat-reading')!.profile.name, 'flat-reading');
  t.ok(eps.get('s')!.verify, 'hmac verifier');
  const body = Buffer.from('{}');
  t.doesNotThrow(() => eps.get('s')!.verify!({ 'x-signature': sign({ algorithm: 'sha256', encoding: 'hex', prefix: '' }, 'x'.repeat(20), body) }, body, Date.now()), 'default header x-signature, sha256, hex');
});

t.test('signing content and encodings (known answers)', async (t) => {
  // openssl: printf '1795572000.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef0123
  t.equal(sign({ algorithm: 'sha256', encoding: 'hex', prefix: '' }, '0123456789abcdef0123', Buffer.from('{"a":1}'), '1795572000'), KNOWN_SHA256);
  // openssl: printf '{"a":1}' | openssl dgst -sm3 -hmac 0123456789abcdef0123 -binary | base64
  t.equal(sign({ algorithm: 'sm3', encoding: 'base64', prefix: 'sm3=' }, '0123456789abcdef0123', Buffer.from('{"a":1}')), `sm3=${KNOWN_SM3_B64}`);
});


t.test('a relative profile path is read from the config file\'s directory, not the working directory', async (t) => {
  const configDir = new URL('./fixtures/', import.meta.url).pathname;
  const eps = buildEndpoints({ profiles: { rows: { mapping: './positional-rows.yaml' } } } as unknown as JsonHttpConfig, { ...ctx, configDir }, {});
  t.equal(eps.get('rows')!.profile.name.length > 0, true, 'loaded');
  t.throws(() => buildEndpoints({ profiles: { rows: { mapping: './positional-rows.yaml' } } } as unknown as JsonHttpConfig, { ...ctx, configDir: '/nonexistent' }, {}),
    { code: 'CONFIG_INVALID', message: /\/nonexistent\/positional-rows\.yaml does not exist/ });
});

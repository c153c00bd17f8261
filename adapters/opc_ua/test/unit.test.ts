// Pure parts: status → quality table, browse-path qualification, DataValue → SourceReading, field-name guesses,
// endpoint choice, the commands' help; and node-opcua's warnings (one fresh `lifeline opcua` process).
import t from 'tap';
import { StatusCodes, DataType } from 'node-opcua';
import { make_warningLog } from 'node-opcua-debug';
import { spawnSync } from 'node:child_process';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseEndpoint } from '../endpoint-choice.ts';
import { endpointProperty } from '../schema.ts';
import { opcuaCommand } from '../cli.ts';
import { browseOptions, pkiListOptions, pkiOptions, simOptions } from '../cli-options.ts';
import { manifest } from '../manifest.ts';
import { pkcs1v15Problem } from '../node-opcua-warnings.ts';
import { statusQuality, snake } from '../status.ts';
import { qualifyBrowsePath } from '../browse-path.ts';
import { toReading, numeric } from '../map.ts';
import { guessField } from '../browse.ts';

t.test('status mapping (the table in docs/adapters/opc_ua.md)', async (t) => {
  const q = (s: { value: number; name: string }) => statusQuality(s.value, s.name);
  t.same(q(StatusCodes.Good), { quality: 'good', flag: 'N' });
  t.same(q(StatusCodes.GoodLocalOverride), { quality: 'good', flag: 'N', warning: 'opcua_good_local_override' });
  t.same(q(StatusCodes.UncertainLastUsableValue), { quality: 'uncertain', flag: 'N', warning: 'opcua_uncertain_last_usable_value' });
  t.same(q(StatusCodes.UncertainSensorNotAccurate), { quality: 'uncertain', flag: 'N', warning: 'opcua_uncertain_sensor_not_accurate' });
  for (const c of ['BadCommunicationError', 'BadNoCommunication', 'BadNotConnected', 'BadServerNotConnected', 'BadWaitingForInitialData', 'BadTimeout'] as const) {
    t.same(q(StatusCodes[c]), { quality: 'bad', flag: 'B', warning: `opcua_${snake(c)}` }, c);
  }
  t.same(q(StatusCodes.BadSensorFailure), { quality: 'bad', flag: 'D', warning: 'opcua_bad_sensor_failure' });
  t.same(q(StatusCodes.BadDeviceFailure), { quality: 'bad', flag: 'D', warning: 'opcua_bad_device_failure' });
  t.same(q(StatusCodes.BadOutOfService), { quality: 'bad', flag: 'D', warning: 'opcua_bad_out_of_service' });
  t.same(statusQuality(0x808a0000, 'BadSensorFailure#Overflow'), { quality: 'bad', flag: 'D', warning: 'opcua_bad_sensor_failure' }, 'info bits ignored');
  t.same(statusQuality(0x80ff0000, ''), { quality: 'bad', flag: 'D', warning: 'opcua_status_0x80ff' }, 'unknown code: severity still decides');
  t.equal(snake('BadTCPInternalError'), 'bad_tcp_internal_error');
});

t.test('browse paths get the default namespace on unprefixed, non-standard names', async (t) => {
  t.equal(qualifyBrowsePath('/Objects/WaterPlant/PT101.PV', 2), '/Objects/2:WaterPlant/2:PT101.2:PV');
  t.equal(qualifyBrowsePath('/Objects/3:Plant/PT&.101.PV', 2), '/Objects/3:Plant/2:PT&.101.2:PV', 'explicit index and escaped dot kept');
  t.equal(qualifyBrowsePath('/Objects/Server.ServerStatus.CurrentTime', 2), '/Objects/Server.ServerStatus.CurrentTime');
  t.throws(() => qualifyBrowsePath('Objects/X', 1), /must start with/);
});

t.test('DataValue → SourceReading', async (t) => {
  const target = { field: 'PT101', key: 'plant' };
  const src = new Date('2026-11-25T02:00:00Z'), srv = new Date('2026-11-25T02:00:01Z');
  const good = toReading(target, { value: { value: 0.35 }, statusCode: StatusCodes.Good, sourceTimestamp: src, serverTimestamp: srv }, 1);
  t.same(good, { reading: { identity: { protocol: 'opc_ua', key: 'plant' }, field: 'PT101', time: src.getTime(), kind: 'rtd', value: 0.35 } });
  const noSrc = toReading(target, { value: { value: 1 }, statusCode: StatusCodes.Good, sourceTimestamp: null, serverTimestamp: srv }, 1);
  t.match(noSrc, { reading: { time: srv.getTime(), warnings: ['opcua_server_timestamp'] } }, 'server timestamp as fallback');
  const none = toReading(target, { value: { value: 1 }, statusCode: StatusCodes.Good, sourceTimestamp: new Date(Date.UTC(1601, 0, 1)) }, 1234);
  t.match(none, { reading: { time: 1234, warnings: ['opcua_receive_time'] } }, 'receive time as last resort');
  const bad = toReading({ ...target, device: 'WS-001-PT' }, { value: { value: 9 }, statusCode: StatusCodes.BadSensorFailure, sourceTimestamp: src }, 1);
  t.same(bad, { reading: { device: 'WS-001-PT', field: 'PT101', time: src.getTime(), kind: 'rtd', value: null, quality: 'bad', flag: 'D', warnings: ['opcua_bad_sensor_failure'] } });
  const unc = toReading(target, { value: { value: 2 }, statusCode: StatusCodes.UncertainLastUsableValue, sourceTimestamp: src }, 1);
  t.match(unc, { reading: { value: 2, quality: 'uncertain', warnings: ['opcua_uncertain_last_usable_value'] } });
  t.same(toReading(target, { value: { value: 'text' }, statusCode: StatusCodes.Good, sourceTimestamp: src }, 1), { unsupported: 'string' });
  t.equal(numeric(true), 1);
  t.equal(numeric([1, 5]), 2 ** 32 + 5, 'Int64 as [high, low]');
  t.equal(numeric(Number.NaN), undefined);
});

t.test('field names guessed from browse paths', async (t) => {
  const taken = new Set<string>();
  t.equal(guessField('/Objects/WaterPlant/PT101.PV', taken), 'PT101');
  t.equal(guessField('/Objects/Other/PT101.PV', taken), 'PT101_2', 'unique');
  t.equal(guessField('/Objects/2:Boiler/Supply Temp', taken), 'Supply_Temp');
});

t.test('Int64 words are signed, UInt64 words are not; NaN is a bad reading, not an unsupported type', async (t) => {
  t.equal(numeric([0xffffffff, 0xfffffffb], 8), -5, 'Int64 −5 as node-opcua decodes it');
  t.equal(numeric([0xffffffff, 0xfffffffb], 9), 0xffffffff * 2 ** 32 + 0xfffffffb, 'UInt64 stays unsigned');
  const target = { key: 'sim', field: 'PT101' };
  const r = toReading(target as never, { value: { value: Number.NaN, dataType: 11 }, statusCode: { value: 0, name: 'Good' }, sourceTimestamp: new Date(Date.UTC(2026, 10, 25)) }, Date.now());
  t.match(r, { reading: { value: null, quality: 'bad', flag: 'D', warnings: ['non_finite_value'] } });
});

t.test('a Float (single precision) becomes its shortest decimal; a Double is kept as it is', async (t) => {
  const widened = Math.fround(1.3651905); // what node-opcua hands over for a Float: 1.3651905059814453
  t.not(widened, 1.3651905);
  t.equal(numeric(widened, DataType.Float), 1.3651905);
  t.equal(numeric(widened, DataType.Double), widened, 'a Double is not touched');
  t.match(toReading({ field: 'F', key: 'k' }, { value: { value: Math.fround(-0.1), dataType: DataType.Float }, statusCode: StatusCodes.Good, sourceTimestamp: new Date() }, 1), { reading: { value: -0.1 } });
});

t.test('endpoint choice: the most secure endpoint with the user token asked for, else what the server offers', async (t) => {
  const policies = endpointProperty('security_policy').enum!;
  const sim = [ // what `lifeline sim opcua` offers (securityLevel as node-opcua gives it)
    { securityMode: 'Sign', securityPolicy: 'Basic256Sha256', securityLevel: 2, userTokens: ['UserName', 'Certificate'] },
    { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', securityLevel: 3, userTokens: ['UserName', 'Certificate'] },
    { securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', securityLevel: 4, userTokens: ['UserName', 'Certificate'] },
  ];
  t.match(chooseEndpoint(sim, { user: 'UserName' }, policies, 'opc.tcp://x'), { securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss' });
  t.match(chooseEndpoint(sim, { user: 'UserName', securityMode: 'Sign' }, policies, 'opc.tcp://x'), { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' });
  t.throws(() => chooseEndpoint(sim, { user: 'Anonymous' }, policies, 'opc.tcp://x'),
    { code: 'OPCUA_NO_MATCHING_ENDPOINT', message: /no anonymous session: pass --user NAME --password PASSWORD.*\n  SignAndEncrypt\/Basic256Sha256 \(users: UserName, Certificate\)/s });
  t.throws(() => chooseEndpoint(sim, { user: 'UserName', securityMode: 'None' }, policies, 'opc.tcp://x'),
    { message: /none with security mode None: pass --security-mode SignAndEncrypt --security-policy Aes256_Sha256_RsaPss/ });
  const open = [{ securityMode: 'None', securityPolicy: 'None', securityLevel: 0, userTokens: ['Anonymous'] }, ...sim];
  t.match(chooseEndpoint(open, { user: 'Anonymous' }, policies, 'opc.tcp://x'), { securityMode: 'None' }, 'anonymous only on None: taken');
  t.throws(() => chooseEndpoint([{ securityMode: 'None', securityPolicy: 'None', securityLevel: 0, userTokens: ['Anonymous'] }], { user: 'UserName' }, policies, 'u'),
    { message: /takes no user name on any endpoint: leave out --user/ });
});

t.test('`--help` of every opcua command lists every option it parses, with its default', async (t) => {
  const help = async (...args: string[]) => { const out: string[] = []; await opcuaCommand(args, (l) => out.push(l)); return out.join('\n'); };
  const browse = await help('browse', '--help');
  for (const o of browseOptions) t.match(browse, new RegExp(`--${o.name}${o.value ? ` ${o.value}` : ''}\\b`), `browse --help: --${o.name}`);
  t.match(browse, /--user NAME +user name of the session \(default: anonymous\)/);
  t.match(browse, /--depth N .*\(default: 6\)/);
  t.match(browse, /--security-mode MODE +None \| Sign \| SignAndEncrypt \(default: the most secure mode the server offers\)/);
  t.match(browse, /--namespace URI/);
  t.match(browse, /--password PASSWORD/);
  t.match(browse, /--security-policy POLICY +None \| Basic128Rsa15 .*Aes256_Sha256_RsaPss/);
  for (const sub of ['list', 'init', 'trust', 'reject']) {
    const text = await help('pki', sub, '--help');
    for (const o of sub === 'list' ? pkiListOptions : pkiOptions) t.match(text, `--${o.name}`, `pki ${sub} --help: --${o.name}`);
  }
  const { simCommand } = await import('../sim/cli.ts');
  const sim: string[] = [];
  await simCommand(['--help'], (l) => sim.push(l));
  for (const o of simOptions) t.match(sim.join('\n'), `--${o.name}`, `sim opcua --help: --${o.name}`);
  t.match(sim.join('\n'), /--password PASSWORD +that user's password \(default: lifeline-sim\)/);
  // The usage lines of `lifeline --help` come from the same tables.
  const browseCmd = manifest.commands!.find((c) => c.words.join(' ') === 'opcua browse')!;
  for (const o of browseOptions) t.match(browseCmd.usage, `[--${o.name}`, `lifeline --help: browse --${o.name}`);
  // And the parser refuses what the table does not have, naming it.
  await t.rejects(opcuaCommand(['browse', 'opc.tcp://x', '--usr', 'a']), /Unknown option '--usr'.*\n\nusage: lifeline opcua browse/s);
  await t.rejects(opcuaCommand(['browse', 'opc.tcp://x', '--security-mode', 'Encrypt']), /--security-mode Encrypt: one of None, Sign, SignAndEncrypt/);
});

t.test("node-opcua's CVE-2023-46809 self-test warning is dropped; its other warnings reach stderr", async (t) => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    const warn = make_warningLog('test');
    warn('[NODE-OPCUA-W27]', 'node version', process.version);
    warn('  you need to use node flag --security-revert=CVE-2023-46809 if you have issue with RSA PKCS#1 v1.5');
    warn('[NODE-OPCUA-W99] something real', 42);
  } finally { process.stderr.write = write; }
  t.equal(written.length, 1, written.join(''));
  t.match(written[0], /node-opcua warning \(.*\) \[NODE-OPCUA-W99\] something real 42/);
  t.equal(pkcs1v15Problem('Basic256Sha256', 'no-such-cert', 'no-such-key'), undefined, 'OAEP policies need no PKCS#1 v1.5 decryption');
  // Basic128Rsa15 does: one line of ours when this Node refuses it (Node 20 from 20.11.1 without --security-revert).
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-opcua-pkcs1-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  writeFileSync(join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const refused = (() => {
    try { privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('x'))); return false; } catch { return true; }
  })();
  const problem = pkcs1v15Problem('Basic128Rsa15', join(dir, 'pub.pem'), join(dir, 'key.pem'));
  if (refused) t.match(problem, /Basic128Rsa15 needs RSA PKCS#1 v1\.5 decryption.*CVE-2023-46809.*use Basic256Sha256 or Aes256_Sha256_RsaPss.*--security-revert=CVE-2023-46809/);
  else t.equal(problem, undefined, 'this Node decrypts PKCS#1 v1.5: nothing to say');
});

t.test('an opcua command prints no CVE-2023-46809 warning (node-opcua runs its self-test at load: in a fresh process)', async (t) => {
  const refused = (() => { // what node-opcua's self-test finds on this Node
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    try { privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('x'))); return false; } catch { return true; }
  })();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-opcua-w27-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = fileURLToPath(new URL('../../../bin/lifeline.js', import.meta.url));
  // The compiled build when it is up to date (quicker), else the sources: bin/lifeline.js decides (LIFELINE_RUN=auto).
  const r = spawnSync(process.execPath, [bin, 'opcua', 'pki', 'list', '--pki-dir', dir], { encoding: 'utf8', env: { ...process.env, LIFELINE_RUN: 'auto' }, timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /no certificates/);
  t.notMatch(`${r.stdout}${r.stderr}`, /CVE-2023-46809|NODE-OPCUA-W27/, refused ? 'this Node refuses PKCS#1 v1.5 decryption, and nothing says so' : 'this Node decrypts PKCS#1 v1.5 (nothing to warn about)');
});

t.test('a certificate both trusted and rejected: node-opcua rejects it; dropRejectedCopiesOfTrusted makes the trust count', async (t) => {
  const { tempDir, hubCertificate, HUB_ID } = await import('./helpers.ts');
  const { dropRejectedCopiesOfTrusted, openPki, readCertificate } = await import('../pki.ts');
  const { copyFileSync, existsSync, mkdirSync } = await import('node:fs');
  const dir = tempDir(t, 'opcua-dup-');
  // A peer's certificate (another PKI's own), then the state a verification racing `pki trust` leaves: a copy in both.
  const peer = await hubCertificate(join(dir, 'peer'));
  const pki = join(dir, 'pki');
  const cm = await openPki(pki, HUB_ID);
  t.teardown(() => cm.dispose());
  mkdirSync(join(pki, 'trusted', 'certs'), { recursive: true });
  copyFileSync(peer, join(pki, 'trusted', 'certs', 'peer.pem'));
  copyFileSync(peer, join(pki, 'rejected', 'peer.pem'));
  await cm.reloadCertificates();
  const der = readCertificate(peer).raw;
  t.equal(await cm.verifyCertificate(der), 'BadCertificateUntrusted', 'node-opcua looks at rejected/ first: the trust does not count');
  const dropped = dropRejectedCopiesOfTrusted(pki);
  t.equal(dropped.length, 1, 'one rejected copy removed');
  t.notOk(existsSync(join(pki, 'rejected', 'peer.pem')), 'from rejected/');
  t.ok(existsSync(join(pki, 'trusted', 'certs', 'peer.pem')), 'the trusted copy stays');
  await cm.reloadCertificates();
  t.equal(await cm.verifyCertificate(der), 'Good', 'trusted now');
  t.same(dropRejectedCopiesOfTrusted(pki), [], 'nothing left to remove');
});

// Trust in both directions over real sockets: a hub the server does not trust is rejected (health says why) until
// the server's operator trusts it; a server the hub does not trust lands in the hub's rejected folder until
// `lifeline opcua pki trust`. Also: Aes256_Sha256_RsaPss, a wrong password, the hub certificate's subject from config
// (adapter and `pki init`), `pki list` and `browse` (endpoint and user token policy chosen from what the server offers).
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tempDir, trustFile, simCertificate, startSim, startOpcHub, health, observations, until, DEFAULT_USER, SIM_NAMESPACE } from './helpers.ts';
import { listCertificates, ownCertificateFile } from '../pki.ts';
import { opcuaCommand } from '../cli.ts';

const dir = tempDir(t, 'lifeline-opcua-sec-');
const sim = await startSim(t, { pkiDir: join(dir, 'sim-pki'), items: 5, intervalMs: 200 });
const hubPki = join(dir, 'hub-pki');
const cli = async (...args: string[]) => { const lines: string[] = []; await opcuaCommand([...args, '--pki-dir', hubPki], (l) => lines.push(l)); return lines.join('\n'); };
const ownOf = (pki: string) => listCertificates(pki).find((c) => c.where === 'own')!;

t.test('the server does not trust the hub: rejected, health says why, then trusted without a hub restart', async (t) => {
  trustFile(hubPki, simCertificate(sim), 'lifeline-sim'); // the hub trusts the server; the server does not know the hub
  const h = await startOpcHub(t, sim, {
    pkiDir: hubPki, endpoint: { security_mode: 'Sign', security_policy: 'Aes256_Sha256_RsaPss' },
    // a second endpoint on the same server with a wrong password (its key is no registered device: it never delivers)
    moreEndpoints: [{ key: 'wrong-password', auth: { type: 'username', username: DEFAULT_USER.username, password: 'wrong' } }],
    // the adapter creates the hub's certificate (none yet in hubPki), with this subject
    extra: { certificate_subject: '/O=Lifeline Test Water/L=Hangzhou/C=CN', application_name: 'lifeline-test-hub' },
  });
  const ep = await until('rejected', async () => (await health(h)).endpoints[0]!.last_error?.code === 'OPCUA_CERT_REJECTED' && (await health(h)).endpoints[0]);
  const own = ownOf(hubPki);
  t.match(own.subject, /^C=CN, L=Hangzhou, O=Lifeline Test Water, CN=lifeline-test-hub@/, `the certificate's subject comes from the config: ${own.subject}`);
  t.notMatch(own.subject, /Sterfive|Orleans/, "not node-opcua's default organisation");
  t.equal(ep!.state, 'reconnecting');
  t.match(ep!.last_error!.message, own.thumbprint, 'the message names the hub certificate to trust');
  t.equal((await observations(h, 'OPCUA-SIM-PT101')).length, 0, 'nothing stored');
  const rejected = listCertificates(sim.opts.pkiDir).find((c) => c.where === 'rejected');
  t.equal(rejected?.thumbprint, own.thumbprint, "the hub's certificate is in the server's rejected folder");
  await sim.trustClient(own.thumbprint.slice(0, 12)); // the server's operator trusts it
  // The simulator's node-opcua server can undo a trust: a refusal still being verified when the certificate moves to
  // trusted/ writes it back to rejected/ (seen in CI 2026-12-05: no values in 20 s, and the browse case below then
  // rejected too). Its operator then trusts it again, as a person would, as in auth-deadband.test.ts; this is the test
  // peer's trust list, not the hub's.
  let trustedAt = Date.now();
  await until('values after trust', async () => {
    if ((await observations(h, 'OPCUA-SIM-PT101')).length > 0) return true;
    if (Date.now() - trustedAt > 8_000 && listCertificates(sim.opts.pkiDir).some((c) => c.where === 'rejected' && c.thumbprint === own.thumbprint)) {
      await sim.trustClient(own.thumbprint.slice(0, 12));
      trustedAt = Date.now();
    }
    return false;
  }, 60_000);
  t.equal((await health(h)).endpoints[0]!.state, 'connected', 'connected: Sign + Aes256_Sha256_RsaPss');
  const bad = await until('auth failure', async () => { const e = (await health(h)).endpoints[1]!; return e.last_error?.code === 'OPCUA_AUTH_FAILED' && e; });
  t.equal(bad!.state, 'reconnecting', 'a wrong password: OPCUA_AUTH_FAILED, still retrying');
});

t.test('the hub does not trust the server: rejected folder, then `lifeline opcua pki trust`', async (t) => {
  const pki2 = join(dir, 'hub2-pki');
  // `pki init --config`: the hub's certificate made before the first start, from the config's opc_ua block
  const config = join(dir, 'hub2.yaml');
  writeFileSync(config, stringify({ data_dir: '.', adapters: { opc_ua: { pki_dir: 'hub2-pki', certificate_subject: '/CN=lifeline-hub2/O=Lifeline Test Heat/C=CN', endpoints: [] } } }));
  const lines: string[] = [];
  await opcuaCommand(['pki', 'init', '--config', config], (l) => lines.push(l));
  t.match(lines.join('\n'), `${ownCertificateFile(pki2)}\n  ${ownOf(pki2).thumbprint}  C=CN, O=Lifeline Test Heat, CN=lifeline-hub2  urn:lifeline:hub`);
  trustFile(sim.opts.pkiDir, ownCertificateFile(pki2), 'lifeline-hub2'); // the server trusts this hub; the hub does not know the server
  // The running server rescans its folders now rather than whenever its file watcher reports the new file, which a
  // loaded machine can delay past this test's waits (a guess at the CI failures this step had: see the message below).
  await sim.certificateManager?.reloadCertificates();
  const h = await startOpcHub(t, sim, { pkiDir: pki2 });
  await until('untrusted server', async () => (await health(h)).endpoints[0]!.last_error?.code === 'OPCUA_SERVER_CERT_UNTRUSTED');
  const list = await cliIn(pki2, 'pki', 'list');
  const line = list.split('\n').find((l) => l.startsWith('rejected'));
  t.ok(line, `pki list shows the rejected server certificate:\n${list}`);
  const thumb = line!.split(/\s+/)[1]!;
  t.match(await cliIn(pki2, 'pki', 'trust', thumb.slice(0, 10)), /^trusted /);
  t.ok(listCertificates(pki2).some((c) => c.where === 'trusted' && c.thumbprint === thumb), 'moved to trusted');
  // The adapter retries after the rejection on its backoff; on a loaded 2-core machine the next session took over 20 s.
  // On a timeout, say what the endpoint was doing (seen twice in CI, never alone or under stress-ng: find out why).
  await until('values after trust', async () => (await observations(h, 'OPCUA-SIM-FT101')).length > 0, 60_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}; the hub's endpoint: ${JSON.stringify((await health(h)).endpoints[0])}`); });
  t.equal((await health(h)).endpoints[0]!.state, 'connected', 'connected: SignAndEncrypt + Basic256Sha256');
  await t.rejects(cliIn(pki2, 'pki', 'trust', 'deadbeefdeadbeef'), { code: 'OPCUA_CERT_NOT_FOUND' });
});

t.test('`lifeline opcua browse` drafts items from the address space', async (t) => {
  // The simulator allows no anonymous session: say so, with what it offers and the flags that fit.
  await t.rejects(cli('browse', sim.url), {
    code: 'OPCUA_NO_MATCHING_ENDPOINT',
    message: /no anonymous session: pass --user NAME --password PASSWORD\. The server offers:\n(.*\n)*  SignAndEncrypt\/Basic256Sha256 \(users: UserName, Certificate\)/,
  });
  await t.rejects(cli('browse', sim.url, '--user', 'u', '--security-mode', 'None'), { code: 'OPCUA_NO_MATCHING_ENDPOINT', message: /none with security mode None: pass --security-mode SignAndEncrypt/ });
  const out = join(dir, 'draft.yaml');
  // No security flags: the most secure endpoint the simulator offers that takes a user name.
  t.match(await cli('browse', sim.url, '--user', DEFAULT_USER.username, '--password', DEFAULT_USER.password, '--namespace', SIM_NAMESPACE, '--out', out), /wrote 6 items/);
  const draft = parse(readFileSync(out, 'utf8')) as { namespace: string; items: Array<Record<string, string>> };
  t.equal(draft.namespace, SIM_NAMESPACE);
  t.match(draft.items.find((i) => i.name === 'Info'), { browse_path: '/Objects/WaterPlant.Info', data_type: 'String' });
  t.match(draft.items.find((i) => i.name === 'PT101'), { browse_path: '/Objects/WaterPlant/PT101.PV', node_id: `nsu=${SIM_NAMESPACE};s=WaterPlant.PT101.PV`, data_type: 'Double' });
});

async function cliIn(pki: string, ...args: string[]) { const lines: string[] = []; await opcuaCommand([...args, '--pki-dir', pki], (l) => lines.push(l)); return lines.join('\n'); }

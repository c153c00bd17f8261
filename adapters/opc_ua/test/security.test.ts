// Trust in both directions over real sockets: a hub the server does not trust is rejected (health says why) until
// the server's operator trusts it; a server the hub does not trust lands in the hub's rejected folder until
// `lifeline opcua pki trust`. Also: Aes256_Sha256_RsaPss, a wrong password, `pki list` and `browse`.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { tempDir, hubCertificate, trustFile, simCertificate, startSim, startOpcHub, health, observations, until, DEFAULT_USER, SIM_NAMESPACE } from './helpers.ts';
import { listCertificates } from '../pki.ts';
import { opcuaCommand } from '../cli.ts';

const dir = tempDir(t, 'lifeline-opcua-sec-');
const sim = await startSim(t, { pkiDir: join(dir, 'sim-pki'), items: 5, intervalMs: 200 });
const hubPki = join(dir, 'hub-pki');
const hubCert = await hubCertificate(hubPki);
const own = listCertificates(hubPki).find((c) => c.where === 'own')!;
const cli = async (...args: string[]) => { const lines: string[] = []; await opcuaCommand([...args, '--pki-dir', hubPki], (l) => lines.push(l)); return lines.join('\n'); };

t.test('the server does not trust the hub: rejected, health says why, then trusted without a hub restart', async (t) => {
  trustFile(hubPki, simCertificate(sim), 'lifeline-sim'); // the hub trusts the server; the server does not know the hub
  const h = await startOpcHub(t, sim, {
    pkiDir: hubPki, endpoint: { security_mode: 'Sign', security_policy: 'Aes256_Sha256_RsaPss' },
    // a second endpoint on the same server with a wrong password (its key is no registered device: it never delivers)
    moreEndpoints: [{ key: 'wrong-password', auth: { type: 'username', username: DEFAULT_USER.username, password: 'wrong' } }],
  });
  const ep = await until('rejected', async () => (await health(h)).endpoints[0]!.last_error?.code === 'OPCUA_CERT_REJECTED' && (await health(h)).endpoints[0]);
  t.equal(ep!.state, 'reconnecting');
  t.match(ep!.last_error!.message, own.thumbprint, 'the message names the hub certificate to trust');
  t.equal((await observations(h, 'OPCUA-SIM-PT101')).length, 0, 'nothing stored');
  const rejected = listCertificates(sim.opts.pkiDir).find((c) => c.where === 'rejected');
  t.equal(rejected?.thumbprint, own.thumbprint, "the hub's certificate is in the server's rejected folder");
  await sim.trustClient(own.thumbprint.slice(0, 12)); // the server's operator trusts it
  await until('values after trust', async () => (await observations(h, 'OPCUA-SIM-PT101')).length > 0, 20_000);
  t.equal((await health(h)).endpoints[0]!.state, 'connected', 'connected: Sign + Aes256_Sha256_RsaPss');
  const bad = await until('auth failure', async () => { const e = (await health(h)).endpoints[1]!; return e.last_error?.code === 'OPCUA_AUTH_FAILED' && e; });
  t.equal(bad!.state, 'reconnecting', 'a wrong password: OPCUA_AUTH_FAILED, still retrying');
});

t.test('the hub does not trust the server: rejected folder, then `lifeline opcua pki trust`', async (t) => {
  const pki2 = join(dir, 'hub2-pki');
  trustFile(sim.opts.pkiDir, await hubCertificate(pki2), 'lifeline-hub2'); // the server trusts this hub; the hub does not know the server
  const h = await startOpcHub(t, sim, { pkiDir: pki2 });
  await until('untrusted server', async () => (await health(h)).endpoints[0]!.last_error?.code === 'OPCUA_SERVER_CERT_UNTRUSTED');
  const list = await cliIn(pki2, 'pki', 'list');
  const line = list.split('\n').find((l) => l.startsWith('rejected'));
  t.ok(line, `pki list shows the rejected server certificate:\n${list}`);
  const thumb = line!.split(/\s+/)[1]!;
  t.match(await cliIn(pki2, 'pki', 'trust', thumb.slice(0, 10)), /^trusted /);
  t.ok(listCertificates(pki2).some((c) => c.where === 'trusted' && c.thumbprint === thumb), 'moved to trusted');
  await until('values after trust', async () => (await observations(h, 'OPCUA-SIM-FT101')).length > 0, 20_000);
  t.equal((await health(h)).endpoints[0]!.state, 'connected', 'connected: SignAndEncrypt + Basic256Sha256');
  await t.rejects(cliIn(pki2, 'pki', 'trust', 'deadbeefdeadbeef'), { code: 'OPCUA_CERT_NOT_FOUND' });
});

t.test('`lifeline opcua browse` drafts items from the address space', async (t) => {
  const out = join(dir, 'draft.yaml');
  t.match(await cli('browse', sim.url, '--user', DEFAULT_USER.username, '--password', DEFAULT_USER.password, '--namespace', SIM_NAMESPACE, '--out', out), /wrote 6 items/);
  const draft = parse(readFileSync(out, 'utf8')) as { namespace: string; items: Array<Record<string, string>> };
  t.equal(draft.namespace, SIM_NAMESPACE);
  t.match(draft.items.find((i) => i.name === 'Info'), { browse_path: '/Objects/WaterPlant.Info', data_type: 'String' });
  t.match(draft.items.find((i) => i.name === 'PT101'), { browse_path: '/Objects/WaterPlant/PT101.PV', node_id: `nsu=${SIM_NAMESPACE};s=WaterPlant.PT101.PV`, data_type: 'Double' });
});

t.ok(hubCert, 'hub certificate created once for the file');

async function cliIn(pki: string, ...args: string[]) { const lines: string[] = []; await opcuaCommand([...args, '--pki-dir', pki], (l) => lines.push(l)); return lines.join('\n'); }

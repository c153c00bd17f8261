// X.509 user-certificate login and deadbands over real sockets (SignAndEncrypt, Basic256Sha256): a user certificate
// the server accepts connects and values flow, an unknown one is refused (OPCUA_AUTH_FAILED in health, no values) until
// the server trusts it; a percent deadband (of the variable's EURange) and an absolute deadband drop small changes;
// a Float (single precision) is stored as its shortest decimal.
import t from 'tap';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tempDir, hubCertificate, trustFile, simCertificate, startSim, startOpcHub, health, observations, until, SIM_NAMESPACE } from './helpers.ts';
import { listCertificates } from '../pki.ts';
import { userPkiDir } from '../sim/server.ts';

const dir = tempDir(t, 'lifeline-opcua-authdb-');
const hubPki = join(dir, 'hub-pki');
const sim = await startSim(t, {
  pkiDir: join(dir, 'sim-pki'), items: 5, intervalMs: 200,
  manual: [
    { name: 'LVL1', low: 0, high: 1000, initial: 500 }, { name: 'LVL2', low: 0, high: 1000, initial: 500 },
    { name: 'FLT1', low: 0, high: 10, initial: 1.3651905, dataType: 'Float' }, // single precision: 1.3651905059814453 as a double
  ],
});
trustFile(sim.opts.pkiDir, await hubCertificate(hubPki), 'lifeline-hub');
trustFile(hubPki, simCertificate(sim), 'lifeline-sim');

/** A self-signed user certificate and its key (what an operator gets from the plant's CA or makes with openssl). */
function userCertificate(name: string): { certificate: string; private_key: string } {
  const certificate = join(dir, `${name}.pem`), private_key = join(dir, `${name}.key`);
  const env = { ...process.env };
  delete env.OPENSSL_CONF; // node-opcua's PKI sets it (to "undefined" here) for its own openssl calls
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', private_key, '-out', certificate, '-days', '30',
    '-subj', `/CN=${name}/O=lifeline-test`, '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment',
    '-addext', 'extendedKeyUsage=clientAuth'], { stdio: 'pipe', env });
  return { certificate, private_key };
}

t.test('X.509 user certificate: an accepted user connects and values flow; an unknown one gets OPCUA_AUTH_FAILED', async (t) => {
  const operator = userCertificate('operator');
  const stranger = userCertificate('stranger');
  await sim.trustUser(operator.certificate);
  t.ok(listCertificates(userPkiDir(sim.opts.pkiDir)).some((c) => c.where === 'trusted' && /operator/.test(c.subject)), "operator is in the server's user trust list");
  const h = await startOpcHub(t, sim, {
    pkiDir: hubPki,
    endpoint: { auth: { type: 'certificate', ...operator } },
    items: [{ name: 'PT101', browse_path: '/Objects/WaterPlant/PT101.PV' }],
    // same server, a user certificate the server does not know (its key is no registered device: it never delivers)
    moreEndpoints: [{ key: 'stranger', auth: { type: 'certificate', ...stranger } }],
  });
  await until('values with the operator certificate', async () => (await observations(h, 'OPCUA-SIM-PT101')).length >= 2, 20_000);
  const ok = (await health(h)).endpoints[0]!;
  t.equal(ok.state, 'connected', 'session activated with an X509 identity token');
  t.ok(ok.values >= 2, `values: ${ok.values}`);
  const bad = await until('auth failure of the stranger', async () => { const e = (await health(h)).endpoints[1]!; return e.last_error?.code === 'OPCUA_AUTH_FAILED' && e; });
  t.equal(bad!.state, 'reconnecting', 'still retrying');
  t.match(bad!.last_error!.message, /BadIdentityTokenRejected/, `message: ${bad!.last_error!.message}`);
  t.equal(bad!.values, 0, 'no values through the refused session');
  t.equal((await health(h)).status, 'degraded');
  // The server's operator accepts the stranger too: the endpoint's next retry logs in, without a hub restart.
  await sim.trustUser(stranger.certificate);
  // Each refused try costs a secure channel and an X509 session (RSA work): on a slow machine 20 s was not always enough.
  // The simulator's node-opcua server can undo a trust: a refusal still being verified when the certificate moves to
  // trusted/ writes it back to rejected/, which node-opcua checks first (the same race the hub's own PKI handles:
  // dropRejectedCopiesOfTrusted). Its operator then accepts it again, as a person would; this is the test peer's
  // trust list, not the hub's.
  let trustedAt = Date.now();
  const now = await until('the stranger connects after being trusted', async () => {
    const e = (await health(h)).endpoints[1]!;
    if (e.state !== 'connected' && Date.now() - trustedAt > 8_000) { await sim.trustUser(stranger.certificate); trustedAt = Date.now(); }
    return e.state === 'connected' && e;
  }, 60_000);
  t.ok(now, 'connected after the server trusted the user certificate');
});

t.test('deadbands: percent of the EURange and absolute drop small changes, report large ones', async (t) => {
  const lvl = (n: string) => `nsu=${SIM_NAMESPACE};s=Manual.${n}`;
  const h = await startOpcHub(t, sim, {
    pkiDir: hubPki,
    items: [
      { name: 'DBPCT', node_id: lvl('LVL1'), deadband: { type: 'percent', value: 10 } },   // 10 % of 0…1000 = 100
      { name: 'DBALL', node_id: lvl('LVL1') },                                               // same variable, no filter
      { name: 'DBABS', node_id: lvl('LVL2'), deadband: { type: 'absolute', value: 50 } },
      { name: 'PT101', browse_path: '/Objects/WaterPlant/PT101.PV', deadband: { type: 'percent', value: 10 } }, // no EURange
      { name: 'FLOAT', node_id: lvl('FLT1') },
    ],
    points: ['DBPCT', 'DBALL', 'DBABS', 'FLOAT'].map((field) => ({ field, indicator: 'heating.pipe_flow', unit: 'm3/h' })),
  });
  const values = async (f: string) => (await observations(h, `OPCUA-SIM-${f}`)).map((o) => o.value as number).sort((a, b) => a - b);
  for (const f of ['DBPCT', 'DBALL', 'DBABS', 'FLOAT']) await until(`initial value of ${f}`, async () => (await values(f)).length === 1, 20_000);
  t.same(await values('DBPCT'), [500], 'initial value reported');
  t.same(await values('FLOAT'), [1.3651905], 'an OPC UA Float is stored as its shortest decimal, without double noise');
  const ep = (await health(h)).endpoints[0]!;
  t.same(ep.items, { configured: 5, monitored: 4, unresolved: 1 });
  t.match(ep.unresolved?.[0], { name: 'PT101', code: 'OPCUA_ITEM_UNRESOLVED', reason: /BadMonitoredItemFilterUnsupported/ }, 'a percent deadband needs an EURange: refused by the server, shown in health');

  // Small steps: 40 in all, below both deadbands (each compared with the last reported value).
  for (const v of [510, 520, 530, 540]) {
    sim.setValue('LVL1', v); sim.setValue('LVL2', v);
    await new Promise((r) => setTimeout(r, 450)); // > sampling + publishing interval (200 ms each)
  }
  await until('every small step without a deadband', async () => (await values('DBALL')).length === 5);
  t.same((await values('DBALL')), [500, 510, 520, 530, 540], 'the small steps were sampled');
  await new Promise((r) => setTimeout(r, 500));
  t.same(await values('DBPCT'), [500], 'percent deadband: small changes not reported');
  t.same(await values('DBABS'), [500], 'absolute deadband: small changes not reported');

  // A jump of 200 from the last reported value (500): both report.
  sim.setValue('LVL1', 700); sim.setValue('LVL2', 700);
  await until('the jump through both deadbands', async () => (await values('DBPCT')).includes(700) && (await values('DBABS')).includes(700));
  // 60 more: above the absolute deadband (50), below the percent one (100).
  sim.setValue('LVL1', 760); sim.setValue('LVL2', 760);
  await until('760 through the absolute deadband', async () => (await values('DBABS')).includes(760) && (await values('DBALL')).includes(760));
  await new Promise((r) => setTimeout(r, 500));
  t.same((await values('DBPCT')), [500, 700], 'percent: 60 < 10 % of the range, not reported');
  t.same((await values('DBABS')), [500, 700, 760], 'absolute: 60 > 50, reported');
});

// Sim → hub → store over real sockets (SignAndEncrypt, Basic256Sha256, user/password): values flow, per-value
// status mapping, a server restart (outage in health, subscription re-created, values again, no hub restart) and
// a node that disappeared (BadNodeIdUnknown in health).
import t from 'tap';
import { join } from 'node:path';
import { StatusCodes } from 'node-opcua';
import { auth, KEYS } from '../../../test/helpers/hub.ts';
import { tempDir, hubCertificate, trustFile, simCertificate, startSim, startOpcHub, health, observations, until, SIM_NAMESPACE } from './helpers.ts';

const dir = tempDir(t, 'lifeline-opcua-flow-');
const hubPki = join(dir, 'hub-pki');
const sim = await startSim(t, { pkiDir: join(dir, 'sim-pki'), items: 5, intervalMs: 200 });
// Both sides trust each other (what `lifeline opcua pki trust` and the server's operator do).
trustFile(sim.opts.pkiDir, await hubCertificate(hubPki), 'lifeline-hub');
trustFile(hubPki, simCertificate(sim), 'lifeline-sim');

const items = [
  { name: 'PT101', browse_path: '/Objects/WaterPlant/PT101.PV' },                       // by browse path
  { name: 'FT101', node_id: `nsu=${SIM_NAMESPACE};s=WaterPlant.FT101.PV`, queue_size: 5 }, // by NodeId (namespace URI)
  { name: 'PT201', browse_path: '/Objects/HeatingStation/PT201.PV', deadband: { type: 'absolute', value: 0 } },
  { name: 'FT201', browse_path: '/Objects/HeatingStation/FT201.PV', sampling_interval_ms: 100 },
  { name: 'AT301', browse_path: '/Objects/GasMonitor/AT301.PV' },
  { name: 'GHOST', node_id: `nsu=${SIM_NAMESPACE};s=WaterPlant.NoSuchTag.PV` },
  { name: 'INFO', browse_path: '/Objects/WaterPlant.Info' },                            // a String: quarantined once
];
const h = await startOpcHub(t, sim, { pkiDir: hubPki, items });
const points = ['PT101', 'FT101', 'PT201', 'FT201', 'AT301'].map((n) => `OPCUA-SIM-${n}`);

t.test('values flow from the server into the store', async (t) => {
  for (const p of points) await until(`observations of ${p}`, async () => (await observations(h, p)).length >= 2);
  const [o] = await observations(h, 'OPCUA-SIM-PT101');
  t.ok(o!.value! > 0.2 && o!.value! < 0.5, `water pressure in MPa: ${o!.value}`);
  t.same(o!.quality.flags, [], 'no flags');
  t.ok(Math.abs(Date.parse(o!.time) - Date.now()) < 30_000, 'source timestamp kept (recent)');
  const heat = (await observations(h, 'OPCUA-SIM-PT201'))[0]!;
  t.ok(heat.value! > 0.6 && heat.value! < 1, `heating pressure converted kPa → MPa: ${heat.value}`);
  const hl = await health(h);
  const ep = hl.endpoints[0]!;
  t.equal(ep.state, 'connected');
  t.same(ep.items, { configured: 7, monitored: 6, unresolved: 1 });
  t.match(ep.unresolved, [{ name: 'GHOST', reason: /BadNodeIdUnknown/ }], 'unknown NodeId reported in health');
  t.equal(hl.status, 'degraded', 'degraded while an item is unresolved');
  const q = await until('the text value in quarantine', async () => {
    const r = await h.hub.app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) });
    const list = (r.json() as { data: Array<{ reason: string; adapter: string; record: { item: string; type: string } }> }).data.filter((e) => e.reason === 'OPCUA_VALUE_UNSUPPORTED');
    return list.length ? list : undefined;
  });
  t.match(q, [{ adapter: 'opc_ua', record: { item: 'INFO', type: 'string' } }]);
  await new Promise((r) => setTimeout(r, 600));
  const again = (await h.hub.app.inject({ url: '/v1/quarantine', headers: auth(KEYS.read) })).json() as { data: Array<{ reason: string }> };
  t.equal(again.data.filter((e) => e.reason === 'OPCUA_VALUE_UNSUPPORTED').length, 1, 'once per item, the rest counted as dropped');
});

t.test('per-value status: one Bad never drops the others', async (t) => {
  const since = Date.now();
  sim.setStatus('PT101', StatusCodes.BadSensorFailure);
  sim.setStatus('FT101', StatusCodes.BadCommunicationError);
  sim.setStatus('PT201', StatusCodes.UncertainLastUsableValue);
  const after = (obs: Awaited<ReturnType<typeof observations>>) => obs.filter((o) => Date.parse(o.source.received_at) >= since);
  const bad = await until('a bad PT101', async () => after(await observations(h, 'OPCUA-SIM-PT101')).find((o) => o.value === null));
  t.equal(bad.quality.source_flag, 'D', 'device fault');
  t.ok(bad.quality.flags.includes('bad'), 'flag bad');
  t.ok(bad.quality.warnings.includes('opcua_bad_sensor_failure'), 'status name as warning');
  const comm = await until('a bad FT101', async () => after(await observations(h, 'OPCUA-SIM-FT101')).find((o) => o.value === null));
  t.equal(comm.quality.source_flag, 'B', 'communication abnormal');
  t.ok(comm.quality.warnings.includes('opcua_bad_communication_error'));
  const unc = await until('an uncertain PT201', async () => after(await observations(h, 'OPCUA-SIM-PT201')).find((o) => o.quality.flags.includes('uncertain')));
  t.ok(typeof unc.value === 'number', 'uncertain keeps its value');
  t.ok(unc.quality.warnings.includes('opcua_uncertain_last_usable_value'));
  // The good items kept flowing while the others were bad (same publish responses).
  const t0 = Date.now();
  await until('good values after the bad ones', async () => {
    const fresh = await Promise.all(['FT201', 'AT301'].map(async (n) => (await observations(h, `OPCUA-SIM-${n}`)).filter((o) => Date.parse(o.source.received_at) >= t0)));
    return fresh.every((f) => f.length >= 2 && f.every((o) => o.value !== null && !o.quality.flags.includes('bad')));
  });
  t.pass('FT201 and AT301 stayed good');
  for (const n of ['PT101', 'FT101', 'PT201']) sim.setStatus(n, StatusCodes.Good);
});

t.test('server restart: outage in health, then the subscription is re-created and values flow again', async (t) => {
  await sim.stop();
  const down = await until('health shows the outage', async () => {
    const ep = (await health(h)).endpoints[0]!;
    return ep.state === 'reconnecting' && ep.outage_start ? ep : undefined;
  });
  t.ok(down.last_error, `last error: ${down.last_error?.code} ${down.last_error?.message}`);
  t.equal((await health(h)).status, 'degraded');
  await new Promise((r) => setTimeout(r, 1500));
  const restartedAt = Date.now();
  sim.setWithout(['AT301']); // the restarted server no longer has this node
  await sim.start();
  const up = await until('reconnected', async () => {
    const ep = (await health(h)).endpoints[0]!;
    return ep.state === 'connected' ? ep : undefined;
  }, 30_000);
  t.notOk(up.outage_start, 'outage over');
  t.ok(up.reconnections >= 1, `reconnections: ${up.reconnections}`);
  for (const p of ['OPCUA-SIM-PT101', 'OPCUA-SIM-FT201']) {
    await until(`fresh values of ${p}`, async () => (await observations(h, p)).filter((o) => Date.parse(o.source.received_at) > restartedAt && o.value !== null).length >= 2);
  }
  t.pass('values flow again without restarting the hub');
  const gone = up.unresolved?.find((u) => u.name === 'AT301');
  t.match(gone, { code: 'OPCUA_ITEM_UNRESOLVED', reason: /BadNoMatch/ }, `the removed node is reported: ${gone?.reason}`);
  t.equal(up.items.unresolved, 2, 'GHOST and AT301');
  t.equal(up.items.monitored, 5, 'the other four and INFO re-created');
});

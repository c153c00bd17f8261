// mqtt: json_mqtt through the real Mosquitto (127.0.0.1:1883): binary, invalid UTF-8, huge, deep, surrogate and NUL payloads on the subscribed topics.
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { within, type Case, type Target } from './lib/engine.ts';
import type { FuzzHub } from './lib/hub.ts';
import type { Rng } from './lib/rng.ts';
import { KEYS } from './lib/hub.ts';
import { nastyString, BAD_UTF8 } from './lib/nasty.ts';
import { mutateBytes } from './lib/mutate.ts';
import { mutateJson } from './lib/json-mutate.ts';
import { fuzzRegistry } from './lib/registry.ts';

const BROKER = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/** Topic (relative to the run's prefix) and payload; the prefix is the run's own, so a replay uses its own too. */
export interface MqttCase extends Case { topic: string; payloadB64: string; qos: 0 | 1 }

const INLINE = { identity: { key: '$vars.device' }, time: { expr: 'ts', format: 'epoch_ms' }, values: [{ each: 'data', field_expr: 'code', value: 'value', unit_expr: 'unit' }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A topic level for {vendor}/{device}: valid, or nasty (MQTT forbids NUL, + and # in a published topic, and a broker drops the client for them). */
function level(rng: Rng, valid: string): string {
  if (rng.chance(0.75)) return valid;
  // Mosquitto also drops a client whose topic holds a control character (U+0001–U+001F, U+007F–U+009F).
  const s = nastyString(rng).replace(/[\0-\x1f\x7f-\x9f+#/\ud800-\udfff]/g, '_');
  return s.length ? s.slice(0, 1000) : '_';
}

export function create(): Target<MqttCase> {
  const prefix = `lifeline-fuzz/${process.pid}-${randomBytes(3).toString('hex')}`;
  const readExample = (f: string) => JSON.parse(readFileSync(fileURLToPath(new URL(`../hub/mapping/profiles/${f}.example.json`, import.meta.url)), 'utf8')) as unknown;
  const examples = { 'device-array': readExample('device-array'), senml: readExample('senml'), flat: readExample('flat-reading'), inline: { ts: Date.UTC(2026, 0, 1), data: [{ code: 'level', value: 35.2, unit: 'cm' }, { code: 'battery', value: '3.6', unit: 'V' }] } };
  let pub: MqttClient | undefined;
  let connecting: Promise<MqttClient> | undefined;
  let closed = false; // after close(), a late probe or send must not connect again (it would hold the process open)
  let probeValue = 0;

  const client = async (): Promise<MqttClient> => {
    if (closed) throw new Error('the mqtt target is closed');
    if (pub?.connected) return pub;
    connecting ??= (async () => {
      pub?.end(true);
      pub = await mqtt.connectAsync(BROKER, { protocolVersion: 5, clientId: `${prefix.replace(/\//g, '-')}-pub-${randomBytes(2).toString('hex')}`, reconnectPeriod: 0, connectTimeout: 5000, clean: true });
      pub.on('error', () => undefined);
      return pub;
    })().finally(() => { connecting = undefined; });
    return connecting;
  };
  /** Publish, giving up after 5 s (a broker that dropped the publisher never answers): reconnect next time. */
  const publish = async (topic: string, body: Buffer | string, qos: 0 | 1) => {
    const p = await client();
    const ok = await within(p.publishAsync(topic, body, { qos }).then(() => true, () => false), 5000, () => false);
    if (!ok) p.end(true);
  };

  const payload = (rng: Rng, example: unknown): { mut: string; bytes: Buffer } => {
    const kind = rng.weighted<string>([[60, 'json'], [8, 'binary'], [8, 'utf8'], [5, 'huge'], [5, 'deep'], [5, 'poison'], [4, 'empty'], [5, 'bytes']]);
    switch (kind) {
      case 'json': return mutateJson(rng, example as never);
      case 'binary': return { mut: 'binary', bytes: rng.bytes(rng.size(4096)) };
      case 'utf8': { const b = Buffer.from(JSON.stringify(example)); const at = rng.int(b.length); return { mut: 'badutf8', bytes: Buffer.concat([b.subarray(0, at), rng.pick(BAD_UTF8), b.subarray(at)]) }; }
      case 'huge': { const n = rng.pick([200_000, 262_145, 1_000_000, 4_000_000]); return { mut: `huge${n}`, bytes: Buffer.concat([Buffer.from('{"ts":1,"data":[{"code":"level","value":"'), Buffer.alloc(n, 0x41), Buffer.from('"}]}')]) }; }
      case 'deep': { const n = rng.pick([1000, 10_000, 100_000]); return { mut: `deep${n}`, bytes: Buffer.from(`${'['.repeat(n)}1${']'.repeat(n)}`) }; }
      case 'poison': return { mut: 'poison', bytes: Buffer.from(JSON.stringify({ ts: Date.UTC(2026, 0, 1), msgId: 'p', devices: [{ sn: rng.pick(['MH-\ud800', 'MH-\u0000', 'MH-0001\udfff']), data: [{ code: 'level', value: 1 }] }, { sn: 'MH-0001', data: [{ code: 'level', value: 2 }] }], data: [{ code: 'level\ud800', value: 1 }, { code: 'level', value: '\u0000' }] }), 'utf8') };
      case 'empty': return { mut: 'empty', bytes: Buffer.alloc(0) };
      default: { const m = mutateBytes(rng, Buffer.from(JSON.stringify(example))); return { mut: `bytes:${m.name}`, bytes: m.bytes }; }
    }
  };

  return {
    name: 'mqtt',
    concurrency: 8,
    hubConfig: () => ({
      adapters: {
        json_mqtt: {
          broker: { url: BROKER, client_id: `${prefix.replace(/\//g, '-')}-hub`, clean: true, session_expiry_s: 0 },
          subscriptions: [
            { topic: `${prefix}/probe/{device}`, profile: INLINE },
            { topic: `${prefix}/v/{vendor}/{device}/up`, profile: INLINE },
            { topic: `${prefix}/cloud/manholes`, profile: 'device-array' },
            { topic: `${prefix}/senml/#`, profile: 'senml' },
            { topic: `${prefix}/flat`, profile: 'flat-reading', qos: 0 },
          ],
        },
      },
      registry: fuzzRegistry(),
    }),
    async attach(hub: FuzzHub) {
      await client();
      // The hub subscribes after it listens: wait for its json_mqtt session before sending.
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${hub.url}/v1/adapters`, { headers: { authorization: `Bearer ${KEYS.read}` } });
        const list = await res.json() as { data: Array<{ name: string; health: { detail: { state?: string } } }> };
        if (list.data.find((a) => a.name === 'json_mqtt')?.health.detail.state === 'connected') { await sleep(300); return; }
        await sleep(200);
      }
      throw new Error('the hub did not connect to the MQTT broker');
    },
    generate(rng) {
      const where = rng.pick(['v', 'v', 'v', 'cloud', 'senml', 'flat']);
      const topic = where === 'v' ? `v/${level(rng, 'acme')}/${level(rng, rng.pick(['MH-0001', 'MH-0002', 'NOPE']))}/up` : where === 'senml' ? `senml/${level(rng, 'x')}` : where === 'cloud' ? 'cloud/manholes' : 'flat';
      const example = where === 'v' ? examples.inline : where === 'cloud' ? examples['device-array'] : where === 'senml' ? examples.senml : examples.flat;
      const p = payload(rng, example);
      return { mut: `${where}:${p.mut}`, topic, payloadB64: p.bytes.toString('base64'), qos: rng.chance(0.8) ? 1 : 0 };
    },
    async send(c) {
      // The broker answers the publish, not the hub: the hub is judged by the watchers and the probe.
      await publish(`${prefix}/${c.topic}`, Buffer.from(c.payloadB64, 'base64'), c.qos).catch(() => undefined);
      await sleep(5);
      return { kind: 'ok' };
    },
    show(c) {
      const b = Buffer.from(c.payloadB64, 'base64');
      return `[${c.mut}] qos${c.qos} ${prefix}/${c.topic} payload(${b.length} B)=${JSON.stringify(b.subarray(0, 300).toString('utf8'))}`;
    },
    async probe(hub) {
      // A valid message for a registered device must still be stored: the subscriber keeps working.
      const ts = Date.now(), value = ++probeValue + 0.5;
      const body = JSON.stringify({ ts, data: [{ code: 'level', value }] });
      const until = Date.now() + 25_000;
      while (Date.now() < until && !closed) {
        await publish(`${prefix}/probe/FZ-PROBE`, body, 1).catch(() => undefined);
        for (let i = 0; i < 10; i++) {
          await sleep(300);
          const res = await fetch(`${hub.url}/v1/observations?point=FZ-PROBE-level&from=${new Date(ts).toISOString()}`, { headers: { authorization: `Bearer ${KEYS.read}` } }).catch(() => undefined);
          const got = res?.ok ? await res.json() as { data: Array<{ value: number }> } : undefined;
          if (got?.data.some((o) => o.value === value)) return undefined;
        }
      }
      return 'a valid message for a registered device was not stored within 25 s';
    },
    async close() { closed = true; await connecting?.catch(() => undefined); await pub?.endAsync(true).catch(() => undefined); },
  };
}

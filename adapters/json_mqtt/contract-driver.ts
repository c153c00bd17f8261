// The json_mqtt adapter's contract driver (docs/certification.md, "Adapter contract"): a vendor cloud publishing one
// QoS 1 message per reading (value = the reading's number) to Mosquitto. The source that needs the acknowledgement is
// the broker: the adapter reaches it through a relay the kit owns, and the driver reads the MQTT 3.1.1 packets on it
// — PUBLISH (packet id → reading) down, PUBACK (packet id) up — to see exactly what the broker got acknowledged.
import mqtt from 'mqtt';
import { contractRegistry, contractTime, type ContractDriverFactory } from '../../hub/sdk/index.ts';

/** Splits a byte stream into MQTT control packets: (type, flags, body) each. */
function packetReader(on: (type: number, flags: number, body: Buffer) => void) {
  let buf = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0, mul = 1, i = 1;
      for (;; i++) {
        if (i >= buf.length) return;
        const b = buf[i]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if (!(b & 0x80)) break;
        if (i >= 4) { buf = Buffer.alloc(0); return; }
      }
      const start = i + 1;
      if (buf.length < start + len) return;
      on(buf[0]! >> 4, buf[0]! & 0x0f, buf.subarray(start, start + len));
      buf = buf.subarray(start + len);
    }
  };
}

const driver: ContractDriverFactory = async (env) => {
  const broker = new URL(env.services.mqttUrl);
  const topicBase = `lifeline-contract/${env.prefix}`;
  const acked = new Set<number>();
  const inFlight = new Map<string, number>(); // `${conn}:${packetId}` → seq
  const readers = new Map<string, (b: Buffer) => void>();
  let subscribed = false;
  const relay = await env.relay({ host: broker.hostname, port: Number(broker.port || 1883) }, (dir, conn, chunk) => {
    const key = `${dir}:${conn}`;
    let r = readers.get(key);
    if (!r) {
      r = packetReader((type, flags, body) => {
        if (dir === 'down' && type === 3 && (flags & 0x06)) { // PUBLISH, QoS 1/2: topic, packet id, payload
          const tl = body.readUInt16BE(0);
          const pid = body.readUInt16BE(2 + tl);
          try {
            const seq = (JSON.parse(body.subarray(4 + tl).toString('utf8')) as { data: Array<{ value: number }> }).data[0]!.value;
            inFlight.set(`${conn}:${pid}`, seq);
          } catch { /* not ours */ }
        } else if (dir === 'down' && type === 9) { // SUBACK: the adapter's subscription (and so its session) exists
          subscribed = true;
        } else if (dir === 'up' && type === 4) { // PUBACK
          const k = `${conn}:${body.readUInt16BE(0)}`;
          const seq = inFlight.get(k);
          if (seq !== undefined) { acked.add(seq); inFlight.delete(k); }
        }
      });
      readers.set(key, r);
    }
    r(chunk);
  });
  const publisher = await mqtt.connectAsync(broker.href, { clientId: `${env.prefix}-pub`, clean: true, reconnectPeriod: 200 });
  const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const clientId = `${env.prefix}-hub`;
  return {
    config: {
      broker: { url: `mqtt://${relay.host}:${relay.port}`, client_id: clientId, clean: false, protocol_version: 4, reconnect_period_ms: 100, connect_timeout_ms: 2000 },
      subscriptions: [{ topic: `${topicBase}/{device}`, qos: 1, profile: { identity: { key: '$vars.device' }, time: { expr: 'ts', format: 'epoch_ms' }, values: [{ each: 'data', field_expr: 'code', value: 'value', unit_expr: 'unit' }] } }],
      batch_max_wait_ms: 5,
    },
    registry: contractRegistry({ device: 'MQ-CT', fields: ['p'], identity: { protocol: 'json_mqtt', key: 'MQ-CT-KEY' } }),
    // A message published before the adapter's first SUBACK has no session to wait in: wait for it.
    async attach() {
      const end = Date.now() + 15_000;
      while (!subscribed && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      env.note(subscribed ? 'the adapter subscribed (SUBACK seen on the relay)' : 'no SUBACK within 15 s');
    },
    async send(seqs) {
      for (const s of seqs) await publisher.publishAsync(`${topicBase}/MQ-CT-KEY`, JSON.stringify({ ts: contractTime(base, s), data: [{ code: 'p', value: s, unit: 'kPa' }] }), { qos: 1 });
      env.note(`published seq ${seqs.join(', ')} (QoS 1) to ${topicBase}/MQ-CT-KEY`);
    },
    acknowledged: () => acked,
    outage: { down: () => relay.cut(), up: () => relay.restore() },
    async close() {
      await publisher.endAsync(true).catch(() => undefined);
      // Drop the adapter's persistent session from the shared broker.
      const c = await mqtt.connectAsync(broker.href, { clientId, clean: true, reconnectPeriod: 0 }).catch(() => undefined);
      await c?.endAsync(true).catch(() => undefined);
    },
  };
};
export default driver;

// A vendor-cloud simulator: devices publishing `device-array` JSON messages (one device per message,
// `perMessage` × {code, value, unit}) at QoS 1. Used by bench/json-mqtt.ts as a separate process
// (flow-controlled over IPC) and runnable by hand:
//   node --import tsx adapters/json_mqtt/sim/publish.ts --url mqtt://127.0.0.1:1883 --prefix demo --devices 10 --messages 100
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';

/** Field codes the simulator sends: f0, f1, … */
export const simFields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);
export const simDevice = (i: number) => `SIM-${String(i + 1).padStart(4, '0')}`;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** `YYYY-MM-DD HH:mm:ss` of an epoch-ms value, read as wall-clock time (the profile adds the zone). */
export function wallTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Message `seq` of the run: device seq % devices, its (seq / devices)-th second after `base`. */
export function simMessage(seq: number, o: { devices: number; perMessage: number; base: number }): { device: string; payload: string } {
  const device = simDevice(seq % o.devices);
  const t = o.base + Math.floor(seq / o.devices) * 1000;
  const data = simFields(o.perMessage).map((code, i) => ({ code, value: Math.round((0.2 + ((seq + i) % 300) / 1000) * 1000) / 1000, unit: 'MPa' }));
  return { device, payload: JSON.stringify({ msgId: String(seq), time: wallTime(t), devices: [{ sn: device, data }] }) };
}

interface Opts { url: string; prefix: string; devices: number; perMessage: number; base: number; clients: number; inflight: number; messages: number; seconds: number }

/** Publish until `messages` are sent or `seconds` pass; `allowed()` (flow control) caps how far ahead it may go. */
export async function publishRun(o: Opts, allowed: () => number, onProgress?: (published: number) => void): Promise<{ published: number; firstAt: number; lastAt: number; cpuS: number }> {
  const clients: MqttClient[] = await Promise.all(Array.from({ length: o.clients }, () => mqtt.connectAsync(o.url, { protocolVersion: 4, reconnectPeriod: 1000, clean: true })));
  let next = 0, published = 0;
  const firstAt = Date.now();
  const cpu0 = process.cpuUsage();
  const until = firstAt + o.seconds * 1000;
  let waiting: Array<() => void> = [];
  const progress = setInterval(() => onProgress?.(published), 250);
  const poke = setInterval(() => { const w = waiting; waiting = []; for (const r of w) r(); }, 5);
  const worker = async (c: MqttClient) => {
    for (;;) {
      if (Date.now() >= until || next >= o.messages) return;
      if (next >= allowed()) { await new Promise<void>((r) => { waiting.push(r); }); continue; }
      const seq = next++;
      const m = simMessage(seq, o);
      await c.publishAsync(`${o.prefix}/${m.device}/up`, m.payload, { qos: 1 });
      published++;
    }
  };
  await Promise.all(clients.flatMap((c) => Array.from({ length: o.inflight }, () => worker(c))));
  const lastAt = Date.now();
  const cpu = process.cpuUsage(cpu0);
  clearInterval(progress); clearInterval(poke);
  onProgress?.(published);
  await Promise.all(clients.map((c) => c.endAsync()));
  return { published, firstAt, lastAt, cpuS: (cpu.user + cpu.system) / 1e6 };
}

// As a child process of the bench: options as JSON in argv[2]; the parent sends {allowed} updates.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  if (process.send && process.argv[2]?.startsWith('{')) {
    const o = JSON.parse(process.argv[2]) as Opts;
    let allowedN = 0;
    process.on('message', (m: { allowed?: number }) => { if (typeof m.allowed === 'number') allowedN = m.allowed; });
    const r = await publishRun(o, () => allowedN, (published) => process.send!({ published }));
    process.send({ done: r });
    process.disconnect();
  } else {
    const { values } = parseArgs({ options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' }, prefix: { type: 'string', default: 'lifeline-sim' },
      devices: { type: 'string', default: '10' }, fields: { type: 'string', default: '10' }, messages: { type: 'string', default: '100' },
    } });
    const o: Opts = { url: values.url!, prefix: values.prefix!, devices: Number(values.devices), perMessage: Number(values.fields), base: Date.now() - 3_600_000, clients: 1, inflight: 10, messages: Number(values.messages), seconds: 3600 };
    const r = await publishRun(o, () => Number.MAX_SAFE_INTEGER);
    console.log(`published ${r.published} messages (${r.published * o.perMessage} readings) to ${o.prefix}/<device>/up in ${((r.lastAt - r.firstAt) / 1000).toFixed(1)} s`);
  }
}

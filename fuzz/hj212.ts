// hj212: mutated HJ 212 frames over TCP to the hj212 adapter: fields with every control and separator, bytes, lengths, CRCs, chunking, floods.
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crc16Hj212, crc16, crcHex, dataSegmentOf, decodeFrame, Framer } from '../adapters/hj212/codec/index.ts';
import type { BuildInput } from '../adapters/hj212/codec/types.ts';
import { realtimeUpload, minuteUpload } from '../adapters/hj212/sim/stations.ts';
import type { Case, Target, Verdict } from './lib/engine.ts';
import type { FuzzHub } from './lib/hub.ts';
import type { Rng } from './lib/rng.ts';
import { FIELD_BREAKERS, nastyString, spoil } from './lib/nasty.ts';
import { mutateBytes } from './lib/mutate.ts';
import { fuzzRegistry, STATIONS, PROBE_STATION } from './lib/registry.ts';

const CONCURRENCY = 48;
/** Most connections one flood input opens. */
const FLOOD_MAX = 120;

export interface HjCase extends Case {
  /** What is written, one base64 string per write. */
  chunks: string[];
  /** Pause between writes (a slow sender). */
  gapMs?: number;
  /** The same writes on this many connections at once. */
  conns?: number;
}

/** A frame as editable parts: header fields in wire order, and the CP text. */
interface Parts { seed: string; header: Array<[string, string]>; cp: string }

const vectorsDir = fileURLToPath(new URL('../adapters/hj212/vectors/', import.meta.url));

/** Every frame text in the conformance vectors (input.frame, input.frames, input.stream). */
function vectorFrames(): string[] {
  const out: string[] = [];
  for (const clause of readdirSync(vectorsDir)) {
    for (const f of readdirSync(join(vectorsDir, clause))) {
      if (!f.endsWith('.yaml')) continue;
      const input = (parse(readFileSync(join(vectorsDir, clause, f), 'utf8')) as { input?: Record<string, unknown> }).input ?? {};
      for (const v of [input.frame, ...[input.frames, input.stream].flat()]) if (typeof v === 'string' && v.startsWith('##')) out.push(v);
    }
  }
  return out;
}

/** Header fields and CP of a data segment text (`QN=…;…;CP=&&…&&`); undefined when it has no such shape. */
function partsOf(seed: string, data: string): Parts | undefined {
  const cpAt = data.indexOf('CP=&&');
  if (cpAt < 0 || !data.endsWith('&&')) return undefined;
  const header = data.slice(0, cpAt).split(';').filter(Boolean).map((kv): [string, string] => { const i = kv.indexOf('='); return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)]; });
  return { seed, header, cp: data.slice(cpAt + 5, -2) };
}

const dataOf = (p: Parts) => `${p.header.map(([k, v]) => `${k}=${v}`).join(';')};CP=&&${p.cp}&&`;
const zone14 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace(/\D/g, '').slice(0, 14);

/** `##` + length + data + CRC + CRLF, each part overridable (a lie is a mutation). */
function frame(data: Buffer, o: { length?: string; crc?: string; trailer?: string; dialect?: 'modbus_le' } = {}): Buffer {
  const crc = o.crc ?? crcHex(o.dialect ? crc16(data, 0, data.length, o.dialect) : crc16Hj212(data, 0, data.length));
  return Buffer.concat([Buffer.from(`##${o.length ?? String(data.length).padStart(4, '0')}`, 'latin1'), data, Buffer.from(`${crc}${o.trailer ?? '\r\n'}`, 'latin1')]);
}

/** Recompute length and CRC around the (mutated) data of a frame that still starts with `##dddd`. */
function refit(b: Buffer): Buffer {
  if (b.length < 12 || b[0] !== 35 || b[1] !== 35) return b;
  return frame(b.subarray(6, b.length - 6));
}

const HEADER_FIELDS = ['QN', 'ST', 'CN', 'PW', 'MN', 'Flag', 'PNUM', 'PNO'] as const;
const CP_TARGETS = ['cpkey', 'cpval', 'DataTime'] as const;

export function create(): Target<HjCase> {
  const seeds: Parts[] = [];
  let port = 0;
  let qn = 0;
  const nextQn = () => `2026${String(++qn).padStart(13, '0')}`;

  const simSeeds = (rng: Rng): Parts[] => {
    const s = rng.pick(STATIONS.slice(1));
    const t = Date.UTC(2026, 0, 1) + rng.int(1e9) * 1000;
    const up = rng.chance(0.7) ? realtimeUpload(s, t, nextQn(), { zone14 }) : minuteUpload(s, t, nextQn(), { zone14 });
    const variants: Array<[string, BuildInput]> = [
      ['sim-upload', up],
      ['sim-wrong-pw', { ...up, pw: '654321' }],
      ['sim-unknown-mn', { ...up, mn: `4C4C48FF${String(rng.int(1e8)).padStart(16, '0')}` }],
      ['sim-heartbeat', { version: '2025', qn: nextQn(), st: '32', cn: '9015', pw: s.pw, mn: s.mn, ackRequested: true, cp: {} }],
      ['sim-2005', { ...up, version: '2005', flag: undefined, omitFlag: true }],
      ['sim-segment', { ...up, pnum: 2, pno: 1 + rng.int(2) }],
      ['sim-request', { ...up, cn: rng.pick(['1011', '1062', '2021', '3020', '9014', '9011', '1000', '0000']) }],
    ];
    const [name, input] = rng.pick(variants);
    return [partsOf(name, dataSegmentOf(input))!];
  };

  const pickParts = (rng: Rng): Parts => {
    const p = rng.chance(0.6) || !seeds.length ? simSeeds(rng)[0]! : rng.pick(seeds);
    return { seed: p.seed, header: p.header.map(([k, v]) => [k, v]), cp: p.cp };
  };

  /** Put `value` into header field `name` (adding it when the seed has none). */
  const setField = (p: Parts, name: string, value: string) => {
    const h = p.header.find(([k]) => k === name);
    if (h) h[1] = value; else p.header.push([name, value]);
  };

  /** Spoil one `key=value` of the CP text (its key, its value, or DataTime). */
  const spoilCp = (rng: Rng, p: Parts, where: (typeof CP_TARGETS)[number], breaker: string) => {
    const entries = p.cp.split(/([;,])/);
    const idx = entries.map((e, i) => (/=/.test(e) && (where !== 'DataTime' || e.startsWith('DataTime=')) ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) { p.cp = `${where === 'DataTime' ? 'DataTime' : 'k'}=${breaker};${p.cp}`; return; }
    const i = rng.pick(idx);
    const [k, ...rest] = entries[i]!.split('=');
    entries[i] = where === 'cpkey' ? `${spoil(rng, k!, breaker)}=${rest.join('=')}` : `${k}=${spoil(rng, rest.join('='), breaker)}`;
    p.cp = entries.join('');
  };

  /** The deterministic sweep: every header and CP field × every control and separator, on a valid upload. */
  const SWEEP: Array<[string, string]> = [...HEADER_FIELDS, ...CP_TARGETS].flatMap((f) => FIELD_BREAKERS.map((b): [string, string] => [f, b]));

  const oneFrame = (rng: Rng, forced?: [string, string]): { mut: string; bytes: Buffer } => {
    const p = pickParts(rng);
    const hex = (s: string) => [...s].slice(0, 4).map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('') + (s.length > 4 ? `…${s.length}` : '');
    if (forced) {
      const [f, b] = forced;
      if ((CP_TARGETS as readonly string[]).includes(f)) spoilCp(rng, p, f as (typeof CP_TARGETS)[number], b);
      else setField(p, f, spoil(rng, p.header.find(([k]) => k === f)?.[1] ?? '1', b));
      return { mut: `sweep:${f}:${hex(b)}:${p.seed}`, bytes: frame(Buffer.from(dataOf(p), 'utf8')) };
    }
    const kind = rng.weighted<string>([[10, 'valid'], [30, 'field'], [15, 'cp'], [4, 'huge'], [6, 'shape'], [20, 'bytes'], [5, 'length'], [6, 'crc'], [4, 'trailer']]);
    switch (kind) {
      case 'valid': return { mut: `valid:${p.seed}`, bytes: frame(Buffer.from(dataOf(p), 'utf8'), rng.chance(0.05) ? { dialect: 'modbus_le' } : {}) };
      case 'field': {
        const f = rng.pick(HEADER_FIELDS);
        const b = rng.chance(0.7) ? rng.pick(FIELD_BREAKERS) : nastyString(rng);
        setField(p, f, spoil(rng, p.header.find(([k]) => k === f)?.[1] ?? '1', b));
        return { mut: `field:${f}:${hex(b)}:${p.seed}`, bytes: frame(Buffer.from(dataOf(p), 'utf8')) };
      }
      case 'cp': {
        const where = rng.pick(CP_TARGETS);
        const b = rng.chance(0.6) ? rng.pick(FIELD_BREAKERS) : nastyString(rng);
        spoilCp(rng, p, where, b);
        return { mut: `${where}:${hex(b)}:${p.seed}`, bytes: frame(Buffer.from(dataOf(p), 'utf8')) };
      }
      case 'huge': {
        const f = rng.pick([...HEADER_FIELDS, 'cp']);
        const n = rng.pick([100, 300, 1000, 4000, 9000, 12_000]);
        if (f === 'cp') p.cp += `;x-Rtd=${'9'.repeat(n)}`; else setField(p, f, 'A'.repeat(n));
        const data = Buffer.from(dataOf(p), 'utf8');
        return { mut: `huge:${f}:${n}:${p.seed}`, bytes: frame(data, data.length > 9999 ? { length: '9999' } : {}) };
      }
      case 'shape': {
        const op = rng.pick(['dup', 'drop', 'shuffle', 'nocp', 'emptycp', 'manycp']);
        if (op === 'dup' && p.header.length) p.header.push([...rng.pick(p.header)] as [string, string]);
        if (op === 'drop' && p.header.length) p.header.splice(rng.int(p.header.length), 1);
        if (op === 'shuffle') p.header.sort(() => rng.int(3) - 1);
        if (op === 'emptycp') p.cp = '';
        if (op === 'manycp') p.cp = Array.from({ length: rng.range(50, 400) }, (_, i) => `e${i}-Rtd=${i}`).join(';');
        const data = op === 'nocp' ? `${p.header.map(([k, v]) => `${k}=${v}`).join(';')};` : dataOf(p);
        return { mut: `shape:${op}:${p.seed}`, bytes: frame(Buffer.from(data, 'utf8')) };
      }
      case 'bytes': {
        const m = mutateBytes(rng, frame(Buffer.from(dataOf(p), 'utf8')));
        const fix = rng.chance(0.6);
        return { mut: `bytes:${m.name}${fix ? ':refit' : ''}:${p.seed}`, bytes: fix ? refit(m.bytes) : m.bytes };
      }
      case 'length': {
        const data = Buffer.from(dataOf(p), 'utf8');
        const l = rng.pick(['0000', '9999', '0001', String(data.length + 1).padStart(4, '0'), String(Math.max(0, data.length - 1)).padStart(4, '0'), '-001', 'abcd', '00 1', '12345', '123', '+123', '0x1f', '\0\0\0\0', String(rng.int(10000)).padStart(4, '0')]);
        return { mut: `length:${JSON.stringify(l)}:${p.seed}`, bytes: frame(data, { length: l }) };
      }
      case 'crc': {
        const data = Buffer.from(dataOf(p), 'utf8');
        const good = crcHex(crc16Hj212(data, 0, data.length));
        const c = rng.pick([good.toLowerCase(), 'ZZZZ', '', '123', '12345', 'FFFF', '0000', ' 1C8', rng.bytes(2).toString('hex').toUpperCase(), '\0\0\0\0']);
        return { mut: `crc:${JSON.stringify(c)}:${p.seed}`, bytes: frame(data, { crc: c }) };
      }
      default: {
        const t = rng.pick(['\n', '\r', '', '\r\n\r\n', '\0\0', '\n\r', ' \r\n']);
        return { mut: `trailer:${JSON.stringify(t)}:${p.seed}`, bytes: frame(Buffer.from(dataOf(p), 'utf8'), { trailer: t }) };
      }
    }
  };

  return {
    name: 'hj212',
    concurrency: CONCURRENCY,
    hubConfig: () => ({
      // Every worker may flood at once, and the probe needs a connection beside them: a lower per-address limit would
      // make the hub refuse the probe (it did at 400: 'connection closed before the 9014'), which is the limit
      // working, not a fault the fuzzer looks for.
      adapters: { hj212: { host: '127.0.0.1', port: 0, mode: 'lenient', max_connections_per_ip: CONCURRENCY * FLOOD_MAX + 1, idle_timeout_s: 20, unknown_mn: 'quarantine' } },
      registry: fuzzRegistry(),
    }),
    async attach(hub: FuzzHub) {
      if (!seeds.length) for (const v of vectorFrames()) { const p = partsOf(`vector`, v.slice(6, -6)); if (p) seeds.push(p); }
      const res = await fetch(`${hub.url}/v1/adapters`, { headers: { authorization: 'Bearer fuzz-key-read' } });
      const list = await res.json() as { data: Array<{ name: string; health: { detail: { port: number } } }> };
      port = list.data.find((a) => a.name === 'hj212')!.health.detail.port;
    },
    generate(rng, k, worker, workers) {
      // The first inputs of a run are the sweep (input number k * workers + worker).
      const at = k * workers + worker;
      const first = oneFrame(rng, at < SWEEP.length ? SWEEP[at] : undefined);
      const frames = [first];
      let mut = first.mut;
      const delivery = rng.weighted<string>([[70, 'one'], [12, 'split'], [10, 'multi'], [3, 'trickle'], [3, 'flood'], [2, 'garbage']]);
      if (delivery === 'multi') { const n = rng.range(1, 9); for (let i = 0; i < n; i++) frames.push(oneFrame(rng)); mut += `+multi${n + 1}`; }
      let bytes = Buffer.concat(frames.map((f) => f.bytes));
      if (delivery === 'garbage') { bytes = Buffer.concat([rng.bytes(rng.size(200)), bytes, rng.bytes(rng.size(50)), frames[0]!.bytes]); mut += '+garbage'; }
      let chunks = [bytes];
      if (delivery === 'split' || delivery === 'trickle') {
        chunks = [];
        for (let i = 0; i < bytes.length;) { const n = delivery === 'trickle' ? 1 + rng.int(3) : 1 + rng.size(bytes.length); chunks.push(bytes.subarray(i, i + n)); i += n; }
        if (delivery === 'trickle' && chunks.length > 60) chunks = [...chunks.slice(0, 40), Buffer.concat(chunks.slice(40))];
        mut += `+${delivery}${chunks.length}`;
      }
      const c: HjCase = { mut, chunks: chunks.map((b) => b.toString('base64')) };
      if (delivery === 'trickle') c.gapMs = 5 + rng.int(20);
      if (delivery === 'flood') { c.conns = rng.range(20, FLOOD_MAX); c.mut += `+flood${c.conns}`; }
      return c;
    },
    async send(c) {
      const conns = await Promise.all(Array.from({ length: c.conns ?? 1 }, () => exchange(port, c)));
      return conns.find((v) => v.kind !== 'ok') ?? { kind: 'ok' };
    },
    show(c) {
      const text = c.chunks.map((b) => Buffer.from(b, 'base64').toString('latin1')).join(c.chunks.length > 1 ? '⁞' : '');
      return `[${c.mut}]${c.conns ? ` ×${c.conns} connections` : ''} ${JSON.stringify(text.length > 700 ? `${text.slice(0, 700)}…(${text.length} bytes)` : text)}`;
    },
    async probe() {
      // A registered station with a valid upload must still get its 9014: the server keeps serving others.
      const q = nextQn();
      const bytes = frame(Buffer.from(dataSegmentOf(realtimeUpload(PROBE_STATION, Date.now(), q, { zone14 })), 'utf8'));
      const got = await new Promise<string | undefined>((resolve) => {
        const f = new Framer({ maxDataLength: 9999, mode: 'lenient' });
        const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
        const done = (v: string | undefined) => { clearTimeout(t); s.destroy(); resolve(v); };
        const t = setTimeout(() => done('no 9014 for a valid upload within 10 s'), 10_000);
        s.on('data', (d) => { for (const ev of f.push(d)) if (ev.type === 'frame') { try { const r = decodeFrame(ev.bytes, { mode: 'lenient' }); if (r.cn === '9014' && r.qn === q) done(undefined); } catch { /* judged by the fuzz verdicts */ } } });
        s.on('error', (e) => done(`probe connection failed: ${e.message}`));
        s.on('close', () => done('connection closed before the 9014 of a valid upload'));
      });
      return got;
    },
  };
}

/** One connection: write the chunks, read the replies until the server is quiet or closes; every reply must decode. */
function exchange(port: number, c: HjCase): Promise<Verdict> {
  return new Promise((resolve) => {
    const framer = new Framer({ maxDataLength: 9999, mode: 'lenient' });
    const problems: string[] = [];
    let quiet: NodeJS.Timeout | undefined, done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(quiet); clearTimeout(cap);
      socket.destroy();
      resolve(problems.length ? { kind: 'untyped', route: 'hj212 reply', why: problems[0]! } : { kind: 'ok' });
    };
    const idle = () => { clearTimeout(quiet); quiet = setTimeout(finish, 200); };
    const cap = setTimeout(finish, 3000 + (c.gapMs ?? 0) * c.chunks.length);
    const socket = net.connect({ host: '127.0.0.1', port }, async () => {
      for (const [i, b] of c.chunks.entries()) {
        if (socket.destroyed) break;
        socket.write(Buffer.from(b, 'base64'));
        if (c.gapMs && i < c.chunks.length - 1) await new Promise((r) => setTimeout(r, c.gapMs));
      }
      idle();
    });
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      for (const ev of framer.push(d)) {
        if (ev.type === 'error') { problems.push(`reply bytes do not frame: ${ev.error.code} ${ev.error.message} in ${JSON.stringify(d.subarray(0, 200).toString('latin1'))}`); continue; }
        try { decodeFrame(ev.bytes, { mode: 'lenient' }); } catch (e) { problems.push(`reply does not decode: ${(e as { code?: string }).code} ${(e as Error).message} in ${JSON.stringify(Buffer.from(ev.bytes).toString('latin1'))}`); }
      }
      idle();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

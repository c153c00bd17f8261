// Runs every conformance vector in adapters/hj212/vectors/<clause>/*.yaml against the codec.
// Vector shapes (by input): data → CRC check value; frame | hex → decodeFrame (and replyTo when config.reply);
// frames → decode + Reassembler; stream → Framer (fed as given, byte by byte, and as one chunk).
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  Framer, Hj212Error, Reassembler, crc16, crcHex, decodeFrame, encodeFrame, qnRtnFor, replyTo,
  type CrcDialect, type DecodeOptions, type Hj212Frame,
} from '../codec/index.ts';

const root = new URL('../vectors/', import.meta.url);
const utf8 = (s: string) => Uint8Array.from(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

interface Vector {
  id: string;
  clause: string;
  source: string;
  description: string;
  config: DecodeOptions & { dialect?: CrcDialect; reply?: '9011' | '9012' | '9013' | '9014'; cpFields?: Record<string, string | number>; expiryMs?: number };
  input: { data?: string; frame?: string; hex?: string; frames?: string[]; stream?: string[]; expireAtMs?: number };
  expect: {
    outcome: 'success' | 'failure' | 'partial_success';
    crc?: string;
    frame?: Record<string, unknown>;
    warnings?: string[];
    stats?: { records: number; items: number };
    item?: { code: string; fields: Record<string, string | null> };
    error?: { code: string; offset: number; field?: string };
    qnRtn?: number;
    message?: string;
    reply?: string;
    events?: Array<{ frame?: string; error?: { code: string; offset: number } }>;
    pending?: boolean;
    expired?: number;
  };
}

const vectors: Vector[] = [];
for (const clause of readdirSync(root).sort()) {
  for (const f of readdirSync(new URL(`${clause}/`, root)).filter((x) => x.endsWith('.yaml')).sort()) {
    const v = parse(readFileSync(new URL(`${clause}/${f}`, root), 'utf8')) as Vector;
    vectors.push(v);
  }
}

t.ok(vectors.length >= 40, `at least 40 vectors (${vectors.length})`);
t.equal(new Set(vectors.map((v) => v.id)).size, vectors.length, 'vector ids are unique');

function checkFrame(t: Tap.Test, frame: Hj212Frame, ex: Vector['expect']) {
  for (const [k, v] of Object.entries(ex.frame ?? {})) t.same((frame as unknown as Record<string, unknown>)[k], v, `frame.${k}`);
  if (ex.warnings) t.same([...frame.warnings].sort(), [...ex.warnings].sort(), 'warnings');
  if (ex.stats) {
    t.equal(frame.cp.records.length, ex.stats.records, 'record count');
    t.equal(frame.cp.records.reduce((n, r) => n + r.items.length, 0), ex.stats.items, 'item count');
  }
  if (ex.item) {
    const item = frame.cp.records.flatMap((r) => r.items).find((i) => i.code === ex.item!.code);
    t.same(item?.fields, ex.item.fields, `item ${ex.item.code}`);
  }
}

function checkError(t: Tap.Test, e: unknown, ex: Vector['expect']) {
  t.ok(e instanceof Hj212Error, 'an Hj212Error');
  const err = e as Hj212Error;
  t.equal(err.code, ex.error!.code, 'error code');
  t.equal(err.details.offset, ex.error!.offset, 'byte offset');
  if (ex.error!.field !== undefined) t.equal(err.details.field, ex.error!.field, 'field');
  if (ex.qnRtn !== undefined) t.equal(qnRtnFor(err), ex.qnRtn, 'QnRtn');
  if (ex.message !== undefined) t.match(err.message, ex.message, 'message');
}

const bytesOf = (v: Vector) => (v.input.hex !== undefined ? Uint8Array.from(Buffer.from(v.input.hex, 'hex')) : utf8(v.input.frame!));

for (const v of vectors) {
  t.test(`${v.id} ${v.description}`, async (t) => {
    const ex = v.expect;
    if (v.input.data !== undefined) {
      const b = utf8(v.input.data);
      t.equal(crcHex(crc16(b, 0, b.length, v.config.dialect)), ex.crc);
      return;
    }
    if (v.input.stream !== undefined) {
      const whole = Buffer.concat(v.input.stream.map((s) => Buffer.from(s, 'utf8')));
      const feeds: Record<string, Uint8Array[]> = {
        'as given': v.input.stream.map(utf8),
        'byte by byte': [...whole].map((x) => Uint8Array.of(x)),
        'one chunk': [Uint8Array.from(whole)],
      };
      for (const [how, chunks] of Object.entries(feeds)) {
        const framer = new Framer({ mode: v.config.mode, maxDataLength: v.config.maxDataLength ?? 1024 });
        const events = chunks.flatMap((c) => framer.push(c)).map((e) =>
          e.type === 'frame' ? { frame: text(e.bytes) } : { error: { code: e.error.code, offset: e.error.details.offset! } });
        t.same(events, ex.events, `events, ${how}`);
        t.equal(framer.buffered, 0, `nothing left buffered, ${how}`);
      }
      return;
    }
    if (v.input.frames !== undefined) {
      const r = new Reassembler({ expiryMs: v.config.expiryMs ?? 360_000 });
      let out: { frame?: Hj212Frame; pending: boolean } = { pending: true };
      for (const f of v.input.frames) out = r.add(decodeFrame(utf8(f), v.config), 0);
      if (ex.outcome === 'partial_success') {
        t.equal(out.pending, ex.pending, 'pending');
        t.equal(r.expire(v.input.expireAtMs ?? 0).length, ex.expired, 'packets dropped by expire()');
        t.equal(r.open, 0, 'no transfer left open');
        return;
      }
      t.equal(out.pending, false, 'complete');
      checkFrame(t, out.frame!, ex);
      return;
    }
    let frame: Hj212Frame;
    try {
      frame = decodeFrame(bytesOf(v), v.config);
    } catch (e) {
      if (ex.outcome !== 'failure') throw e;
      checkError(t, e, ex);
      return;
    }
    t.not(ex.outcome, 'failure', `decoded although ${ex.error?.code} was expected`);
    checkFrame(t, frame, ex);
    if (v.config.reply) {
      const reply = encodeFrame(replyTo(frame, v.config.reply, v.config.cpFields));
      t.equal(text(reply), ex.reply, 'reply frame');
      t.ok(decodeFrame(reply, { mode: 'lenient' }), 'the reply decodes');
    }
  });
}

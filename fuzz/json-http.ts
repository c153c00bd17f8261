// json_http: signed vendor webhooks: mutated bodies under valid HMAC signatures (so mapping and store run), mutated signatures and timestamps.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Case, Target } from './lib/engine.ts';
import type { FuzzHub } from './lib/hub.ts';
import type { Rng } from './lib/rng.ts';
import { KEYS } from './lib/hub.ts';
import { nastyString, CONTROLS } from './lib/nasty.ts';
import { mutateBytes } from './lib/mutate.ts';
import { mutateJson } from './lib/json-mutate.ts';
import { rawHttp, judge, showRequest, type RawRequest } from './lib/raw-http.ts';
import { fuzzRegistry } from './lib/registry.ts';
import { sign } from '../adapters/json_http/signature.ts';

const SECRET = 'fuzz-webhook-secret-0123456789';

/** The endpoints: each shipped profile behind a different way of signing. */
const PROFILES = {
  flat: { mapping: 'flat-reading' },
  manholes: { mapping: 'device-array', auth: 'hmac', hmac: { header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', secret: SECRET, timestamp_header: 'X-Timestamp', max_skew_s: 300 } },
  senml: { mapping: 'senml', auth: 'hmac', hmac: { header: 'X-Hub-Signature-256', algorithm: 'sha256', encoding: 'base64', prefix: 'sha256=', secret: SECRET } },
  names: { mapping: 'name-keyed', auth: 'hmac', hmac: { header: 'X-Sign', algorithm: 'sm3', encoding: 'hex', secret: SECRET, timestamp_header: 'X-Ts', max_skew_s: 60 } },
} as const;
type ProfileName = keyof typeof PROFILES;
const EXAMPLE: Record<ProfileName, string> = { flat: 'flat-reading', manholes: 'device-array', senml: 'senml', names: 'name-keyed' };

/** Signature and timestamp are computed at send time from these choices, so a saved case replays with a fresh clock. */
export interface WebhookCase extends Case, RawRequest {
  route: string;
  profile: string;
  sig: string;
  ts: string;
}

const SIG_MODES = ['valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'missing', 'wrong', 'upper', 'noprefix', 'otherbody', 'truncated', 'othercoding', 'huge', 'control', 'twice', 'empty', 'nothex'];
const TS_MODES = ['now', 'now', 'now', 'now', 'now', 'past', 'future', 'ms', 'abc', 'empty', 'missing', '1e3', '-1', 'spaces', 'huge', 'float', 'zero', 'nan', 'hex', 'control'];

function timestamp(mode: string, now = Date.now()): string | undefined {
  const s = Math.floor(now / 1000);
  switch (mode) {
    case 'now': return String(s);
    case 'past': return String(s - 100_000);
    case 'future': return String(s + 100_000);
    case 'ms': return String(now);
    case 'abc': return 'abc';
    case 'empty': return '';
    case 'missing': return undefined;
    case '1e3': return '1e3';
    case '-1': return '-1';
    case 'spaces': return ` ${s} `;
    case 'huge': return '9'.repeat(400);
    case 'float': return `${s}.5`;
    case 'zero': return '0';
    case 'nan': return 'NaN';
    case 'hex': return `0x${s.toString(16)}`;
    default: return `${s}\x01`;
  }
}

export function create(): Target<WebhookCase> {
  const examples = Object.fromEntries(Object.entries(EXAMPLE).map(([k, f]) => [k, JSON.parse(readFileSync(fileURLToPath(new URL(`../hub/mapping/profiles/${f}.example.json`, import.meta.url)), 'utf8'))])) as Record<ProfileName, unknown>;
  // The issue's poison: a lone surrogate in the device id of an otherwise good body.
  const poisoned = { msgId: 'p', time: '2026-11-25 10:00:00', devices: [{ sn: 'MH-\ud800', data: [{ code: 'level', value: 1 }] }, { sn: 'MH-0001', data: [{ code: 'level', value: 2 }] }] };

  /** Headers for a case: its signature and timestamp computed now over its body. */
  const headersFor = (c: WebhookCase): Array<[string, string]> => {
    const p = PROFILES[c.profile as ProfileName] as (typeof PROFILES)[ProfileName] | undefined;
    if (!p || !('hmac' in p)) return [];
    const h = p.hmac;
    const body = Buffer.from(c.bodyB64 ?? '', 'base64');
    const tsHeader = 'timestamp_header' in h ? h.timestamp_header : undefined;
    const ts = tsHeader ? timestamp(c.ts) : undefined;
    const prefix = 'prefix' in h ? h.prefix : '';
    const signed = (over: Buffer, enc: 'hex' | 'base64' = h.encoding) => sign({ algorithm: h.algorithm, encoding: enc, prefix }, SECRET, over, tsHeader ? (ts ?? '') : undefined);
    const good = signed(body);
    const sig: string | undefined = ({
      valid: good, missing: undefined, wrong: prefix + 'ab'.repeat(32), upper: good.toUpperCase(), noprefix: good.slice(prefix.length),
      otherbody: signed(Buffer.concat([body, Buffer.from(' ')])), truncated: good.slice(0, -2), othercoding: signed(body, h.encoding === 'hex' ? 'base64' : 'hex'),
      huge: good + 'a'.repeat(10_000), control: `${good}\x00`, twice: good, empty: '', nothex: `${prefix}zz${good.slice(prefix.length + 2)}`,
    } as Record<string, string | undefined>)[c.sig];
    const out: Array<[string, string]> = [];
    if (sig !== undefined) out.push([h.header, sig]);
    if (c.sig === 'twice') out.push([h.header, 'ab'.repeat(32)]);
    if (tsHeader && ts !== undefined) out.push([tsHeader, ts]);
    return out;
  };

  return {
    name: 'json_http',
    concurrency: 16,
    hubConfig: () => ({ adapters: { json_http: { profiles: PROFILES } }, registry: fuzzRegistry() }),
    async attach(_hub: FuzzHub) { /* routes are fixed: /v1/ingest/<profile> */ },
    generate(rng: Rng) {
      const profile = rng.chance(0.04) ? rng.pick(['nope', '', 'FLAT', 'flat%00', '%ff', nastyString(rng).slice(0, 50)]) : rng.pick(Object.keys(PROFILES));
      // Own keys only: a nasty profile name such as `constructor` would pick up Object.prototype's function.
      const base = (Object.hasOwn(examples, profile) ? examples[profile as ProfileName] : examples.manholes) as never;
      const kind = rng.weighted<string>([[75, 'json'], [8, 'poison'], [7, 'bytes'], [5, 'empty'], [5, 'notjson']]);
      let body: Buffer, mut: string;
      if (kind === 'json') ({ mut, bytes: body } = mutateJson(rng, base));
      else if (kind === 'poison') { mut = 'poison:lone-surrogate-sn'; body = Buffer.from(JSON.stringify(poisoned), 'utf8'); }
      else if (kind === 'bytes') { const m = mutateBytes(rng, Buffer.from(JSON.stringify(base), 'utf8')); mut = `bytes:${m.name}`; body = m.bytes; }
      else if (kind === 'empty') { mut = 'empty'; body = Buffer.alloc(0); }
      else { mut = 'notjson'; body = Buffer.from(rng.pick(['hello', '<xml/>', 'a=1&b=2', '\u0000', '\ufeff{}', '{"a":1}{"b":2}', '[1,]', 'null', '1'])); }
      const sig = rng.pick(SIG_MODES), ts = rng.pick(TS_MODES);
      const headers: Array<[string, string]> = [];
      const ct = rng.weighted<string | undefined>([[80, 'application/json'], [5, 'text/plain'], [3, 'application/json; charset=gbk'], [3, undefined], [3, 'application/x-www-form-urlencoded'], [3, 'application/x-protobuf'], [3, nastyString(rng)]]);
      if (ct !== undefined) headers.push(['Content-Type', ct]);
      if (profile === 'flat' || rng.chance(0.1)) headers.push(['Authorization', `Bearer ${rng.chance(0.85) ? rng.pick([KEYS.ingest, KEYS.all, KEYS.admin]) : rng.pick([KEYS.read, 'wrong', `${KEYS.ingest}${rng.pick(CONTROLS)}`])}`]);
      const q = rng.chance(0.2) ? `?${rng.pick(['profile', 'site', 'device', '__proto__', 'x'])}=${encodeURIComponent(nastyString(rng).replace(/[\ud800-\udfff]/g, '?'))}` : '';
      return {
        mut: `${mut}+sig:${sig}+ts:${ts}`, route: `POST /v1/ingest/${profile in PROFILES ? profile : '{other}'}`, profile, sig, ts,
        method: 'POST', path: `/v1/ingest/${encodeURIComponent(profile.replace(/[\ud800-\udfff]/g, '?'))}${q}`, headers, bodyB64: body.toString('base64'),
      };
    },
    async send(c, hub) {
      return judge(c.route, await rawHttp(hub.url, { ...c, headers: [...c.headers, ...headersFor(c)] }));
    },
    show: (c) => showRequest(c),
  };
}

// http: every route of the API (from /docs/json) with generated paths, queries, headers, keys and bodies (JSON, protobuf, broken).
import type { Case, Target } from './lib/engine.ts';
import type { FuzzHub } from './lib/hub.ts';
import type { Rng } from './lib/rng.ts';
import { KEYS } from './lib/hub.ts';
import { nastyString, spoil, BAD_UTF8, CONTROLS } from './lib/nasty.ts';
import { mutateBytes } from './lib/mutate.ts';
import { mutateJson } from './lib/json-mutate.ts';
import { rawHttp, judge, showRequest, type RawRequest } from './lib/raw-http.ts';
import { fuzzRegistry } from './lib/registry.ts';
import { encodeIngestBatch } from '../hub/api/protobuf.ts';
import { domains, observationKinds } from '../schemas/generated/enums.ts';

export interface HttpCase extends Case, RawRequest { route: string }

interface Route { method: string; path: string; query: Array<{ name: string; enum?: string[]; type?: string }>; body: boolean }

const HMAC_SECRET = 'fuzz-secret-0123456789abcdef';

/** Values a parameter of this name may take when it is meant to be valid. */
const VALID: Record<string, string[]> = {
  domain: [...domains],
  site: ['FZ-DR', 'FZ-GS', 'FZ-00002-SITE'],
  device: ['MH-0001', 'GD-001', 'FZ-00002'],
  point: ['MH-0001-level', 'GD-001-ch4', 'FZ-00002-e01201'],
  indicator: ['drainage.pipe_level', 'gas.underground_space_concentration', 'water.pipe_pressure'],
  kind: [...observationKinds],
  from: ['2026-01-01T00:00:00Z', '2026-01-01T08:00:00+08:00', '2025-12-31'],
  to: ['2030-01-01T00:00:00Z', '2026-06-01'],
  limit: ['1', '10', '100', '1000'],
  format: ['json', 'ndjson'],
  all: ['true', 'false'],
  reason: ['UNKNOWN_POINT', 'UNKNOWN_DEVICE', 'MQTT_NOT_JSON'],
  name: ['hj212', 'json_http', 'fz-target'],
  id: ['1', '2', '10'],
  profile: ['flat', 'manholes'],
};
const CODES: Record<string, string[]> = {
  '/v1/sites/': VALID.site!, '/v1/devices/': VALID.device!, '/v1/points/': VALID.point!, '/v1/indicators/': VALID.indicator!,
};

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
/** Cursors: the hub's own shape (base64url JSON) with values past bigint, and plain garbage. */
function cursor(rng: Rng): string {
  return rng.pick([
    () => b64url(JSON.stringify([rng.int(2e12), String(rng.int(1000))])),
    () => b64url(JSON.stringify([1, '99999999999999999999999'])),
    () => b64url(JSON.stringify([1e400 as number, '-1'])),
    () => b64url(JSON.stringify(['x', 'y'])),
    () => b64url(JSON.stringify([1, 2, 3])),
    () => b64url(JSON.stringify({ a: 1 })),
    () => b64url('not json'),
    () => '99999999999999999999',
    () => '-1',
    () => 'WzEsIjk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5Il0',
    () => nastyString(rng),
  ])();
}

/** Percent-encode the UTF-8 bytes of s (lone surrogates become U+FFFD, as a browser sends them). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** A value for a path segment or query parameter: valid, spoiled, or raw bytes that were never encoded. */
function value(rng: Rng, name: string): { text: string; raw: boolean } {
  const valid = VALID[name] ?? ['x'];
  return rng.weighted<() => { text: string; raw: boolean }>([
    [50, () => ({ text: pct(name === 'cursor' ? cursor(rng) : rng.pick(valid)), raw: false })],
    [25, () => ({ text: pct(rng.chance(0.5) ? nastyString(rng) : spoil(rng, rng.pick(valid))), raw: false })],
    [10, () => ({ text: rng.pick(['%', '%zz', '%ff%fe', '%00', '%ED%A0%80', '%C0%80', '%E4%B8', '%2e%2e%2f', '..', '%u0041', '+', '%2B', '%20']), raw: false })],
    [10, () => ({ text: rng.pick(valid) + rng.pick([...CONTROLS, ' ', '"', '<', '\\', '^', '`', '{', '|', '}', '\x80', '\xff', '#', '?', '&', '=']), raw: true })],
    [5, () => ({ text: 'A'.repeat(rng.pick([2000, 9000, 20_000, 70_000])), raw: false })],
  ])();
}

function templates(): Record<string, unknown> {
  const now = Date.UTC(2026, 0, 1);
  return {
    'POST /v1/observations': { records: [
      { point: 'MH-0001-level', time: new Date(now).toISOString(), value: 35.2, unit: 'cm' },
      { device: 'GD-001', field: 'ch4', time: now + 1000, value: 1.2 },
      { identity: { protocol: 'json_http', key: 'MH-0002' }, field: 'level', time: '2026-01-01 08:00:01', value: '12.5' },
      { point: 'NOPE-404', time: now, value: 1 },
    ] },
    'PUT /v1/sites/{code}': { name: '模糊站点', domain: 'drainage', enterprise: 'fuzz', address: 'x', location: { lat: 24.4, lon: 118.1, crs: 'WGS84' }, tags: ['a'] },
    'PUT /v1/devices/{code}': { site: 'FZ-DR', name: 'dev', vendor: 'v', model: 'm', identities: [{ protocol: 'json_http', key: 'FZ-NEW' }] },
    'PUT /v1/points/{code}': { device: 'MH-0001', indicator: 'drainage.pipe_level', field: 'level2', source_unit: 'cm' },
    'POST /v1/quarantine/replay': { reason: 'UNKNOWN_POINT', limit: 10 },
    'POST /v1/adapters/{name}/commands': { mn: '4C4C48000000000000000002', cn: '1011', cp: { PolId: 'w01018' }, timeout_s: 0.2, retries: 0 },
    'POST /v1/ingest/{profile}': { msgId: 'm1', time: '2026-11-25 10:00:00', devices: [{ sn: 'MH-0001', data: [{ code: 'level', value: '35.2', unit: 'cm' }] }], deviceId: 'GD-001', ts: now, methane: 1.2 },
  };
}

export function create(): Target<HttpCase> {
  let routes: Route[] = [];
  const tpl = templates();
  const proto = Buffer.from(encodeIngestBatch({ records: [{ point: 'MH-0001-level', time: Date.UTC(2026, 0, 1), value: 1 }] as never }));

  const auth = (rng: Rng): { mut: string; headers: Array<[string, string]> } => {
    const key = rng.pick(Object.values(KEYS));
    return rng.weighted<() => { mut: string; headers: Array<[string, string]> }>([
      [55, () => ({ mut: 'key', headers: [['Authorization', `Bearer ${key}`]] })],
      [8, () => ({ mut: 'x-api-key', headers: [['X-API-Key', key]] })],
      [5, () => ({ mut: 'nokey', headers: [] })],
      [5, () => ({ mut: 'badkey', headers: [['Authorization', `Bearer ${rng.pick(['wrong', '', ' ', 'llh_x', key.toUpperCase()])}`]] })],
      [6, () => ({ mut: 'scheme', headers: [['Authorization', `${rng.pick(['bearer', 'BEARER', 'Basic', 'Token', 'Bearer  ', '', 'Bearer\t'])} ${key}`]] })],
      [3, () => ({ mut: 'basic', headers: [['Authorization', `Basic ${Buffer.from(`x:${key}`).toString('base64')}`]] })],
      [5, () => ({ mut: 'key-nasty', headers: [['Authorization', `Bearer ${spoil(rng, key, rng.pick([...CONTROLS, '\x80', '\xff', 'é']))}`]] })],
      [3, () => ({ mut: 'key-huge', headers: [['Authorization', `Bearer ${'k'.repeat(rng.pick([1000, 8000, 17_000, 70_000]))}`]] })],
      [3, () => ({ mut: 'two-keys', headers: [['Authorization', `Bearer ${key}`], ['Authorization', 'Bearer other'], ['X-API-Key', 'x']] })],
    ])();
  };

  const body = (rng: Rng, r: Route): { mut: string; bytes?: Buffer; type?: string } => {
    const doc = tpl[`${r.method} ${r.path}`];
    const wantsBody = r.body || doc !== undefined || rng.chance(0.05);
    if (!wantsBody) return { mut: 'nobody' };
    const kind = rng.weighted<string>([[70, 'json'], [8, 'protobuf'], [5, 'empty'], [5, 'bytes'], [6, 'deep'], [3, 'utf8'], [3, 'huge']]);
    const json = () => mutateJson(rng, (doc ?? {}) as never);
    switch (kind) {
      case 'json': { const m = json(); return { mut: m.mut, bytes: m.bytes, type: 'application/json' }; }
      case 'protobuf': { const m = rng.chance(0.7) ? mutateBytes(rng, proto) : { name: 'random', bytes: rng.bytes(rng.size(4096)) }; return { mut: `protobuf:${m.name}`, bytes: m.bytes, type: rng.pick(['application/x-protobuf', 'application/protobuf', 'application/octet-stream']) }; }
      case 'empty': return { mut: 'empty', bytes: Buffer.alloc(0), type: 'application/json' };
      case 'bytes': return { mut: 'bytes', bytes: rng.bytes(rng.size(2048)), type: 'application/json' };
      case 'deep': { const n = rng.pick([100, 1000, 10_000, 100_000, 1_000_000]); const open = rng.chance(0.5) ? '[' : '{"a":'; return { mut: `deep${n}`, bytes: Buffer.from(open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n)), type: 'application/json' }; }
      case 'utf8': { const m = json(); const at = rng.int(m.bytes.length); return { mut: `${m.mut}+badutf8`, bytes: Buffer.concat([m.bytes.subarray(0, at), rng.pick(BAD_UTF8), m.bytes.subarray(at)]), type: 'application/json' }; }
      default: { const n = rng.pick([1_000_000, 17_000_000]); return { mut: `huge${n}`, bytes: Buffer.concat([Buffer.from('{"records":['), Buffer.alloc(n, 0x20), Buffer.from(']}')]), type: 'application/json' }; }
    }
  };

  return {
    name: 'http',
    concurrency: 16,
    hubConfig: () => ({
      adapters: {
        hj212: { host: '127.0.0.1', port: 0 },
        json_http: { profiles: { flat: { mapping: 'flat-reading' }, manholes: { mapping: 'device-array', auth: 'hmac', hmac: { header: 'X-Signature', secret: HMAC_SECRET, timestamp_header: 'X-Timestamp' } } } },
      },
      // A target that cannot deliver (nothing listens on port 9): dead letters for the dead-letter routes.
      publish: { targets: { 'fz-target': { type: 'http_push', batch: { max_size: 50, max_wait_ms: 100 }, retry: { initial_ms: 100, max_ms: 200, max_attempts: 1 }, config: { url: 'http://127.0.0.1:9/in' } } } },
      registry: fuzzRegistry(),
    }),
    async attach(hub: FuzzHub) {
      if (routes.length) return;
      const doc = await (await fetch(`${hub.url}/docs/json`)).json() as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; schema?: { enum?: string[]; type?: string } }>; requestBody?: unknown }>> };
      for (const [path, ops] of Object.entries(doc.paths)) {
        if (path.startsWith('/docs')) continue;
        for (const [method, op] of Object.entries(ops)) {
          routes.push({ method: method.toUpperCase(), path, query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, enum: p.schema?.enum, type: p.schema?.type })), body: !!op.requestBody });
        }
      }
      if (!routes.length) throw new Error('/docs/json lists no routes');
    },
    generate(rng) {
      const r = rng.chance(0.03) ? { method: rng.pick(['GET', 'POST', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'G\x01T']), path: rng.pick(['/', '/v1', '/v2/x', '/v1/sites/x/y', '//v1//sites', '/v1/observations/../sites']), query: [], body: false } : rng.pick(routes);
      const muts: string[] = [];
      // Path: each {param} gets a value; the route key stays the template, for counting.
      let path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        const prefix = Object.keys(CODES).find((p) => r.path.startsWith(p));
        if (prefix && name === 'code') VALID.code = CODES[prefix]!;
        const v = value(rng, name);
        if (v.raw) muts.push(`rawpath:${name}`);
        return v.text;
      });
      const q: string[] = [];
      for (const p of r.query) {
        if (!rng.chance(0.4)) continue;
        if (p.enum) VALID[p.name] ??= p.enum;
        const v = value(rng, p.name);
        q.push(`${pct(p.name)}=${v.text}`);
        if (rng.chance(0.05)) q.push(`${pct(p.name)}=${value(rng, p.name).text}`); // repeated parameter
      }
      if (rng.chance(0.08)) q.push(`${pct(rng.chance(0.5) ? nastyString(rng) : 'unknown')}=${pct(nastyString(rng))}`);
      if (rng.chance(0.02)) q.push(rng.pick(['&&&', '=', '==x', '%', 'a[b]=1', 'a.b=1', '__proto__[x]=1', 'constructor=1']));
      if (q.length) path += `?${q.join('&')}`;
      const a = auth(rng);
      const b = body(rng, r);
      const headers: Array<[string, string]> = [...a.headers];
      if (b.type !== undefined || b.bytes) {
        const ct = rng.weighted<string | undefined>([[75, b.type], [4, 'text/plain'], [3, 'application/json; charset=utf-16'], [3, 'application/x-www-form-urlencoded'], [2, 'multipart/form-data; boundary=x'], [3, undefined], [3, 'application/json;;;'], [2, nastyString(rng)], [2, 'APPLICATION/JSON'], [3, 'application/x-protobuf']]);
        if (ct !== undefined) headers.push(['Content-Type', ct]);
      }
      if (rng.chance(0.1)) headers.push(['Accept', rng.pick(['application/x-ndjson', 'application/json', '*/*', 'text/html', 'application/x-protobuf', nastyString(rng)])]);
      if (r.path === '/v1/ingest/{profile}' && rng.chance(0.5)) headers.push(['X-Signature', rng.bytes(32).toString('hex')], ['X-Timestamp', String(Math.floor(Date.now() / 1000))]);
      const extra = rng.weighted<string>([[85, 'none'], [4, 'huge'], [3, 'many'], [3, 'badname'], [2, 'te'], [3, 'encoding']]);
      let contentLength: string | null | undefined;
      if (extra === 'huge') headers.push(['X-Fuzz', 'h'.repeat(rng.pick([4000, 17_000, 70_000]))]);
      if (extra === 'many') for (let i = 0; i < rng.pick([100, 500, 3000]); i++) headers.push([`X-F${i}`, 'v']);
      if (extra === 'badname') headers.push([rng.pick(['X Bad', 'X:Bad', 'X\x01', '', 'é']), 'v']);
      if (extra === 'te') { headers.push(['Transfer-Encoding', rng.pick(['chunked', 'gzip', 'identity, chunked'])]); contentLength = rng.chance(0.5) ? null : undefined; }
      if (extra === 'encoding') headers.push(['Content-Encoding', rng.pick(['gzip', 'br', 'deflate', 'x'])]);
      if (b.bytes && rng.chance(0.03)) contentLength = rng.pick(['0', '-1', String(b.bytes.length + 10), 'abc', '99999999999999999999', `${b.bytes.length}, ${b.bytes.length}`]);
      const mut = [a.mut, b.mut, ...muts, extra !== 'none' ? `hdr:${extra}` : ''].filter(Boolean).join('+');
      const lie = contentLength !== undefined || extra === 'te';
      return { mut, route: `${r.method} ${r.path}`, method: r.method, path, headers, bodyB64: b.bytes?.toString('base64'), ...(contentLength !== undefined ? { contentLength } : {}), ...(lie ? { lie } : {}) };
    },
    async send(c, hub) {
      return judge(c.route, await rawHttp(hub.url, c));
    },
    show: (c) => showRequest(c),
  };
}

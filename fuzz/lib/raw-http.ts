// HTTP/1.1 over a raw socket: fetch and node:http refuse the bytes a fuzzer must send (NUL or CR in a
// header, invalid UTF-8 in a path, a lying Content-Length). One request per connection (Connection: close),
// read to the end; and the check every answer must pass: a success, or a typed error.
import net from 'node:net';
import type { Verdict } from './engine.ts';
import { HubErrorCodes } from '../../hub/sdk/errors.ts';
import { Hj212ErrorCodes } from '../../adapters/hj212/codec/errors.ts';

const REGISTERED = new Set([...Object.keys(HubErrorCodes), ...Object.keys(Hj212ErrorCodes)]);

export interface RawRequest {
  method: string;
  /** Request target as sent (already percent-encoded, or deliberately not). Latin-1 string or base64 (`pathB64`). */
  path: string;
  headers: Array<[string, string]>;
  /** Body as base64 (binary safe in crash files). */
  bodyB64?: string;
  /** Override the Content-Length header (a lie); otherwise it is the body's length. */
  contentLength?: string | null;
  /** The framing lies (Content-Length, Transfer-Encoding): the server may wait for bytes that never come, so
   *  the client closes its side after 2 s, and a close without an answer is then fair. */
  lie?: boolean;
}

export interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

export function requestBytes(r: RawRequest, host: string): Buffer {
  const body = r.bodyB64 ? Buffer.from(r.bodyB64, 'base64') : Buffer.alloc(0);
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`;
  for (const [k, v] of r.headers) head += `${k}: ${v}\r\n`;
  if (r.contentLength !== null) {
    const cl = r.contentLength ?? (body.length || r.method === 'POST' || r.method === 'PUT' ? String(body.length) : undefined);
    if (cl !== undefined) head += `Content-Length: ${cl}\r\n`;
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
}

function dechunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const n = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!Number.isFinite(n) || n === 0) break;
    parts.push(b.subarray(eol + 2, eol + 2 + n));
    i = eol + 2 + n + 2;
  }
  return Buffer.concat(parts);
}

export function parseResponse(raw: Buffer): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) { const c = l.indexOf(':'); if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim(); }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (/^\d+$/.test(headers['content-length'] ?? '')) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body };
}

/** Send one request; resolves with the response, or with why there was none. */
export type RawOutcome = RawResponse | { error: string; fair?: boolean };

export function rawHttp(url: string, r: RawRequest, timeoutMs = 15_000): Promise<RawOutcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false, written = false, halfClosed = false;
    const finish = (v: RawOutcome) => { if (!done) { done = true; clearTimeout(timer); clearTimeout(lieTimer); socket.destroy(); resolve(v); } };
    // Not end(): a server may close a half-closed connection before it answers.
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(requestBytes(r, `${hostname}:${port}`), (err) => { if (!err) written = true; }));
    const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    const lieTimer = r.lie ? setTimeout(() => { halfClosed = true; socket.end(); }, 2000) : undefined;
    socket.on('data', (d) => {
      chunks.push(d);
      // An event stream (GET /v1/alarms/stream) does not end: its head is the answer.
      const head = parseResponse(Buffer.concat(chunks));
      if (head && head.status < 300 && /^text\/event-stream/i.test(head.headers['content-type'] ?? '')) finish(head);
    });
    socket.on('error', (e) => {
      // The server may answer and close before it read all we wrote (EPIPE/ECONNRESET): the answer still counts,
      // and a reset while we were still writing a body it refused early is fair (the kernel drops the answer).
      const res = parseResponse(Buffer.concat(chunks));
      const code = (e as NodeJS.ErrnoException).code ?? e.message;
      finish(res ?? { error: `connection error without an answer: ${code}`, fair: !written || halfClosed });
    });
    socket.on('end', () => finish(parseResponse(Buffer.concat(chunks)) ?? (chunks.length
      ? { error: `unparsable answer: ${JSON.stringify(Buffer.concat(chunks).subarray(0, 80).toString('latin1'))}` }
      : { error: 'connection closed without an answer', fair: halfClosed })));
  });
}

/**
 * The rule for every answer: 1xx–3xx is a success; 4xx/5xx must carry a JSON object with a string `code` (under
 * `error` for SensorThings, as its standard shapes errors).
 * A 5xx with a code is allowed but counted by route (INTERNAL is a defect to report).
 */
export function judge(route: string, res: RawOutcome): Verdict {
  if ('error' in res) return res.fair ? { kind: 'ok' } : { kind: 'untyped', route, why: res.error };
  if (res.status < 400) return { kind: 'ok' };
  let code: unknown;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { code?: unknown; error?: { code?: unknown } };
    // SensorThings answers in its standard's error shape (OData JSON: {"error":{"code","message","target"}}).
    code = route.includes('/sta/') && body.code === undefined ? body.error?.code : body.code;
  } catch { /* not JSON */ }
  if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(code)) {
    return { kind: 'untyped', route, why: `${res.status} ${res.headers['content-type'] ?? '(no content-type)'} ${JSON.stringify(res.body.subarray(0, 120).toString('utf8'))}` };
  }
  if (res.status >= 500) return { kind: 'server_error', route, code };
  return REGISTERED.has(code) ? { kind: 'ok' } : { kind: 'foreign', route, code };
}

/** A request as one readable line (bodies cut; control bytes escaped). */
export function showRequest(r: RawRequest & { mut: string; route?: string }): string {
  const body = r.bodyB64 ? Buffer.from(r.bodyB64, 'base64') : undefined;
  const hs = r.headers.map(([k, v]) => `${k}: ${v.length > 80 ? `${v.slice(0, 60)}…(${v.length} chars)` : v}`).join(' | ');
  const b = body ? ` body(${body.length} B)=${JSON.stringify(body.subarray(0, 300).toString('utf8'))}` : '';
  return `[${r.mut}] ${r.method} ${JSON.stringify(r.path.length > 300 ? `${r.path.slice(0, 300)}…` : r.path).slice(1, -1)} {${JSON.stringify(hs).slice(1, -1)}}${r.contentLength !== undefined ? ` content-length=${r.contentLength}` : ''}${b}`;
}

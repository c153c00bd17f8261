// http_push: each delivery batch is one HTTP request. 2xx = delivered; 408, 429 and 5xx, timeouts and connection
// errors = retry (Retry-After honoured); any other 4xx = permanent (dead-letter, with status and body kept).
import { definePublisher, truncateText, type AdapterHealth, type PublishBatch, type PublishOutcome } from '../../hub/sdk/index.ts';
import { manifest, type HttpPushConfig } from './manifest.ts';
import { jsonBody, protobufBody, sign } from './encode.ts';

/** Bytes of an answer read at most: what is kept (4096 characters) and more; the rest is never downloaded. */
const KEEP_BYTES = 64 * 1024;

/**
 * The answer's body as text, reading at most `max` bytes: a platform answering with an endless or huge body
 * would otherwise hold the attempt until timeout_ms and the body in memory.
 */
export async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.byteLength;
    }
  } finally {
    if (n >= max) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  return new TextDecoder().decode(Buffer.concat(parts).subarray(0, max));
}

/** Retry-After: delta-seconds or an HTTP-date → ms from now (undefined when absent or unparsable). */
export function parseRetryAfter(v: string | null, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export default definePublisher<HttpPushConfig>({
  manifest,
  create(config, ctx) {
    let health: AdapterHealth = { status: 'ok' };
    const contentType = config.format === 'protobuf' ? 'application/x-protobuf' : 'application/json';

    async function send(batch: PublishBatch): Promise<PublishOutcome> {
      const body = config.format === 'protobuf' ? protobufBody(batch) : jsonBody(batch);
      const headers: Record<string, string> = {
        ...config.headers,
        'content-type': contentType,
        'idempotency-key': batch.idempotencyKey,
        'x-lifeline-attempt': String(batch.attempt),
        'x-lifeline-count': String(batch.observations.length),
      };
      if (config.signing) {
        const ts = String(Math.floor(ctx.clock.now() / 1000));
        headers[config.signing.timestamp_header.toLowerCase()] = ts;
        headers[config.signing.header.toLowerCase()] = sign(config.signing.algorithm, config.signing.secret, ts, body);
      }
      // One controller for both the hub stopping and the attempt's deadline (which also covers reading the answer).
      const ac = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; ac.abort(); }, config.timeout_ms);
      const onStop = () => ac.abort();
      ctx.signal.addEventListener('abort', onStop, { once: true });
      const done = () => { clearTimeout(timer); ctx.signal.removeEventListener('abort', onStop); };
      let res: Response;
      let text: string;
      try {
        res = await fetch(config.url, { method: config.method, headers, body, signal: ac.signal });
        text = await readCapped(res, KEEP_BYTES);
      } catch (e) {
        done();
        const err = e as Error & { cause?: { code?: string } };
        const reason = timedOut ? `no answer within ${config.timeout_ms} ms` : `${err.cause?.code ?? err.name}: ${err.cause ? (err.cause as Error).message ?? err.message : err.message}`;
        health = { status: 'down', detail: { error: reason } };
        ctx.metrics.error('connection');
        return { status: 'retry', reason };
      }
      done();
      if (res.ok) {
        health = { status: 'ok' };
        ctx.metrics.sent(batch.observations.length);
        return { status: 'ok' };
      }
      const response = { status: res.status, body: truncateText(text, 4096) };
      const reason = `HTTP ${res.status}${text ? `: ${truncateText(text, 200)}` : ''}`;
      if (res.status === 408 || res.status === 429 || res.status >= 500) {
        health = { status: 'degraded', detail: { last_status: res.status } };
        ctx.metrics.error(`http_${res.status}`);
        return { status: 'retry', reason, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), ctx.clock.now()) };
      }
      ctx.metrics.error(`http_${res.status}`);
      return { status: 'permanent', reason, response };
    }

    return {
      async start() { /* connections are opened per request (keep-alive pooled by fetch) */ },
      send,
      async stop() { /* in-flight requests end with ctx.signal */ },
      health: () => health,
    };
  },
});

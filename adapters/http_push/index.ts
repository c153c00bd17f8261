// http_push: each delivery batch is one HTTP request. 2xx = delivered; 408, 429 and 5xx, timeouts and connection
// errors = retry (Retry-After honoured); any other 4xx = permanent (dead-letter, with status and body kept).
import { definePublisher, truncateText, type AdapterHealth, type PublishBatch, type PublishOutcome } from '../../hub/sdk/index.ts';
import { manifest, type HttpPushConfig } from './manifest.ts';
import { alarmBody, jsonBody, protobufBody, sign } from './encode.ts';

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

/**
 * The value of `field` in a JSON answer when it is neither 0 nor "0" (the robot refused the message), else undefined;
 * an answer that is not JSON or lacks the field counts as refused too (the robot said nothing we can trust).
 */
export function refusedBy(text: string, field: string): unknown {
  let v: unknown;
  try { v = (JSON.parse(text) as Record<string, unknown>)?.[field]; } catch { return 'not JSON'; }
  return v === 0 || v === '0' ? undefined : v === undefined ? 'absent' : v;
}

export default definePublisher<HttpPushConfig>({
  manifest,
  create(config, ctx) {
    let health: AdapterHealth = { status: 'ok' };
    const contentType = config.format === 'protobuf' ? 'application/x-protobuf' : 'application/json';

    async function send(batch: PublishBatch): Promise<PublishOutcome> {
      // Alarm events are JSON whatever the format: the template's body as is, or {idempotency_key, alarms: [...]}.
      const alarms = batch.alarms;
      const body = alarms ? alarmBody(batch) : config.format === 'protobuf' ? protobufBody(batch) : jsonBody(batch);
      const count = alarms ? alarms.length : batch.observations.length;
      const headers: Record<string, string> = {
        ...config.headers,
        'content-type': alarms ? 'application/json' : contentType,
        'idempotency-key': batch.idempotencyKey,
        'x-lifeline-attempt': String(batch.attempt),
        'x-lifeline-count': String(count),
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
        // A robot answers 200 with an error code in the body (WeCom/DingTalk errcode, Feishu code): not delivered.
        const refused = config.success_field ? refusedBy(text, config.success_field) : undefined;
        if (refused !== undefined) {
          health = { status: 'degraded', detail: { last_status: res.status, [config.success_field!]: refused } };
          ctx.metrics.error('refused');
          return { status: 'retry', reason: `HTTP ${res.status} but ${config.success_field} = ${JSON.stringify(refused)}: ${truncateText(text, 200)}` };
        }
        health = { status: 'ok' };
        ctx.metrics.sent(count);
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

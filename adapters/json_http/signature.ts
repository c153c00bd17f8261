// HMAC webhook signatures (sha256 or sm3), compared in constant time, with an optional signed timestamp
// that must be close to the hub's clock so a captured request cannot be replayed later.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LifelineError } from '../../hub/sdk/index.ts';
import type { HmacConfig } from './manifest.ts';

export interface Verifier { (headers: Record<string, string | string[] | undefined>, rawBody: Buffer, nowMs: number): void }

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** What is signed: the body, or `<timestamp>.<body>` when a timestamp header is configured. */
export function signedContent(rawBody: Buffer, timestamp?: string): Buffer {
  return timestamp === undefined ? rawBody : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]);
}

/** The header value a sender computes (used by tests, the docs' example and the simulator). */
export function sign(c: Pick<HmacConfig, 'algorithm' | 'encoding' | 'prefix'>, secret: string, rawBody: Buffer, timestamp?: string): string {
  return (c.prefix ?? '') + createHmac(c.algorithm, secret).update(signedContent(rawBody, timestamp)).digest(c.encoding);
}

export function makeVerifier(profile: string, c: HmacConfig, secret: string): Verifier {
  const header = c.header.toLowerCase();
  const tsHeader = c.timestamp_header?.toLowerCase();
  const prefix = c.prefix ?? '';
  return (headers, rawBody, nowMs) => {
    const got = one(headers[header])?.trim();
    if (!got) throw new LifelineError('SIGNATURE_MISSING', `profile "${profile}" needs an HMAC-${c.algorithm.toUpperCase()} signature in the ${c.header} header`, { details: { header: c.header } });
    let ts: string | undefined;
    if (tsHeader) {
      ts = one(headers[tsHeader])?.trim();
      if (!ts) throw new LifelineError('SIGNATURE_MISSING', `profile "${profile}" needs the signing time (epoch seconds) in the ${c.timestamp_header} header`, { details: { header: c.timestamp_header } });
    }
    // A timestamp that is not epoch seconds (or ms) is a sender's bug, not a replay: say so before anything else.
    if (ts !== undefined && !/^\d{1,16}(\.\d{1,9})?$/.test(ts)) {
      throw new LifelineError('SIGNATURE_TIMESTAMP_INVALID', `the ${c.timestamp_header} header ("${ts.slice(0, 40)}") is not the signing time as epoch seconds (e.g. ${Math.floor(nowMs / 1000)})`, { details: { header: c.timestamp_header } });
    }
    const text = prefix && got.startsWith(prefix) ? got.slice(prefix.length) : got;
    const given = c.encoding === 'hex' ? (/^[0-9a-fA-F]*$/.test(text) ? Buffer.from(text, 'hex') : Buffer.alloc(0)) : Buffer.from(text, 'base64');
    const expected = createHmac(c.algorithm, secret).update(signedContent(rawBody, ts)).digest();
    // Compare equal-length buffers only (timingSafeEqual throws otherwise); a wrong length is simply wrong.
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    if (!ok || (prefix && !got.startsWith(prefix))) {
      throw new LifelineError('SIGNATURE_INVALID', `the ${c.header} signature does not match the body (HMAC-${c.algorithm.toUpperCase()}, ${c.encoding}${tsHeader ? `, over "<${c.timestamp_header}>.<body>"` : ''})`, { details: { header: c.header } });
    }
    if (ts !== undefined) {
      const n = Number(ts);
      const ms = n > 1e11 ? n : n * 1000;
      if (!Number.isFinite(ms) || Math.abs(nowMs - ms) > c.max_skew_s * 1000) {
        throw new LifelineError('SIGNATURE_EXPIRED', `the signed ${c.timestamp_header} (${ts}) is more than ${c.max_skew_s} s from the hub's clock: send the current epoch seconds with each request`, { details: { header: c.timestamp_header } });
      }
    }
  };
}

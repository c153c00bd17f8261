// Values that break parsers, stores and echo paths: every ASCII control, HJ 212 and URL separators, lone
// surrogates, NUL, invalid UTF-8, huge and odd numbers, long strings. Shared by all targets.
import type { Rng } from './rng.ts';

/** Every ASCII control character (0x00–0x1f, 0x7f). */
export const CONTROLS = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\x7f'];
/** Separators of HJ 212 (and the space), which a field must not carry. */
export const SEPARATORS = [' ', '\t', '\0', '=', ';', ',', '&', '\r', '\n', '&&', '#', '##', '\r\n', '//'];
/** Every control and separator, each once: the sweep that puts each of them in each field. */
export const FIELD_BREAKERS = [...new Set([...CONTROLS, ...SEPARATORS])];

export const UNICODE = [
  '\ud800', '\udfff', 'X\ud800', '\udc00X', '\ud83d', '\uffff', '\ufffe', '\ufeff', '\u202e', '\u0000', '😀', '监测点', 'é', 'e\u0301', '\u2028', '\u00a0',
];
export const NUMBERS = ['0', '-0', '1e309', '-1e309', '1e-400', 'NaN', 'Infinity', '-Infinity', '99999999999999999999', '9223372036854775808', '-9223372036854775809',
  '0x10', '1_000', '1.', '.5', '+1', '00012', '1e5', '4294967296', '2147483648', '-1', '3.14159265358979323846264338327950288'];
export const WORDS = ['', ' ', 'null', 'true', 'undefined', '__proto__', 'constructor', 'prototype', "'", "'; DROP TABLE observation; --", '%', '_', '\\', '"', '{', '[',
  '../../etc/passwd', '%00', '%ff', '%zz', '${x}', '$vars', '{{x}}', '<script>', 'T', '2026-02-30T25:61:61Z', '0000-00-00T00:00:00Z', '2026-01-01T00:00:00+99:99', '20261301256161'];

/** A nasty string: a control, a separator, unicode trouble, an odd number or word, or a long run. */
export function nastyString(rng: Rng): string {
  return rng.weighted<() => string>([
    [4, () => rng.pick(FIELD_BREAKERS)],
    [3, () => rng.pick(UNICODE)],
    [2, () => rng.pick(NUMBERS)],
    [3, () => rng.pick(WORDS)],
    [1, () => 'A'.repeat(rng.pick([256, 1025, 4096, 10_000, 70_000]))],
    [2, () => { let s = ''; const n = rng.range(1, 12); for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0x10000)); return s; }],
  ])();
}

/** A valid value with a breaker inserted at the start, middle or end (or replacing it). */
export function spoil(rng: Rng, valid: string, breaker = nastyString(rng)): string {
  const at = rng.pick(['start', 'middle', 'end', 'replace'] as const);
  if (at === 'replace') return breaker;
  const i = at === 'start' ? 0 : at === 'end' ? valid.length : rng.int(valid.length + 1);
  return valid.slice(0, i) + breaker + valid.slice(i);
}

/** Bytes that are not valid UTF-8 (lone continuation, overlong, CESU surrogate, truncated sequence, 0xff). */
export const BAD_UTF8 = [[0xff], [0xfe], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe4, 0xb8], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]].map((b) => Buffer.from(b));

// Shared state of one decode: mode, warnings, and text index → byte offset for errors.
import { Hj212Error, type Hj212ErrorCode } from './errors.ts';
import { byteLengthOf, type TextEncoding } from './text.ts';

export interface DecodeCtx {
  lenient: boolean;
  warnings: string[];
  /** The decoded data segment (or CP text when re-parsing reassembled segments). */
  text: string;
  /** Byte offset of text[0] in the frame. */
  base: number;
  enc: TextEncoding;
  /**
   * The same characters as numbers, for scanning: the frame bytes themselves for ASCII text (codes[k + d] is
   * text[k], d = 6), or the text's UTF-16 units clamped to one byte otherwise (d = 0; every unit above 0xFF
   * becomes 0x80, a plain character for the grammar). Typed-array reads are about twice as fast as
   * charCodeAt; substrings are always taken from `text`.
   */
  codes: Uint8Array;
  d: number;
  /** codes are the exact characters (ASCII): runs of codes may be compared instead of strings. */
  exact: boolean;
}

/** Scanning view of a decoded string (see DecodeCtx.codes). */
export function codesOf(text: string): Uint8Array {
  const a = new Uint8Array(text.length);
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    a[k] = c > 0xff ? 0x80 : c;
  }
  return a;
}

export function warn(ctx: DecodeCtx, code: string): void {
  if (!ctx.warnings.includes(code)) ctx.warnings.push(code);
}

/** Byte offset in the frame of text index `index`. */
export function offsetOf(ctx: DecodeCtx, index: number): number {
  return ctx.base + byteLengthOf(ctx.text, index, ctx.enc);
}

export function fail(ctx: DecodeCtx, code: Hj212ErrorCode, message: string, index: number, field?: string): never {
  const offset = offsetOf(ctx, index);
  throw new Hj212Error(code, `${message} (byte ${offset})`, field === undefined ? { offset } : { offset, field });
}

/** In lenient mode record `warning`; in strict mode throw. */
export function deviate(ctx: DecodeCtx, warning: string, code: Hj212ErrorCode, message: string, index: number, field?: string): void {
  if (ctx.lenient) warn(ctx, warning);
  else fail(ctx, code, `${message}; lenient mode accepts this with warning ${warning}`, index, field);
}

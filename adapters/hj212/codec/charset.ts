// Which characters a header field value or a CP key can carry. One rule for both directions: the decoder
// refuses a header value the builder could not write back, so every decoded QN, PW, MN and ST can be echoed
// in the answer (9011/9013/9014) without the builder throwing.

/**
 * A character HJ 212 cannot carry in a header value or CP key: a control character (0x00–0x1F, DEL), a space,
 * or one of the grammar's separators `= ; , &`. (HJ 212-2017 Table 3: QN digits, MN letters and digits, PW
 * printable characters; none allows whitespace or separators.)
 */
export function isUnsafeFieldChar(c: number): boolean {
  return c <= 32 || c === 127 || c === 61 || c === 59 || c === 44 || c === 38;
}

/** Index of the first character of `s` HJ 212 cannot carry in a header value, or -1. */
export function firstUnsafeFieldChar(s: string): number {
  for (let k = 0; k < s.length; k++) if (isUnsafeFieldChar(s.charCodeAt(k))) return k;
  return -1;
}

/** `c` written for a person: `"&"`, or `U+0009` for a control character or space. */
export function describeChar(c: number): string {
  return c <= 32 || c === 127 ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `"${String.fromCharCode(c)}"`;
}

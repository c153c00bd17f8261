// PostgreSQL array literals for the batch statements' unnest() parameters.
/** PostgreSQL array literals built here: pg's generic array encoding (prepareValue/escapeElement per element) costs more. */
export function numArray(a: unknown[]): string {
  // No NULL in it (most columns of most batches): one native join. None but NULLs: '{}', which unnest() pads with NULLs.
  let nulls = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === null || a[i] === undefined) nulls++;
  if (nulls === 0) return `{${a.join(',')}}`;
  if (nulls === a.length) return '{}';
  let s = '{';
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (i) s += ',';
    s += v === null || v === undefined ? 'NULL' : String(v);
  }
  return s + '}';
}
const needsEscape = /["\\]/;
export function textArray(a: unknown[]): string {
  // Nothing to quote and no NULL (most columns of most batches): one native join.
  let plain = true;
  for (let i = 0; i < a.length && plain; i++) { const v = a[i]; plain = typeof v === 'string' && !needsEscape.test(v); }
  if (plain) return a.length ? `{"${a.join('","')}"}` : '{}';
  let s = '{';
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (i) s += ',';
    if (v === null || v === undefined) { s += 'NULL'; continue; }
    const t = String(v);
    s += needsEscape.test(t) ? '"' + t.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"' : '"' + t + '"';
  }
  return s + '}';
}

// Binary arrays (PostgreSQL's array_send format) for pg, which sends a Buffer parameter in binary: no number is
// written out as text here, and the server reads each as its 8 or 4 bytes instead of parsing it (float8in is a
// strtod per value). PGlite takes a byte array as bytea, so the embedded engine keeps the text literals above.
const FLOAT8_OID = 701;
const INT4_OID = 23;

function binaryArray(a: unknown[], oid: number, width: 4 | 8): Buffer {
  let nulls = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === null || a[i] === undefined) nulls++;
  // None but NULLs (or none at all): the empty array, which unnest() pads with NULLs, as '{}' does.
  if (nulls === a.length) {
    const b = Buffer.allocUnsafe(12);
    b.writeInt32BE(0, 0); b.writeInt32BE(0, 4); b.writeInt32BE(oid, 8);
    return b;
  }
  const b = Buffer.allocUnsafe(20 + (a.length - nulls) * (4 + width) + nulls * 4);
  b.writeInt32BE(1, 0); // dimensions
  b.writeInt32BE(nulls ? 1 : 0, 4); // has NULLs
  b.writeInt32BE(oid, 8);
  b.writeInt32BE(a.length, 12); // length of the dimension
  b.writeInt32BE(1, 16); // its lower bound
  let at = 20;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) { b.writeInt32BE(-1, at); at += 4; continue; }
    b.writeInt32BE(width, at);
    if (width === 8) b.writeDoubleBE(v as number, at + 4); else b.writeInt32BE(v as number, at + 4);
    at += 4 + width;
  }
  return b;
}

/** A float8[] parameter in binary (for pg): every value exactly as the number it is, NULL for null or undefined. */
export const float8ArrayBinary = (a: unknown[]): Buffer => binaryArray(a, FLOAT8_OID, 8);
/** An int4[] parameter in binary (for pg); the values must be 32-bit integers (writeInt32BE throws otherwise). */
export const int4ArrayBinary = (a: unknown[]): Buffer => binaryArray(a, INT4_OID, 4);

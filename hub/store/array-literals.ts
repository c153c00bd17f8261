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

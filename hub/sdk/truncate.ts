// Cutting text from outside to a length without making it unstorable. `s.slice(0, n)` can end between the two
// halves of a surrogate pair (any emoji), and a lone surrogate fails a jsonb insert: one peer's answer or
// message would then fail its whole commit, again on every retry.

/**
 * `s` cut to at most `max` UTF-16 units, never inside a surrogate pair, with `ellipsis` appended when cut.
 * @category Adapter
 */
export function truncateText(s: string, max: number, ellipsis = ''): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // the high half of a pair whose low half would be cut off
  return s.slice(0, end) + ellipsis;
}

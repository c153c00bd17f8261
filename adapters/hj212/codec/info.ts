// `ixxxxx-Info` values: free text travels wrapped in `//…//` (3020 logs); the parser keeps the wire text.

/** `//text//` → `text`; any other value unchanged. */
export function unwrapInfo(value: string | null): string | null {
  if (value !== null && value.length >= 4 && value.startsWith('//') && value.endsWith('//')) return value.slice(2, -2);
  return value;
}

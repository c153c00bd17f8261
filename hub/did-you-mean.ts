// "did you mean …?" for a mistyped name: the closest valid one by edit distance, when it is close enough.

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The valid name closest to `given`, if at most a third of its letters (and at least one) differ. */
export function closest(given: string, valid: readonly string[]): string | undefined {
  if (given.length > 64) return undefined; // a name is short; a hostile value may be a megabyte (cost: length × length)
  const g = given.toLowerCase();
  let best: string | undefined, bestD = Infinity;
  for (const v of valid) { const d = distance(g, v.toLowerCase()); if (d < bestD) { best = v; bestD = d; } }
  return bestD <= Math.max(1, Math.floor(given.length / 3)) ? best : undefined;
}

/** `"gass" is not a domain (did you mean "gas"?); one of: gas, water, …` */
export function notOneOf(what: string, given: string, valid: readonly string[]): string {
  const near = closest(given, valid);
  return `"${given}" is not a ${what}${near ? ` (did you mean "${near}"?)` : ''}; one of: ${valid.join(', ')}`;
}

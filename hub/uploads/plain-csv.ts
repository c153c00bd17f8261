// CSV without a single quote character, read by splitting lines and cells: the records csv-parse makes of such a file
// with the options hub/uploads/read.ts gives it, at a fraction of its cost (its per-character state machine was the
// largest single cost of mapping an upload). Any file with a quote anywhere goes through csv-parse, so quoting rules,
// and every error and its message, stay csv-parse's.
import { createReadStream } from 'node:fs';

const QUOTE = 0x22;

/**
 * True when no byte of the file is `"`. Only for encodings in which byte 0x22 is always the character `"` (UTF-8,
 * GBK and GB18030: their multi-byte sequences use bytes 0x30 and up); UTF-16 files are never read this way.
 */
export async function quoteFree(file: string): Promise<boolean> {
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of input) if ((chunk as Buffer).indexOf(QUOTE) !== -1) return false;
    return true;
  } finally { input.destroy(); }
}

/**
 * The line ending csv-parse discovers (the first of \r\n, \n or \r in the text; it is the only one it splits records
 * at from then on), or undefined when the text does not tell yet: none seen, or a \r that may be followed by \n in
 * the next chunk.
 */
function lineEnding(s: string, atEnd: boolean): string | undefined {
  const n = s.indexOf('\n');
  const r = s.indexOf('\r');
  if (r === -1 || (n !== -1 && n < r)) return n === -1 ? undefined : '\n';
  if (r + 1 < s.length) return s.charCodeAt(r + 1) === 0x0a ? '\r\n' : '\r';
  return atEnd ? '\r' : undefined;
}

/**
 * Records of quote-free CSV text, a run per chunk, as csv-parse gives them with bom, relax_column_count and
 * skip_empty_lines false: a leading BOM dropped; each line ending ends a record (an empty line is the record ['']);
 * text after the last line ending is a record when it is not empty. Each character is scanned a bounded number of
 * times: a chunk without a line ending is only kept (a very long line is joined once, when it ends), so a file of
 * few or no line endings costs what a file of many does, not the square of its length.
 */
export async function* splitPlainCsv(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<string[][]> {
  // The text since the last line ending, in the pieces it came in.
  let pending: string[] = [];
  let eol: string | undefined;
  let first = true;
  const cells = (lines: string[]) => { const out = new Array<string[]>(lines.length); for (let i = 0; i < lines.length; i++) out[i] = lines[i]!.split(delimiter); return out; };
  for await (const piece of text) {
    let chunk = piece;
    if (first && chunk.length) { first = false; if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1); }
    if (!chunk.length) continue; // nothing in it (and the last piece kept stays the one a \r may end)
    if (eol === undefined) {
      // The pieces before held no line ending but perhaps a last \r (whose \n may start this chunk): only that
      // character and this chunk are looked at.
      const tail = pending.length ? pending[pending.length - 1]!.slice(-1) : '';
      eol = lineEnding(tail + chunk, false);
      if (eol === undefined) { pending.push(chunk); continue; }
    }
    // A \r\n is complete once its \n is here: the records end in this chunk only if it holds the ending's last character.
    if (chunk.indexOf(eol === '\r' ? '\r' : '\n') === -1) { pending.push(chunk); continue; }
    const lines = (pending.length ? pending.join('') + chunk : chunk).split(eol);
    pending = [lines.pop()!];
    if (lines.length) yield cells(lines);
  }
  const carry = pending.join('');
  if (first || carry === '') return;
  eol ??= lineEnding(carry, true);
  const lines = eol === undefined ? [carry] : carry.split(eol);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length) yield cells(lines);
}

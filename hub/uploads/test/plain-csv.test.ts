// The quote-free CSV splitter gives exactly the records csv-parse gives with the options uploads use, whatever the
// line endings (csv-parse keeps the first kind it meets), BOM, empty lines and chunking.
import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { splitPlainCsv, quoteFree } from '../plain-csv.ts';

const viaCsvParse = (text: string, delimiter: string) =>
  parse(text, { delimiter, relax_column_count: true, bom: true, skip_empty_lines: false }) as string[][];

async function viaSplit(chunks: string[], delimiter: string): Promise<string[][]> {
  const out: string[][] = [];
  async function* gen() { yield* chunks; }
  for await (const run of splitPlainCsv(gen(), delimiter)) out.push(...run);
  return out;
}

/** Small seeded PRNG: the same cases every run. */
function rng(seed: number) { return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff); }

t.test('the same records as csv-parse for random quote-free text in random chunks', async (t) => {
  const r = rng(18);
  const alphabet = ['a', 'b', '1', '.', ' ', ',', ';', '\t', '\n', '\r', '\r\n', '\uFEFF', '压', 'ü'];
  for (let c = 0; c < 3000; c++) {
    const n = Math.floor(r() * 30);
    let text = r() < 0.2 ? '\uFEFF' : '';
    for (let i = 0; i < n; i++) text += alphabet[Math.floor(r() * alphabet.length)];
    const delimiter = [',', ';', '\t'][Math.floor(r() * 3)]!;
    const chunks: string[] = [];
    for (let i = 0; i < text.length;) { const k = 1 + Math.floor(r() * 6); chunks.push(text.slice(i, i + k)); i += k; }
    if (r() < 0.1) chunks.splice(Math.floor(r() * (chunks.length + 1)), 0, '');
    const want = viaCsvParse(text, delimiter);
    const got = await viaSplit(chunks, delimiter);
    if (JSON.stringify(got) !== JSON.stringify(want)) t.same(got, want, `text ${JSON.stringify(text)} delimiter ${JSON.stringify(delimiter)} chunks ${JSON.stringify(chunks)}`);
  }
  t.pass('3000 cases');
});

t.test('the named cases', async (t) => {
  for (const text of ['', '\n', '\n\n', 'a', 'a\n', 'a\nb', 'a\n\nb\n', 'a,b\r\nc\nd\r\n', 'a\rb\r', 'a\r', '\uFEFFa,b\n', '\uFEFF', 'a,,\n,\n']) {
    t.same(await viaSplit([text], ','), viaCsvParse(text, ','), JSON.stringify(text));
  }
});

t.test('quoteFree looks at every byte of the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plain-csv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'a.csv');
  writeFileSync(f, 'a,b\n'.repeat(400_000));
  t.equal(await quoteFree(f), true);
  writeFileSync(f, 'a,b\n'.repeat(400_000) + '"c",d\n');
  t.equal(await quoteFree(f), false);
});

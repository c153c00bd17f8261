// The docs show one way to run the CLI that works in a fresh clone: `npx lifeline …` (the package's own bin; `lifeline`
// alone is not on PATH after `npm ci`). A command line in a code block that starts with a bare `lifeline` fails here.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const skip = new Set(['node_modules', 'dist', '.git', 'fixtures']);

function* markdown(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* markdown(p);
    else if (e.name.endsWith('.md')) yield p;
  }
}

/** `lifeline <cmd>` where a shell command starts: line start (after a `$ ` or `> ` prompt and `VAR=value`s), a continued line, or after `&&`, `||`, `;`, `|`, `(`. */
const bare = /(?:^\s*(?:[$>]\s+)?|(?:&&|\|\||[;|(])\s*)(?:[A-Z_][A-Z0-9_]*=\S+\s+)*lifeline\s+-{0,2}[a-z]/;

/** The shell lines of every fenced code block in `text` that start a command with a bare `lifeline`, as `line: text`. */
export function bareCommands(text: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const f = /^\s*(```+|~~~+)/.exec(line);
    if (f) { fence = fence === undefined ? f[1] : line.trim().startsWith(fence) ? undefined : fence; return; }
    if (fence !== undefined && bare.test(line)) out.push(`${i + 1}: ${line.trim()}`);
  });
  return out;
}

t.test('the check finds a bare lifeline command and lets npx lifeline through', async (t) => {
  const block = (s: string) => `text\n\n\`\`\`sh\n${s}\n\`\`\`\n`;
  t.equal(bareCommands(block('lifeline check-config hub.yaml')).length, 1);
  t.equal(bareCommands(block('$ lifeline sim modbus --devices 3 &')).length, 1);
  t.equal(bareCommands(block('LIFELINE_API_KEY=demo lifeline start --config a.yaml')).length, 1);
  t.equal(bareCommands(block('cd x && lifeline --help')).length, 1);
  t.equal(bareCommands(block('FOO=1 \\\n  lifeline start')).length, 1, 'a continued line');
  t.equal(bareCommands(block('$ npx lifeline check-config hub.yaml\nLIFELINE_API_KEY=demo npx lifeline start')).length, 0);
  t.equal(bareCommands(block('lifeline 0.1.0 — urban lifeline data hub')).length, 0, 'output naming the program');
  t.same(bareCommands('run `lifeline start` in prose\n'), [], 'prose names commands; only code blocks are checked');
});

t.test('no doc starts a shell command with a bare `lifeline`', async (t) => {
  const hits: string[] = [];
  for (const file of markdown(root)) for (const h of bareCommands(readFileSync(file, 'utf8'))) hits.push(`${relative(root, file)}:${h}`);
  t.same(hits, [], 'write `npx lifeline …` (works in a fresh clone, as README.md says)');
});

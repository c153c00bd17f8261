// `npm run bench -- <name> [options]` → bench/<name>.ts's run(args). Without a name: list the benchmarks.
// Benchmarks print their figures and their target; they exit non-zero only when something fails.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { BenchUsageError } from './lib/errors.ts';

const dir = fileURLToPath(new URL('./', import.meta.url));

/** Every bench/<name>.ts except this dispatcher (helpers live in bench/lib/). */
function benchmarks(): { name: string; summary: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => {
      // The summary is the file's first comment line, so listing does not have to import (and start) anything.
      const first = readFileSync(join(dir, f), 'utf8').split('\n').find((l) => l.startsWith('//')) ?? '';
      return { name: f.slice(0, -3), summary: first.replace(/^\/\/\s*/, '') };
    });
}

function usage(): string {
  const list = benchmarks();
  const width = Math.max(8, ...list.map((b) => b.name.length));
  return [
    'usage: npm run bench -- <name> [options]      (options: npm run bench -- <name> --help)',
    '',
    'benchmarks:',
    ...list.map((b) => `  ${b.name.padEnd(width)}  ${b.summary}`),
  ].join('\n');
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const known = benchmarks().map((b) => b.name);
  if (!known.includes(name)) {
    console.error(`unknown benchmark "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { run?: (args: string[]) => Promise<void> };
  if (typeof mod.run !== 'function') {
    console.error(`bench/${name}.ts does not export run(args)`);
    return 2;
  }
  await mod.run(args);
  return 0;
}

main().then(
  (code) => { process.exitCode = process.exitCode || code; }, // keep a bench's own exitCode (1 on FAIL)
  (err: unknown) => {
    if (err instanceof BenchUsageError) {
      console.error(err.message);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);

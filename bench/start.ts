// Start time of the embedded default (`lifeline start`, no config): spawn → the API up, and → the first /health 200 (< 2 s), first and second start (targets: first ≤ 5 s, second ≤ 5 s, first with nothing cached ≤ 15 s).
//
// What a newcomer waits for. Three cases, each a fresh child process in a temp directory, `rounds` times (median):
// - first start: an empty data directory, the embedded store template present (as `npm install` leaves it);
// - second start: the same data directory again (what every later start costs);
// - first start, nothing cached: no store template (a first start when `npm install` could not make the template, or
//   right after a PGlite upgrade): PGlite's initdb runs in WASM, 6–9 s of CPU here; and an empty tsx compile cache,
//   which matters only when the CLI runs the sources (a checkout without an up-to-date dist/: docs/build.md).
// The first line says which code ran: the compiled dist/ or the sources through tsx.
// Besides wall time it prints the hub's own CPU time (all threads): on a busy machine the wall time grows with the
// load, the CPU time much less, so compare CPU figures across runs on a shared machine.
// --root DIR measures another checkout the same way (before/after figures: `--root ../base`).
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BenchUsageError } from './lib/errors.ts';

const TARGETS = { first: 5, second: 5, cold: 15 }; // seconds, on a quiet 2-core machine; see docs/operations.md

const HELP = `usage: npm run bench -- start [options]

  --rounds N      starts per case; the figure is the median (default 3)
  --root DIR      the checkout to start (default: this one)
  --cases LIST    first,second,cold (default: all three)
`;

const freePort = () => new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => r(port)); }); });

/** CPU seconds of a process and its waited-for children (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100; // utime stime cutime cstime, USER_HZ 100
  } catch { return undefined; }
}

/** wallS: to the API up (/health "ok"); healthS: to the first /health 200 ("starting" while the store opens). */
interface StartFigure { wallS: number; healthS: number; cpuS?: number; progress: string[] }

/** Spawn `lifeline start`, time it to the first /health 200, stop it with SIGTERM. */
async function timeStart(root: string, dataDir: string, cacheDir: string | undefined, tmp?: string): Promise<StartFigure> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), LIFELINE_DATA_DIR: dataDir, LIFELINE_API_KEY: 'bench', LOG_LEVEL: 'warn' };
  delete env.HOST;
  if (cacheDir) env.LIFELINE_CACHE_DIR = cacheDir;
  if (tmp) { mkdirSync(tmp, { recursive: true }); env.TMPDIR = tmp; }
  const began = performance.now();
  const proc = spawn(process.execPath, [join(root, 'bin/lifeline.js'), 'start'], { cwd: dirname(dataDir), env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => { gone = true; });
  try {
    let healthS: number | undefined;
    for (;;) {
      if (gone) throw new Error(`the hub exited before answering:\n${err}`);
      if (performance.now() - began > 180_000) throw new Error(`no /health 200 within 180 s:\n${err}`);
      const status = await fetch(`http://127.0.0.1:${port}/health`).then(async (r) => (r.status === 200 ? ((await r.json()) as { status: string }).status : undefined), () => undefined);
      if (status !== undefined) healthS ??= (performance.now() - began) / 1000;
      if (status === 'ok' || status === 'degraded') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const wallS = (performance.now() - began) / 1000;
    return { wallS, healthS: healthS!, cpuS: cpuSeconds(proc.pid!), progress: err.split('\n').filter((l) => l.startsWith('lifeline:')) };
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

/** What bin/lifeline.js in `root` runs: the compiled build or the sources (a checkout from before the build). */
async function whichCode(root: string): Promise<string> {
  const stateModule = join(root, 'bin/build-state.js');
  if (!existsSync(stateModule)) return 'the sources through tsx (this checkout has no build step)';
  if (process.env.LIFELINE_RUN === 'ts') return 'the sources through tsx (LIFELINE_RUN=ts)';
  const { buildState } = (await import(pathToFileURL(stateModule).href)) as { buildState: (o: { root: string }) => { fresh: boolean; reason?: string } };
  const state = buildState({ root });
  return state.fresh ? 'the compiled build in dist/ (up to date)' : `the sources through tsx (${state.reason})`;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { rounds: { type: 'string', default: '3' }, root: { type: 'string' }, cases: { type: 'string', default: 'first,second,cold' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchUsageError(`--rounds: a positive integer\n\n${HELP}`);
  const cases = values.cases!.split(',');
  if (cases.some((c) => !(c in TARGETS))) throw new BenchUsageError(`--cases: a list of first, second, cold\n\n${HELP}`);
  const root = values.root ? resolve(values.root) : fileURLToPath(new URL('..', import.meta.url));

  const load = loadavg()[0]!, cores = cpus().length;
  console.log(`start time of ${root} (lifeline start, no config, PGlite); ${rounds} round(s) per case, median`);
  console.log(`code: ${await whichCode(root)}`);
  console.log(`node ${process.version}, ${cores} cores, load average ${load.toFixed(2)}${load > cores / 2 ? '  (a busy machine: wall times are inflated; compare CPU)' : ''}`);

  // One untimed start first: it leaves what `npm install` leaves (the store template, tsx's compile cache).
  const warm = mkdtempSync(join(tmpdir(), 'lifeline-bench-start-'));
  try { await timeStart(root, join(warm, 'data'), undefined); } finally { rmSync(warm, { recursive: true, force: true }); }
  const figures: Record<string, StartFigure[]> = { first: [], second: [], cold: [] };
  let lastProgress: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const work = mkdtempSync(join(tmpdir(), 'lifeline-bench-start-'));
    try {
      if (cases.includes('first') || cases.includes('second')) {
        const first = await timeStart(root, join(work, 'data'), undefined);
        if (cases.includes('first')) figures.first!.push(first);
        if (cases.includes('second')) { const s = await timeStart(root, join(work, 'data'), undefined); figures.second!.push(s); lastProgress = s.progress; }
      }
      // Nothing cached at all: no store template, and tsx compiles every source file again (its cache is in TMPDIR).
      if (cases.includes('cold')) figures.cold!.push(await timeStart(root, join(work, 'cold'), join(work, 'cache'), join(work, 'tmp')));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  let failed = false;
  const label = { first: 'first start (empty data dir, template present)', second: 'second start (same data dir)', cold: 'first start, nothing cached (initdb)' } as Record<string, string>;
  for (const c of cases) {
    const f = figures[c]!;
    const wall = median(f.map((x) => x.wallS));
    const cpu = f.every((x) => x.cpuS !== undefined) ? median(f.map((x) => x.cpuS!)) : undefined;
    const target = TARGETS[c as keyof typeof TARGETS];
    const pass = wall <= target;
    failed ||= !pass;
    const health = median(f.map((x) => x.healthS));
    console.log(`${label[c]!.padEnd(48)} ${wall.toFixed(1).padStart(5)} s to the API up${cpu !== undefined ? `, hub CPU ${cpu.toFixed(1)} s` : ''}   target ≤ ${target} s  ${pass ? 'PASS' : 'FAIL'}   (runs: ${f.map((x) => x.wallS.toFixed(1)).join(', ')})`);
    console.log(`${''.padEnd(48)} ${health.toFixed(1).padStart(5)} s to the first /health 200 ("starting")   target < 2 s  ${health < 2 ? 'PASS' : 'FAIL'}   (runs: ${f.map((x) => x.healthS.toFixed(1)).join(', ')})`);
    failed ||= health >= 2;
  }
  if (lastProgress.length) console.log(`\nwhat a second start printed (each step with the seconds since \`lifeline start\` began):\n  ${lastProgress.join('\n  ')}`);
  if (failed) process.exitCode = 1;
}

// CPU time of CLI commands (`lifeline --help`, `hj212 decode`, `indicators`) beside `node -e 0` in the same run (target: each ≤ 0.5 s of CPU).
//
// Each command is a fresh process, as a user runs it; the figure is user + system CPU of the process and what it
// waited for (Linux: this process's cutime/cstime around a spawnSync), the median of `rounds` runs, interleaved so
// the load of a shared machine falls on every command alike. CPU rather than wall time: on a busy machine the wall
// time grows with the load, the CPU time hardly. By hand, one figure: /usr/bin/time -f '%U+%S' node bin/lifeline.js --help
// --root DIR measures another checkout (before/after: a `git archive` of the old commit, with node_modules linked).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchUsageError } from './lib/errors.ts';

const TARGET_S = 0.5;
const FRAME = '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80';

const HELP = `usage: npm run bench -- cli [options]

  --rounds N      runs per command; the figure is the median (default 3)
  --root DIR      the checkout whose bin/lifeline.js to run (default: this one)
`;

/** CPU seconds this process's waited-for children have used so far (utime + stime of the reaped; USER_HZ 100). */
function childrenCpu(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

export async function run(args: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { rounds: { type: 'string', default: '3' }, root: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) { throw new BenchUsageError(`${(e as Error).message}\n\n${HELP}`); }
  if (values.help) { console.log(HELP); return; }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchUsageError(`--rounds: a positive integer\n\n${HELP}`);
  if (!existsSync('/proc/self/stat')) throw new BenchUsageError('bench cli reads /proc (Linux); elsewhere: /usr/bin/time -f %U+%S node bin/lifeline.js --help');
  const root = values.root ? resolve(values.root) : fileURLToPath(new URL('..', import.meta.url));
  const bin = join(root, 'bin/lifeline.js');

  // `indicators` reads the checked catalogue from the per-user cache that `npm install` fills (hub/registry/
  // catalogue-cache.ts); once more with an empty cache each time, as after an edit of the catalogue (no target).
  const emptyCache = mkdtempSync(join(tmpdir(), 'lifeline-bench-cli-'));
  const commands: { label: string; argv: string[]; target: boolean; env?: NodeJS.ProcessEnv }[] = [
    { label: 'node -e 0', argv: ['-e', '0'], target: false },
    { label: 'lifeline --help', argv: [bin, '--help'], target: true },
    { label: 'lifeline hj212 decode <frame>', argv: [bin, 'hj212', 'decode', FRAME], target: true },
    { label: 'lifeline indicators', argv: [bin, 'indicators'], target: true },
    { label: 'lifeline indicators, no cache', argv: [bin, 'indicators'], target: false, env: { LIFELINE_CACHE_DIR: emptyCache } },
  ];
  const env = { ...process.env };
  delete env.LIFELINE_RUN; // what a user gets: the build when it is up to date
  const load = loadavg()[0]!, cores = cpus().length;
  console.log(`CPU time of ${bin} (user + system, fresh process each), ${rounds} round(s), median`);
  console.log(`node ${process.version}, ${cores} cores, load average ${load.toFixed(2)}`);
  const cpu: number[][] = commands.map(() => []), wall: number[][] = commands.map(() => []);
  let notice = '';
  for (let i = 0; i < rounds; i++) {
    commands.forEach((c, k) => {
      if (c.env?.LIFELINE_CACHE_DIR) { rmSync(c.env.LIFELINE_CACHE_DIR, { force: true, recursive: true }); mkdirSync(c.env.LIFELINE_CACHE_DIR); }
      const before = childrenCpu(), began = performance.now();
      const r = spawnSync(process.execPath, c.argv, { cwd: root, env: { ...env, ...c.env }, encoding: 'utf8' });
      wall[k]!.push((performance.now() - began) / 1000);
      cpu[k]!.push(childrenCpu() - before);
      if (r.status !== 0) throw new Error(`${c.label} exited ${r.status}:\n${r.stderr}`);
      if (r.stderr && !notice) notice = r.stderr.trim();
    });
  }
  const base = median(cpu[0]!);
  let failed = false;
  commands.forEach((c, k) => {
    const m = median(cpu[k]!);
    const verdict = c.target ? `  target ≤ ${TARGET_S} s  ${m <= TARGET_S ? 'PASS' : 'FAIL'}` : '';
    failed ||= c.target && m > TARGET_S;
    console.log(`${c.label.padEnd(32)} CPU ${m.toFixed(2)} s${k ? ` (node -e 0 + ${(m - base).toFixed(2)})` : '                    '}  wall ${median(wall[k]!).toFixed(2)} s${verdict}   (runs: ${cpu[k]!.map((x) => x.toFixed(2)).join(', ')})`);
  });
  if (notice) console.log(`\nthe CLI said: ${notice}`);
  console.log(`\nreproduce: npm run bench -- cli${values.root ? ` --root ${values.root}` : ''} --rounds ${rounds}; one figure by hand: /usr/bin/time -f '%U+%S' node ${bin} --help  (beside /usr/bin/time -f '%U+%S' node -e 0)`);
  rmSync(emptyCache, { recursive: true, force: true });
  if (failed) process.exitCode = 1;
}

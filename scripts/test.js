// `npm test`: every *.test.ts file in its own `node --import=./scripts/ts-loader.mjs FILE` process (.taprc's node-arg),
// `jobs` at a time, their TAP read with tap-parser and summed. The files are tap tests and still run alone with
// `npx tap FILE` or `node --import=./scripts/ts-loader.mjs FILE` (or tsx).
//
// Why not the `tap` command: it starts every test process with `--import=@tapjs/processinfo`, a module loader hook
// that posts each loaded module's source to the main thread to record its line lengths and writes a JSON record at
// exit (for tap's own coverage and `--changed`, neither used here: coverage is c8's). That cannot be turned off, and
// it cost 1.5-2.5 s of CPU per file that loads the hub (tenancy-matrix: 17.7 s alone, 22.2 s with it), about a fifth
// of the suite's CPU. Everything else this needs from tap is here: .taprc's include, exclude, jobs, timeout and
// node-arg; a per-file timeout; counts of every assertion; a failing file's whole TAP and stderr.
//
// Coverage: every test process and every node process a test starts (NODE_OPTIONS) runs scripts/coverage-hook.mjs,
// which writes the V8 coverage of the project's own scripts to .c8rc.json's temp-directory; at the end `c8 report`
// maps it back to the .ts sources and checks .c8rc.json's thresholds. `--no-coverage` leaves all of that out.
//
// usage: npm test [-- [--jobs N] [--no-coverage] [FILE|DIR ...]]      (-R REPORTER is accepted and ignored: the output is TAP)
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Parser } from 'tap-parser';
import { parse as parseYaml } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
const rc = parseYaml(readFileSync(join(root, '.taprc'), 'utf8')) ?? {};

/** A .taprc glob (`**`, `*`, literal path parts) as a RegExp over a path relative to the project, with `/`. */
function globRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) { re += '(?:.*/)?'; i += 2; }
    else if (glob.startsWith('**', i)) { re += '.*'; i += 1; }
    else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
const include = (rc.include ?? ['**/*.test.ts']).map(globRegExp);
const exclude = (rc.exclude ?? ['node_modules/**']).map(globRegExp);
const isTest = (rel) => include.some((r) => r.test(rel)) && !exclude.some((r) => r.test(rel));

function findTests(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    const rel = relative(root, full).split(sep).join('/');
    if (entry.isDirectory()) {
      if (exclude.some((r) => r.test(`${rel}/`) || r.test(`${rel}/x`))) continue;
      findTests(full, out);
    } else if (isTest(rel)) out.push(rel);
  }
  return out;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { jobs: { type: 'string', short: 'j' }, reporter: { type: 'string', short: 'R' }, 'no-coverage': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log('usage: npm test [-- [--jobs N] [--no-coverage] [FILE|DIR ...]]   (files and folders default to .taprc include/exclude)');
  process.exit(0);
}
const jobs = Number(values.jobs ?? rc.jobs ?? 2);
if (!Number.isInteger(jobs) || jobs < 1) { console.error(`--jobs must be a positive integer, got ${values.jobs}`); process.exit(2); }
const timeoutS = Number(rc.timeout ?? 30);
const nodeArgs = rc['node-arg'] ?? [];

let files = [];
for (const p of positionals.length ? positionals : ['.']) {
  const full = resolve(p);
  let st;
  try { st = statSync(full); } catch { console.error(`no such file or folder: ${p}`); process.exit(2); }
  if (st.isDirectory()) findTests(full, files);
  else files.push(relative(root, full).split(sep).join('/'));
}
files = [...new Set(files)].sort();
if (!files.length) { console.error('no test files found'); process.exit(1); }

// tap's own lines for a root test that ended before its last assertion: the file then reports passing, with the rest
// of its assertions never run.
const CUT_SHORT = /^Error: (assertion after automatic end|cannot create subtest after parent test ends)/m;

/** Assertions of one TAP stream and its subtests; a subtest's own summary line is not counted again. */
function counter(parser, counts) {
  const children = [];
  parser.on('child', (child) => {
    const seen = { failed: false };
    children.push(seen);
    child.on('complete', (r) => { seen.failed = r.fail > 0; });
    counter(child, counts);
  });
  parser.on('assert', (a) => {
    const child = children.shift();
    if (child) {
      // A subtest that failed without a failing assertion of its own (it threw, or timed out): one failure.
      if (!a.ok && !a.todo && !a.skip && !child.failed) counts.fail++;
      return;
    }
    counts.total++;
    if (a.todo) counts.todo++;
    else if (a.skip) counts.skip++;
    else if (a.ok) counts.pass++;
    else counts.fail++;
  });
}

// Coverage (scripts/coverage-hook.mjs): into .c8rc.json's temp-directory, emptied first, as c8 does.
const c8rc = JSON.parse(readFileSync(join(root, '.c8rc.json'), 'utf8'));
// Inside a run that collects coverage already (a test of this runner), the outer run's hooks are inherited as they are.
const coverageDir = values['no-coverage'] || process.env.LIFELINE_COVERAGE_DIR ? undefined : resolve(root, c8rc['temp-directory'] ?? 'coverage/tmp');
const coverageEnv = {};
if (coverageDir) {
  rmSync(coverageDir, { recursive: true, force: true });
  rmSync(`${coverageDir}.maps`, { recursive: true, force: true });
  mkdirSync(coverageDir, { recursive: true });
  coverageEnv.LIFELINE_COVERAGE_DIR = coverageDir;
  const hook = `--import=${pathToFileURL(join(root, 'scripts', 'coverage-hook.mjs')).href}`;
  coverageEnv.NODE_OPTIONS = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ${hook}` : hook;
}

// The test processes' temporary directory (TMPDIR, read by os.tmpdir()): one per run in /dev/shm, a file system in
// memory, removed when the run ends, unless TMPDIR is set already. Every hub a test starts copies the embedded store's
// template there (40 MB, 1,130 files) and removes it at its end: on the machine's disk (ext4) that cost 0.16–0.43 s more
// CPU per start and stop than in memory (sys time: 5 starts, 4.7–6.1 s against 3.9–4.1 s, 2026-12-05), plus the
// kernel's writing it all back to disk, and a test's leftovers stayed in /tmp.
// Named by the runner's pid: a run killed before its end (SIGKILL) leaves its directory in memory, and the next run
// removes those whose runner no longer runs.
let runTmp;
if (!process.env.TMPDIR) {
  try {
    accessSync('/dev/shm', constants.W_OK);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
    for (const name of readdirSync('/dev/shm')) {
      const pid = Number(/^lifeline-test-run-(\d+)$/.exec(name)?.[1]);
      if (pid && pid !== process.pid && !alive(pid)) rmSync(join('/dev/shm', name), { recursive: true, force: true });
    }
    runTmp = join('/dev/shm', `lifeline-test-run-${process.pid}`);
    rmSync(runTmp, { recursive: true, force: true });
    mkdirSync(runTmp);
    // As /tmp (sticky, open to all): a peer a test starts may drop root for its own user (Debian's mosquitto writes
    // its persistence file as user mosquitto).
    chmodSync(runTmp, 0o1777);
  } catch { /* no /dev/shm (not Linux): the default temporary directory */ }
}
const removeRunTmp = () => { if (runTmp) try { rmSync(runTmp, { recursive: true, force: true }); } catch { /* best effort */ } };
process.on('exit', removeRunTmp);

const totals = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
const failedFiles = [];
const started = performance.now();
const running = new Set();
let n = 0;

function runFile(file, id) {
  return new Promise((resolveRun) => {
    const t0 = performance.now();
    const counts = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
    const parser = new Parser();
    counter(parser, counts);
    let out = '';
    let err = '';
    const proc = spawn(process.execPath, [...nodeArgs, join(root, file)], {
      cwd: root,
      // The embedded engine compiled by V8's baseline compiler only, in the test processes and the hubs they start
      // (test/helpers/child-env.ts passes the environment on): a test's engines start and stop, they never run long
      // enough for optimized code to pay for its compiling. The suite then took 790 core-s instead of 1,039 and
      // 519 s instead of 665 (2026-12-05; docs/store.md, "Engine compiler").
      env: { LIFELINE_EMBEDDED_JIT: 'baseline', ...process.env, ...coverageEnv, ...(runTmp ? { TMPDIR: runTmp } : {}), TAP: '1', TAP_CHILD_ID: String(id), TAP_JOB_ID: String(id % jobs), TAP_TIMEOUT: String(timeoutS) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(proc);
    // The file's own root test times out at TAP_TIMEOUT (or what the file sets) and exits; this is the last resort
    // for a process that does not, e.g. one stuck in a synchronous loop.
    const hardKill = setTimeout(() => { err += `\n# killed: still running ${Math.max(timeoutS * 3, 360)} s after it started\n`; proc.kill('SIGKILL'); }, Math.max(timeoutS * 3, 360) * 1000);
    proc.stdout.setEncoding('utf8').on('data', (d) => { out += d; parser.write(d); });
    proc.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    proc.on('close', (code, signal) => {
      clearTimeout(hardKill);
      running.delete(proc);
      parser.end();
      const ms = performance.now() - t0;
      const results = parser.results ?? { ok: false };
      const cutShort = CUT_SHORT.test(out) || CUT_SHORT.test(err);
      const ranNone = counts.total === 0;
      const ok = code === 0 && !signal && results.ok && counts.fail === 0 && !cutShort && !ranNone;
      if (!ok && counts.fail === 0) { counts.fail = 1; counts.total++; } // exited badly, ran no assertion, or was cut short: one failure
      for (const k of Object.keys(totals)) totals[k] += counts[k];
      n++;
      if (ok) {
        if (err.trim()) process.stderr.write(err.endsWith('\n') ? err : `${err}\n`);
        process.stdout.write(`ok ${n} - ${file} # time=${ms.toFixed(3)}ms\n`);
      } else {
        failedFiles.push(file);
        const why = signal ? `killed by ${signal}` : code !== 0 ? `exit code ${code}` : cutShort ? 'assertions after its root test had ended' : ranNone ? 'no assertion ran' : 'failed assertions';
        process.stdout.write(`# Subtest: ${file}\n${out.replace(/^(?=.)/gm, '    ')}${out.endsWith('\n') || !out ? '' : '\n'}`);
        if (err.trim()) process.stdout.write(`    # stderr:\n${err.replace(/^/gm, '    # ')}\n`);
        process.stdout.write(`not ok ${n} - ${file} # time=${ms.toFixed(3)}ms\n  ---\n  reason: ${why}\n  ...\n`);
      }
      resolveRun();
    });
  });
}

const stop = (sig) => { for (const p of running) p.kill(sig); process.exit(130); };
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

console.log('TAP version 14');
let next = 0;
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, async () => {
  while (next < files.length) { const i = next++; await runFile(files[i], i + 1); }
}));
console.log(`1..${files.length}`);
const shown = Object.fromEntries(Object.entries(totals).filter(([k, v]) => k === 'total' || k === 'pass' || v > 0));
console.log(`# { ${Object.entries(shown).map(([k, v]) => `${k}: ${v}`).join(', ')} }`);
console.log(`# time=${(performance.now() - started).toFixed(3)}ms`);
if (failedFiles.length) console.log(`# failed files (${failedFiles.length}):\n${failedFiles.sort().map((f) => `#   ${f}`).join('\n')}`);
process.exitCode = failedFiles.length ? 1 : 0;
if (coverageDir) {
  // c8's report of what the hooks wrote (.c8rc.json: sources, reporter, thresholds); below a threshold it fails the run.
  const c8 = spawnSync(process.execPath, [createRequire(import.meta.url).resolve('c8/bin/c8.js'), 'report'], { cwd: root, stdio: 'inherit' });
  rmSync(`${coverageDir}.maps`, { recursive: true, force: true });
  if (c8.status !== 0) process.exitCode = 1;
}

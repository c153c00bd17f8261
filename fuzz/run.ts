// `npm run fuzz -- <target>|all [--seconds N] [--seed S] [--store postgres|pglite] [--concurrency C] [--skip m1,m2]`
// `npm run fuzz -- replay crashes/<file>.json`. Without a target: list them. Exit 1 on a crash, an untyped
// answer, a missed /health or probe, or RSS past the limit (docs/fuzzing.md).
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runFuzz, summaryText, type Target, type Case } from './lib/engine.ts';
import { chooseStore } from './lib/hub.ts';
import { replay } from './lib/replay.ts';
import { ALL_TARGETS, fuzzAll, mosquittoUp } from './lib/all.ts';
import { shouldExitWithParent, watchParent } from '../hub/cli/parent-watch.ts';

const dir = fileURLToPath(new URL('./', import.meta.url));

/** fuzz/<name>.ts (kebab-case file) is target <name> with _ (json-http.ts → json_http). */
export function targets(): Array<{ name: string; file: string; summary: string }> {
  return readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').sort().map((f) => {
    const first = readFileSync(join(dir, f), 'utf8').split('\n').find((l) => l.startsWith('//')) ?? '';
    return { name: f.slice(0, -3).replaceAll('-', '_'), file: join(dir, f), summary: first.replace(/^\/\/\s*[\w-]+:\s*/, '') };
  });
}

export async function loadTarget(name: string): Promise<Target<Case>> {
  const t = targets().find((x) => x.name === name);
  if (!t) throw new UsageError(`unknown fuzz target "${name}"\n\n${usage()}`);
  const mod = await import(pathToFileURL(t.file).href) as { create(): Target<Case> };
  return mod.create();
}

class UsageError extends Error {}

function usage(): string {
  const list = targets();
  return [
    'usage: npm run fuzz -- <target>|all [--seconds 60] [--seed S] [--store postgres|pglite] [--concurrency C] [--skip mut1,mut2]',
    '       npm run fuzz -- replay crashes/<file>.json [--all]',
    '',
    'targets:',
    ...list.map((t) => `  ${t.name.padEnd(10)} ${t.summary}`),
    `  ${'all'.padEnd(10)} ${ALL_TARGETS.join(', ')} at once, each against its own hub (mqtt only when Mosquitto answers)`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, store: { type: 'string' }, concurrency: { type: 'string' },
    skip: { type: 'string' }, 'crash-dir': { type: 'string', default: 'crashes' }, all: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  } });
  const [name, file] = positionals;
  if (!name || values.help) { console.log(usage()); return 0; }
  const store = await chooseStore(values.store);
  const work = mkdtempSync(join(tmpdir(), 'lifeline-fuzz-'));
  // Stopped by a signal, or orphaned (npm killed): leave nothing behind. The hubs are started with
  // LIFELINE_EXIT_WITH_PARENT=1, so they stop within half a second of this process.
  const abandon = (why: string) => {
    console.error(`fuzz: ${why}; stopping (the hub processes exit with this one)`);
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', () => abandon('SIGINT'));
  process.once('SIGTERM', () => abandon('SIGTERM'));
  if (shouldExitWithParent(process.env)) watchParent(() => abandon('the npm process that started it is gone'));
  try {
    if (name === 'replay') {
      if (!file) throw new UsageError('replay needs the crash file: npm run fuzz -- replay crashes/<file>.json');
      return await replay(resolve(file), { store, dir: work, all: !!values.all, loadTarget });
    }
    const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
    const seconds = Number(values.seconds);
    if (!Number.isFinite(seed) || !Number.isFinite(seconds) || seconds <= 0) throw new UsageError('--seed and --seconds take numbers');
    if (name === 'all') return await fuzzEveryTarget({ seconds, seed, store, work, crashDir: resolve(values['crash-dir']), skip: values.skip });
    const target = await loadTarget(name);
    const s = await runFuzz(target, {
      seconds, seed, store, dir: work, crashDir: resolve(values['crash-dir']),
      skip: values.skip?.split(',').filter(Boolean), concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    });
    console.log(summaryText(s));
    console.log(`(seed ${seed}: npm run fuzz -- ${name} --seconds ${values.seconds} --seed ${seed})`);
    return s.failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function fuzzEveryTarget(o: { seconds: number; seed: number; store: Awaited<ReturnType<typeof chooseStore>>; work: string; crashDir: string; skip?: string }): Promise<number> {
  const mqtt = await mosquittoUp();
  if (!mqtt && process.env.CI === 'true') { console.error('fuzz all: Mosquitto (MQTT_URL, default 127.0.0.1:1883) is required in CI but not reachable'); return 1; }
  if (!mqtt) console.error('fuzz all: Mosquitto not reachable: the mqtt target is skipped');
  const names = ALL_TARGETS.filter((n) => n !== 'mqtt' || mqtt);
  const results = await fuzzAll(names, {
    seconds: o.seconds, seed: o.seed, store: o.store, dir: o.work, crashDir: o.crashDir,
    skip: o.skip?.split(',').filter(Boolean), log: (line) => console.log(line),
  }, loadTarget);
  for (const s of results) console.log(summaryText(s));
  const failed = results.filter((s) => s.failed).map((s) => s.target);
  console.log(`fuzz all: ${results.map((s) => `${s.target} ${s.inputs} inputs`).join(', ')}; ${failed.length ? `FAILED: ${failed.join(', ')}` : 'every target passed'}`);
  console.log(`(seed ${o.seed}: npm run fuzz -- all --seconds ${o.seconds} --seed ${o.seed})`);
  return failed.length ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 2;
  }).finally(() => setTimeout(() => process.exit(), 2000).unref());
}

// A newcomer's hub: `npm start` with no config binds 127.0.0.1 only, and stopping what `npm start` or
// `npx lifeline start` started (SIGTERM or SIGINT to that PID) leaves no hub behind and frees the port.
// Real child processes: npm → (sh →) node, as a user runs them.
import t from 'tap';
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from './helpers/child-env.ts';
import { HUB_NODE_FLAGS } from '../bin/node-flags.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'lifeline-launcher-'));
const markers: string[] = [];
t.teardown(() => {
  // A failing run must not leave hubs behind: whatever still carries one of this run's data directories goes.
  for (const m of markers) for (const pid of processesWith(m)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  rmSync(work, { recursive: true, force: true });
});

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
});

/** 'open' when something accepts on host:port, else the error code (ECONNREFUSED when nothing listens there). */
const probe = (host: string, port: number) => new Promise<string>((resolve) => {
  const s = connect({ host, port });
  s.once('connect', () => { s.destroy(); resolve('open'); });
  s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
});

/** Every process (npm, sh, node, esbuild…) whose environment carries this run's data directory. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try { if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) out.push(Number(pid)); } catch { /* gone, or not ours */ }
  }
  return out;
}

/** Listening TCP sockets on `port` from /proc/net/tcp{,6}: their local addresses as hex, as the kernel shows them. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const [, local, , st] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${hexPort}`) && st === '0A') out.push(local.split(':')[0]!);
    }
  }
  return out;
}

interface Launched { proc: ChildProcess; url: string; port: number; marker: string; stderr: () => string }

async function launch(command: string, args: string[], name: string, ownGroup = false): Promise<Launched> {
  const port = await freePort();
  const dataDir = join(work, name);
  const marker = `LIFELINE_DATA_DIR=${dataDir}`;
  markers.push(marker);
  const env: NodeJS.ProcessEnv = childEnv({ PORT: String(port), LIFELINE_DATA_DIR: dataDir, LIFELINE_API_KEY: 'launcher-key', LOG_LEVEL: 'warn' });
  delete env.HOST; // the sample's own host, as a newcomer gets it
  const proc = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], detached: ownGroup }); // own group: Ctrl-C's target
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${command} ${args.join(' ')}: no start within 120 s:\n${err}`)); }, 120_000);
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+:\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${command} exited ${code} before listening:\n${err}`)); });
  });
  proc.removeAllListeners('exit');
  return { proc, url, port, marker, stderr: () => err };
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (what()) return true;
  return what();
}

const nonLoopback = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

// Each hub takes a few seconds of CPU to start: start them all at once, then stop each its own way.
t.setTimeout(300_000);
const [npmTerm, npmInt, npxTerm, npxInt] = await Promise.all([
  launch('npm', ['start'], 'npm-term'),
  launch('npm', ['start'], 'npm-int'),
  launch('npx', ['--yes', 'lifeline', 'start'], 'npx-term'),
  launch('npx', ['--yes', 'lifeline', 'start'], 'npx-int', true),
]);

/** Send `signal` (to the PID, or to its process group as Ctrl-C does); then nothing of the hub may be left. */
async function stopsCleanly(t: Test, hub: Launched, signal: NodeJS.Signals, group = false) {
  t.ok(processesWith(hub.marker).length >= 2, `the launcher started the hub under it (${processesWith(hub.marker).length} processes)`);
  t.equal((await fetch(`${hub.url}/health`)).status, 200, 'the hub answers');
  const exited = new Promise((r) => hub.proc.once('exit', r));
  process.kill(group ? -hub.proc.pid! : hub.proc.pid!, signal);
  await exited;
  t.ok(await until(() => processesWith(hub.marker).length === 0, 10_000), `no process of this hub left after ${signal} (left: ${processesWith(hub.marker).join(', ') || 'none'})`);
  t.ok(await until(() => listeners(hub.port).length === 0, 5_000), 'nothing listens on the port any more');
  t.equal(await probe('127.0.0.1', hub.port), 'ECONNREFUSED', 'the port is free');
}

/** Parent of a process, from /proc (0 when it is gone). */
const parentOf = (pid: number) => { try { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]); } catch { return 0; } };

t.test('npm start with no config binds 127.0.0.1 only, and the banner says so', async (t) => {
  const hub = npmTerm;
  t.equal(hub.url, `http://127.0.0.1:${hub.port}`, 'the banner prints the address bound');
  // The banner is several writes: the line after the address may arrive a moment later.
  t.ok(await until(() => /Loopback only/.test(hub.stderr()), 5_000), 'the banner says loopback only');
  t.equal(await probe('127.0.0.1', hub.port), 'open', 'reachable on loopback');
  if (nonLoopback) t.equal(await probe(nonLoopback, hub.port), 'ECONNREFUSED', `refused on ${nonLoopback} (this machine's non-loopback address)`);
  else t.comment('no non-loopback IPv4 address on this machine: the kernel socket table below is the check');
  t.same(listeners(hub.port), ['0100007F'], 'the kernel shows one listening socket, on 127.0.0.1');
});

/** The command line of this hub's node process (the one running bin/lifeline.js, or its link node_modules/.bin/lifeline under npx), from /proc. */
const hubCommandLine = (hub: Launched) => {
  for (const pid of processesWith(hub.marker)) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (/(^|\/)node$/.test(argv[0] ?? '') && argv.some((a) => /(bin\/lifeline\.js|\.bin\/lifeline)$/.test(a))) return argv;
    } catch { /* gone */ }
  }
  return [];
};

t.test('npm start and the lifeline command run the hub with its V8 flags (bin/node-flags.js)', async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const shebang = readFileSync(join(root, 'bin/lifeline.js'), 'utf8').split('\n')[0]!;
  t.equal(shebang, `#!/usr/bin/env -S node ${HUB_NODE_FLAGS.join(' ')}`, 'the #! line of bin/lifeline.js carries them');
  t.equal(pkg.scripts.start, `exec node ${HUB_NODE_FLAGS.join(' ')} bin/lifeline.js start`, 'so does npm start');
  t.ok(pkg.scripts.bench!.startsWith(`node ${HUB_NODE_FLAGS.join(' ')} `), "and npm run bench (the hubs a bench starts in its own process)");
  for (const hub of [npmTerm, npxTerm]) {
    const argv = hubCommandLine(hub);
    t.ok(argv.length > 0, `found the hub's node process (${argv.join(' ')})`);
    for (const flag of HUB_NODE_FLAGS) t.ok(argv.includes(flag), `${hub === npmTerm ? 'npm start' : 'npx lifeline start'}: the hub runs with ${flag}`);
  }
});

t.test('npm start: SIGTERM to the npm PID stops the hub', (t) => stopsCleanly(t, npmTerm, 'SIGTERM'));
t.test('npm start: SIGINT to the npm PID stops the hub', (t) => stopsCleanly(t, npmInt, 'SIGINT'));
t.test('npx lifeline start: SIGTERM to the npx PID stops the hub', (t) => stopsCleanly(t, npxTerm, 'SIGTERM'));
t.test('npx lifeline start: SIGINT', async (t) => {
  // npx always runs the bin through `sh -c`; dash holds a SIGINT sent to it alone until its child exits, so a SIGINT
  // to the npx PID alone cannot reach the hub. What must hold: the hub is never left without its launcher.
  const hub = npxInt;
  process.kill(hub.proc.pid!, 'SIGINT');
  await new Promise((r) => setTimeout(r, 2000));
  const left = processesWith(hub.marker).filter((pid) => pid !== hub.proc.pid);
  const orphans = left.filter((pid) => { for (let p = pid; p > 1; p = parentOf(p)) if (p === hub.proc.pid) return false; return true; });
  t.same(orphans, [], 'after a SIGINT to the npx PID alone, nothing of the hub runs outside npx');
  // Ctrl-C in a terminal signals the whole foreground process group: that stops it.
  await stopsCleanly(t, hub, 'SIGINT', true);
});

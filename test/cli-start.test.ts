// `lifeline start` as a user runs it: serves, refuses a second hub on the same embedded store, stops cleanly; on a fixed
// port it answers /health while it starts.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { childEnv } from './helpers/child-env.ts';

const bin = new URL('../bin/lifeline.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The embedded store's own page cache default (128 MB), not the suite's 16 MB, and its engine's default compiler, not
// the suite's baseline one: this is the start a new user gets.
const env = childEnv({ PORT: '0', HOST: '127.0.0.1', LIFELINE_API_KEY: 'cli-key', LOG_LEVEL: 'warn', LIFELINE_EMBEDDED_CACHE_MB: undefined, LIFELINE_EMBEDDED_JIT: undefined });

const proc = spawn(process.execPath, [bin, 'start'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
let err = '';
const url = await new Promise<string>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${err}`)), 60_000); // a loaded 2-core CI machine
  proc.stderr.on('data', (d) => { err += d; const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err); if (m) { clearTimeout(timer); resolve(m[1]!); } });
});
const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));

t.test('serves the sample registry on the embedded store', async (t) => {
  t.match(err, /store: PGlite in \.\/data/);
  t.same(await (await fetch(`${url}/health`)).json(), { status: 'ok' });
  const sites = await (await fetch(`${url}/v1/sites`, { headers: { authorization: 'Bearer cli-key' } })).json() as { data: unknown[] };
  t.equal(sites.data.length, 5);
  t.ok(existsSync(join(dir, 'data/pglite/lifeline.lock')), 'the embedded store is locked');
});

t.test('a second hub on the same data directory is refused', async (t) => {
  const second = spawnSync(process.execPath, [bin, 'start'], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
  t.equal(second.status, 1);
  t.match(second.stderr, /STORE_UNAVAILABLE: another hub \(pid \d+\) is using the embedded store/);
});

t.test('SIGTERM stops it cleanly and releases the store', async (t) => {
  proc.kill('SIGTERM');
  t.equal(await exited, 0);
  t.notOk(existsSync(join(dir, 'data/pglite/lifeline.lock')));
});

t.test('on a fixed port, /health answers "starting" from the first moment; the API follows on the same port', async (t) => {
  const port = await new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => r(p)); }); });
  const base = `http://127.0.0.1:${port}`;
  const work = mkdtempSync(join(tmpdir(), 'lifeline-cli-early-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const hub = spawn(process.execPath, [bin, 'start'], { cwd: work, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  hub.stderr.on('data', (d) => { out += d; });
  const gone = new Promise<number | null>((r) => hub.once('exit', (code) => r(code)));
  t.teardown(() => { hub.kill('SIGKILL'); });
  // Poll from the spawn on: the first answers come from the listener that holds the port while the store opens.
  const seen: string[] = [];
  let starting: { ready: Response; api: Response; apiBody: { code: string; retryable: boolean } } | undefined;
  const began = Date.now();
  for (;;) {
    if (Date.now() - began > 60_000) { t.fail(`not up within 60 s:\n${out}`); break; }
    const health = await fetch(`${base}/health`).then(async (r) => `${r.status} ${((await r.json()) as { status: string }).status}`, () => 'refused');
    if (seen.at(-1) !== health) seen.push(health);
    if (health === '200 starting' && !starting) {
      const [ready, api] = await Promise.all([fetch(`${base}/ready`), fetch(`${base}/v1/sites`, { headers: { authorization: 'Bearer cli-key' } })]);
      const apiBody = await api.json() as { code: string; retryable: boolean };
      // Answered while still starting (else the API had taken over between the requests: poll on).
      if (apiBody.code === 'HUB_STARTING') starting = { ready, api, apiBody };
    }
    if (health === '200 ok') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  t.match(seen.join(' → '), /200 starting → (refused → )?200 ok$/, `health as polled: ${seen.join(' → ')}`);
  t.ok(starting, 'the other routes were asked while it was starting');
  if (starting) {
    t.equal(starting.ready.status, 503, '/ready: 503 while starting');
    t.same(await starting.ready.json(), { status: 'not_ready' });
    t.equal(starting.api.status, 503, 'an API route: 503');
    t.equal(starting.api.headers.get('retry-after'), '1');
    t.match(starting.apiBody, { code: 'HUB_STARTING', retryable: true });
  }
  t.match(out, /port \d+ answers \/health \("starting"\) until the API is up/, 'the start says so');
  t.equal((await fetch(`${base}/v1/sites`, { headers: { authorization: 'Bearer cli-key' } })).status, 200, 'then the API answers on the same port');

  const second = spawnSync(process.execPath, [bin, 'start'], { cwd: mkdtempSync(join(tmpdir(), 'lifeline-cli-early2-')), env: { ...env, PORT: String(port) }, encoding: 'utf8', timeout: 30_000 });
  t.equal(second.status, 1, 'a second hub on the same port exits 1');
  t.match(second.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), 'naming the port');
  t.notMatch(second.stderr, /opening the embedded store/, 'before it touches a store');
  hub.kill('SIGTERM');
  t.equal(await gone, 0, 'stops cleanly');
});

t.test('--help says how to start and which environment it reads; an unknown option is a usage error, not a start', async (t) => {
  const help = spawnSync(process.execPath, [bin, 'start', '--help'], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
  t.equal(help.status, 0);
  t.match(help.stdout, /^usage: lifeline start \[--config FILE\]/);
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'HOST, PORT', 'LIFELINE_DATA_DIR', 'LIFELINE_EMBEDDED_CACHE_MB', 'LOG_LEVEL', 'LIFELINE_API_KEY']) t.match(help.stdout, name);
  t.notMatch(help.stderr, /opening|listening/, 'nothing started');
  const wrong = spawnSync(process.execPath, [bin, 'start', '--conf', 'x.yaml'], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
  t.equal(wrong.status, 2);
  t.match(wrong.stderr, /^lifeline start: Unknown option '--conf'[^]*usage: lifeline start/m);
  t.notMatch(wrong.stderr, /opening|listening/, 'nothing started');
});

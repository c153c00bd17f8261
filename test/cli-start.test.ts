// `lifeline start` as a user runs it: serves, refuses a second hub on the same embedded store, stops cleanly.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../bin/lifeline.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', LIFELINE_API_KEY: 'cli-key', LOG_LEVEL: 'warn' };

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

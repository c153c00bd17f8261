// `lifeline sim modbus` as a user runs it: the hub config it writes polls the simulator, faults on cue work.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import modbus from '../index.ts';
import { fakeCtx, waitFor, testDefaults } from './fixtures/ctx.ts';

t.test('sim modbus --registry-out: a config that polls it; --silent and --exception on cue', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-mbsim-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sim.yaml');
  const bin = new URL('../../../bin/lifeline.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [bin, 'sim', 'modbus', '--devices', '3', '--port', '0', '--registry-out', file, '--silent', '2', '--exception', '3:4', '--duration', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { proc.kill('SIGTERM'); });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => { out += d; if (/Modbus TCP devices .* on /.test(out)) resolve(); };
    proc.stdout.on('data', on); proc.stderr.on('data', on);
    proc.once('exit', (c) => reject(new Error(`sim exited ${c}: ${out}`)));
  });
  t.match(out, /wrote a hub config .* for 3 simulated devices/);
  const cfg = parse(readFileSync(file, 'utf8'));
  t.equal(cfg.registry.devices.length, 3);
  t.equal(cfg.registry.points.length, 6, 'pressure; flow rate + velocity; supply/return pressure + supply flow');
  const keys = cfg.registry.devices.map((d: { identities: Array<{ key: string }> }) => d.identities[0]!.key);
  t.match(keys[0], /^127\.0\.0\.1:[1-9]\d*\/1$/, 'the real port, not 0');
  const f = fakeCtx();
  const inst = await modbus.create({ ...testDefaults, ...cfg.adapters.modbus_tcp, interval_ms: 100, timeout_ms: 1000 }, f.ctx);
  await inst.start();
  t.teardown(() => inst.stop());
  const of = (k: string) => f.readings().filter((r) => r.identity?.key === k);
  await waitFor('all three devices polled', () => keys.every((k: string) => of(k).length > 0), 10_000);
  t.match(of(keys[0])[0], { field: 'pressure', unit: 'kPa' });
  t.ok(typeof of(keys[0])[0]!.value === 'number');
  t.match(of(keys[1])[0], { value: null, quality: 'bad', warnings: ['modbus_timeout'] }, '--silent 2');
  t.match(of(keys[2])[0], { value: null, quality: 'bad', warnings: ['modbus_exception_4'] }, '--exception 3:4');
});

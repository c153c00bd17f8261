// `lifeline publish status --config` (straight on the store) prints what `GET /v1/publish/targets` answers: the same
// body ({ driver, data }), the same fields and the same rules (a target retrying after a failed attempt, with its
// next attempt's time), for a target that is failing.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { startHub } from '../../hub.ts';
import { loadConfig } from '../../config/load.ts';
import { startTarget, until } from './fixtures/target.ts';
import { publishCommand } from '../cli.ts';

t.test('publish status --config and GET /v1/publish/targets give the same answer', async (t) => {
  const target = await startTarget();
  await target.down(); // connection refused: the head batch fails and waits for its next attempt
  t.teardown(() => target.close().catch(() => undefined));
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-pubstatus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'hub.yaml');
  writeFileSync(file, stringify({
    data_dir: dir,
    registry: { sites: [{ code: 'S1', name: 's1', domain: 'water' }], devices: [{ code: 'D1', site: 'S1' }], points: [{ code: 'P1', device: 'D1', indicator: 'water.pipe_pressure' }] },
    publish: {
      poll_ms: 50,
      targets: {
        up: { type: 'http_push', batch: { max_size: 100, max_wait_ms: 50 }, retry: { initial_ms: 600_000, max_ms: 600_000 }, config: { url: target.url, timeout_ms: 2000 } },
        off: { type: 'http_push', enabled: false, config: { url: target.url } },
      },
    },
  }));
  const hub = await startHub(loadConfig(file, {}), { listen: false, logger: pino({ level: 'silent' }), env: { LIFELINE_API_KEY: 'status-key' } });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await hub.stop(); });
  await hub.ingest('test', [{ point: 'P1', time: Date.UTC(2026, 0, 1), value: 0.2 }, { point: 'P1', time: Date.UTC(2026, 0, 1, 0, 1), value: 0.3 }]);
  type Body = { driver: string | null; data: Array<Record<string, unknown>> };
  let fromApi: Body | undefined;
  await until('the target retrying', async () => {
    const res = await hub.app.inject({ url: '/v1/publish/targets', headers: { authorization: 'Bearer status-key' } });
    fromApi = res.json() as Body;
    return fromApi.data.find((r) => r.name === 'up')?.state === 'retrying';
  }, 10_000);
  await hub.stop();
  stopped = true;

  // The command itself, in this process (a child would pay another start of the TypeScript loader).
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { printed.push(a.join(' ')); };
  let code: number;
  try { code = await publishCommand(['status', '--config', file, '--json']); } finally { console.log = log; }
  t.equal(code, 0);
  const fromCli = JSON.parse(printed.join('\n')) as Body;
  const byName = (b: Body) => Object.fromEntries(b.data.map((r) => [r.name, r]));
  t.same(Object.keys(fromCli), ['driver', 'data'], 'the API body, not a bare list');
  t.equal(fromCli.driver, fromApi!.driver);
  const [a, c] = [byName(fromApi!), byName(fromCli)];
  t.same(Object.keys(c).sort(), ['off', 'up']);
  for (const name of ['up', 'off']) {
    t.same(Object.keys(c[name]!), Object.keys(a[name]!), `${name}: the same fields in the same order`);
    const { lag_seconds: lagA, delivered_since_start: _dA, ...restA } = a[name]!;
    const { lag_seconds: lagC, delivered_since_start: dC, ...restC } = c[name]!;
    t.same(restC, restA, `${name}: the same values`);
    t.ok((lagC as number) >= (lagA as number), `${name}: lag only grows (${lagA} → ${lagC})`);
    t.equal(dC, 0, 'the CLI delivered nothing itself');
  }
  t.match(c.up, { state: 'retrying', attempts: 1, backlog: 2, next_attempt_at: /^\d{4}-/ });
  t.match(c.off, { state: 'disabled' });
});

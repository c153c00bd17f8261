// A delivery target's answers are input from outside too (issue 10): a refusal whose body holds a NUL or a lone
// surrogate, or a body that never ends, must still end its attempt with the outcome the status says
// (dead-letter / retry with backoff), not a store error on every loop turn or a wait for the timeout.
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestHub, type TestHub } from '../../../test/helpers/hub.ts';
import { publishConfig, feed } from './fixtures/suite.ts';

async function target(answer: (res: ServerResponse) => void) {
  let requests = 0;
  const server = createServer((req, res) => { requests++; req.resume(); req.on('end', () => answer(res)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, requests: () => requests, close: () => { server.closeAllConnections(); server.close(); } };
}

const batches = async (h: TestHub) => (await h.hub.db.query<{ state: string; attempt: number; last_error: string | null; response: { body?: string } | null }>('SELECT state, attempt, last_error, response FROM delivery_batch ORDER BY id')).rows;
async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) { const v = await f(); if (v) return v; if (Date.now() > end) throw new Error(`timed out: ${what}`); await new Promise((r) => setTimeout(r, 100)); }
}

for (const [name, body] of [['a NUL', 'bad\u0000request'], ['a lone surrogate at the cut', `${'x'.repeat(4095)}😀${'y'.repeat(5000)}`]] as const) {
  t.test(`a 400 whose body holds ${name} is dead-lettered`, async (t) => {
    const up = await target((res) => { res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }); res.end(body); });
    t.teardown(up.close);
    const h = await startTestHub('pglite', (c) => publishConfig(c, { store: 'pglite', driver: 'embedded' }, up.url, 'x'));
    t.teardown(h.cleanup);
    await feed(h, 0, 10);
    const [b] = await until('dead-lettered', async () => { const r = await batches(h); return r[0]?.state === 'dead' ? r : undefined; }, 10_000);
    t.match(b, { state: 'dead', attempt: 1, last_error: /^HTTP 400: / }, 'one attempt, dead-lettered with the reason');
    t.equal(up.requests(), 1, 'not sent again');
  });
}

t.test('a 503 whose body never ends: an HTTP 503 retry at once, not a wait for timeout_ms', async (t) => {
  const up = await target((res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const timer = setInterval(() => { if (!res.destroyed) res.write(chunk); else clearInterval(timer); }, 5);
    res.on('close', () => clearInterval(timer));
  });
  t.teardown(up.close);
  const h = await startTestHub('pglite', (c) => publishConfig(c, { store: 'pglite', driver: 'embedded' }, up.url, 'x', { config: { url: up.url, timeout_ms: 20_000 } }));
  t.teardown(h.cleanup);
  await feed(h, 0, 10);
  const started = Date.now();
  const [b] = await until('a retry recorded', async () => { const r = await batches(h); return (r[0]?.attempt ?? 0) >= 1 ? r : undefined; }, 15_000);
  t.ok(Date.now() - started < 10_000, 'long before timeout_ms (20 s)');
  t.match(b, { state: 'pending', last_error: /^HTTP 503: z+/ }, 'retried as a 503, with the start of the body');
});

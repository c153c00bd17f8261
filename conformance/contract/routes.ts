// The kit serves the HTTP routes the adapter under test registered (ctx.http.route), on a real socket, the way the
// hub's server does for them: params from the path, the raw body and its JSON, the error's status for a thrown
// LifelineError. Auth 'ingest' counts as given (the kit holds the key).
import http from 'node:http';
import type { AdapterHttpRoute } from '../../hub/sdk/index.ts';
import { LifelineError } from '../../hub/sdk/errors.ts';

const matcher = (url: string) => {
  const names: string[] = [];
  const re = new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, n: string) => { names.push(n); return '([^/]+)'; })}$`);
  return (path: string) => { const m = re.exec(path); return m ? Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) : undefined; };
};

export async function serveRoutes(routes: readonly AdapterHttpRoute[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const u = new URL(req.url ?? '/', 'http://kit');
        let status = 404, body: unknown = { error: { code: 'NOT_FOUND', message: 'no such route' } }, headers: Record<string, string> = {};
        for (const r of routes) {
          const params = r.method === req.method ? matcher(r.url)(u.pathname) : undefined;
          if (!params) continue;
          const rawBody = Buffer.concat(chunks);
          let parsed: unknown, bodyError: string | undefined;
          try { parsed = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : undefined; } catch (e) { bodyError = (e as Error).message; }
          try {
            const out = await r.handler({ params, query: Object.fromEntries(u.searchParams), headers: req.headers, rawBody, body: parsed, ...(bodyError ? { bodyError } : {}), principal: 'conformance-kit' });
            ({ status, body } = out); headers = out.headers ?? {};
          } catch (e) {
            status = e instanceof LifelineError ? e.httpStatus : 500;
            body = { error: e instanceof LifelineError ? e.toJSON() : { code: 'INTERNAL', message: 'handler failed' } };
          }
          break;
        }
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as import('node:net').AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

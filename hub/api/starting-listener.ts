// While `lifeline start` opens its store and builds the API, the hub's port already answers: `/health` (liveness: the
// process is up) with `{"status":"starting"}`, `/ready` with 503, anything else with 503 HUB_STARTING and Retry-After.
// Why: opening a store is seconds on a first embedded start and can be minutes for a migration of a big PostgreSQL
// store; a liveness probe (or a person with curl) that meets a refused connection meanwhile restarts the hub in a loop
// or thinks it dead. The listener holds the port from the first moment, so a port in use is also reported at once. When
// the API is ready it closes, and the API listens on the same port (a refused connection is possible only in between,
// a few milliseconds). Public answers reveal nothing but status, as the API's do.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface StartingListener {
  /** Stop listening and drop its connections, so the API can take the port. Idempotent. */
  close(): Promise<void>;
}

const STARTING = { code: 'HUB_STARTING', message: 'the hub is starting (opening its store and building the API): try again in a moment', details: {}, retryable: true };

function answer(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  const send = (status: number, body: object, headers: Record<string, string> = {}) => {
    // Connection: close: a client's next request reaches the API, not this listener's kept-alive socket.
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', connection: 'close', ...headers });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  };
  if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) send(200, { status: 'starting' });
  else if (path === '/ready' && (req.method === 'GET' || req.method === 'HEAD')) send(503, { status: 'not_ready' });
  else send(503, STARTING, { 'retry-after': '1' });
}

/** Listen on host:port until close(); rejects as `listen` does (EADDRINUSE, EACCES …). */
export async function listenWhileStarting(host: string, port: number): Promise<StartingListener> {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, answer);
  // Nothing a client sends may end the process: a malformed request only closes its own connection.
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => { server.off('error', reject); resolve(); });
  });
  server.unref(); // never what keeps a failed start's process alive
  let closed: Promise<void> | undefined;
  return {
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  };
}

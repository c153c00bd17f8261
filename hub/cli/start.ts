// `lifeline start`: run the hub in this process, say what it is doing while it starts, print the address it really
// bound, and stop on SIGTERM/SIGINT (or when the npm that launched it goes away: parent-watch.ts).
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { loadConfig, sampleConfigPath } from '../config/load.ts';
import { startHub, hubVersion, type Hub } from '../hub.ts';
import { shouldExitWithParent, watchParent } from './parent-watch.ts';

const signalExit: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** `http://host:port` of what the server is bound to (IPv6 in brackets), not a rewritten guess. */
export function boundUrl(a: AddressInfo): string {
  return `http://${a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
}

const isLoopback = (address: string) => /^127\./.test(address) || address === '::1' || address === '::ffff:127.0.0.1';
const isAnyAddress = (address: string) => address === '0.0.0.0' || address === '::';

export const START_USAGE = `usage: lifeline start [--config FILE]

Runs the hub in this process until SIGINT (Ctrl-C) or SIGTERM.

  -c, --config FILE   the hub's YAML configuration (docs/config.md). Without it: the built-in sample, an
                      embedded store in ./data, a sample registry, 127.0.0.1 on port 8080
  -h, --help          this text

Environment (overrides the file):
  DATABASE_URL                 PostgreSQL instead of the embedded store (postgres://user@host:5432/db)
  REDIS_URL                    BullMQ (Redis) for delivery instead of the store's own outbox queue
  HOST, PORT                   where to listen (HOST=0.0.0.0 serves other machines)
  LIFELINE_DATA_DIR            the data directory (the embedded store lives in DIR/pglite)
  LIFELINE_EMBEDDED_CACHE_MB   the embedded store's page cache (default 128)
  LOG_LEVEL                    fatal, error, warn, info (default), debug, trace or silent
  LIFELINE_API_KEY             with no api.keys configured: this run's key instead of a new random one`;

export async function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let values: { config?: string; help?: boolean };
  try {
    values = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (e) {
    process.stderr.write(`lifeline start: ${(e as Error).message}\n\n${START_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) { console.log(START_USAGE); return; }
  const began = performance.now();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const progress = (step: string) => say(`lifeline: ${step}… (${((performance.now() - began) / 1000).toFixed(1)} s)`);

  // Installed before the slow part: a signal (or the launcher going away) while starting must not be lost.
  let hub: Hub | undefined;
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    if (!hub) process.exit(signalExit[why] ?? 1); // still starting: nothing to close yet (a stale store lock is taken over)
    hub.logger.info({ reason: why }, 'stopping');
    await hub.stop().catch((e) => hub!.logger.error({ err: e }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  if (shouldExitWithParent(env)) watchParent(() => void stop('parent exited'));

  const loaded = loadConfig(values.config ?? sampleConfigPath, env);
  if (!values.config) loaded.baseDir = process.cwd(); // sample's data_dir (./data) is relative to where you run it
  hub = await startHub(loaded, { onProgress: progress, env, answerWhileStarting: true });

  const c = loaded.config;
  const store = c.store.url ? `PostgreSQL ${c.store.url.replace(/\/\/[^@]*@/, '//***@')}` : `PGlite in ${c.data_dir}`;
  const bound = hub.app.server.address() as AddressInfo;
  const url = boundUrl(bound);
  const local = isAnyAddress(bound.address) ? `http://127.0.0.1:${bound.port}` : url; // where to point curl on this machine
  say(`\nlifeline-hub ${hubVersion} listening on ${url}  (store: ${store}; config: ${values.config ?? 'built-in sample'}; started in ${((performance.now() - began) / 1000).toFixed(1)} s)`);
  if (isLoopback(bound.address)) say('  Loopback only: other machines cannot connect. To serve them, set server.host (or HOST) to 0.0.0.0 or an interface address.');
  else if (isAnyAddress(bound.address)) say('  Listening on every interface: any machine that can reach this one can connect (API keys still apply).');
  say(`  API docs: ${local}/docs   health: ${local}/health   operator console: ${local}/console`);
  if (hub.bootstrapKey) {
    say(`  No api.keys configured: API key for this run (all scopes): ${hub.bootstrapKey}`);
    say(`  Try: curl -H 'Authorization: Bearer ${hub.bootstrapKey}' ${local}/v1/sites\n`);
  }
}

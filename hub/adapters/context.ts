// The AdapterContext the hub hands each adapter instance (also used by the conformance kit).
import type { Logger } from 'pino';
import type { AdapterContext, AdapterHttpRoute } from '../sdk/adapter.ts';
import type { SqlDriver } from '../store/driver.ts';
import type { RegistryService } from '../registry/service.ts';
import type { Ingest } from '../pipeline/ingest.ts';
import type { HubMetrics } from '../metrics.ts';
import { readCheckpoint } from '../store/observations.ts';
import { LifelineError } from '../sdk/errors.ts';

export interface ContextDeps {
  db: SqlDriver;
  registry: RegistryService;
  ingest: Ingest;
  metrics: HubMetrics;
  logger: Logger;
  signal: AbortSignal;
  clock: { now(): number };
  timezone: string;
  dataDir: string;
  configDir: string;
  /** Collects the HTTP routes adapters declare (the hub registers them before it listens). */
  routes?: { adapter: string; route: AdapterHttpRoute }[];
}

export function createAdapterContext(id: string, d: ContextDeps): AdapterContext {
  const event = (event: string, n: number, errorType = '') => d.metrics.adapterEvents.inc({ adapter: id, event, error_type: errorType }, n);
  return {
    name: id,
    ingest: (batch, o) => d.ingest(id, batch, o),
    checkpoint: (key) => readCheckpoint(d.db, id, key),
    registry: { devicesFor: (p) => d.registry.registry.devicesFor(p), findDevice: (p, k) => d.registry.registry.findDevice(p, k) },
    logger: d.logger.child({ adapter: id }),
    metrics: {
      received: (n = 1) => event('received', n),
      sent: (n = 1) => event('sent', n),
      error: (t, n = 1) => event('error', n, t),
      dropped: (n = 1) => event('dropped', n),
    },
    signal: d.signal, clock: d.clock, timezone: d.timezone, dataDir: d.dataDir, configDir: d.configDir,
    http: {
      route: (route) => {
        // Routes open when the hub listens; one declared later would never be served, so say so instead of a silent 404.
        if (!d.routes || Object.isFrozen(d.routes)) throw new LifelineError('ADAPTER_INVALID', `adapter "${id}": ctx.http.route(${route.method} ${route.url}) must be called in create(), before the hub listens`);
        d.routes.push({ adapter: id, route });
      },
    },
  };
}

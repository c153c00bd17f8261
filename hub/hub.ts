// Composition root: store → migrations → catalogue → registry → pipeline → adapters → API.
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import type { LoadedConfig } from './config/load.ts';
import type { SqlDriver } from './store/driver.ts';
import { seedFromTemplate } from './pglite-template.ts';
import { migrate } from './store/migrate.ts';
import { packAfterOf, packHoursAfterOf, prepareStoreLayout, retentionOf } from './store/upgrade.ts';
import { scheduleMaintenance } from './store/maintenance.ts';
import { scopedKeyProblem } from './access/scope.ts';
import { catalogueByCode } from './registry/catalogue.ts';
import { RegistryService } from './registry/service.ts';
import { createIngest, type Ingest } from './pipeline/ingest.ts';
import { createMetrics } from './metrics.ts';
import { buildApi } from './api/server.ts';
import { listenWhileStarting, type StartingListener } from './api/starting-listener.ts';
import { UploadService } from './uploads/service.ts';
import { generateKey, hashKey, type ApiKeyEntry } from './api/auth.ts';
import { resolveAdapters, validateAdapterConfigs } from './adapters/loader.ts';
import type { AdapterHealth, AdapterInstance } from './sdk/adapter.ts';
import { createAdapterContext } from './adapters/context.ts';
import { LifelineError } from './sdk/errors.ts';
import type { FastifyInstance } from 'fastify';
import { resolvePublish } from './delivery/targets.ts';
import { createDelivery, type DeliveryEngine } from './delivery/engine.ts';
import { createRoller, type Roller } from './rollups/roller.ts';
import { hubVersion } from './version.ts';
import { createAlarmEvaluator, type AlarmEvaluator } from './alarms/evaluator.ts';
import { applyReportSettings } from './reports/settings.ts';
import { tuneHeap } from './heap-tuning.ts';

export { hubVersion }; // defined in version.ts, so that `lifeline --help` does not load the hub

export interface Hub {
  url: string;
  app: FastifyInstance;
  db: SqlDriver;
  registry: RegistryService;
  ingest: Ingest;
  logger: Logger;
  /** Set when no keys were configured: the key made (or taken from LIFELINE_API_KEY) for this run. */
  bootstrapKey?: string;
  /** Upstream delivery (publish.targets); inert when none are configured. */
  publish: DeliveryEngine;
  /** Keeps the minute/hour/day rollups up to date from the outbox. */
  rollups: Roller;
  /** Evaluates alarm rules from the outbox (absent when alarms.enabled is false). */
  alarms?: AlarmEvaluator;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: { now(): number };
  /** Do not listen (tests use app.inject). */
  listen?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Called as each start step begins (the CLI prints them, so a slow first start is not silence). */
  onProgress?: (step: string) => void;
  /**
   * Answer `/health` ("starting") on server.port from the first moment, while the store opens (hub/api/
   * starting-listener.ts). `lifeline start` sets it; only with a fixed port (not 0) and when listening.
   */
  answerWhileStarting?: boolean;
}

export async function openStore(loaded: LoadedConfig, progress: (step: string) => void = () => undefined, env: NodeJS.ProcessEnv = process.env): Promise<SqlDriver> {
  const c = loaded.config;
  try {
    if (c.store.url) {
      progress('connecting to PostgreSQL');
      // Each store driver is imported only when used: `pg` is not needed by the embedded default, nor PGlite at scale.
      const { openPostgres } = await import('./store/postgres.ts');
      return await openPostgres(c.store.url, c.store.pool_size);
    }
    const dir = resolve(loaded.baseDir, c.data_dir, 'pglite');
    progress(`opening the embedded store in ${dir}`);
    await seedFromTemplate(dir, env, progress).catch(() => undefined); // no template: PGlite runs initdb itself, only slower
    const { openPglite } = await import('./store/pglite.ts');
    return await openPglite(dir, { thread: 'worker', cacheMb: c.store.embedded_cache_mb });
  } catch (cause) {
    if (cause instanceof LifelineError) throw cause;
    const where = c.store.url ? c.store.url.replace(/\/\/[^@]*@/, '//***@') : resolve(loaded.baseDir, c.data_dir);
    throw new LifelineError('STORE_UNAVAILABLE', `cannot open the store at ${where}: ${(cause as Error).message}`, { cause, stage: 'store' });
  }
}

/** A port another process holds: the same typed error whether the early listener or the API found it. */
function portProblem(c: LoadedConfig['config'], cause: unknown): unknown {
  if ((cause as NodeJS.ErrnoException).code !== 'EADDRINUSE') return cause;
  return new LifelineError('CONFIG_INVALID', `port ${c.server.port} on ${c.server.host} is already in use: stop what uses it or set server.port / PORT`, { cause, details: { path: '/server/port' } });
}

export async function startHub(loaded: LoadedConfig, opts: StartOptions = {}): Promise<Hub> {
  tuneHeap();
  const c = loaded.config;
  const early = opts.answerWhileStarting && opts.listen !== false && c.server.port !== 0
    ? await listenWhileStarting(c.server.host, c.server.port).catch((e: unknown) => { throw portProblem(c, e); })
    : undefined;
  if (early) opts.onProgress?.(`port ${c.server.port} answers /health ("starting") until the API is up`);
  try {
    return await startHubOn(loaded, opts, early);
  } catch (e) {
    await early?.close();
    throw e;
  }
}

async function startHubOn(loaded: LoadedConfig, opts: StartOptions, early: StartingListener | undefined): Promise<Hub> {
  const c = loaded.config;
  const env = opts.env ?? process.env;
  const logger = opts.logger ?? pino({ level: c.log.level });
  const clock = opts.clock ?? { now: () => Date.now() };
  const progress = opts.onProgress ?? (() => undefined);

  progress('checking adapters and publish targets');
  // Adapters first: a bad adapter config must stop the hub before it touches the store.
  const adapterDefs = await resolveAdapters(Object.keys(c.adapters), c.plugins, loaded.baseDir);
  const adapterErrors = validateAdapterConfigs(adapterDefs, c.adapters);
  if (adapterErrors.length) throw new LifelineError('CONFIG_INVALID', `${loaded.source}:\n${adapterErrors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, { details: { errors: adapterErrors } });
  const publishSettings = await resolvePublish(c.publish, loaded.baseDir, env);
  // A data scope limits reads only: a scoped key holding ingest or admin would reach hub-wide state.
  const keyErrors = c.api.keys.flatMap((k, i) => { const p = scopedKeyProblem(k); return p ? [{ path: `/api/keys/${i}/scopes`, message: p }] : []; });
  if (keyErrors.length) throw new LifelineError('CONFIG_INVALID', `${loaded.source}:\n${keyErrors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, { details: { errors: keyErrors } });

  const db = await openStore(loaded, progress, env);
  progress('migrating the store');
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'store migrated');
  await applyReportSettings(db, { timelyWithinS: c.reports.timely_within_s });
  const layout = await prepareStoreLayout(db, c.store, () => clock.now(), progress);
  if (layout.moved || layout.movedFromDefault) logger.info(layout, 'store partitions maintained');
  const upkeep = scheduleMaintenance(db, {
    retention: retentionOf(c.store), daysAhead: c.store.partitions_ahead_days ?? 3, now: () => clock.now(), auditRetentionDays: c.api.audit?.retention_days === undefined ? 180 : c.api.audit.retention_days,
    packAfterMs: packAfterOf(c.store), packHoursAfterMs: packHoursAfterOf(c.store),
    onResult: (r) => { if (r.created.length || r.dropped.length || r.auditPruned || r.packed.length || r.packedHours.length) logger.info(r, 'store partitions maintained'); },
    onError: (e) => logger.error({ err: e }, 'store partition maintenance failed'),
  });
  progress('loading the registry');
  const registry = new RegistryService(db, catalogueByCode());
  await registry.reload();
  await registry.apply(c.registry);
  await registry.follow((e) => logger.error({ err: e }, 'registry reload failed'));

  const metrics = createMetrics();
  const ingest = createIngest({
    db, registry: () => registry.registry, metrics, clock, timezone: c.timezone,
    futureToleranceMs: c.ingest.future_tolerance_s * 1000, lateAfterMs: c.ingest.late_after_s * 1000,
    // The alarm evaluator and the roller each hold what this process committed until their step takes it.
    onCommit: () => {
      const a = alarms?.committing(), r = rollups.committing();
      return (c) => { a?.(c); r(c); };
    },
  });

  progress('starting adapters and the API');
  const publish = await createDelivery(publishSettings, { db, registry, metrics, logger, clock, alarms: { levels: c.alarms.levels, zone: c.timezone } });
  // PGlite is one engine in this process: every roller step holds it, so during an ingest burst it takes a quarter.
  const rollups = createRoller(db, { zone: c.timezone, duty: db.kind === 'pglite' ? 0.25 : 0.5 }, logger.child({ component: 'rollups' }), metrics);
  const alarms = c.alarms.enabled
    ? createAlarmEvaluator(db, { registry: () => registry.registry, overrides: c.alarms.overrides, clock, noDataCheckMs: c.alarms.no_data_check_s * 1000, duty: db.kind === 'pglite' ? 0.25 : 0.5 }, logger.child({ component: 'alarms' }))
    : undefined;
  const abort = new AbortController();
  const instances = new Map<string, AdapterInstance>();
  const adapterRoutes: NonNullable<Parameters<typeof createAdapterContext>[1]['routes']> = [];
  for (const [id, def] of adapterDefs) {
    const ctx = createAdapterContext(id, { db, registry, ingest, metrics, logger, signal: abort.signal, clock, timezone: c.timezone, dataDir: resolve(loaded.baseDir, c.data_dir), configDir: resolve(loaded.baseDir), routes: adapterRoutes });
    instances.set(id, await def.create(c.adapters[id] as never, ctx));
  }

  let keys: ApiKeyEntry[] = c.api.keys;
  let bootstrapKey: string | undefined;
  if (!keys.length) {
    bootstrapKey = env.LIFELINE_API_KEY || generateKey();
    keys = [{ name: 'bootstrap', hash: hashKey(bootstrapKey), scopes: ['read', 'ingest', 'admin'] }];
  }

  const up = { max_bytes: 2 ** 31, batch_rows: 2000, ...c.uploads };
  const uploads = new UploadService({
    db, ingest, timezone: c.timezone, logger: logger.child({ component: 'uploads' }), dir: resolve(loaded.baseDir, c.data_dir, 'uploads'),
    maxBytes: up.max_bytes, batchRows: up.batch_rows, profilesDir: up.profiles_dir ? resolve(loaded.baseDir, up.profiles_dir) : undefined,
  });
  const app = await buildApi({
    db, registry, ingest, metrics, timezone: c.timezone, uploads,
    conformanceReportsDir: c.conformance?.reports_dir ? resolve(loaded.baseDir, c.conformance.reports_dir) : resolve(loaded.baseDir, c.data_dir, 'conformance-reports'),
    adapters: () => new Map([...instances].map(([id, instance]) => [id, { manifest: adapterDefs.get(id)!.manifest, instance }])),
    publish: publish.targets().length ? publish : undefined,
    rollups,
    alarms: alarms && { levels: c.alarms.levels, clock, evaluator: alarms },
    reports: { timelyWithinS: c.reports.timely_within_s, expectedIntervalS: c.reports.expected_interval_s, clock },
    adapterHealth: async () => {
      const out: Record<string, AdapterHealth> = {};
      for (const [id, a] of instances) {
        try { out[id] = await a.health(); } catch (e) { out[id] = { status: 'down', detail: { error: (e as Error).message } }; }
      }
      return out;
    },
  }, { keys, bodyLimit: c.server.body_limit_bytes, trustProxy: c.server.trust_proxy, logger, version: hubVersion, adapterRoutes, audit: c.api.audit });
  Object.freeze(adapterRoutes);

  let url = '';
  try {
    // Inside the try: an adapter or a publish target that fails to start must not leave the rest running.
    for (const [id, a] of instances) {
      await a.start();
      logger.info({ adapter: id }, 'adapter started');
    }
    await rollups.start(); // before publishing: its cursor must exist before the outbox pruner first runs
    await alarms?.start(); // likewise
    await publish.start();
    await uploads.start(); // resumes what a previous run left half done
    if (opts.listen !== false) {
      // Ready first (plugins, routes), so the port is without a listener only for the handover itself.
      if (early) { await app.ready(); await early.close(); }
      url = await app.listen({ host: c.server.host, port: c.server.port });
    }
    else await app.ready();
  } catch (cause) {
    abort.abort();
    await uploads.stop().catch(() => undefined);
    await rollups.stop().catch(() => undefined);
    await alarms?.stop().catch(() => undefined);
    await publish.stop().catch(() => undefined);
    for (const a of instances.values()) await a.stop().catch(() => undefined);
    await app.close().catch(() => undefined);
    registry.close();
    await upkeep.stop();
    await db.close();
    throw portProblem(c, cause);
  }

  let stopped = false;
  return {
    url, app, db, registry, ingest, logger, bootstrapKey, publish, rollups, alarms,
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort();
      await uploads.stop().catch((e) => logger.error({ err: e }, 'uploads stop failed'));
      for (const [id, a] of instances) await a.stop().catch((e) => logger.error({ adapter: id, err: e }, 'adapter stop failed'));
      await publish.stop().catch((e) => logger.error({ err: e }, 'publish stop failed'));
      await rollups.stop().catch((e) => logger.error({ err: e }, 'rollup roller stop failed'));
      await alarms?.stop().catch((e) => logger.error({ err: e }, 'alarm evaluator stop failed'));
      await app.close();
      registry.close();
      await upkeep.stop();
      await db.close();
    },
  };
}

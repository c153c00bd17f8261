// Runs every clause against an adapter (a module path, an npm name, or a definition) on a real embedded store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AdapterDefinition } from '../hub/sdk/index.ts';
import { importModule } from '../hub/adapters/loader.ts';
import { LifelineError } from '../hub/sdk/errors.ts';
import { createAdapterContext } from '../hub/adapters/context.ts';
import { openPglite } from '../hub/store/pglite.ts';
import { migrate } from '../hub/store/migrate.ts';
import { RegistryService } from '../hub/registry/service.ts';
import { catalogueByCode } from '../hub/registry/catalogue.ts';
import type { RegistryDocs } from '../hub/registry/check.ts';
import { createIngest } from '../hub/pipeline/ingest.ts';
import { createMetrics } from '../hub/metrics.ts';
import { createAjv, fieldErrors } from '../hub/schemas.ts';
import type { Clause } from './clauses/types.ts';
import { manifestClauses } from './clauses/manifest.ts';
import { configSchemaClauses } from './clauses/config-schema.ts';
import { lifecycleClauses } from './clauses/lifecycle.ts';

export const allClauses: Clause[] = [...manifestClauses, ...configSchemaClauses, ...lifecycleClauses];

export interface ConformanceOptions {
  /** The adapter's config for the run; default: each required field's first example. */
  config?: Record<string, unknown>;
  /** Sites/devices/points to register (what the adapter's readings refer to). */
  registry?: RegistryDocs;
  /** Where a module spec is resolved from (default: cwd). */
  baseDir?: string;
}

export interface ClauseResult { id: string; title: string; status: 'pass' | 'fail'; message: string; ms: number }
export interface ConformanceReport { adapter: string; version: string; hub: string; at: string; passed: number; failed: number; results: ClauseResult[] }

function defaultConfig(def: AdapterDefinition): Record<string, unknown> {
  const schema = def.manifest.configSchema as { properties?: Record<string, { examples?: unknown[] }>; required?: string[] };
  const out: Record<string, unknown> = {};
  for (const k of schema.required ?? []) {
    const ex = schema.properties?.[k]?.examples?.[0];
    if (ex !== undefined) out[k] = ex;
  }
  return out;
}

export async function runConformance(target: string | AdapterDefinition<never>, opts: ConformanceOptions = {}): Promise<ConformanceReport> {
  // Only the shape needed to run clauses is required here; the clauses judge the rest (the hub's loader is stricter).
  const adapter = (typeof target === 'string' ? await importModule(target, opts.baseDir ?? process.cwd()) : target) as AdapterDefinition;
  if (!adapter?.manifest?.configSchema || typeof adapter.create !== 'function') {
    throw new LifelineError('ADAPTER_INVALID', `${typeof target === 'string' ? target : 'adapter'}: needs a default export with manifest (incl. configSchema) and create()`);
  }
  const config = structuredClone(opts.config ?? defaultConfig(adapter));
  const validate = createAjv({ useDefaults: true }).compile({ ...adapter.manifest.configSchema, $id: undefined });
  const configProblem = validate(config) ? undefined : fieldErrors(validate.errors).map((e) => `${e.path} ${e.message}`).join('; ');

  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-conformance-'));
  const db = await openPglite();
  await migrate(db);
  const registry = new RegistryService(db, catalogueByCode());
  await registry.reload();
  if (opts.registry) await registry.apply(opts.registry);
  const metrics = createMetrics();
  const logger = pino({ level: 'silent' });
  const ingest = createIngest({ db, registry: () => registry.registry, metrics, clock: { now: Date.now }, timezone: 'Asia/Shanghai', futureToleranceMs: 300_000, lateAfterMs: 86_400_000 });
  const aborts: AbortController[] = [];
  const newContext = () => {
    const a = new AbortController();
    aborts.push(a);
    return createAdapterContext(adapter.manifest.id, { db, registry, ingest, metrics, logger, signal: a.signal, clock: { now: Date.now }, timezone: 'Asia/Shanghai', dataDir, configDir: opts.baseDir ?? process.cwd(), routes: [] });
  };

  const results: ClauseResult[] = [];
  try {
    for (const clause of allClauses) {
      const started = performance.now();
      let r: { status: 'pass' | 'fail'; message: string };
      if (configProblem && clause.id.startsWith('LIFECYCLE')) r = { status: 'fail', message: `config for the run is invalid: ${configProblem}` };
      else {
        try { r = await clause.run({ adapter, config, newContext }); } catch (e) { r = { status: 'fail', message: `threw: ${(e as Error).message}` }; }
      }
      results.push({ id: clause.id, title: clause.title, ...r, ms: Math.round(performance.now() - started) });
    }
  } finally {
    for (const a of aborts) a.abort();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  const { hubVersion } = await import('../hub/hub.ts');
  return { adapter: adapter.manifest.id, version: adapter.manifest.version, hub: hubVersion, at: new Date().toISOString(), passed: results.length - failed, failed, results };
}

// Targets from config: resolve each target's type (built-in or plugin publisher), validate its own config
// against the publisher's schema (errors name the path into the config file), fill the engine's defaults.
import type { Config } from '../../schemas/generated/types.ts';
import type { PublisherDefinition } from '../sdk/publisher.ts';
import { LifelineError } from '../sdk/errors.ts';
import { importModule, definitionProblems } from '../adapters/loader.ts';
import { builtinPublishers } from '../../adapters/index.ts';
import { createAjv, fieldErrors, schemaById, type FieldError } from '../schemas.ts';
import { withSchemaDefaults } from '../sdk/config.ts';
import { catalogueByCode } from '../registry/catalogue.ts';
import { compileTemplate, type Template } from '../alarms/notify.ts';

type TargetConfig = NonNullable<NonNullable<Config['publish']>['targets']>[string];
/** A config section after ajv filled its schema's defaults (keys without a default stay optional at their use). */
type Filled<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

const publishSchema = (schemaById('lifeline:config') as unknown as { properties: { publish: Record<string, unknown> } }).properties.publish;

export interface TargetFilter { domains?: string[]; sites?: string[]; indicators?: string[]; kinds?: string[] }

/** What a target receives: the outbox topic it reads. */
export type TargetStream = 'observations' | 'alarms';
export const STREAM_TOPIC: Record<TargetStream, string> = { observations: 'observation', alarms: 'alarm' };

/** stream: alarms — which events, and the body template (compiled). */
export interface AlarmTargetSpec { events?: string[]; levels?: number[]; template?: Template }

/** One target with every default filled in. */
export interface TargetSpec {
  name: string;
  type: string;
  enabled: boolean;
  start: 'earliest' | 'latest';
  stream: TargetStream;
  filter: TargetFilter;
  alarms: AlarmTargetSpec;
  batch: { maxSize: number; maxWaitMs: number };
  retry: { initialMs: number; maxMs: number; multiplier: number; maxAttempts: number; jitter: number };
  config: Record<string, unknown>;
  def: PublisherDefinition<never>;
}

export interface PublishSettings {
  driver: 'embedded' | 'bullmq';
  redisUrl?: string;
  keyPrefix: string;
  pollMs: number;
  /** 0: keep the outbox forever. */
  outboxRetentionH: number;
  targets: TargetSpec[];
}

/** Check a module's default export is a publisher definition; say what is wrong if not. */
export function assertPublisher(mod: unknown, from: string): PublisherDefinition<never> {
  const d = (mod as { default?: unknown })?.default ?? mod;
  const problems = definitionProblems(d);
  if (problems.length) throw new LifelineError('PUBLISH_TARGET_INVALID', `${from}: not a publisher (${problems.join('; ')}); default-export definePublisher({ manifest, create })`);
  return d as PublisherDefinition<never>;
}

/** Resolve and validate `publish` from the config; throws CONFIG_INVALID (every problem, by path) or PUBLISH_TARGET_INVALID (a bad plugin). */
export async function resolvePublish(publish: Config['publish'], baseDir: string, env: NodeJS.ProcessEnv): Promise<PublishSettings> {
  // Defaults from the config schema only (a config loaded from a file has them already; tests build their own).
  const p = withSchemaDefaults<Filled<NonNullable<Config['publish']>>>(publishSchema, publish ?? {});
  const plugins = new Map<string, PublisherDefinition<never>>();
  for (const spec of p.plugins) {
    const def = assertPublisher(await importModule(spec, baseDir), spec);
    if (plugins.has(def.manifest.id) || def.manifest.id in builtinPublishers) {
      throw new LifelineError('PUBLISH_TARGET_INVALID', `publish plugin "${spec}" uses publisher id "${def.manifest.id}", which is already taken`);
    }
    plugins.set(def.manifest.id, def);
  }
  let ajv: ReturnType<typeof createAjv> | undefined; // compiled only when there are targets: most hubs start with none
  const catalogue = catalogueByCode();
  const errors: FieldError[] = [];
  const targets: TargetSpec[] = [];
  for (const [name, t] of Object.entries(p.targets) as Array<[string, Filled<TargetConfig>]>) {
    let def = plugins.get(t.type);
    if (!def && builtinPublishers[t.type]) def = assertPublisher(await builtinPublishers[t.type]!(), `built-in ${t.type}`);
    if (!def) {
      errors.push({ path: `/publish/targets/${name}/type`, message: `no built-in publisher or publish plugin has id "${t.type}" (built-ins: ${Object.keys(builtinPublishers).join(', ')})` });
      continue;
    }
    const config = t.config as Record<string, unknown>;
    const validate = (ajv ??= createAjv({ useDefaults: true })).compile({ ...def.manifest.configSchema, $id: undefined });
    if (!validate(config)) errors.push(...fieldErrors(validate.errors, `/publish/targets/${name}/config`));
    // A misspelt indicator would silently filter everything out, and the cursor moves past what a filter excludes.
    (t.filter.indicators ?? []).forEach((code, i) => {
      if (!catalogue.has(code)) errors.push({ path: `/publish/targets/${name}/filter/indicators/${i}`, message: `"${code}" is not an indicator code (see lifeline indicators)` });
    });
    const b = t.batch as Filled<NonNullable<TargetConfig['batch']>>, r = t.retry as Filled<NonNullable<TargetConfig['retry']>>;
    const stream = t.stream as TargetStream; // filled by the config schema's default
    const streams = def.manifest.streams ?? ['observations'];
    if (!streams.includes(stream)) errors.push({ path: `/publish/targets/${name}/stream`, message: `publisher ${t.type} does not carry ${stream} (it carries ${streams.join(', ')})` });
    if (stream === 'alarms' && t.filter.kinds) errors.push({ path: `/publish/targets/${name}/filter/kinds`, message: 'kinds select observations; an alarm target has none (use alarms.events or alarms.levels)' });
    const al = (t.alarms ?? {}) as NonNullable<TargetConfig['alarms']>;
    if (stream !== 'alarms' && Object.keys(al).length) errors.push({ path: `/publish/targets/${name}/alarms`, message: 'alarms applies to a target with stream: alarms' });
    let template: Template | undefined;
    if (al.template !== undefined) {
      try { template = compileTemplate(al.template, `/publish/targets/${name}/alarms/template`); } catch (e) {
        const err = e as LifelineError;
        errors.push({ path: String((err.details as { path?: string } | undefined)?.path ?? `/publish/targets/${name}/alarms/template`), message: err.message.replace(/^[^:]*: /, '') });
      }
    }
    targets.push({
      name, type: t.type, enabled: t.enabled, start: t.start, stream, filter: t.filter as TargetFilter, config, def,
      alarms: { events: al.events, levels: al.levels, template },
      // A templated event is one robot message: sent alone, so a retry never repeats another event.
      batch: { maxSize: template ? 1 : b.max_size, maxWaitMs: b.max_wait_ms },
      retry: { initialMs: r.initial_ms, maxMs: r.max_ms, multiplier: r.multiplier, maxAttempts: r.max_attempts, jitter: r.jitter },
    });
  }
  if (errors.length) throw new LifelineError('CONFIG_INVALID', `publish: ${errors.length} problem(s):\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, { details: { errors } });
  const redisUrl = env.REDIS_URL || p.redis_url;
  const driver = p.driver ?? (redisUrl ? 'bullmq' : 'embedded');
  if (driver === 'bullmq' && !redisUrl) throw new LifelineError('CONFIG_INVALID', 'publish.driver is bullmq but neither publish.redis_url nor REDIS_URL is set', { details: { path: '/publish/redis_url' } });
  return { driver, redisUrl, keyPrefix: p.key_prefix, pollMs: p.poll_ms, outboxRetentionH: p.outbox_retention_h, targets };
}

/** Backoff before attempt n+1 after n failed attempts (n ≥ 1), with ±jitter; a target's Retry-After wins when given. */
export function backoffMs(r: TargetSpec['retry'], attempt: number, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined && retryAfterMs >= 0) return Math.min(retryAfterMs, 3_600_000);
  const base = Math.min(r.maxMs, r.initialMs * r.multiplier ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 + r.jitter * (2 * random() - 1))));
}

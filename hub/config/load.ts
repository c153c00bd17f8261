// One YAML file → validated HubConfig (defaults filled), or errors that name the offending path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Config } from '../../schemas/generated/types.ts';
import { createAjv, fieldErrors, type FieldError } from '../schemas.ts';
import { LifelineError } from '../sdk/errors.ts';
import { checkRegistry, type RegistryDocs } from '../registry/check.ts';
import { catalogueByCode } from '../registry/catalogue.ts';
import { isValidZone } from '../time/parse.ts';
import { scopedKeyProblem } from '../access/scope.ts';

/** Config with every default filled in. */
export type HubConfig = Config & {
  data_dir: string; timezone: string;
  server: Required<NonNullable<Config['server']>>;
  store: NonNullable<Config['store']> & { pool_size: number };
  log: Required<NonNullable<Config['log']>>;
  ingest: Required<NonNullable<Config['ingest']>>;
  api: { keys: NonNullable<NonNullable<Config['api']>['keys']> };
  registry: { sites: NonNullable<NonNullable<Config['registry']>['sites']>; devices: NonNullable<NonNullable<Config['registry']>['devices']>; points: NonNullable<NonNullable<Config['registry']>['points']> };
  alarms: Required<NonNullable<Config['alarms']>>;
  reports: Required<NonNullable<Config['reports']>>;
  plugins: string[];
  adapters: Record<string, Record<string, unknown>>;
};

export interface LoadedConfig {
  config: HubConfig;
  /** Directory that relative paths in the file (data_dir, plugins) are resolved against. */
  baseDir: string;
  source: string;
}

export const sampleConfigPath = fileURLToPath(new URL('./sample.yaml', import.meta.url));

const ajv = createAjv({ useDefaults: true });

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown) => (typeof x === 'string' ? x : undefined);

/**
 * The fields of a registry that the cross-reference checks read, from a document that failed its schema: wrong
 * types become absent (the schema error already names them), so the checks can run without tripping on them.
 */
function checkableRegistry(reg: unknown): RegistryDocs {
  const r = isObject(reg) ? reg : {};
  const list = (x: unknown) => (Array.isArray(x) ? x.map((e) => (isObject(e) ? e : {})) : []);
  return {
    sites: list(r.sites).map((s) => ({ code: str(s.code) })) as never,
    devices: list(r.devices).map((d) => ({
      code: str(d.code), site: str(d.site),
      identities: list(d.identities).map((i) => ({ protocol: str(i.protocol), key: str(i.key) })),
    })) as never,
    points: list(r.points).map((p) => ({
      code: str(p.code), device: str(p.device), indicator: str(p.indicator), source_unit: str(p.source_unit), field: str(p.field),
      lel_percent_vol: typeof p.lel_percent_vol === 'number' ? p.lel_percent_vol : undefined,
    })) as never,
  };
}

/**
 * Validate an already-parsed document; returns field errors (empty when valid). Fills defaults in place. Past schema
 * errors the registry's cross-references are still checked, so one run lists every mistake: what the schema already
 * reported at a path (a missing or mistyped field) is not reported again below it.
 */
export function validateConfigDoc(doc: unknown): FieldError[] {
  const validate = ajv.getSchema('lifeline:config')!;
  if (!validate(doc)) {
    const errors = fieldErrors(validate.errors);
    if (!isObject(doc)) return errors;
    const said = errors.map((e) => e.path);
    const known = (p: string) => said.some((s) => p === s || p.startsWith(`${s}/`));
    for (const e of checkRegistry(checkableRegistry(doc.registry), catalogueByCode())) if (!known(e.path)) errors.push({ path: e.path, message: e.message });
    return errors;
  }
  const c = doc as HubConfig;
  const errors: FieldError[] = [];
  if (!isValidZone(c.timezone)) errors.push({ path: '/timezone', message: `"${c.timezone}" is not an IANA time zone (e.g. Asia/Shanghai)` });
  for (const [i, d] of c.registry.devices.entries()) {
    if (d.timezone && !isValidZone(d.timezone)) errors.push({ path: `/registry/devices/${i}/timezone`, message: `"${d.timezone}" is not an IANA time zone` });
  }
  errors.push(...checkRegistry(c.registry, catalogueByCode()));
  // A data scope limits reads only: a scoped key holding ingest or admin would reach hub-wide state.
  for (const [i, k] of c.api.keys.entries()) { const p = scopedKeyProblem(k); if (p) errors.push({ path: `/api/keys/${i}/scopes`, message: p }); }
  return errors;
}

/** Read, parse and validate a config file. Throws CONFIG_NOT_FOUND / CONFIG_INVALID with every problem listed. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new LifelineError('CONFIG_NOT_FOUND', `cannot read config file ${path}: ${(cause as Error).message}`, { cause, stage: 'config' });
  }
  const parsed = parseDocument(text, { prettyErrors: true });
  if (parsed.errors.length) {
    const e = parsed.errors[0]!;
    throw new LifelineError('CONFIG_INVALID', `${path}: YAML syntax: ${e.message}`, { details: { errors: parsed.errors.map((x) => ({ path: `line ${x.linePos?.[0]?.line ?? '?'}`, message: x.message })) }, stage: 'config' });
  }
  const doc = (parsed.toJS() ?? {}) as unknown;
  const errors = validateConfigDoc(doc);
  if (errors.length) {
    throw new LifelineError('CONFIG_INVALID', `${path}: ${errors.length} problem(s):\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, { details: { file: path, errors }, stage: 'config' });
  }
  return { config: applyEnv(doc as HubConfig, env), baseDir: dirname(path), source: path };
}

/** DATABASE_URL, PORT, HOST, LIFELINE_DATA_DIR, LIFELINE_EMBEDDED_CACHE_MB, LOG_LEVEL override the file (twelve-factor). */
export function applyEnv(c: HubConfig, env: NodeJS.ProcessEnv): HubConfig {
  const bad = (name: string, why: string) => new LifelineError('CONFIG_INVALID', `environment ${name}=${JSON.stringify(env[name])}: ${why}`, { details: { path: `env:${name}` }, stage: 'config' });
  if (env.DATABASE_URL) c.store.url = env.DATABASE_URL;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad('PORT', 'must be an integer 0–65535');
    c.server.port = port;
  }
  if (env.HOST) c.server.host = env.HOST;
  if (env.LIFELINE_DATA_DIR) c.data_dir = env.LIFELINE_DATA_DIR;
  if (env.LIFELINE_EMBEDDED_CACHE_MB) {
    const mb = Number(env.LIFELINE_EMBEDDED_CACHE_MB);
    if (!Number.isInteger(mb) || mb < 1 || mb > 65536) throw bad('LIFELINE_EMBEDDED_CACHE_MB', 'must be an integer 1–65536 (MB)');
    c.store.embedded_cache_mb = mb;
  }
  if (env.LOG_LEVEL) {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(env.LOG_LEVEL)) throw bad('LOG_LEVEL', `must be one of ${levels.join(', ')}`);
    c.log.level = env.LOG_LEVEL as HubConfig['log']['level'];
  }
  return c;
}

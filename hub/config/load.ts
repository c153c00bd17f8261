// One YAML file → validated HubConfig (defaults filled), or errors that name the offending path.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { Config } from '../../schemas/generated/types.ts';
import { createAjv, fieldErrors, type FieldError } from '../schemas.ts';
import { LifelineError } from '../sdk/errors.ts';
import { checkRegistry } from '../registry/check.ts';
import { catalogueByCode } from '../registry/catalogue.ts';
import { isValidZone } from '../time/parse.ts';

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

/** Validate an already-parsed document; returns field errors (empty when valid). Fills defaults in place. */
export function validateConfigDoc(doc: unknown): FieldError[] {
  const validate = ajv.getSchema('lifeline:config')!;
  if (!validate(doc)) return fieldErrors(validate.errors);
  const c = doc as HubConfig;
  const errors: FieldError[] = [];
  if (!isValidZone(c.timezone)) errors.push({ path: '/timezone', message: `"${c.timezone}" is not an IANA time zone (e.g. Asia/Shanghai)` });
  for (const [i, d] of c.registry.devices.entries()) {
    if (d.timezone && !isValidZone(d.timezone)) errors.push({ path: `/registry/devices/${i}/timezone`, message: `"${d.timezone}" is not an IANA time zone` });
  }
  errors.push(...checkRegistry(c.registry, catalogueByCode()));
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

/** DATABASE_URL, PORT, HOST, LIFELINE_DATA_DIR override the file (twelve-factor). */
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
  if (env.LOG_LEVEL) {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(env.LOG_LEVEL)) throw bad('LOG_LEVEL', `must be one of ${levels.join(', ')}`);
    c.log.level = env.LOG_LEVEL as HubConfig['log']['level'];
  }
  return c;
}

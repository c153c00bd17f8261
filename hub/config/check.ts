// `lifeline check-config FILE`: every mistake a config file holds, in one run. The checks `start` makes one after the
// other (schema and registry, the environment, adapter lookup, each adapter's config, publish targets) each run on
// whatever the earlier ones left usable, instead of the first failing one ending the run.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { FieldError } from '../schemas.ts';
import { LifelineError, isLifelineError } from '../sdk/errors.ts';
import { applyEnv, validateConfigDoc, type HubConfig } from './load.ts';

export interface ConfigCheck {
  source: string;
  errors: FieldError[];
  /** What the file holds, when it could be read: for the `OK (…)` line. */
  counts?: { sites: number; devices: number; points: number; adapters: number };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A LifelineError as field errors: its own list (`details.errors`), else one at `details.path` (or `fallback`). */
function asFieldErrors(e: LifelineError, fallback: string): FieldError[] {
  const list = e.details.errors;
  if (Array.isArray(list) && list.length) return list as FieldError[];
  return [{ path: typeof e.details.path === 'string' ? e.details.path : fallback, message: e.message.replace(/^adapters\.[^:]+: /, '') }];
}

export async function checkConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigCheck> {
  const source = resolve(file);
  let text: string;
  try { text = readFileSync(source, 'utf8'); }
  catch (cause) { throw new LifelineError('CONFIG_NOT_FOUND', `cannot read config file ${source}: ${(cause as Error).message}`, { cause, stage: 'config' }); }
  const parsed = parseDocument(text, { prettyErrors: true });
  // A YAML syntax error leaves no document to check further.
  if (parsed.errors.length) return { source, errors: parsed.errors.map((x) => ({ path: `line ${x.linePos?.[0]?.line ?? '?'}`, message: `YAML syntax: ${x.message}` })) };
  const doc = (parsed.toJS() ?? {}) as unknown;
  const errors = validateConfigDoc(doc);
  if (!isObject(doc)) return { source, errors };
  const schemaSaid = (prefix: string) => errors.some((e) => e.path === prefix || e.path.startsWith(`${prefix}/`));
  const c = doc as unknown as HubConfig;
  if (!errors.length) {
    try { applyEnv(c, env); } catch (e) { if (!isLifelineError(e)) throw e; errors.push(...asFieldErrors(e, 'env')); }
  }

  const baseDir = dirname(source);
  const [{ resolveEveryAdapter, validateAdapterConfigs }, { resolvePublish }] = await Promise.all([import('../adapters/loader.ts'), import('../delivery/targets.ts')]);
  // Adapters: every id looked up, every plugin loaded, each found adapter's block checked against its schema.
  const plugins = Array.isArray(c.plugins) && !schemaSaid('/plugins') ? c.plugins : [];
  if (isObject(c.adapters)) {
    const { defs, problems } = await resolveEveryAdapter(Object.keys(c.adapters), plugins, baseDir);
    for (const p of problems) errors.push(...asFieldErrors(p, '/adapters'));
    errors.push(...validateAdapterConfigs(defs, c.adapters));
  }
  // Publish targets, when that section passed the schema (their checks read its shape).
  if (!schemaSaid('/publish')) {
    try { await resolvePublish(c.publish, baseDir, env); }
    catch (e) { if (!isLifelineError(e)) throw e; errors.push(...asFieldErrors(e, '/publish')); }
  }
  const r: Record<string, unknown> = isObject(c.registry) ? c.registry : {};
  const n = (x: unknown) => (Array.isArray(x) ? x.length : 0);
  return { source, errors, counts: { sites: n(r.sites), devices: n(r.devices), points: n(r.points), adapters: isObject(c.adapters) ? Object.keys(c.adapters).length : 0 } };
}

// Built-in and third-party adapters are loaded the same way: a module whose default export is defineAdapter(...).
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import type { AdapterDefinition } from '../sdk/adapter.ts';
import { LifelineError } from '../sdk/errors.ts';
import { builtinAdapters } from '../../adapters/index.ts';
import { createAjv, fieldErrors, type FieldError } from '../schemas.ts';
import { closest } from '../did-you-mean.ts';
import { commandProblems } from '../cli/adapter-commands.ts';

const idPattern = /^[a-z][a-z0-9_]*$/;

/** What is wrong with a module's default export as a definition (adapter or publisher): empty when nothing. */
export function definitionProblems(def: unknown): string[] {
  const d = def as Partial<AdapterDefinition> | undefined;
  const problems: string[] = [];
  if (!d || typeof d !== 'object') problems.push('no default export');
  else {
    const m = d.manifest;
    if (!m) problems.push('no manifest');
    else {
      if (!idPattern.test(m.id ?? '')) problems.push(`manifest.id "${m.id}" must be snake_case`);
      if (!/^\d+\.\d+\.\d+/.test(m.version ?? '')) problems.push('manifest.version must be semver');
      if (!m.configSchema || typeof m.configSchema !== 'object') problems.push('manifest.configSchema missing');
      problems.push(...commandProblems(m.commands).map((p) => `manifest.${p}`));
    }
    if (typeof d.create !== 'function') problems.push('create is not a function');
  }
  return problems;
}

/** Check a module's default export is an adapter definition; say what is wrong if not. */
export function assertAdapter(mod: unknown, from: string): AdapterDefinition {
  const def = (mod as { default?: unknown })?.default ?? mod;
  const problems = definitionProblems(def);
  if (problems.length) throw new LifelineError('ADAPTER_INVALID', `${from}: not an adapter (${problems.join('; ')}); default-export defineAdapter({ manifest, create })`);
  return def as AdapterDefinition;
}

/** Whether this code runs compiled (dist/, bin/lifeline.js): then no TypeScript loader is registered. */
const compiled = !import.meta.url.endsWith('.ts');
let tsLoader: Promise<void> | undefined;

/**
 * Under the compiled hub, register tsx (once) before the first plugin loads: a plugin may be TypeScript, and even a
 * `.js` plugin imports `lifeline-hub/sdk`, which is the SDK's TypeScript sources. About 0.2 s of CPU, only then.
 */
async function typeScriptLoader(): Promise<void> {
  if (compiled) await (tsLoader ??= import('tsx/esm/api').then((m) => m.register()).then(() => undefined));
}

/** Import a module by path (relative to baseDir) or npm package name (resolved from baseDir); its default export. */
export async function importModule(spec: string, baseDir: string): Promise<unknown> {
  let url: string;
  if (spec.startsWith('.') || isAbsolute(spec)) url = pathToFileURL(resolve(baseDir, spec)).href;
  else {
    try { url = pathToFileURL(createRequire(resolve(baseDir, 'noop.js')).resolve(spec)).href; }
    catch { url = spec; }
  }
  let mod: unknown;
  try { await typeScriptLoader(); mod = await import(url); }
  catch (cause) { throw new LifelineError('ADAPTER_NOT_FOUND', `plugin "${spec}" could not be loaded: ${(cause as Error).message}`, { cause, stage: 'config' }); }
  return (mod as { default?: unknown })?.default ?? mod;
}

/** Import a plugin and check it is an adapter. */
export async function importPlugin(spec: string, baseDir: string): Promise<AdapterDefinition> {
  return assertAdapter(await importModule(spec, baseDir), spec);
}

/** All adapters available to this config: built-ins plus plugins (a plugin may not reuse an id). Throws the first problem. */
export async function resolveAdapters(ids: string[], plugins: string[], baseDir: string): Promise<Map<string, AdapterDefinition>> {
  const { defs, problems } = await resolveEveryAdapter(ids, plugins, baseDir);
  if (problems[0]) throw problems[0];
  return defs;
}

/**
 * resolveAdapters that keeps going: every plugin that does not load and every id that no adapter has, each a
 * LifelineError whose `details.path` points into the config file (`check-config` lists them all in one run).
 */
export async function resolveEveryAdapter(ids: string[], plugins: string[], baseDir: string): Promise<{ defs: Map<string, AdapterDefinition>; problems: LifelineError[] }> {
  const problems: LifelineError[] = [];
  const available = new Map<string, AdapterDefinition>();
  for (const [i, spec] of plugins.entries()) {
    let def: AdapterDefinition;
    try { def = await importPlugin(spec, baseDir); }
    catch (e) {
      if (!(e instanceof LifelineError)) throw e;
      problems.push(new LifelineError(e.code, e.message, { cause: e.cause, details: { path: `/plugins/${i}` }, stage: 'config' }));
      continue;
    }
    if (available.has(def.manifest.id) || def.manifest.id in builtinAdapters) {
      problems.push(new LifelineError('ADAPTER_INVALID', `plugin "${spec}" uses adapter id "${def.manifest.id}", which is already taken`, { details: { path: `/plugins/${i}` } }));
      continue;
    }
    available.set(def.manifest.id, def);
  }
  const defs = new Map<string, AdapterDefinition>();
  const known = [...Object.keys(builtinAdapters), ...available.keys()];
  for (const id of ids) {
    let def = available.get(id);
    if (!def && builtinAdapters[id]) def = assertAdapter(await builtinAdapters[id](), `built-in ${id}`);
    if (!def) {
      const near = closest(id, known);
      problems.push(new LifelineError('ADAPTER_NOT_FOUND', `adapters.${id}: no built-in adapter or plugin has id "${id}"${near ? ` (did you mean "${near}"?)` : ''} (built-ins: ${Object.keys(builtinAdapters).join(', ') || 'none yet'})`, { details: { path: `/adapters/${id}` } }));
      continue;
    }
    defs.set(id, def);
  }
  return { defs, problems };
}

/** Validate (and default) each adapter's config block against its own schema; paths point into the config file. */
export function validateAdapterConfigs(defs: Map<string, AdapterDefinition>, blocks: Record<string, unknown>): FieldError[] {
  const ajv = createAjv({ useDefaults: true });
  const errors: FieldError[] = [];
  for (const [id, def] of defs) {
    const validate = ajv.compile({ ...def.manifest.configSchema, $id: undefined });
    if (!validate(blocks[id])) errors.push(...fieldErrors(validate.errors, `/adapters/${id}`));
  }
  return errors;
}

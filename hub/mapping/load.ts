// loadProfile: a shipped profile by name (hub/mapping/profiles/<name>.yaml) or a YAML/JSON file by path.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { LifelineError } from '../sdk/errors.ts';
import { compileProfile } from './compile.ts';
import type { CompiledProfile, CompileOptions } from './types.ts';
import { compileTable, type CompiledTable, type TableOptions } from './table.ts';
import { validator, fieldErrors } from '../schemas.ts';
import type { Table } from '../../schemas/generated/types.ts';

/** Where the shipped profiles live. */
export const profilesDir = fileURLToPath(new URL('./profiles/', import.meta.url));

/** Names of the shipped profiles. */
export function shippedProfiles(): string[] {
  return readdirSync(profilesDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

const looksLikePath = (s: string) => /[/\\]/.test(s) || /\.(ya?ml|json)$/i.test(s);

/** The file a profile name or path refers to. */
export function resolveProfilePath(nameOrPath: string, baseDir = process.cwd()): string {
  if (!looksLikePath(nameOrPath)) {
    const p = resolve(profilesDir, `${nameOrPath}.yaml`);
    if (existsSync(p)) return p;
    throw new LifelineError('MAPPING_PROFILE_NOT_FOUND', `no shipped mapping profile "${nameOrPath}" (shipped: ${shippedProfiles().join(', ')}); give a file path for your own`, { details: { profile: nameOrPath } });
  }
  const p = isAbsolute(nameOrPath) ? nameOrPath : resolve(baseDir, nameOrPath);
  if (!existsSync(p)) throw new LifelineError('MAPPING_PROFILE_NOT_FOUND', `mapping profile file ${p} does not exist`, { details: { profile: nameOrPath } });
  return p;
}

/** Read a profile file (YAML or JSON) without compiling it. */
export function readProfile(file: string): unknown {
  try { return parse(readFileSync(file, 'utf8')); } catch (e) {
    throw new LifelineError('MAPPING_INVALID', `${file}: not valid YAML/JSON: ${(e as Error).message}`, { cause: e, details: { path: '/' } });
  }
}

/** A shipped profile by name, or a YAML/JSON profile file (relative to baseDir, default cwd). */
export function loadProfile(nameOrPath: string, baseDir?: string, opts: CompileOptions = {}): CompiledProfile {
  const file = resolveProfilePath(nameOrPath, baseDir);
  const doc = readProfile(file);
  const name = opts.name ?? ((doc as { name?: string } | null)?.name ?? basename(file, extname(file)));
  try { return compileProfile(doc, { ...opts, name }); } catch (e) {
    if (e instanceof LifelineError && e.code === 'MAPPING_INVALID' && !e.message.includes(file)) {
      throw new LifelineError('MAPPING_INVALID', `${file}: ${e.message}`, { details: e.details, cause: e });
    }
    throw e;
  }
}

/** Whether a profile (file or shipped name) reads tables (CSV/XLSX) rather than JSON payloads. */
export function isTableProfile(nameOrPath: string, baseDir?: string): boolean {
  const doc = readProfile(resolveProfilePath(nameOrPath, baseDir)) as { table?: unknown } | null;
  return !!doc && typeof doc === 'object' && doc.table !== undefined;
}

/** A table profile (shipped name or file) validated and compiled; MAPPING_INVALID when it is not one. */
export function loadTableProfile(nameOrPath: string, baseDir?: string, opts: TableOptions = {}): CompiledTable {
  const file = resolveProfilePath(nameOrPath, baseDir);
  const doc = readProfile(file) as { name?: string; table?: Table; unit_map?: Record<string, string> } | null;
  const validate = validator('lifeline:mapping-profile');
  if (!validate(doc)) {
    const errs = fieldErrors(validate.errors);
    throw new LifelineError('MAPPING_INVALID', `${file}: ${errs.map((e) => `${e.path} ${e.message}`).join('; ')}`, { details: { path: errs[0]!.path, errors: errs } });
  }
  if (!doc?.table) throw new LifelineError('MAPPING_INVALID', `${file}: profile "${nameOrPath}" maps JSON payloads, not files: a file upload needs a profile with a /table block (see docs/uploads.md)`, { details: { path: '/table' } });
  return compileTable({ ...doc, table: doc.table, name: doc.name ?? basename(file, extname(file)) }, opts);
}

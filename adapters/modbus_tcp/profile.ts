// Device profiles: register maps as data (YAML), shared by every device of the same model.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import AjvModule from 'ajv';
import { LifelineError } from '../../hub/sdk/index.ts';
import { configSchema } from './manifest.ts';
import { isBitFunction, type PointSpec } from './codec/types.ts';

export const builtinProfilesDir = fileURLToPath(new URL('./profiles/', import.meta.url));

/** A point as written in a profile or config (the simulator's `sim` block and `ingest` included). */
export interface ProfilePoint extends PointSpec {
  ingest?: boolean;
  sim?: { base?: number | string; swing?: number; period_s?: number; step?: number };
}

export interface Profile {
  id: string;
  title?: string;
  vendor?: string;
  model?: string;
  domain?: string;
  description?: string;
  points: ProfilePoint[];
}

const configPoint = (configSchema.properties as Record<string, any>).devices.items.properties.points.items as Record<string, any>;
/** A point's `function` and `order` when neither it nor its profile's `defaults` gives one: the config schema's defaults. */
const pointDefaults = { function: configPoint.properties.function.default as ProfilePoint['function'], order: configPoint.properties.order.default as NonNullable<ProfilePoint['order']> };
// In a profile, `function` and `order` default to the profile's `defaults`, so ajv must not fill them in first.
const pointSchema = JSON.parse(JSON.stringify(configPoint)) as Record<string, any>;
delete pointSchema.properties.function.default;
delete pointSchema.properties.order.default;
const profileSchema = {
  type: 'object',
  required: ['id', 'points'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9_-]+$' },
    title: { type: 'string' }, vendor: { type: 'string' }, model: { type: 'string' }, domain: { type: 'string' }, description: { type: 'string' },
    defaults: { type: 'object', additionalProperties: false, properties: { function: pointSchema.properties.function, order: pointSchema.properties.order } },
    points: { type: 'array', minItems: 1, items: { ...pointSchema, required: ['name', 'address', 'type'] } },
  },
};
const Ajv = (AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule;
const ajv = new (Ajv as unknown as new (o: object) => import('ajv').default)({ allErrors: true, strict: false, useDefaults: true });
const validateProfile = ajv.compile(profileSchema);

const bad = (message: string, details: Record<string, unknown> = {}) =>
  new LifelineError('MODBUS_PROFILE_INVALID', message, { details, retryable: false, stage: 'config', httpStatus: 400 });

/** Check a resolved register map: names unique, types fit their table, strings have a length. */
export function checkPoints(points: ProfilePoint[], where: string): ProfilePoint[] {
  const seen = new Set<string>();
  for (const [i, p] of points.entries()) {
    const at = `${where}/points/${i} (${p.name})`;
    if (seen.has(p.name)) throw bad(`${at}: point name used twice`);
    seen.add(p.name);
    const bits = isBitFunction(p.function);
    if (bits && p.type !== 'bool') throw bad(`${at}: ${p.function} hold single bits: use type bool`);
    if (!bits && p.type === 'bool') throw bad(`${at}: type bool is for coils and discrete_inputs; use bit (with \`bit\`) for one bit of a register`);
    if (p.type === 'bit' && p.bit === undefined) throw bad(`${at}: type bit needs \`bit\` (0-15)`);
    if (p.type === 'string' && !p.length) throw bad(`${at}: type string needs \`length\` (registers)`);
    if (p.writable && (p.function === 'input_registers' || p.function === 'discrete_inputs')) throw bad(`${at}: ${p.function} are read-only`);
    if (p.scale === 0) throw bad(`${at}: scale must not be 0`);
  }
  return points;
}

function normalise(raw: any, where: string): Profile {
  if (!validateProfile(raw)) {
    const e = validateProfile.errors![0]!;
    throw bad(`${where}${e.instancePath}: ${e.message}`, { path: e.instancePath });
  }
  const defaults: Partial<ProfilePoint> = raw.defaults ?? {};
  const points = (raw.points as ProfilePoint[]).map((p) => ({ ...p, function: (p as any).function ?? defaults.function ?? pointDefaults.function, order: p.order ?? defaults.order ?? pointDefaults.order }));
  const { defaults: _d, ...rest } = raw;
  return { ...rest, points: checkPoints(points, where) } as Profile;
}

const cache = new Map<string, Profile>();

/** Load a profile by name: `<dir>/<name>.yaml` in `extraDir` first, then the built-in folder. */
export function loadProfile(name: string, extraDir?: string): Profile {
  const key = `${extraDir ?? ''}\0${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dirs = [...(extraDir ? [resolve(extraDir)] : []), builtinProfilesDir];
  const file = dirs.map((d) => join(d, `${name}.yaml`)).find((f) => existsSync(f));
  if (!file) throw bad(`no device profile "${name}" (looked in ${dirs.join(', ')})`, { profile: name });
  let raw: unknown;
  try { raw = parse(readFileSync(file, 'utf8')); } catch (e) { throw bad(`${file}: not valid YAML: ${(e as Error).message}`); }
  const p = normalise(raw, file);
  if (p.id !== name) throw bad(`${file}: id "${p.id}" does not match the file name`);
  cache.set(key, p);
  return p;
}

/** Every built-in profile name. */
export function builtinProfileNames(): string[] {
  return readdirSync(builtinProfilesDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

/** A device's register map: its profile's points, then its own (same name replaces). */
export function resolvePoints(dev: { profile?: string; points?: ProfilePoint[] }, where: string, extraDir?: string): ProfilePoint[] {
  const base = dev.profile ? loadProfile(dev.profile, extraDir).points : [];
  // From the hub config, ajv has filled these in; the fallback serves callers that pass points of their own.
  const own = (dev.points ?? []).map((p) => ({ ...p, function: p.function ?? pointDefaults.function, order: p.order ?? pointDefaults.order }));
  if (!base.length && !own.length) throw bad(`${where}: give a profile or points`);
  const byName = new Map(base.map((p) => [p.name, p] as const));
  for (const p of own) byName.set(p.name, p);
  return checkPoints([...byName.values()], where);
}

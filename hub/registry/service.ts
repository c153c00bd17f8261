// Registry changes: validated as a whole (schema + cross references), written to the store, then the
// in-memory registry is rebuilt. Config-file registries are applied the same way on start.
import type { Site, Device, Point, Indicator } from '../../schemas/generated/types.ts';
import type { SqlDriver, Queryable } from '../store/driver.ts';
import { LifelineError } from '../sdk/errors.ts';
import { findUnstorableText } from '../sdk/text.ts';
import { validator, fieldErrors } from '../schemas.ts';
import { checkRegistry, type RegistryDocs } from './check.ts';
import { Registry } from './registry.ts';

const CHANNEL = 'lifeline_registry';

export type EntityKind = 'sites' | 'devices' | 'points';
const schemaOf: Record<EntityKind, string> = { sites: 'lifeline:site', devices: 'lifeline:device', points: 'lifeline:point' };

// One statement per kind whatever the count: a city registry has thousands of points.
async function upsertSites(tx: Queryable, sites: Site[]) {
  if (!sites.length) return;
  await tx.query(`INSERT INTO site (code, doc) SELECT e->>'code', e FROM jsonb_array_elements($1::jsonb) AS e
    ON CONFLICT (code) DO UPDATE SET doc = excluded.doc, updated_at = now()`, [JSON.stringify(sites)]);
}
async function upsertDevices(tx: Queryable, devices: Device[]) {
  if (!devices.length) return;
  await tx.query(`INSERT INTO device (code, site_id, doc)
    SELECT e->>'code', s.id, e FROM jsonb_array_elements($1::jsonb) AS e JOIN site s ON s.code = e->>'site'
    ON CONFLICT (code) DO UPDATE SET site_id = excluded.site_id, doc = excluded.doc, updated_at = now()`, [JSON.stringify(devices)]);
}
async function upsertPoints(tx: Queryable, points: Point[]) {
  if (!points.length) return;
  await tx.query(`INSERT INTO point (code, device_id, indicator, doc)
    SELECT e->>'code', d.id, e->>'indicator', e FROM jsonb_array_elements($1::jsonb) AS e JOIN device d ON d.code = e->>'device'
    ON CONFLICT (code) DO UPDATE SET device_id = excluded.device_id, indicator = excluded.indicator, doc = excluded.doc, updated_at = now()`,
  [JSON.stringify(points)]);
}

/**
 * Registry text is refused, not sanitised, when it holds NUL or a lone UTF-16 surrogate: it is curated by a person who
 * can fix it, and a name silently changed to U+FFFD would be shown to every reader. (Readings are sanitised instead:
 * their sender is a device that cannot be asked.)
 */
function refuseUnstorableText(doc: unknown, at = ''): void {
  const bad = findUnstorableText(doc);
  if (bad === undefined) return;
  const path = at + bad;
  throw new LifelineError('REGISTRY_INVALID', `${path} holds a NUL character or a lone UTF-16 surrogate, which the store cannot keep; send well-formed text`, { details: { path } });
}

export class RegistryService {
  registry!: Registry;
  private listeners: Array<(r: Registry) => void> = [];

  constructor(private readonly db: SqlDriver, private readonly catalogue: Map<string, Indicator>) {}

  async reload(): Promise<Registry> {
    this.registry = await Registry.load(this.db, this.catalogue);
    for (const l of this.listeners) l(this.registry);
    return this.registry;
  }

  /** Follow edits made by other hub instances on the same PostgreSQL (no-op on PGlite). */
  async follow(onError: (e: unknown) => void): Promise<void> {
    await this.db.listen?.(CHANNEL, () => {
      if (!this.closed) this.reload().catch((e) => { if (!this.closed) onError(e); });
    });
  }

  /** Stop following (before the store closes: a late notice must not reload from a closed pool). */
  close(): void { this.closed = true; }
  private closed = false;

  /** After a local change: reload here, tell the other instances. */
  private async changed(): Promise<void> {
    await this.reload();
    if (this.db.kind === 'postgres') await this.db.query(`NOTIFY ${CHANNEL}`);
  }

  onChange(fn: (r: Registry) => void) { this.listeners.push(fn); }

  /** Upsert a whole registry (the config file's) after checking it together with what the store has. */
  async apply(docs: RegistryDocs): Promise<void> {
    for (const kind of ['sites', 'devices', 'points'] as const) docs[kind].forEach((d, i) => refuseUnstorableText(d, `/${kind}/${i}`));
    const merged = mergeDocs(this.registry?.docs() ?? { sites: [], devices: [], points: [] }, docs);
    const errors = checkRegistry(merged, this.catalogue);
    if (errors.length) throw new LifelineError('REGISTRY_INVALID', `registry: ${errors[0]!.path} ${errors[0]!.message}`, { details: { errors } });
    await this.db.transaction(async (tx) => {
      await upsertSites(tx, docs.sites); await upsertDevices(tx, docs.devices); await upsertPoints(tx, docs.points);
    });
    await this.changed();
  }

  /** Create or replace one entity (admin API). */
  async put(kind: EntityKind, code: string, body: unknown): Promise<unknown> {
    const validate = validator(schemaOf[kind]);
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) {
      throw new LifelineError('REGISTRY_INVALID', `the body must be a JSON object describing the ${kind}`, { details: { path: '/' } });
    }
    const doc = { ...(body as object), code } as Site & Device & Point;
    refuseUnstorableText(doc);
    if (!validate(doc)) {
      const e = fieldErrors(validate.errors)[0]!;
      throw new LifelineError('REGISTRY_INVALID', `${e.path} ${e.message}`, { details: { path: e.path, errors: fieldErrors(validate.errors) } });
    }
    const current = this.registry.docs();
    const list = current[kind] as Array<{ code: string }>;
    const next = { ...current, [kind]: list.some((x) => x.code === code) ? list.map((x) => (x.code === code ? doc : x)) : [...list, doc] } as RegistryDocs;
    // Only problems this change introduces count (the stored registry was consistent before it).
    const before = new Set(checkRegistry(current, this.catalogue, '').map((e) => e.message));
    const introduced = checkRegistry(next, this.catalogue, '').filter((e) => !before.has(e.message));
    const index = (next[kind] as Array<{ code: string }>).findIndex((x) => x.code === code);
    const own = (e: { path: string }) => e.path.startsWith(`/${kind}/${index}/`);
    const invalid = introduced.find((e) => e.kind === 'invalid' && own(e));
    if (invalid) throw new LifelineError('REGISTRY_INVALID', invalid.message, { details: { path: invalid.path.replace(/^\/\w+\/\d+/, ''), errors: introduced } });
    const conflict = introduced.find((e) => e.kind === 'conflict') ?? introduced[0];
    if (conflict) throw new LifelineError('REGISTRY_CONFLICT', conflict.message, { details: { errors: introduced } });
    await this.db.transaction(async (tx) => {
      if (kind === 'sites') await upsertSites(tx, [doc]);
      else if (kind === 'devices') await upsertDevices(tx, [doc]);
      else await upsertPoints(tx, [doc]);
    });
    await this.changed();
    return doc;
  }

  /** Delete one entity; refused while anything refers to it (devices, points, stored observations). */
  async remove(kind: EntityKind, code: string): Promise<void> {
    const r = this.registry;
    const entry = kind === 'sites' ? r.sites.get(code) : kind === 'devices' ? r.devices.get(code) : r.points.get(code);
    if (!entry) throw new LifelineError('REGISTRY_NOT_FOUND', `no ${kind.slice(0, -1)} "${code}"`);
    const refs =
      kind === 'sites' ? [...r.devices.values()].filter((d) => d.site.code === code).map((d) => `device ${d.code}`)
      : kind === 'devices' ? [...r.points.values()].filter((p) => p.device.code === code).map((p) => `point ${p.code}`)
      : [];
    if (refs.length) throw new LifelineError('REGISTRY_CONFLICT', `${kind.slice(0, -1)} "${code}" is still used by ${refs.slice(0, 5).join(', ')}${refs.length > 5 ? ' …' : ''}`);
    if (kind === 'points') {
      const used = await this.db.query('SELECT 1 FROM observation WHERE point_id = $1 LIMIT 1', [entry.id]);
      if (used.rows.length) throw new LifelineError('REGISTRY_CONFLICT', `point "${code}" has stored observations; it cannot be deleted (reassign or keep it)`);
    }
    const table = kind === 'sites' ? 'site' : kind === 'devices' ? 'device' : 'point';
    await this.db.transaction(async (tx) => {
      // A point whose history was dropped (retention) can still have latest rows: they go with it.
      if (kind === 'points') await tx.query('DELETE FROM observation_latest WHERE point_id = $1', [entry.id]);
      await tx.query(`DELETE FROM ${table} WHERE id = $1`, [entry.id]);
    });
    await this.changed();
  }
}

function mergeDocs(base: RegistryDocs, over: RegistryDocs): RegistryDocs {
  const merge = <T extends { code: string }>(a: T[], b: T[]) => {
    const m = new Map(a.map((x) => [x.code, x]));
    for (const x of b) m.set(x.code, x);
    return [...m.values()];
  };
  // Config entries first so that check paths point into the config file.
  const first = <T extends { code: string }>(a: T[], b: T[]) => [...b, ...merge(a, b).filter((x) => !b.some((y) => y.code === x.code))];
  return { sites: first(base.sites, over.sites), devices: first(base.devices, over.devices), points: first(base.points, over.points) };
}

// Rule overrides added through the admin API (/v1/alarm-rules), kept in the store (alarm_rule_override, migration
// 012): each is an override as in the config ({ site | device | point, indicator?, rule }) and applies after the
// config's at its scope. Checked before it is stored: it names exactly one scope, the scope exists, and its rule
// compiles for every point it reaches.
import type { Queryable } from '../store/driver.ts';
import type { Registry } from '../registry/registry.ts';
import { LifelineError } from '../sdk/errors.ts';
import { checkOverrides, compileRule, targetOf, type AlarmOverride } from './rules.ts';

export interface StoredRule { id: string; override: AlarmOverride; updated_by: string | null; updated_at: string }

export async function loadStoredRules(db: Queryable): Promise<StoredRule[]> {
  return (await db.query<{ id: string; doc: AlarmOverride; updated_by: string | null; updated_at: string }>(
    'SELECT id::text AS id, doc, updated_by, updated_at::text AS updated_at FROM alarm_rule_override ORDER BY alarm_rule_override.id')).rows
    .map((r) => ({ id: r.id, override: r.doc, updated_by: r.updated_by, updated_at: r.updated_at }));
}

/** The points an override reaches. */
export function pointsOf(o: AlarmOverride, reg: Registry) {
  return [...reg.pointById.values()].filter((p) => (!o.indicator || o.indicator === p.indicator.code)
    && ((o.site !== undefined && p.device.site.code === o.site) || (o.device !== undefined && p.device.code === o.device) || (o.point !== undefined && p.code === o.point)));
}

const bodyInvalid = (path: string, message: string) => new LifelineError('BODY_INVALID', `${path}: ${message}`, { details: { path } });

/** BODY_INVALID unless the override names one existing scope and its rule compiles for each point it reaches. */
export function checkStoredRule(o: AlarmOverride, reg: Registry): void {
  try { checkOverrides([o], '/body'); } catch (e) { throw bodyInvalid('/body', 'name exactly one of site, device, point'); }
  if (o.site !== undefined && !reg.sites.has(o.site)) throw bodyInvalid('/body/site', `no site "${o.site}"`);
  if (o.device !== undefined && !reg.devices.has(o.device)) throw bodyInvalid('/body/device', `no device "${o.device}"`);
  if (o.point !== undefined && !reg.points.has(o.point)) throw bodyInvalid('/body/point', `no point "${o.point}"`);
  if (o.indicator !== undefined && !reg.catalogue.has(o.indicator)) throw bodyInvalid('/body/indicator', `no indicator "${o.indicator}"`);
  if (o.rule.id === 'device_offline') throw bodyInvalid('/body/rule/id', '"device_offline" is the device-offline alarm\'s own id');
  for (const p of pointsOf(o, reg)) {
    try { compileRule(o.rule, targetOf(p), '/body/rule'); } catch (e) {
      throw bodyInvalid('/body/rule', `does not fit point ${p.code}: ${(e as Error).message}`);
    }
  }
}

export async function insertStoredRule(db: Queryable, o: AlarmOverride, by: string): Promise<string> {
  return (await db.query<{ id: string }>('INSERT INTO alarm_rule_override (doc, updated_by) VALUES ($1::jsonb, $2) RETURNING id::text AS id', [JSON.stringify(o), by])).rows[0]!.id;
}

export async function replaceStoredRule(db: Queryable, id: string, o: AlarmOverride, by: string): Promise<boolean> {
  return (await db.query('UPDATE alarm_rule_override SET doc = $2::jsonb, updated_by = $3, updated_at = now() WHERE id = $1::bigint RETURNING id', [id, JSON.stringify(o), by])).rows.length > 0;
}

export async function deleteStoredRule(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM alarm_rule_override WHERE id = $1::bigint RETURNING id', [id])).rows.length > 0;
}

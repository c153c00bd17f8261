// What part of the city a key may see. Every read route narrows its rows by the key's scope through here, so one
// rule decides for all of them (the /v1 routes, SensorThings, reports, alarms).

/**
 * A key's data scope. Each listed dimension narrows what the key sees; dimensions combine with AND, values within one
 * dimension with OR. An absent scope (or an empty object) sees everything.
 */
export interface DataScope {
  /** Site `enterprise` values. */
  enterprises?: string[];
  /** 行政区划代码 (GB/T 2260) prefixes: `320000` (a province) covers `320100` and `320102`. */
  regions?: string[];
  /** Site domains (gas, water, drainage, heating, bridge). */
  domains?: string[];
  /** Site codes. */
  sites?: string[];
}

/** True when the scope limits nothing. */
export const isUnscoped = (s: DataScope | undefined): boolean =>
  !s || !(s.enterprises?.length || s.regions?.length || s.domains?.length || s.sites?.length);

/** The significant prefix of an administrative code: `320000` → `32`, `320100` → `3201`, `320102` → `320102`. */
export function regionPrefix(code: string): string {
  let c = code.trim();
  while (c.length > 2 && c.endsWith('00')) c = c.slice(0, -2);
  return c;
}

/**
 * A SQL predicate over the `site` table row aliased `alias` that holds when the site is inside the scope, or `TRUE`
 * when the scope limits nothing. Values are bound as parameters appended to `params` ($n numbering continues).
 */
export function siteInScopeSql(scope: DataScope | undefined, alias: string, params: unknown[]): string {
  if (isUnscoped(scope)) return 'TRUE';
  const s = scope!;
  const parts: string[] = [];
  const bind = (v: unknown) => { params.push(v); return `$${params.length}`; };
  if (s.sites?.length) parts.push(`${alias}.code = ANY(${bind(s.sites)}::text[])`);
  if (s.enterprises?.length) parts.push(`(${alias}.doc->>'enterprise') = ANY(${bind(s.enterprises)}::text[])`);
  if (s.domains?.length) parts.push(`(${alias}.doc->>'domain') = ANY(${bind(s.domains)}::text[])`);
  if (s.regions?.length) {
    const prefixes = s.regions.map(regionPrefix).map((p) => `${p.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    parts.push(`(${alias}.doc->>'region') LIKE ANY(${bind(prefixes)}::text[])`);
  }
  return parts.join(' AND ');
}

/**
 * A SQL predicate on a `site_id` column (e.g. of observations, latest rows, rollups, alarms): the site is inside the
 * scope. `TRUE` when the scope limits nothing.
 */
export function siteIdInScopeSql(scope: DataScope | undefined, siteIdColumn: string, params: unknown[]): string {
  if (isUnscoped(scope)) return 'TRUE';
  return `${siteIdColumn} IN (SELECT scope_site.id FROM site scope_site WHERE ${siteInScopeSql(scope, 'scope_site', params)})`;
}

/** The site fields a scope looks at (a registry site document). */
export interface ScopedSite { code: string; enterprise?: string; region?: string; domain?: string }

/**
 * The same rule as siteInScopeSql, over a site document in memory (the registry): true when the site is inside the
 * scope. The /v1 routes narrow through the registry with this; SQL readers use siteInScopeSql. The tenancy matrix
 * test checks that both agree.
 */
export function siteInScope(scope: DataScope | undefined, site: ScopedSite): boolean {
  if (isUnscoped(scope)) return true;
  const s = scope!;
  if (s.sites?.length && !s.sites.includes(site.code)) return false;
  if (s.enterprises?.length && (site.enterprise === undefined || !s.enterprises.includes(site.enterprise))) return false;
  if (s.domains?.length && (site.domain === undefined || !s.domains.includes(site.domain))) return false;
  if (s.regions?.length && (site.region === undefined || !s.regions.some((r) => site.region!.startsWith(regionPrefix(r))))) return false;
  return true;
}

/**
 * A data scope needs the read scope alone: ingest and admin routes reach hub-wide state no scope can narrow.
 * Returns the problem, or undefined.
 */
export function scopedKeyProblem(k: { scopes: string[]; scope?: DataScope | null }): string | undefined {
  if (!k.scope || isUnscoped(k.scope)) return undefined;
  if (k.scopes.some((s) => s !== 'read')) return `a key limited by \`scope\` may hold only the read scope (it has ${k.scopes.join(', ')})`;
  return undefined;
}

// The data-scope rule every route declares (`config: { dataScope }`): what a key limited to part of the city
// (hub/access/scope.ts) gets from the route. One list, here; the tenancy matrix test reads the running app's routes
// and fails on a route without a rule, and the API refuses scoped keys on such a route (fail closed).

/**
 * How a route treats a key's data scope.
 *
 * - `site`: returns site-bound rows (observations, latest values, aggregates, registry entries, alarms, quarantine
 *   entries, SensorThings entities) and narrows them to the key's scope. Asking for a code outside the scope answers
 *   exactly as for a code that does not exist. Requests are recorded in the pull audit (hub/access/audit.ts): the
 *   route sets `req.pulled = { rows }` (and `bytes` for a streamed answer) so the audit can say what was returned.
 * - `none`: returns nothing tenant-specific (the indicator catalogue). Any key with the route's scope may call it.
 * - `unscoped`: returns hub-wide operational state that no scope can narrow (status, metrics, adapters, publish
 *   targets): keys limited to a scope are refused (403 AUTH_FORBIDDEN).
 * - `ingest`: writes data (ingest scope); a scoped key (read only) never reaches it.
 * - `admin`: admin keys only; they are never limited to a scope.
 * - `public`: no key at all, and nothing tenant-specific (/, /health, /ready).
 */
export type DataScopeRule = 'site' | 'none' | 'unscoped' | 'ingest' | 'admin' | 'public';

export const DATA_SCOPE_RULES: readonly DataScopeRule[] = ['site', 'none', 'unscoped', 'ingest', 'admin', 'public'];

/** Rules a key with a data scope may pass. */
export const SCOPED_KEY_RULES: ReadonlySet<string> = new Set<DataScopeRule>(['site', 'none', 'public']);

/** The route fields the check reads (hub/api/server.ts collects them for every route). */
export interface RuledRoute { method: string; url: string; scope?: string; dataScope?: string }

/**
 * What is wrong with the routes' rules: a route without one, an unknown one, or one that contradicts the route's
 * auth scope (`admin` for admin routes, `ingest` for ingest routes, `public` for public ones). Empty: all fine.
 */
export function checkRouteRules(routes: RuledRoute[]): string[] {
  const problems: string[] = [];
  for (const r of routes) {
    if (r.url.startsWith('/docs')) continue; // the API description: public, no data
    const at = `${r.method} ${r.url}`;
    if (!r.dataScope) { problems.push(`${at} declares no data-scope rule (config.dataScope: ${DATA_SCOPE_RULES.join(' | ')})`); continue; }
    if (!DATA_SCOPE_RULES.includes(r.dataScope as DataScopeRule)) { problems.push(`${at} declares an unknown data-scope rule "${r.dataScope}"`); continue; }
    for (const s of ['admin', 'ingest', 'public'] as const) {
      if ((r.scope === s) !== (r.dataScope === s)) problems.push(`${at}: auth scope "${r.scope}" with data-scope rule "${r.dataScope}" (${s} routes take rule ${s}, and only they)`);
    }
  }
  return problems;
}

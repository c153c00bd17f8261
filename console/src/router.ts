// Pages by the URL's hash (#devices, #point/WS-001-P1?range=24h, #quarantine): a link can be bookmarked or sent, the
// browser's back button works, and the hub serves one file whatever the page (no server-side routes).
import { signal } from './signal.ts';

export type PageName = 'overview' | 'devices' | 'point' | 'quarantine' | 'alarms' | 'delivery' | 'map' | 'registry';
export interface Route { page: PageName; arg: string; params: URLSearchParams }

const PAGES: PageName[] = ['overview', 'devices', 'point', 'quarantine', 'alarms', 'delivery', 'map', 'registry'];

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const slash = path.indexOf('/');
  const name = (slash < 0 ? path : path.slice(0, slash)) as PageName;
  let arg = '';
  try { arg = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1)); } catch { /* a malformed escape: no argument */ }
  return PAGES.includes(name) ? { page: name, arg, params } : { page: 'overview', arg: '', params };
}

export function hashOf(page: PageName, arg = '', params?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return `#${page}${arg ? `/${encodeURIComponent(arg)}` : ''}${qs ? `?${qs}` : ''}`;
}

export const route = signal<Route>(parseHash(location.hash));
addEventListener('hashchange', () => route.set(parseHash(location.hash)));

/** Go to a page (a new history entry), or replace the current entry (a page's own settings, e.g. the time range). */
export function go(hash: string, replace = false) {
  if (replace) { history.replaceState(null, '', hash); route.set(parseHash(hash)); } else location.hash = hash;
}

// The hub's state, section by section: `/ready` answers only its verdict (public, for orchestrators); `GET /v1/status`
// (read scope) shows every section, since adapter health names ports, peers, profiles and counters.
// A new concern is one more entry in SECTIONS.
import type { ApiDeps } from './context.ts';

export interface StatusSection {
  /** What /v1/status shows under this section's name. */
  detail: unknown;
  /** false makes the hub not ready (/ready answers 503). */
  ready: boolean;
}

const SECTIONS: Record<string, (deps: ApiDeps) => Promise<StatusSection>> = {
  async store(deps) {
    try { await deps.db.query('SELECT 1'); return { detail: 'ok', ready: true }; } catch { return { detail: 'down', ready: false }; }
  },
  // `degraded` still counts as ready: the hub serves, one device or source is out.
  async adapters(deps) {
    const adapters = await deps.adapterHealth();
    return { detail: adapters, ready: Object.values(adapters).every((a) => a.status !== 'down') };
  },
  // Upstream delivery: each target's health (degraded names the reason, the last error and since when). A failing
  // upstream never makes the hub not ready: it keeps taking data in, and the outbox keeps it.
  async publish(deps) {
    return { detail: Object.fromEntries((deps.publish?.health() ?? []).map(({ name, ...h }) => [name, h])), ready: true };
  },
  // Derived rollups: how far behind the committed data the roller is. Lag never makes the hub not ready: raw
  // observations are served regardless, and the roller catches up.
  async rollups(deps) {
    if (!deps.rollups) return { detail: 'off', ready: true };
    try { return { detail: await deps.rollups.status(), ready: true }; } catch { return { detail: 'unknown', ready: true }; }
  },
  // The alarm evaluator: how far behind the committed data it is (docs/alarms.md). Lag never makes the hub not ready.
  async alarms(deps) {
    if (!deps.alarms) return { detail: 'off', ready: true };
    try { return { detail: await deps.alarms.evaluator.status(), ready: true }; } catch { return { detail: 'unknown', ready: true }; }
  },
};

export interface HubStatus { status: 'ready' | 'not_ready'; [section: string]: unknown }

export async function hubStatus(deps: ApiDeps): Promise<HubStatus> {
  const names = Object.keys(SECTIONS);
  const results = await Promise.all(names.map((n) => SECTIONS[n]!(deps)));
  const out: HubStatus = { status: results.every((r) => r.ready) ? 'ready' : 'not_ready' };
  names.forEach((n, i) => { out[n] = results[i]!.detail; });
  return out;
}

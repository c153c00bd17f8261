// The registry names the alarm pages put beside an alarm's codes: sites (站名, 所属企业, 站址) from GET /v1/sites, and
// device names (报警设备) from GET /v1/devices?site= for the sites that have alarms only (a registry of 10,000
// devices is not fetched for a board of ten alarms). Kept a minute: a rename shows within one.
import { getJson } from './api.ts';
import type { SiteInfo } from './alarms-model.ts';

const KEEP_MS = 60_000;
let sites: { at: number; p: Promise<SiteInfo[]> } | null = null;
const devices = new Map<string, { at: number; p: Promise<Array<{ code: string; name?: string }>> }>();

export function sitesOnce(): Promise<SiteInfo[]> {
  if (!sites || Date.now() - sites.at > KEEP_MS) {
    const p = getJson<{ data: SiteInfo[] }>('/v1/sites').then((r) => r.data);
    p.catch(() => { sites = null; });
    sites = { at: Date.now(), p };
  }
  return sites.p;
}

/** Device code → name, for the devices of these sites. */
export async function deviceNames(siteCodes: string[]): Promise<Map<string, string>> {
  const lists = await Promise.all([...new Set(siteCodes)].map((code) => {
    let d = devices.get(code);
    if (!d || Date.now() - d.at > KEEP_MS) {
      const p = getJson<{ data: Array<{ code: string; name?: string }> }>(`/v1/devices?site=${encodeURIComponent(code)}`).then((r) => r.data);
      p.catch(() => devices.delete(code));
      devices.set(code, (d = { at: Date.now(), p }));
    }
    return d.p;
  }));
  return new Map(lists.flat().map((x) => [x.code, x.name ?? x.code]));
}

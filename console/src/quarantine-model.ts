// What the Quarantine page computes from GET /v1/quarantine: entries grouped by reason, then by what is missing (the
// point or device the record names), and what to register for a group. Pure functions, no DOM
// (test/console-metrics.test.ts checks them).

export interface QuarantineEntry {
  id: string; received_at: string; adapter: string; reason: string; message: string; field: string | null;
  record: Record<string, unknown>; replayed_at: string | null;
}

export interface Subject {
  /** Stable key within its reason: what the records name (`point WS-404-P9`, `hj212 88888880000009 / w01018`). */
  key: string;
  /** What to register to let the records in: a point, a device (and then a point), or nothing the console can. */
  fix: 'point' | 'device' | 'none';
  point?: string; device?: string; identity?: { protocol: string; key: string }; field?: string; unit?: string;
  entries: QuarantineEntry[];
  adapters: string[];
  firstMs: number; lastMs: number;
}

export interface ReasonGroup { reason: string; count: number; subjects: Subject[] }

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** What a record names, and so what is missing for it (by the reason the hub gave). */
export function subjectOf(e: QuarantineEntry): Omit<Subject, 'entries' | 'adapters' | 'firstMs' | 'lastMs'> {
  const r = e.record;
  const point = str(r.point), device = str(r.device), field = str(r.field), unit = str(r.unit);
  const id = r.identity && typeof r.identity === 'object' ? r.identity as Record<string, unknown> : undefined;
  const identity = id && str(id.protocol) && str(id.key) ? { protocol: id.protocol as string, key: id.key as string } : undefined;
  const who = device ?? (identity ? `${identity.protocol} ${identity.key}` : undefined);
  if (e.reason === 'UNKNOWN_POINT' && point) return { key: `point ${point}`, fix: 'point', point, unit };
  if (e.reason === 'UNKNOWN_POINT' && who && field) return { key: `${who} / ${field}`, fix: 'point', device, identity, field, unit };
  if (e.reason === 'UNKNOWN_DEVICE' && who) return { key: `${who}${field ? ` / ${field}` : ''}`, fix: 'device', device, identity, field, unit };
  // Anything else (a bad time, a missing value, a unit the hub cannot convert): grouped by the hub's message.
  return { key: e.message, fix: 'none', point, device, identity, field, unit };
}

/** Groups by reason (most entries first), each by subject (most entries first). */
export function groupQuarantine(entries: QuarantineEntry[]): ReasonGroup[] {
  const reasons = new Map<string, Map<string, Subject>>();
  for (const e of entries) {
    const s = subjectOf(e);
    let subjects = reasons.get(e.reason);
    if (!subjects) reasons.set(e.reason, (subjects = new Map()));
    const at = Date.parse(e.received_at);
    const g = subjects.get(s.key);
    if (!g) { subjects.set(s.key, { ...s, entries: [e], adapters: [e.adapter], firstMs: at, lastMs: at }); continue; }
    g.entries.push(e);
    if (!g.adapters.includes(e.adapter)) g.adapters.push(e.adapter);
    g.firstMs = Math.min(g.firstMs, at); g.lastMs = Math.max(g.lastMs, at);
  }
  const byCount = <T extends { count?: number; entries?: unknown[] }>(a: T, b: T) => (b.count ?? b.entries!.length) - (a.count ?? a.entries!.length);
  return [...reasons].map(([reason, subjects]) => ({ reason, count: [...subjects.values()].reduce((n, s) => n + s.entries.length, 0), subjects: [...subjects.values()].sort(byCount) }))
    .sort(byCount);
}

/** A point code for records that name a device and a field but no point: `<device>-<field>`, kept to the code's alphabet. */
export function suggestPointCode(device: string, field: string): string {
  return `${device}-${field}`.replace(/[^A-Za-z0-9._:-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128);
}

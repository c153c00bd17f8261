// What the Overview computes from the hub's public API: counters from GET /metrics (Prometheus text), turned into
// rates over a sliding window of polls. Pure functions, no DOM.

/** Samples of the named metrics: `name{a="x",b="y"} 12` → { name, labels: { a: 'x', b: 'y' }, value: 12 }. */
export function parsePrometheus(text: string, names: Set<string>): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || !names.has(m[1]!)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Counters at one poll: per adapter, records received / stored / quarantined; per target, readings delivered. */
export interface Counters {
  at: number;
  adapters: Record<string, { received: number; stored: number; quarantined: number }>;
  delivered: Record<string, number>;
}

export function countersFrom(text: string, at: number): Counters {
  const c: Counters = { at, adapters: {}, delivered: {} };
  for (const s of parsePrometheus(text, new Set(['lifeline_ingest_records_total', 'lifeline_publish_delivered_total']))) {
    if (s.name === 'lifeline_publish_delivered_total') {
      c.delivered[s.labels.target ?? '?'] = (c.delivered[s.labels.target ?? '?'] ?? 0) + s.value;
      continue;
    }
    const a = (c.adapters[s.labels.adapter ?? '?'] ??= { received: 0, stored: 0, quarantined: 0 });
    a.received += s.value; // accepted, duplicate, quarantined, rejected: everything that came in
    if (s.labels.outcome === 'accepted') a.stored += s.value;
    if (s.labels.outcome === 'quarantined') a.quarantined += s.value;
  }
  return c;
}

export interface AdapterRates { inPerS: number | null; storedPerS: number | null; quarantineRate: number | null; received: number; quarantined: number }

/**
 * Rates between the oldest and newest samples of the window (null until two polls exist). The quarantine rate is
 * quarantined ÷ received over the window; with nothing received in the window, the share over all time.
 */
export function ratesOf(window: Counters[]): { adapters: Record<string, AdapterRates>; delivered: Record<string, number | null>; seconds: number } {
  const last = window[window.length - 1]!, first = window[0]!;
  const dt = (last.at - first.at) / 1000;
  const adapters: Record<string, AdapterRates> = {};
  for (const [name, now] of Object.entries(last.adapters)) {
    const then = first.adapters[name] ?? { received: 0, stored: 0, quarantined: 0 };
    const dIn = now.received - then.received, dQ = now.quarantined - then.quarantined;
    adapters[name] = {
      inPerS: dt > 0 ? Math.max(0, dIn) / dt : null,
      storedPerS: dt > 0 ? Math.max(0, now.stored - then.stored) / dt : null,
      quarantineRate: dIn > 0 ? dQ / dIn : now.received > 0 ? now.quarantined / now.received : null,
      received: now.received, quarantined: now.quarantined,
    };
  }
  const delivered: Record<string, number | null> = {};
  for (const [name, n] of Object.entries(last.delivered)) delivered[name] = dt > 0 ? Math.max(0, n - (first.delivered[name] ?? 0)) / dt : null;
  return { adapters, delivered, seconds: dt };
}

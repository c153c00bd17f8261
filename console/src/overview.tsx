// Page 1, Overview: per-adapter readings/s in and stored, quarantine rate, delivery backlog and lag per target,
// alarms by level. Polls the public API (GET /metrics, /v1/status, /v1/publish/targets, /v1/alarms) every few
// seconds; no reload.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, getText } from './api.ts';
import { lang, t, statusWord } from './i18n.ts';
import { countersFrom, ratesOf, type Counters } from './metrics.ts';

export const POLL_MS = 2000;
const WINDOW_MS = 10_000;
const ALARM_LIMIT = 1000;

interface Target { name: string; type: string; state: string; backlog: number; lag_seconds: number; dead_letters: number; last_error: string | null }
interface Alarm { level: number; level_name: string; level_colour: string }
interface Snapshot {
  at: number;
  ready: boolean;
  health: Record<string, string>;
  rates: ReturnType<typeof ratesOf>;
  targets: Target[];
  alarms: { byLevel: Array<{ level: number; name: string; colour: string; count: number }>; total: number; more: boolean } | null;
}

async function poll(window: Counters[]): Promise<Snapshot> {
  const open = 'open,acknowledged,assessed,dispatched';
  const [metrics, status, targets, alarms] = await Promise.all([
    getText('/metrics'),
    getJson<{ status: string; adapters: Record<string, { status: string }> }>('/v1/status'),
    getJson<{ data: Target[] }>('/v1/publish/targets'),
    getJson<{ data: Alarm[]; next_cursor: string | null }>(`/v1/alarms?state=${open}&limit=${ALARM_LIMIT}`).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return null; // alarms.enabled: false
      throw e;
    }),
  ]);
  const now = Date.now();
  window.push(countersFrom(metrics, now));
  while (window.length > 2 && now - window[1]!.at >= WINDOW_MS) window.shift();
  let byLevel: Map<number, { level: number; name: string; colour: string; count: number }> | null = null;
  if (alarms) {
    byLevel = new Map();
    for (const a of alarms.data) {
      const l = byLevel.get(a.level) ?? { level: a.level, name: a.level_name, colour: a.level_colour, count: 0 };
      l.count++;
      byLevel.set(a.level, l);
    }
  }
  return {
    at: now,
    ready: status.status === 'ready',
    health: Object.fromEntries(Object.entries(status.adapters ?? {}).map(([n, h]) => [n, h.status])),
    rates: ratesOf(window),
    targets: targets.data,
    alarms: byLevel && alarms ? { byLevel: [...byLevel.values()].sort((a, b) => a.level - b.level), total: alarms.data.length, more: alarms.next_cursor !== null } : null,
  };
}

export const fmtRate = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const fmtPct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)}%`);
export const fmtInt = (v: number) => Math.round(v).toLocaleString('en-US');
export function fmtAge(s: number): string {
  if (s < 90) return t('seconds', s.toFixed(s < 10 ? 1 : 0));
  if (s < 5400) return t('minutes', (s / 60).toFixed(0));
  return t('hours', (s / 3600).toFixed(1));
}
// Level colours are names (red, orange, yellow, blue) or CSS colours: names get shades that read on white.
const SHADES: Record<string, string> = { red: '#d93025', orange: '#f08c00', yellow: '#e6b800', blue: '#1a73e8' };
export const colour = (c: string) => SHADES[c] ?? (/^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)$/.test(c) ? c : '#888');
export const tone = (s: string) => (['ok', 'running'].includes(s) ? 'good' : ['down', 'disabled'].includes(s) ? 'bad' : ['degraded', 'retrying', 'paused'].includes(s) ? 'warn' : 'muted');

function Card(p: { label: string; value: string; testid: string; tone?: string }) {
  return <div class={`card ${p.tone ?? ''}`} data-testid={p.testid}><div class="value">{p.value}</div><div class="label">{p.label}</div></div>;
}

export function Overview() {
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string>('');
  useEffect(() => {
    const window: Counters[] = [];
    let stopped = false, timer = 0;
    const tick = async () => {
      try {
        const s = await poll(window);
        if (stopped) return;
        setSnap(s);
        setError('');
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS) as unknown as number;
    };
    void tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, []);

  if (!snap) return <main class="page">{error ? <p class="banner bad" role="alert">{error}</p> : <p class="muted">…</p>}</main>;
  const adapters = Object.keys({ ...snap.health, ...snap.rates.adapters }).sort();
  let inAll = 0, qAll = 0, stAll = 0, anyRate = false;
  for (const r of Object.values(snap.rates.adapters)) if (r.inPerS !== null) { anyRate = true; inAll += r.inPerS; stAll += r.storedPerS ?? 0; qAll += (r.quarantineRate ?? 0) * r.inPerS; }
  const backlog = snap.targets.reduce((n, x) => n + x.backlog, 0);

  return (
    <main class="page">
      <div class="statusline">
        <span class={`dot ${snap.ready ? 'good' : 'bad'}`} />
        <span data-testid="hub-status">{snap.ready ? t('hubReady') : t('hubNotReady')}</span>
        <span class="muted" data-testid="updated">{t('updated', new Date(snap.at).toLocaleTimeString('zh-CN', { hour12: false }))}</span>
      </div>
      {error && <p class="banner warn" role="alert">{t('stale', Math.round((Date.now() - snap.at) / 1000))} {error}</p>}

      <section class="cards">
        <Card testid="card-in" label={t('inRate')} value={anyRate ? fmtRate(inAll) : '—'} />
        <Card testid="card-stored" label={t('storedRate')} value={anyRate ? fmtRate(stAll) : '—'} />
        <Card testid="card-quarantine" label={t('quarantineRate')} value={anyRate && inAll > 0 ? fmtPct(qAll / inAll) : '—'} tone={anyRate && inAll > 0 && qAll / inAll > 0.05 ? 'warn' : ''} />
        <Card testid="card-backlog" label={t('backlog')} value={snap.targets.length ? fmtInt(backlog) : '—'} />
        <Card testid="card-alarms" label={t('alarmsOpen')} value={snap.alarms ? `${fmtInt(snap.alarms.total)}${snap.alarms.more ? t('more') : ''}` : '—'} tone={snap.alarms?.total ? 'bad' : ''} />
      </section>

      <section>
        <h2>{t('adapters')}</h2>
        {adapters.length === 0 ? <p class="muted">{t('noAdapters')}</p> : (
          <table data-testid="adapters">
            <thead><tr><th>{t('adapter')}</th><th>{t('status')}</th><th class="num">{t('inRate')}</th><th class="num">{t('storedRate')}</th><th class="num">{t('quarantineRate')}</th><th class="num">{t('totalIn')}</th><th class="num">{t('totalQuarantined')}</th></tr></thead>
            <tbody>
              {adapters.map((name) => {
                const r = snap.rates.adapters[name];
                const h = snap.health[name];
                return (
                  <tr key={name} data-adapter={name}>
                    <td class="name">{name}{name === 'http' && <span class="muted"> {t('httpApi')}</span>}</td>
                    <td>{h ? <span class={`pill ${tone(h)}`}>{statusWord(h)}</span> : name === 'http' ? <span class={`pill ${snap.ready ? 'good' : 'bad'}`}>{statusWord(snap.ready ? 'ok' : 'down')}</span> : <span class="muted">—</span>}</td>
                    <td class="num" data-col="in">{fmtRate(r?.inPerS)}</td>
                    <td class="num" data-col="stored">{fmtRate(r?.storedPerS)}</td>
                    <td class={`num ${(r?.quarantineRate ?? 0) > 0.05 ? 'warn-text' : ''}`} data-col="quarantine">{fmtPct(r?.quarantineRate)}</td>
                    <td class="num" data-col="total">{r ? fmtInt(r.received) : '0'}</td>
                    <td class="num" data-col="quarantined">{r ? fmtInt(r.quarantined) : '0'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <p class="note">{t('rateNote', Math.max(1, Math.round(snap.rates.seconds || WINDOW_MS / 1000)))}</p>
      </section>

      <section>
        <h2>{t('delivery')}</h2>
        {snap.targets.length === 0 ? <p class="muted" data-testid="no-targets">{t('noTargets')}</p> : (
          <table data-testid="targets">
            <thead><tr><th>{t('target')}</th><th>{t('status')}</th><th class="num">{t('backlog')}</th><th class="num">{t('lag')}</th><th class="num">{t('deliveredRate')}</th><th class="num">{t('deadLetters')}</th></tr></thead>
            <tbody>
              {snap.targets.map((x) => (
                <tr key={x.name} data-target={x.name} title={x.last_error ?? ''}>
                  <td class="name">{x.name} <span class="muted">{x.type}</span></td>
                  <td><span class={`pill ${tone(x.state)}`}>{statusWord(x.state)}</span>{x.last_error && <span class="error-text" data-col="error"> {x.last_error.slice(0, 80)}</span>}</td>
                  <td class="num" data-col="backlog">{fmtInt(x.backlog)}</td>
                  <td class={`num ${x.lag_seconds > 300 ? 'warn-text' : ''}`} data-col="lag">{fmtAge(x.lag_seconds)}</td>
                  <td class="num" data-col="delivered">{fmtRate(snap.rates.delivered[x.name] ?? (snap.rates.seconds > 0 ? 0 : null))}</td>
                  <td class={`num ${x.dead_letters ? 'bad-text' : ''}`} data-col="dead">{fmtInt(x.dead_letters)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h2>{t('alarms')}</h2>
        {!snap.alarms ? <p class="muted">{t('alarmsOff')}</p> : (
          <div class="levels" data-testid="alarm-levels">
            {snap.alarms.byLevel.length === 0 && <span class="muted">{t('none')}</span>}
            {snap.alarms.byLevel.map((l) => (
              <div class="level" key={l.level} data-level={l.level} style={{ borderLeftColor: colour(l.colour) }}>
                <span class="lname">{lang.get() === 'zh' ? l.name || t('level', l.level) : `${t('level', l.level)}${l.name ? ` (${l.name})` : ''}`}</span>
                <span class="count">{fmtInt(l.count)}</span>
              </div>
            ))}
          </div>
        )}
      </section>
    </main>
  );
}

// Page 2, Devices: every registered device with its status by last-seen age (coloured), its points' latest values
// with units and flags, an "errors only" filter and a search box. A virtualised list, so 10,000 devices scroll
// smoothly. Reads GET /v1/sites, /v1/devices, /v1/points, /v1/indicators once (again every minute),
// GET /v1/observations/latest for the devices in view every 2 s and for all of them as often as its size allows.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getJson } from './api.ts';
import { indicators } from './catalogue.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { hashOf, route } from './router.ts';
import { VirtualList } from './virtual-list.tsx';
import { fmtAgo, flagWord, fmtTime, indicatorName, unitLabel } from './format.ts';
import {
  countByStatus, deviceRows, filterRows, fmtValue, indexRegistry, isProblemFlag, pointValues, DEFAULT_INTERVAL_S, LATE_INTERVALS, ONLINE_INTERVALS,
  type DeviceDoc, type DeviceRow, type IndexedDevice, type IndicatorDoc, type Observation, type PointDoc, type SiteDoc, type Status,
} from './devices-model.ts';

const ROW = 46;
/** The rows in view are refreshed this often; the whole registry's latest values at least this far apart. */
const VIEW_MS = 2000;
const MIN_POLL_MS = 3000;
const REGISTRY_MS = 60_000;
/** Devices whose values are fetched before the whole registry's on open: more than a screenful. */
const FIRST_ROWS = 60;

interface Registry { index: IndexedDevice[]; indicators: Map<string, IndicatorDoc>; at: number }

/**
 * The registry, and `onDevices` told the device codes as soon as /v1/devices answers (before the bigger /v1/points): the
 * page asks the first screenful's values then, so they arrive with the rest of the registry instead of after it.
 */
async function loadRegistry(onDevices?: (codes: string[]) => void): Promise<Registry> {
  const devicesP = getJson<{ data: DeviceDoc[] }>('/v1/devices');
  if (onDevices) void devicesP.then((d) => onDevices(firstCodes(d.data)), () => undefined);
  const [sites, devices, points, ind] = await Promise.all([getJson<{ data: SiteDoc[] }>('/v1/sites'), devicesP, getJson<{ data: PointDoc[] }>('/v1/points'), indicators()]);
  return { index: indexRegistry(sites.data, devices.data, points.data, ind), indicators: ind, at: Date.now() };
}

/** The codes of the first FIRST_ROWS devices in the list's order (device code, as indexRegistry sorts). */
function firstCodes(devices: DeviceDoc[]): string[] {
  return devices.map((d) => d.code).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, FIRST_ROWS);
}

const TONE: Record<Status, string> = { online: 'good', late: 'warn', offline: 'bad', never: 'muted', pending: 'muted' };

function useHeight(offset: number) {
  const [h, setH] = useState(() => Math.max(320, innerHeight - offset));
  useEffect(() => {
    const on = () => setH(Math.max(320, innerHeight - offset));
    addEventListener('resize', on);
    return () => removeEventListener('resize', on);
  }, [offset]);
  return h;
}

function Row(p: { r: DeviceRow; ind: Map<string, IndicatorDoc>; latest: Map<string, Observation>; now: number }) {
  const r = p.r;
  const values = pointValues(r, p.latest, p.ind);
  const age = r.lastSeenMs === null ? null : Math.max(0, (p.now - r.lastSeenMs) / 1000);
  return (
    <div class={`drow ${r.error ? 'has-error' : ''}`} data-device={r.code} data-status={r.status} data-testid="device-row">
      <span class="dstatus"><span class={`pill ${TONE[r.status]}`}>{t(`ds_${r.status}`)}</span></span>
      <span class="dname" title={r.code}><b>{r.code}</b> <span class="muted">{r.name}</span></span>
      <span class="dsite" title={r.site}>{r.siteName || r.site}</span>
      <span class="dseen" title={r.lastSeenMs === null ? '' : fmtTime(r.lastSeenMs)} data-col="seen">{age === null ? '—' : fmtAgo(age)}</span>
      <span class="dvalues">
        {r.points.length === 0 && <span class="muted">{t('noPoints')}</span>}
        {values.map((v) => (
          <a class={`chip ${v.problem ? 'bad' : ''}`} key={v.code} href={hashOf('point', v.code)} data-point={v.code}
            title={`${v.code} · ${v.indicator}${v.time ? ` · ${fmtTime(Date.parse(v.time))}` : ''}`}>
            <span class="cname">{indicatorName(p.ind.get(v.indicator), v.indicator)}</span>
            <b data-col="value">{fmtValue(v.value)}</b>
            {v.time !== null && <span class="unit">{unitLabel(v.unit)}</span>}
            {v.flags.map((f) => <span class={`flag ${isProblemFlag(f) ? 'bad' : ''}`} data-flag={f} key={f}>{flagWord(f)}</span>)}
          </a>
        ))}
      </span>
    </div>
  );
}

/** The latest values known so far, by point code; `known`: the devices asked about (all once a full fetch returned). */
interface Latest { byPoint: Map<string, Observation>; known: Set<string> | null; at: number }

export function Devices() {
  use(lang);
  const [reg, setReg] = useState<Registry | null>(null);
  const [latest, setLatest] = useState<Latest | null>(null);
  const [error, setError] = useState('');
  const [errorsOnly, setErrorsOnly] = useState(false);
  // ?q= fills the search: the one-map page opens a site's devices this way (#devices?q=WS-001).
  const [search, setSearch] = useState(() => route.get().params.get('q') ?? '');
  const height = useHeight(250);
  // The devices drawn now: their values are fetched first on open and refreshed every few seconds, so what the
  // operator looks at is live even when the full refresh of a big registry comes less often.
  const inView = useRef<string[]>([]);

  useEffect(() => {
    let stopped = false, fullTimer = 0, viewTimer = 0, regAt = 0, regNow: Registry | null = null;
    const merge = (rows: Observation[], devices: string[] | null) => setLatest((prev) => {
      const byPoint = devices === null ? new Map<string, Observation>() : new Map(prev?.byPoint);
      for (const o of rows) byPoint.set(o.point, o);
      const known = devices === null ? null : prev && prev.known === null ? null : new Set([...(prev?.known ?? []), ...devices]);
      return { byPoint, known, at: Date.now() };
    });
    const fail = (e: unknown) => { if (!stopped) setError(e instanceof Error ? e.message : String(e)); };
    const viewLatest = async (codes: string[]) => {
      if (!codes.length) return;
      const r = await getJson<{ data: Observation[] }>(`/v1/observations/latest?device=${codes.map(encodeURIComponent).join(',')}`);
      if (!stopped) merge(r.data, codes);
    };
    const full = async () => {
      const began = Date.now();
      try {
        // On open: the first screenful's values first (a small answer, asked as soon as the device codes are known),
        // then the whole registry's (a big one, which would hold the small one up if asked at the same time).
        let firstView: Promise<void> | undefined;
        const r = !regNow || began - regAt > REGISTRY_MS
          ? await loadRegistry(regNow ? undefined : (codes) => { firstView = viewLatest(codes).catch(fail); })
          : regNow;
        if (stopped) return;
        if (r !== regNow) { regNow = r; regAt = began; setReg(r); }
        await firstView;
        const all = await getJson<{ data: Observation[] }>('/v1/observations/latest');
        if (stopped) return;
        merge(all.data, null);
        setError('');
      } catch (e) { fail(e); }
      // A big registry makes a big answer: never spend more than about a tenth of the time fetching all of it.
      if (!stopped) fullTimer = setTimeout(full, Math.max(MIN_POLL_MS, 10 * (Date.now() - began))) as unknown as number;
    };
    const view = async () => {
      try { await viewLatest(inView.current); } catch (e) { fail(e); }
      if (!stopped) viewTimer = setTimeout(view, VIEW_MS) as unknown as number;
    };
    void full();
    viewTimer = setTimeout(view, VIEW_MS) as unknown as number;
    return () => { stopped = true; clearTimeout(fullTimer); clearTimeout(viewTimer); };
  }, []);

  const rows = useMemo(() => (reg && latest ? deviceRows(reg.index, latest.byPoint, latest.at, latest.known ?? undefined) : null), [reg, latest]);
  const complete = latest?.known === null;
  const shown = useMemo(() => (rows ? filterRows(rows, errorsOnly, search) : []), [rows, errorsOnly, search]);
  const counts = useMemo(() => (rows && complete ? countByStatus(rows) : null), [rows, complete]);
  const errors = useMemo(() => (rows ? rows.reduce((n, r) => n + (r.error ? 1 : 0), 0) : 0), [rows]);

  if (!rows || !reg || !latest) return <main class="page">{error ? <p class="banner bad" role="alert">{error}</p> : <p class="muted">…</p>}</main>;
  return (
    <main class="page wide" data-testid="devices-page" data-complete={complete ? 'true' : 'false'}>
      <div class="statusline">
        <h1 class="title">{t('devices')}</h1>
        <span class="muted" data-testid="updated">{t('updated', new Date(latest.at).toLocaleTimeString('zh-CN', { hour12: false }))}</span>
      </div>
      {error && <p class="banner warn" role="alert">{t('stale', Math.round((Date.now() - latest.at) / 1000))} {error}</p>}
      <div class="counts" data-testid="device-counts">
        <span class="count-total">{t('deviceTotal', rows.length.toLocaleString('en-US'))}</span>
        {(['online', 'late', 'offline', 'never'] as const).map((s) => (
          <span class={`pill ${TONE[s]}`} data-status={s} key={s}>{t(`ds_${s}`)} <b>{counts ? counts[s].toLocaleString('en-US') : '…'}</b></span>
        ))}
        {!complete && <span class="muted">{t('loadingLatest')}</span>}
      </div>
      <div class="toolbar">
        <label class="check"><input type="checkbox" data-testid="errors-only" checked={errorsOnly} onChange={(e) => setErrorsOnly((e.target as HTMLInputElement).checked)} /> {t('errorsOnly', complete ? errors.toLocaleString('en-US') : '…')}</label>
        <input type="search" class="search" data-testid="device-search" placeholder={t('searchDevices')} value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        <span class="muted" data-testid="shown">{t('shownOf', shown.length.toLocaleString('en-US'), rows.length.toLocaleString('en-US'))}</span>
      </div>
      <div class="dhead"><span class="dstatus">{t('status')}</span><span class="dname">{t('device')}</span><span class="dsite">{t('site')}</span><span class="dseen">{t('lastSeen')}</span><span class="dvalues">{t('latestValues')}</span></div>
      {shown.length === 0
        ? <p class="empty muted" data-testid="no-devices">{rows.length ? t('noMatch') : t('noDevices')}</p>
        : <VirtualList items={shown} rowHeight={ROW} height={height} testid="device-list" render={(r) => <Row key={r.code} r={r} ind={reg.indicators} latest={latest.byPoint} now={latest.at} />}
            onRange={(a, b) => { inView.current = shown.slice(a, b).map((r) => r.code); }} />}
      <p class="note">{t('statusRule', ONLINE_INTERVALS, LATE_INTERVALS, DEFAULT_INTERVAL_S / 60)}</p>
    </main>
  );
}

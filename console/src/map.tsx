// Page 7, One-map (一张图): every located site on a map of China's administrative boundaries, filled by its status
// (from its devices' last-seen, as on the Devices page) and ringed in the colour of its most severe open alarm
// (alarms.levels). Offline by construction: the boundaries are static files the hub serves beside the bundle
// (console/geo/, fetched on demand: provinces when the page opens, a province's cities once the view is zoomed in to
// it), drawn as SVG with a projection of our own; no tiles, nothing from outside. Click a site for its devices.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import './map.css';
import { ApiError, getJson } from './api.ts';
import { indicators } from './catalogue.ts';
import { t, lang } from './i18n.ts';
import { use } from './signal.ts';
import { hashOf } from './router.ts';
import { fmtAgo, fmtTime } from './format.ts';
import { deviceRows, indexRegistry, type DeviceDoc, type Observation, type PointDoc, type Status } from './devices-model.ts';
import {
  bboxOf, CHINA, fit, intersects, levelsPresent, marksBox, pathOf, siteMarks, spanDegrees, STATUS_COLOUR, toScreen, viewBox, zoomAt, project,
  type BoundaryFeature, type FeatureCollection, type OpenAlarm, type SiteLocDoc, type SiteMark, type View,
} from './map-model.ts';

const REFRESH_MS = 10_000;
/** Below this many degrees across the screen the cities of the provinces in view are drawn (and named). */
const CITY_SPAN = 8;
const OPEN = 'open,acknowledged,assessed,dispatched';
const STATUSES: Status[] = ['online', 'late', 'offline', 'never'];

interface Layer { features: Array<{ f: BoundaryFeature; d: string; box: [number, number, number, number] }> }
const layerOf = (fc: FeatureCollection): Layer => ({ features: fc.features.map((f) => ({ f, d: pathOf(f.geometry), box: bboxOf(f.geometry) })) });

/** A boundary file from the hub (public, beside the bundle: no key needed, same origin). */
async function geo(name: string): Promise<Layer> {
  const res = await fetch(name, { cache: 'force-cache' });
  if (!res.ok) throw new Error(t('mapNoBoundary', name, res.status));
  return layerOf(await res.json() as FeatureCollection);
}

interface Data { marks: SiteMark[]; unlocated: string[]; at: number }

async function load(): Promise<Data> {
  const [sites, devices, points, ind, latest, alarms] = await Promise.all([
    getJson<{ data: SiteLocDoc[] }>('/v1/sites'), getJson<{ data: DeviceDoc[] }>('/v1/devices'), getJson<{ data: PointDoc[] }>('/v1/points'), indicators(),
    getJson<{ data: Observation[] }>('/v1/observations/latest'),
    getJson<{ data: OpenAlarm[] }>(`/v1/alarms?state=${OPEN}&limit=1000`).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return { data: [] as OpenAlarm[] }; // alarms.enabled: false
      throw e;
    }),
  ]);
  const now = Date.now();
  const index = indexRegistry(sites.data, devices.data, points.data, ind);
  const rows = deviceRows(index, new Map(latest.data.map((o) => [o.point, o])), now);
  return { ...siteMarks(sites.data, rows, alarms.data), at: now };
}

function useSize(ref: { current: HTMLElement | null }) {
  const [size, setSize] = useState({ w: 900, h: 600 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const on = () => setSize({ w: el.clientWidth, h: el.clientHeight });
    on();
    const ro = new ResizeObserver(on);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return size;
}

export function OneMap() {
  use(lang);
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState('');
  const [provinces, setProvinces] = useState<Layer | null>(null);
  const [cities, setCities] = useState<Map<string, Layer>>(new Map());
  const [view, setView] = useState<View | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const size = useSize(box);
  const asked = useRef(new Set<string>());

  useEffect(() => {
    let stopped = false, timer = 0;
    const tick = async () => {
      const began = Date.now();
      try { const d = await load(); if (!stopped) { setData(d); setError(''); } } catch (e) { if (!stopped) setError(e instanceof Error ? e.message : String(e)); }
      // Every latest value each time: on a very large registry never spend more than a tenth of the time fetching.
      if (!stopped) timer = setTimeout(tick, Math.max(REFRESH_MS, 10 * (Date.now() - began))) as unknown as number;
    };
    void tick();
    geo('china-provinces.geojson').then((l) => { if (!stopped) setProvinces(l); }, (e: Error) => { if (!stopped) setError(e.message); });
    return () => { stopped = true; clearTimeout(timer); };
  }, []);

  const fitSites = () => setView(fit(marksBox(data?.marks ?? []) ?? CHINA, size.w, size.h));
  // The first view: the sites' extent (China when none is located), once the sites and the screen size are known.
  useEffect(() => { if (data && !view && size.w > 0) fitSites(); }, [data, size.w]);

  // Zoomed in: the cities of the provinces in view, each province's file fetched once.
  const zoomedIn = !!view && spanDegrees(view, size.w) < CITY_SPAN;
  useEffect(() => {
    if (!view || !provinces || !zoomedIn) return;
    const vb = viewBox(view, size.w, size.h);
    for (const { f, box: b } of provinces.features) {
      const code = f.properties.adcode;
      if (!intersects(vb, b) || asked.current.has(code)) continue;
      asked.current.add(code);
      geo(`china-cities-${code}.geojson`).then((l) => setCities((m) => new Map(m).set(code, l)), () => { /* no city file (e.g. a special region): provinces only */ });
    }
  }, [view, provinces, zoomedIn, size.w, size.h]);

  // Wheel zoom about the cursor (non-passive: the page must not scroll meanwhile), and drag to pan.
  useEffect(() => {
    const el = svg.current;
    if (!el) return undefined;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      setView((v) => v && zoomAt(v, e.deltaY < 0 ? 1.25 : 0.8, { x: e.clientX - r.left, y: e.clientY - r.top }));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [svg.current]);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const onDown = (e: PointerEvent) => { drag.current = { x: e.clientX, y: e.clientY, moved: false }; };
  const onMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d || !(e.buttons & 1)) return;
    const dx = e.clientX - d.x, dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    d.moved = true; d.x = e.clientX; d.y = e.clientY;
    setView((v) => v && { ...v, x0: v.x0 - dx / v.k, y0: v.y0 - dy / v.k });
  };
  const onUp = () => { setTimeout(() => { drag.current = null; }, 0); };
  const clickSite = (code: string) => { if (!drag.current?.moved) setSelected(code); };
  const zoomBy = (f: number) => setView((v) => v && zoomAt(v, f, { x: size.w / 2, y: size.h / 2 }));

  const shown = useMemo(() => {
    if (!view || !data) return [];
    return data.marks.map((m) => ({ m, ...toScreen(view, project(m.lon, m.lat)) })).filter((p) => p.x > -20 && p.y > -20 && p.x < size.w + 20 && p.y < size.h + 20);
  }, [view, data, size.w, size.h]);
  const labels = useMemo(() => {
    if (!view) return [];
    const layers = zoomedIn ? [...cities.values()] : provinces ? [provinces] : [];
    const out: Array<{ name: string; x: number; y: number }> = [];
    for (const l of layers) {
      for (const { f } of l.features) {
        const c = f.properties.centre;
        if (!c) continue;
        const p = toScreen(view, project(c[0], c[1]));
        if (p.x > 0 && p.y > 0 && p.x < size.w && p.y < size.h) out.push({ name: f.properties.name, ...p });
      }
    }
    return out.length > 80 ? [] : out;
  }, [view, zoomedIn, cities, provinces, size.w, size.h]);

  const counts = useMemo(() => {
    const c: Record<Status, number> = { online: 0, late: 0, offline: 0, never: 0, pending: 0 };
    for (const m of data?.marks ?? []) c[m.status]++;
    return c;
  }, [data]);
  const levels = useMemo(() => levelsPresent(data?.marks ?? []), [data]);
  const site = data?.marks.find((m) => m.code === selected) ?? null;
  const matrix = view ? `matrix(${view.k} 0 0 ${view.k} ${-view.x0 * view.k} ${-view.y0 * view.k})` : '';
  const cityLayers = zoomedIn ? [...cities.entries()] : [];

  return (
    <main class="page wide map-page" data-testid="map-page">
      <div class="map-head">
        <h1 class="title">{t('map')}</h1>
        {data && (
          <span class="map-counts" data-testid="map-counts">
            {t('mapSites', data.marks.length)}
            {STATUSES.map((s) => <span key={s} data-status={s}><i class="swatch" style={{ background: STATUS_COLOUR[s] }} />{t(`ds_${s}`)} <b>{counts[s]}</b></span>)}
            <span data-testid="alarm-sites">{t('mapAlarmSites')} <b>{data.marks.filter((m) => m.alarm).length}</b></span>
            <span class="muted">{t('updated', fmtTime(data.at))}</span>
          </span>
        )}
      </div>
      {error && <p class="banner bad" role="alert">{error}</p>}
      {data && data.unlocated.length > 0 && <p class="note" data-testid="unlocated">{t('mapUnlocated', data.unlocated.length, data.unlocated.slice(0, 10).join('、'))}</p>}
      <div class="map-body">
        <div class="map-box" ref={box}>
          <svg ref={svg} class="map-svg" data-testid="map-svg" width={size.w} height={size.h} onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp}
            role="img" aria-label={t('map')}>
            <rect width={size.w} height={size.h} class="sea" />
            {cityLayers.length > 0 && (
              <g transform={matrix} data-layer="cities" data-count={cityLayers.reduce((n, [, l]) => n + l.features.length, 0)}>
                {cityLayers.map(([code, l]) => l.features.map(({ f, d }) => <path key={`${code}-${f.properties.adcode}`} d={d} class="city" vector-effect="non-scaling-stroke"><title>{f.properties.name}</title></path>))}
              </g>
            )}
            {provinces && (
              <g transform={matrix} data-layer="provinces" data-count={provinces.features.length}>
                {/* A province whose cities are drawn is left to them: their outlines are finer (~500 m against ~3 km). */}
                {provinces.features.map(({ f, d }) => (
                  <path key={f.properties.adcode} d={d} class={`province ${zoomedIn && cities.has(f.properties.adcode) ? 'covered' : ''}`} vector-effect="non-scaling-stroke"><title>{f.properties.name}</title></path>
                ))}
              </g>
            )}
            <g class="labels">{labels.map((l) => <text key={`${l.name}${l.x}`} x={l.x} y={l.y} class={zoomedIn ? 'city-label' : 'province-label'}>{l.name}</text>)}</g>
            <g data-layer="sites">
              {shown.map(({ m, x, y }) => (
                <g key={m.code} class={`site ${selected === m.code ? 'selected' : ''}`} data-site={m.code} data-status={m.status} data-alarm-level={m.alarm?.level ?? ''}
                  transform={`translate(${x.toFixed(1)} ${y.toFixed(1)})`} onClick={() => clickSite(m.code)} tabIndex={0}
                  onKeyDown={(e) => { if ((e as KeyboardEvent).key === 'Enter') setSelected(m.code); }}>
                  <title>{`${m.name} (${m.code}) · ${t(`ds_${m.status}`)}${m.alarm ? ` · ${m.alarm.name}` : ''}`}</title>
                  {m.alarm && <circle r={12} class="alarm-ring" stroke={m.alarm.colour} data-testid="alarm-ring" />}
                  <circle r={7} class="status-dot" fill={STATUS_COLOUR[m.status]} />
                  {shown.length <= 60 && <text x={15} y={4} class="site-label">{m.name}</text>}
                </g>
              ))}
            </g>
          </svg>
          <div class="map-tools">
            <button type="button" class="small" title={t('zoomIn')} onClick={() => zoomBy(1.6)}>＋</button>
            <button type="button" class="small" title={t('zoomOut')} onClick={() => zoomBy(1 / 1.6)}>－</button>
            <button type="button" class="small" data-testid="fit-sites" onClick={fitSites}>{t('fitSites')}</button>
            <button type="button" class="small" onClick={() => setView(fit(CHINA, size.w, size.h, 0.03))}>{t('wholeCountry')}</button>
          </div>
          <Legend levels={levels} />
        </div>
        {site && <SitePanel site={site} onClose={() => setSelected(null)} />}
      </div>
    </main>
  );
}

function Legend(p: { levels: ReturnType<typeof levelsPresent> }) {
  return (
    <div class="map-legend" data-testid="map-legend">
      <div class="lg-title">{t('legendStatus')}</div>
      {STATUSES.map((s) => <div key={s}><svg width="16" height="16"><circle cx="8" cy="8" r="6" fill={STATUS_COLOUR[s]} stroke="#fff" stroke-width="2" /></svg>{t(`ds_${s}`)}</div>)}
      <div class="lg-title">{t('legendAlarm')}</div>
      {p.levels.length === 0 && <div class="muted">{t('noOpenAlarms')}</div>}
      {p.levels.map((l) => (
        <div key={l.level} data-level={l.level}><svg width="16" height="16"><circle cx="8" cy="8" r="6" fill="none" stroke={l.colour} stroke-width="3" /></svg>{l.name} <span class="muted">({l.sites})</span></div>
      ))}
      <div class="lg-note muted">{t('legendNote')}</div>
    </div>
  );
}

function SitePanel(p: { site: SiteMark; onClose: () => void }) {
  const s = p.site, now = Date.now();
  return (
    <aside class="site-panel" data-testid="site-panel" data-site={s.code}>
      <button type="button" class="small close" onClick={p.onClose}>×</button>
      <h2>{s.name} <code class="muted">{s.code}</code></h2>
      {s.enterprise && <div>{t('fld_enterprise')}：{s.enterprise}</div>}
      {s.address && <div>{t('fld_address')}：{s.address}</div>}
      <div class="panel-status">
        <span class="pill" style={{ color: STATUS_COLOUR[s.status] }}>{t(`ds_${s.status}`)}</span>
        {s.alarm && <span class="pill alarm" style={{ borderColor: s.alarm.colour }} data-testid="panel-alarm">{t('mapOpenAlarms', s.alarm.count, s.alarm.name)}</span>}
      </div>
      <a class="button-link" data-testid="site-devices-link" href={hashOf('devices', '', { q: s.code })}>{t('openSiteDevices', s.devices.length)}</a>
      <ul class="panel-devices">
        {s.devices.map((d) => (
          <li key={d.code} data-device={d.code}>
            <i class="swatch" style={{ background: STATUS_COLOUR[d.status] }} /> <b>{d.code}</b> {d.name}
            <span class="muted"> · {d.lastSeenMs === null ? t('ds_never') : fmtAgo(Math.max(0, (now - d.lastSeenMs) / 1000))}</span>
          </li>
        ))}
      </ul>
    </aside>
  );
}

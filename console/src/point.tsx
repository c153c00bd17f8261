// Page 3, Point detail (#point/CODE): a chart of a time range with the raw readings (flagged ones marked in red) and
// the alarm thresholds as bands; a long range switches to the hub's minute/hour/day aggregates (average line, min–max
// envelope). Reads GET /v1/points/:code, /v1/devices/:code, /v1/sites/:code, /v1/indicators, /v1/observations or
// /v1/observations/aggregate, and the rules in force from /v1/alarm-rules?point= (admin keys; others see the
// indicator's default rules).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, canWrite, getJson, session } from './api.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { go, hashOf, route } from './router.ts';
import { Chart, LEVEL_COLOURS, type ChartSeries } from './chart.tsx';
import { indicators } from './catalogue.ts';
import { flagsOf, fmtValue, isProblemFlag, type DeviceDoc, type IndicatorDoc, type Observation, type PointDoc, type SiteDoc } from './devices-model.ts';
import { fmtTime, flagWord, indicatorName, unitLabel } from './format.ts';
import { autoResolution, RANGES, thresholdBands, type Resolution, type ThresholdRule } from './series.ts';

const PAGE = 10_000;
const MAX_PAGES = 3;
const REFRESH_MS = 10_000;

interface Aggregate { bucket: string; avg: number; min: number; max: number; count: number; flagged: number }
export interface Meta { point: PointDoc; device?: DeviceDoc; site?: SiteDoc; indicator?: IndicatorDoc; rules: ThresholdRule[]; rulesFrom: 'point' | 'indicator' }
interface Loaded { latest: Observation | null; series: ChartSeries; res: Resolution; from: number; to: number; rows: number; truncated: boolean; table: Array<{ t: number; v: number | null; flags: string[]; extra?: string }> }

/** A point with its device, site, indicator and alarm rules (the alarm page shows the same). */
export async function loadMeta(code: string): Promise<Meta> {
  const point = await getJson<PointDoc>(`/v1/points/${encodeURIComponent(code)}`);
  const [device, ind] = await Promise.all([getJson<DeviceDoc>(`/v1/devices/${encodeURIComponent(point.device)}`).catch(() => undefined), indicators()]);
  const site = device ? await getJson<SiteDoc>(`/v1/sites/${encodeURIComponent(device.site)}`).catch(() => undefined) : undefined;
  const indicator = ind.get(point.indicator);
  let rules = (indicator?.alarm_rules ?? []) as ThresholdRule[], rulesFrom: Meta['rulesFrom'] = 'indicator';
  if (canWrite(session.get())) {
    // The rules in force for this point (overrides included) are an admin read; alarms off answers 404.
    try {
      rules = (await getJson<{ data: Array<{ rule: ThresholdRule }> }>(`/v1/alarm-rules?point=${encodeURIComponent(code)}`)).data.map((r) => r.rule);
      rulesFrom = 'point';
    } catch (e) { if (!(e instanceof ApiError && e.status === 404)) throw e; rules = []; }
  }
  return { point, device, site, indicator, rules, rulesFrom };
}

async function pages<T>(path: string): Promise<{ data: T[]; truncated: boolean }> {
  const data: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r: { data: T[]; next_cursor: string | null } = await getJson(`${path}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    data.push(...r.data);
    cursor = r.next_cursor;
    if (!cursor) return { data, truncated: false };
  }
  return { data, truncated: true };
}

async function loadSeries(code: string, from: number, to: number, res: Resolution): Promise<Loaded> {
  const [latest, loaded] = await Promise.all([
    getJson<{ data: Observation[] }>(`/v1/observations/latest?point=${encodeURIComponent(code)}`).then((r) => r.data[0] ?? null),
    loadRange(code, from, to, res),
  ]);
  return { latest, ...loaded };
}

async function loadRange(code: string, from: number, to: number, res: Resolution): Promise<Omit<Loaded, 'latest'>> {
  const q = `point=${encodeURIComponent(code)}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  if (res === 'raw') {
    const r = await pages<Observation>(`/v1/observations?${q}&kind=rtd`);
    const flags = r.data.map((o) => flagsOf(o));
    const series: ChartSeries = { t: r.data.map((o) => Date.parse(o.time)), v: r.data.map((o) => o.value), marks: flags.map((f) => (f.problem ? f.flags : [])) };
    const table = r.data.map((o, i) => ({ t: series.t[i]!, v: o.value, flags: flags[i]!.flags })).reverse();
    return { series, res, from, to, rows: r.data.length, truncated: r.truncated, table };
  }
  const r = await pages<Aggregate>(`/v1/observations/aggregate?${q}&interval=${res}`);
  const series: ChartSeries = {
    t: r.data.map((a) => Date.parse(a.bucket)), v: r.data.map((a) => a.avg), lo: r.data.map((a) => a.min), hi: r.data.map((a) => a.max),
    marks: r.data.map((a) => (a.flagged ? [t('flaggedInBucket', a.flagged, a.count)] : [])),
  };
  const table = r.data.map((a, i) => ({ t: series.t[i]!, v: a.avg, flags: series.marks[i]!, extra: `${t('minMax', fmtValue(a.min), fmtValue(a.max))} · n=${a.count}` })).reverse();
  return { series, res, from, to, rows: r.data.length, truncated: r.truncated, table };
}

/** `2026-11-25T10:00` (a datetime-local input) ↔ epoch ms, in the browser's zone. */
const toLocalInput = (ms: number) => { const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000); return d.toISOString().slice(0, 16); };

export function PointDetail(p: { code: string }) {
  use(lang);
  const r = use(route);
  const rangeKey = r.params.get('range') ?? (r.params.get('from') ? '' : '6h');
  const resChoice = (r.params.get('res') ?? 'auto') as Resolution | 'auto';
  const [meta, setMeta] = useState<Meta | null>(null);
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [custom, setCustom] = useState<{ from: string; to: string } | null>(null);

  useEffect(() => {
    let stopped = false;
    setMeta(null); setData(null); setError('');
    loadMeta(p.code).then((m) => { if (!stopped) setMeta(m); }, (e: unknown) => { if (!stopped) setError(e instanceof Error ? e.message : String(e)); });
    return () => { stopped = true; };
  }, [p.code]);

  const span = () => {
    if (rangeKey && RANGES[rangeKey]) { const to = Date.now(); return { from: to - RANGES[rangeKey]!, to }; }
    const from = Date.parse(r.params.get('from') ?? ''), to = Date.parse(r.params.get('to') ?? '');
    return Number.isFinite(from) && Number.isFinite(to) && to > from ? { from, to } : { from: Date.now() - RANGES['6h']!, to: Date.now() };
  };

  useEffect(() => {
    let stopped = false, timer = 0;
    const tick = async () => {
      const { from, to } = span();
      const res = resChoice === 'auto' ? autoResolution(to - from) : resChoice;
      setBusy(true);
      try {
        const d = await loadSeries(p.code, from, to, res);
        if (!stopped) { setData(d); setError(''); }
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e.message : String(e));
      }
      if (stopped) return;
      setBusy(false);
      // A range ending now follows the new readings.
      if (rangeKey && RANGES[rangeKey]) timer = setTimeout(tick, REFRESH_MS) as unknown as number;
    };
    void tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, [p.code, rangeKey, resChoice, r.params.get('from'), r.params.get('to')]);

  const setParams = (next: Record<string, string | undefined>) => {
    const cur = Object.fromEntries(r.params.entries());
    go(hashOf('point', p.code, { ...cur, ...next }), true);
  };

  if (error && !meta) return <main class="page"><p class="banner bad" role="alert" data-testid="point-error">{error}</p><a href="#devices">{t('backToDevices')}</a></main>;
  if (!meta) return <main class="page"><p class="muted">…</p></main>;
  const ind = meta.indicator;
  const unit = ind?.unit ?? '';
  const { bands, skipped } = thresholdBands(meta.rules, unit, meta.point.lel_percent_vol ?? ind?.lel_percent_vol);
  const resWord = (x: Resolution) => t(`res_${x}`);
  const last = data?.latest;

  return (
    <main class="page wide" data-testid="point-page" data-point={meta.point.code}>
      <p class="crumbs"><a href="#devices">{t('devices')}</a> › {meta.device?.name ?? meta.point.device} <span class="muted">({meta.point.device})</span>{meta.site && <> · {meta.site.name ?? meta.site.code}</>}</p>
      <div class="statusline">
        <h1 class="title">{meta.point.name ?? indicatorName(ind, meta.point.indicator)} <span class="muted code">{meta.point.code}</span></h1>
        {last && (
          <span class="latest" data-testid="point-latest">{t('latest')} <b>{fmtValue(last.value)}</b> {unitLabel(unit)} <span class="muted">{fmtTime(Date.parse(last.time))}</span>
            {flagsOf(last).flags.map((f) => <span key={f} class={`flag ${isProblemFlag(f) ? 'bad' : ''}`}>{flagWord(f)}</span>)}</span>
        )}
      </div>
      <p class="muted small">{indicatorName(ind, meta.point.indicator)} · {meta.point.indicator} · {t('unitIs', unitLabel(unit) || '1')}{ind?.range && <> · {t('validRange', fmtValue(ind.range.min ?? null), fmtValue(ind.range.max ?? null))}</>}</p>

      <div class="toolbar">
        <span class="seg" role="group" aria-label={t('range')}>
          {Object.keys(RANGES).map((k) => (
            <button type="button" key={k} class={rangeKey === k ? 'on' : ''} data-range={k} onClick={() => setParams({ range: k, from: undefined, to: undefined })}>{t(`r_${k}` as 'r_1h')}</button>
          ))}
          <button type="button" class={!rangeKey ? 'on' : ''} data-range="custom" onClick={() => { const s = span(); setCustom({ from: toLocalInput(s.from), to: toLocalInput(s.to) }); }}>{t('customRange')}</button>
        </span>
        <label>{t('resolution')} <select data-testid="resolution" value={resChoice} onChange={(e) => setParams({ res: (e.target as HTMLSelectElement).value })}>
          <option value="auto">{t('res_auto')}</option>
          {(['raw', '1m', '1h', '1d'] as const).map((x) => <option key={x} value={x}>{resWord(x)}</option>)}
        </select></label>
        {busy && <span class="muted">{t('loading')}</span>}
      </div>
      {custom && (
        <form class="toolbar" onSubmit={(e) => { e.preventDefault(); setParams({ range: undefined, from: new Date(custom.from).toISOString(), to: new Date(custom.to).toISOString() }); setCustom(null); }}>
          <label>{t('from')} <input type="datetime-local" value={custom.from} onInput={(e) => setCustom({ ...custom, from: (e.target as HTMLInputElement).value })} /></label>
          <label>{t('to')} <input type="datetime-local" value={custom.to} onInput={(e) => setCustom({ ...custom, to: (e.target as HTMLInputElement).value })} /></label>
          <button type="submit" class="primary">{t('apply')}</button>
        </form>
      )}
      {error && <p class="banner warn" role="alert">{error}</p>}

      {data && (
        <>
          <p class="shown" data-testid="chart-mode" data-res={data.res}>
            {t('showing', resWord(data.res), data.rows.toLocaleString('en-US'), fmtTime(data.from, false), fmtTime(data.to, false))}
            {resChoice === 'auto' && data.res !== 'raw' && <span class="muted"> {t('autoAggregated')}</span>}
            {data.truncated && <span class="warn-text"> {t('truncated')}</span>}
          </p>
          {data.rows === 0 ? <p class="empty muted" data-testid="no-data">{t('noReadings')}</p> : <Chart s={data.series} from={data.from} to={data.to} bands={bands} unit={unitLabel(unit)} testid="chart" />}
          <div class="legend">
            <span><i class="key-line" /> {data.res === 'raw' ? t('legendValue') : t('legendAvg')}</span>
            {data.res !== 'raw' && <span><i class="key-env" /> {t('legendEnvelope')}</span>}
            <span><i class="key-flag" /> {data.res === 'raw' ? t('legendFlagged') : t('legendFlaggedBucket')}</span>
            {bands.map((b, i) => <span key={i}><i class="key-band" style={{ background: LEVEL_COLOURS[b.level] ?? '#888' }} /> {t('legendBand', b.level, b.direction === 'upper' ? '≥' : '≤', fmtValue(b.raise), unitLabel(unit))}</span>)}
          </div>
          <p class="note" data-testid="rules-note">
            {bands.length ? t(meta.rulesFrom === 'point' ? 'rulesInForce' : 'rulesDefault', [...new Set(bands.map((b) => b.source).filter(Boolean))].join('; ') || '—') : t('noThresholds')}
            {skipped.length > 0 && ` ${t('rulesSkipped', skipped.join(', '))}`}
          </p>
          {data.table.length > 0 && (
            <section>
              <h2>{data.res === 'raw' ? t('recentReadings') : t('recentBuckets')}</h2>
              <table class="compact" data-testid="readings">
                <thead><tr><th>{t('time')}</th><th class="num">{t('value')} ({unitLabel(unit)})</th><th>{data.res === 'raw' ? t('flags') : t('bucketDetail')}</th></tr></thead>
                <tbody>
                  {data.table.slice(0, 12).map((row) => (
                    <tr key={row.t}>
                      <td>{fmtTime(row.t)}</td>
                      <td class="num">{fmtValue(row.v)}</td>
                      <td>{row.extra && <span class="muted">{row.extra} </span>}{row.flags.map((f) => <span key={f} class={`flag ${data.res === 'raw' && !isProblemFlag(f) ? '' : 'bad'}`}>{flagWord(f)}</span>)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </>
      )}
    </main>
  );
}

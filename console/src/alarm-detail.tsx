// Page 5b, one alarm (#alarms/ID): what, where and when (the board's columns and more), the readings that raised it
// (GET /v1/alarms/{id} returns them) on a chart with the rule's levels as bands, its history of events, and the
// handling loop (处置闭环): the next step (接警, 研判, 派单, 处置反馈, 归档) as a button with the input it needs,
// for admin keys only. A step the hub refuses is explained in plain words, and the page reloads the alarm's state.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, canWrite, getJson, sendJson, session } from './api.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { hashOf } from './router.ts';
import { IfCanWrite } from './write.tsx';
import { Chart, LEVEL_COLOURS, type ChartSeries } from './chart.tsx';
import { flagsOf, fmtValue, isProblemFlag, type IndicatorDoc } from './devices-model.ts';
import { fmtTime, flagWord, indicatorName, unitLabel } from './format.ts';
import { thresholdBands, type ThresholdRule } from './series.ts';
import { indicators } from './catalogue.ts';
import { loadMeta } from './point.tsx';
import { useAlarmStream } from './alarm-stream.ts';
import { LevelBadge, StateCell } from './alarm-parts.tsx';
import { ACTIONS, actionName, eventName, nextAction, refusalWords, STATES, stateName, typeName, type AlarmAction, type AlarmDetail as Detail, type SiteInfo } from './alarms-model.ts';
import './ops.css';

const READINGS = 200;

interface Context { site?: SiteInfo; deviceName?: string; pointName?: string; indicator?: IndicatorDoc; rules: ThresholdRule[]; lel?: number }

async function loadContext(a: Detail): Promise<Context> {
  if (a.point) {
    const m = await loadMeta(a.point);
    return { site: m.site as SiteInfo | undefined, deviceName: m.device?.name, pointName: m.point.name, indicator: m.indicator, rules: m.rules.filter((r) => r.id === a.rule), lel: m.point.lel_percent_vol ?? m.indicator?.lel_percent_vol };
  }
  // A device alarm (device_offline): no point, no readings.
  const [device, site, ind] = await Promise.all([
    getJson<{ name?: string }>(`/v1/devices/${encodeURIComponent(a.device)}`).catch(() => undefined),
    getJson<SiteInfo>(`/v1/sites/${encodeURIComponent(a.site)}`).catch(() => undefined),
    indicators(),
  ]);
  return { site, deviceName: device?.name, indicator: ind.get(a.indicator), rules: [] };
}

function Fact(p: { label: string; col: string; children: ComponentChildren }) {
  return <div class="fact" data-col={p.col}><span class="flabel">{p.label}</span><span class="fvalue">{p.children}</span></div>;
}

/** The next step's form: the note (required to resolve), the assignee (required to dispatch), the button. */
function StepForm(p: { a: Detail; onDone: (msg: string) => void; onRefused: (msg: string) => void }) {
  const l = use(lang);
  const action = nextAction(p.a.state);
  const [note, setNote] = useState('');
  const [assignee, setAssignee] = useState(p.a.assignee ?? '');
  const [busy, setBusy] = useState(false);
  if (!action) return <p class="note" data-testid="loop-done">{t('loopDone')}</p>;
  const needs = ACTIONS[action].requires as readonly string[];
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body: Record<string, string> = {};
      if (note.trim()) body.note = note.trim();
      if (action === 'dispatch') body.assignee = assignee.trim();
      await sendJson('POST', `/v1/alarms/${p.a.id}/${action}`, body);
      setNote('');
      p.onDone(t('stepDone', actionName(action, l)));
    } catch (x) {
      p.onRefused(x instanceof ApiError ? refusalWords(x, action, l) : String(x));
    } finally { setBusy(false); }
  };
  return (
    <form class="step-form" onSubmit={submit} data-testid="step-form" data-action={action}>
      {action === 'dispatch' && (
        <label><span>{t('assignee')} <span class="req">*</span></span>
          <input data-testid="assignee" value={assignee} placeholder={t('assigneeHint')} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <label><span>{t('stepNote')}{needs.includes('note') && <span class="req"> *</span>}</span>
        <textarea data-testid="note" rows={2} value={note} placeholder={action === 'resolve' ? t('resolveHint') : t('noteHint')} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="submit" class="write primary" data-write="" data-testid={`do-${action}`} disabled={busy}>{busy ? t('working') : actionName(action, l)}</button>
      {action === 'archive' && p.a.active && <p class="note">{t('archiveWhenCleared')}</p>}
    </form>
  );
}

/** The loop as a row of steps: done (up to the alarm's state), the next one, those to come. */
function Loop(p: { state: string }) {
  const l = use(lang);
  const at = STATES.indexOf(p.state);
  return (
    <ol class="loop" data-testid="loop">
      {STATES.map((s, i) => {
        const by = (Object.keys(ACTIONS) as AlarmAction[]).find((a) => ACTIONS[a].to === s);
        return <li key={s} class={i <= at ? 'done' : i === at + 1 ? 'next' : ''} data-state={s}>{by ? actionName(by, l) : t('raisedStep')}<small>{stateName(s, l)}</small></li>;
      })}
    </ol>
  );
}

export function AlarmDetail(p: { id: string }) {
  const l = use(lang);
  const [a, setA] = useState<Detail | null>(null);
  const [ctx, setCtx] = useState<Context | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const [tick, setTick] = useState(0);
  const live = useAlarmStream((id) => { if (id === p.id) setTick((n) => n + 1); });

  useEffect(() => {
    let stopped = false;
    getJson<Detail>(`/v1/alarms/${encodeURIComponent(p.id)}?readings=${READINGS}`).then((d) => {
      if (stopped) return;
      setA(d); setError('');
      if (!ctx) loadContext(d).then((c) => { if (!stopped) setCtx(c); }, () => { if (!stopped) setCtx({ rules: [] }); });
    }, (e: unknown) => { if (!stopped) setError(e instanceof Error ? e.message : String(e)); });
    // Without the stream, a poll keeps the page current; with it, a slow one backs it up.
    const timer = setTimeout(() => setTick((n) => n + 1), live ? 30_000 : 5000);
    return () => { stopped = true; clearTimeout(timer); };
  }, [p.id, tick, live]);

  if (!a) return <main class="page">{error ? <p class="banner bad" role="alert" data-testid="alarm-error">{error}</p> : <p class="muted">…</p>}<a href="#alarms">{t('backToBoard')}</a></main>;
  const unit = ctx?.indicator?.unit ?? a.observations[0]?.unit ?? '';
  const obs = a.observations;
  const series: ChartSeries = { t: obs.map((o) => Date.parse(o.time)), v: obs.map((o) => o.value), marks: obs.map((o) => { const f = flagsOf(o); return f.problem ? f.flags : []; }) };
  const from = series.t.length ? Math.min(series.t[0]!, Date.parse(a.first_time)) : Date.parse(a.first_time);
  const to = Math.max(series.t[series.t.length - 1] ?? 0, Date.parse(a.cleared_time ?? a.latest_time));
  const pad = Math.max(2000, (to - from) * 0.05);
  const { bands } = thresholdBands(ctx?.rules ?? [], unit, ctx?.lel);
  const raisedAt = Date.parse(a.first_time), lastAt = Date.parse(a.cleared_time ?? a.latest_time);

  return (
    <main class="page wide" data-testid="alarm-page" data-alarm={a.id} data-state={a.state}>
      <p class="crumbs"><a href="#alarms">{t('alarmBoard')}</a> › #{a.id}</p>
      <div class="statusline">
        <h1 class="title">{ctx?.site?.name ?? a.site} · {ctx?.deviceName ?? a.device} · {typeName(a.type, l)}</h1>
        <LevelBadge a={a} />
        <StateCell a={a} />
        <span class={`pill ${live ? 'good' : 'warn'}`} data-testid="live" data-live={String(live)}>{live ? t('liveStream') : t('livePoll')}</span>
      </div>
      {notice && <p class={`banner ${notice.tone}`} role={notice.tone === 'bad' ? 'alert' : 'status'} data-testid={notice.tone === 'bad' ? 'step-error' : 'step-result'}>{notice.text}</p>}
      {error && <p class="banner warn" role="alert">{error}</p>}
      <div class="alarm-split">
        <section class="facts" data-testid="alarm-facts">
          <Fact col="site" label={t('colSite')}>{ctx?.site?.name ?? a.site} <span class="muted">({a.site})</span></Fact>
          <Fact col="enterprise" label={t('colEnterprise')}>{ctx?.site?.enterprise ?? '—'}</Fact>
          <Fact col="address" label={t('colAddress')}>{ctx?.site?.address ?? '—'}</Fact>
          <Fact col="device" label={t('colDevice')}>{ctx?.deviceName ?? a.device} <span class="muted">({a.device})</span></Fact>
          <Fact col="point" label={t('alarmPoint')}>{a.point ? <a href={hashOf('point', a.point)}>{ctx?.pointName ?? a.point}</a> : '—'} <span class="muted">{indicatorName(ctx?.indicator, a.indicator)}</span></Fact>
          <Fact col="type" label={t('colType')}>{typeName(a.type, l)} <span class="muted">({t('ruleIs', a.rule)})</span></Fact>
          <Fact col="level" label={t('alarmLevel')}><LevelBadge a={a} />{a.peak_level && a.peak_level !== a.level && <span class="muted"> {t('peakLevel', a.peak_level)}</span>}</Fact>
          <Fact col="values" label={t('peakLatest')}>{fmtValue(a.peak_value ?? null)} / {fmtValue(a.latest_value ?? null)} {unitLabel(unit)}</Fact>
          <Fact col="first" label={t('colFirst')}>{fmtTime(raisedAt)}</Fact>
          <Fact col="latest" label={t('colLatest')}>{fmtTime(Date.parse(a.latest_time))}</Fact>
          <Fact col="cleared" label={t('clearedAt')}>{a.cleared_time ? fmtTime(Date.parse(a.cleared_time)) : <span class="bad-text">{t('stillActive')}</span>}</Fact>
          <Fact col="count" label={t('colCount')}>{a.count}</Fact>
          <Fact col="assignee" label={t('assignee')}>{a.assignee ?? '—'}</Fact>
          <Fact col="due" label={t('deadlines')}>{a.ack_due || a.resolve_due ? <>{a.ack_due && t('ackDue', fmtTime(Date.parse(a.ack_due)))} {a.resolve_due && t('resolveDue', fmtTime(Date.parse(a.resolve_due)))}</> : t('noDeadline')}{a.overdue && <span class="bad-text"> {t('overdue')}</span>}</Fact>
        </section>
        <section class="handling" data-testid="handling">
          <h2>{t('handlingLoop')}</h2>
          <Loop state={a.state} />
          <IfCanWrite>
            <StepForm key={a.state} a={a} onDone={(text) => { setNotice({ tone: 'good', text }); setTick((n) => n + 1); }} onRefused={(text) => { setNotice({ tone: 'bad', text }); setTick((n) => n + 1); }} />
          </IfCanWrite>
          <ReadOnlyNote />
        </section>
      </div>

      <section>
        <h2>{t('raisingReadings')}</h2>
        {obs.length === 0 ? <p class="muted" data-testid="no-readings">{a.point ? t('noReadings') : t('deviceAlarmNoReadings')}</p> : (
          <>
            <Chart s={series} from={from - pad} to={to + pad} bands={bands} unit={unitLabel(unit)} testid="alarm-chart" />
            <div class="legend">
              <span><i class="key-line" /> {t('legendValue')}</span>
              <span><i class="key-flag" /> {t('legendFlagged')}</span>
              {bands.map((b, i) => <span key={i}><i class="key-band" style={{ background: LEVEL_COLOURS[b.level] ?? '#888' }} /> {t('legendBand', b.level, b.direction === 'upper' ? '≥' : '≤', fmtValue(b.raise), unitLabel(unit))}</span>)}
            </div>
            <p class="note">{t('readingsNote', obs.length)}{a.observations_truncated && ` ${t('truncated')}`}</p>
            <table class="compact readings" data-testid="alarm-readings">
              <thead><tr><th>{t('time')}</th><th class="num">{t('value')} ({unitLabel(unit)})</th><th>{t('flags')}</th></tr></thead>
              <tbody>
                {obs.slice(-20).reverse().map((o) => {
                  const ms = Date.parse(o.time);
                  const inAlarm = ms >= raisedAt && ms <= lastAt;
                  return (
                    <tr key={o.time} class={inAlarm ? 'in-alarm' : ''}>
                      <td>{fmtTime(ms)}</td><td class="num">{fmtValue(o.value)}</td>
                      <td>{inAlarm && <span class="flag bad">{t('inAlarm')}</span>}{flagsOf(o).flags.map((f) => <span key={f} class={`flag ${isProblemFlag(f) ? 'bad' : ''}`}>{flagWord(f)}</span>)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </section>

      <section>
        <h2>{t('alarmHistory')}</h2>
        <table class="compact" data-testid="alarm-events">
          <thead><tr><th>{t('time')}</th><th>{t('event')}</th><th>{t('alarmLevel')}</th><th class="num">{t('value')}</th><th>{t('by')}</th><th>{t('assignee')}</th><th>{t('stepNote')}</th></tr></thead>
          <tbody>
            {a.events.map((e) => (
              <tr key={e.id} data-event={e.type}>
                <td>{fmtTime(Date.parse(e.at))}</td><td class="name">{eventName(e.type, l)}</td><td>{e.level ?? '—'}</td>
                <td class="num">{e.value === null ? '—' : fmtValue(e.value)}</td><td>{e.by ?? '—'}</td><td>{e.assignee ?? ''}</td><td class="wrap">{e.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}

function ReadOnlyNote() {
  return canWrite(use(session)) ? null : <p class="note" data-testid="readonly-note">{t('needAdminAlarm')}</p>;
}

// Page 6, Delivery (#delivery, #delivery/TARGET): every upstream target with its state, backlog, lag, the attempts on
// its head batch and its last error, the readings/s it delivers, and its dead letters; pause and resume; a target's
// dead-letter list with replay (one batch, or all). Reads GET /v1/publish/targets, /metrics (delivered rate) and
// /v1/publish/targets/{name}/dead-letters; writes (admin keys only) POST …/pause, …/resume, …/dead-letters/…/replay.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, getText, sendJson } from './api.ts';
import { lang, statusWord, t } from './i18n.ts';
import { use } from './signal.ts';
import { go, hashOf } from './router.ts';
import { WriteButton } from './write.tsx';
import { fmtTime } from './format.ts';
import { countersFrom, ratesOf, type Counters } from './metrics.ts';
import { fmtAge, fmtInt, fmtRate, tone } from './overview.tsx';
import { deadLetterSummary, type DeadLetter, type Target } from './delivery-model.ts';
import './ops.css';

const POLL_MS = 2000;
const WINDOW_MS = 10_000;

function DeadLetters(p: { target: Target; onChanged: () => void }) {
  use(lang);
  const [rows, setRows] = useState<{ data: DeadLetter[]; more: boolean } | null>(null);
  const [msg, setMsg] = useState<{ tone: 'good' | 'bad'; text: string } | null>(null);
  const [tick, setTick] = useState(0);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let stopped = false;
    getJson<{ data: DeadLetter[]; next_cursor: string | null }>(`/v1/publish/targets/${encodeURIComponent(p.target.name)}/dead-letters?limit=100`)
      .then((r) => { if (!stopped) setRows({ data: r.data, more: r.next_cursor !== null }); }, (e: unknown) => { if (!stopped) setMsg({ tone: 'bad', text: e instanceof Error ? e.message : String(e) }); });
    return () => { stopped = true; };
  }, [p.target.name, tick, p.target.dead_letters]);

  const replay = async (id?: string) => {
    setBusy(true);
    try {
      const path = `/v1/publish/targets/${encodeURIComponent(p.target.name)}/dead-letters/${id ? `${encodeURIComponent(id)}/replay` : 'replay'}`;
      const r = await sendJson<{ replayed: number | string[] }>('POST', path, {});
      const n = Array.isArray(r.replayed) ? r.replayed.length : r.replayed;
      setMsg({ tone: 'good', text: t('replayedBatches', n, p.target.name) });
    } catch (e) {
      setMsg({ tone: 'bad', text: e instanceof ApiError && e.status === 404 ? t('deadGone') : e instanceof Error ? e.message : String(e) });
    } finally { setBusy(false); setTick((n) => n + 1); p.onChanged(); }
  };

  return (
    <section class="dead" data-testid="dead-letters" data-target={p.target.name}>
      <h2>{t('deadLettersOf', p.target.name)} <span class="count">{fmtInt(p.target.dead_letters)}</span></h2>
      <p class="muted small">{t('deadIntro')}</p>
      {msg && <p class={`banner ${msg.tone}`} role={msg.tone === 'bad' ? 'alert' : 'status'} data-testid="dead-result">{msg.text}</p>}
      {!rows ? <p class="muted">{t('loading')}</p> : rows.data.length === 0 ? <p class="empty muted" data-testid="dead-empty">{t('noDeadLetters')}</p> : (
        <>
          <div class="toolbar"><WriteButton disabled={busy} onClick={() => void replay()}>{t('replayAll', rows.data.length)}</WriteButton></div>
          <table class="compact" data-testid="dead-list">
            <thead><tr><th>#</th><th class="num">{t('dlCount')}</th><th>{t('dlDeadAt')}</th><th class="num">{t('dlAttempts')}</th><th>{t('dlWhy')}</th><th>{t('dlAnswer')}</th><th /></tr></thead>
            <tbody>
              {rows.data.map((d) => {
                const s = deadLetterSummary(d);
                return (
                  <tr key={d.id} data-dead={d.id}>
                    <td>{d.id}</td><td class="num">{fmtInt(d.count)}</td><td>{d.dead_at ? fmtTime(Date.parse(d.dead_at)) : '—'}</td><td class="num">{d.attempt}</td>
                    <td class="wrap bad-text" data-col="error">{d.last_error ?? '—'}</td>
                    <td class="wrap small" data-col="answer">{s.status !== undefined && <span class="pill bad">HTTP {s.status}</span>} <code>{s.body}</code></td>
                    <td><WriteButton disabled={busy} onClick={() => void replay(d.id)}>{t('replay')}</WriteButton></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.more && <p class="note">{t('deadMore')}</p>}
        </>
      )}
    </section>
  );
}

export function Delivery(p: { target: string }) {
  use(lang);
  const [snap, setSnap] = useState<{ at: number; driver: string | null; targets: Target[]; delivered: Record<string, number | null>; seconds: number } | null>(null);
  const [error, setError] = useState('');
  const [msg, setMsg] = useState('');
  const [busy, setBusy] = useState('');
  const samples = useRef<Counters[]>([]);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stopped = false, timer = 0;
    const poll = async () => {
      try {
        const [metrics, targets] = await Promise.all([getText('/metrics'), getJson<{ driver: string | null; data: Target[] }>('/v1/publish/targets')]);
        const now = Date.now();
        const w = samples.current;
        w.push(countersFrom(metrics, now));
        while (w.length > 2 && now - w[1]!.at >= WINDOW_MS) w.shift();
        const rates = ratesOf(w);
        if (!stopped) { setSnap({ at: now, driver: targets.driver, targets: targets.data, delivered: rates.delivered, seconds: rates.seconds }); setError(''); }
      } catch (e) {
        // A key limited to some sites may not see hub-wide state (403 AUTH_FORBIDDEN): say that, not "no read scope".
        if (!stopped) setError(e instanceof ApiError && e.status === 403 ? t('deliveryScoped') : e instanceof Error ? e.message : String(e));
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS) as unknown as number;
    };
    void poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, [tick]);

  const act = async (name: string, action: 'pause' | 'resume') => {
    setBusy(name);
    try {
      await sendJson('POST', `/v1/publish/targets/${encodeURIComponent(name)}/${action}`, {});
      setMsg(t(action === 'pause' ? 'pausedMsg' : 'resumedMsg', name));
    } catch (e) { setMsg(e instanceof Error ? e.message : String(e)); } finally { setBusy(''); setTick((n) => n + 1); }
  };

  if (!snap) return <main class="page">{error ? <p class="banner bad" role="alert">{error}</p> : <p class="muted">…</p>}</main>;
  const selected = snap.targets.find((x) => x.name === p.target);
  return (
    <main class="page wide" data-testid="delivery-page">
      <div class="statusline">
        <h1 class="title">{t('delivery')}</h1>
        <span class="muted" data-testid="updated">{t('updated', new Date(snap.at).toLocaleTimeString('zh-CN', { hour12: false }))}</span>
        {snap.driver && <span class="muted small">{t('driverIs', snap.driver)}</span>}
      </div>
      <p class="muted small">{t('deliveryIntro')}</p>
      {error && <p class="banner warn" role="alert">{t('stale', Math.round((Date.now() - snap.at) / 1000))} {error}</p>}
      {msg && <p class="banner good" role="status" data-testid="delivery-result">{msg}</p>}
      {snap.targets.length === 0 ? <p class="empty muted" data-testid="no-targets">{t('noTargets')}</p> : (
        <table data-testid="delivery-targets">
          <thead>
            <tr>
              <th>{t('target')}</th><th>{t('status')}</th><th class="num">{t('backlog')}</th><th class="num">{t('pendingBatches')}</th><th class="num">{t('lag')}</th>
              <th class="num">{t('deliveredRate')}</th><th class="num">{t('deliveredTotal')}</th><th class="num">{t('deadLetters')}</th><th>{t('lastError')}</th><th />
            </tr>
          </thead>
          <tbody>
            {snap.targets.map((x) => (
              <tr key={x.name} data-target={x.name} data-state={x.state} class={x.name === p.target ? 'picked' : ''}>
                <td class="name">{x.name} <span class="muted">{x.type}{x.stream === 'alarms' ? ` · ${t('streamAlarms')}` : ''}</span></td>
                <td data-col="state">
                  <span class={`pill ${tone(x.state)}`}>{statusWord(x.state)}</span>
                  {x.state === 'retrying' && <span class="muted small"> {t('attemptN', x.attempts)}{x.next_attempt_at ? ` · ${t('nextAttempt', fmtTime(Date.parse(x.next_attempt_at)))}` : ''}</span>}
                </td>
                <td class="num" data-col="backlog">{fmtInt(x.backlog)}</td>
                <td class="num" data-col="batches">{fmtInt(x.pending_batches)}</td>
                <td class={`num ${x.lag_seconds > 300 ? 'warn-text' : ''}`} data-col="lag">{x.backlog ? fmtAge(x.lag_seconds) : '—'}</td>
                <td class="num" data-col="delivered">{fmtRate(snap.delivered[x.name] ?? (snap.seconds > 0 ? 0 : null))}</td>
                <td class="num" data-col="delivered-total">{fmtInt(x.delivered_since_start)}</td>
                <td class={`num ${x.dead_letters ? 'bad-text' : ''}`} data-col="dead">{fmtInt(x.dead_letters)}</td>
                <td class="wrap error-cell" data-col="error">{x.last_error ? <span class="bad-text">{x.last_error.slice(0, 160)}</span> : <span class="muted">—</span>}</td>
                <td class="actions">
                  {x.state === 'paused'
                    ? <WriteButton disabled={busy === x.name} onClick={() => void act(x.name, 'resume')}>{t('resume')}</WriteButton>
                    : x.state !== 'disabled' && <WriteButton disabled={busy === x.name} onClick={() => void act(x.name, 'pause')}>{t('pause')}</WriteButton>}
                  <button type="button" class="small" data-testid="show-dead" onClick={() => go(hashOf('delivery', x.name === p.target ? '' : x.name), true)}>{x.name === p.target ? t('hideDead') : t('showDead')}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="note">{t('deliveryNote', Math.max(1, Math.round(snap.seconds || WINDOW_MS / 1000)))}</p>
      {selected && <DeadLetters key={selected.name} target={selected} onChanged={() => setTick((n) => n + 1)} />}
      {p.target && !selected && <p class="banner warn">{t('noSuchTarget', p.target)}</p>}
    </main>
  );
}

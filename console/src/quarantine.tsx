// Page 4, Quarantine: the records the hub could not store, grouped by reason and then by what they name. Inspect a
// group (its records as received), then, with an admin key, register the missing point (or device and point) in a
// form generated from the registry's JSON Schema and replay the group, in one step: PUT /v1/devices/:code,
// PUT /v1/points/:code, POST /v1/quarantine/replay {ids}. A read-only key sees the same lists and no write controls.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, canWrite, getJson, sendJson, session } from './api.ts';
import { lang, t, tMaybe } from './i18n.ts';
import { use } from './signal.ts';
import { hashOf } from './router.ts';
import { IfCanWrite } from './write.tsx';
import { indicators } from './catalogue.ts';
import { fmtTime, indicatorName } from './format.ts';
import { groupQuarantine, suggestPointCode, type QuarantineEntry, type Subject } from './quarantine-model.ts';
import type { DeviceDoc, IndicatorDoc, SiteDoc } from './devices-model.ts';
import { SchemaForm, type FieldHints, type FormValue, type JsonSchema } from './schema-form.tsx';
import pointSchema from '../../schemas/json/point.schema.json' with { type: 'json' };
import deviceSchema from '../../schemas/json/device.schema.json' with { type: 'json' };
import codeSchema from '../../schemas/json/code.schema.json' with { type: 'json' };

const REFS: Record<string, JsonSchema> = { 'lifeline:code': codeSchema as JsonSchema };
const PAGE = 1000;
const MAX_PAGES = 5;
const POLL_MS = 5000;

async function loadEntries(): Promise<{ data: QuarantineEntry[]; more: boolean }> {
  const data: QuarantineEntry[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const r: { data: QuarantineEntry[]; next_cursor: string | null } = await getJson(`/v1/quarantine?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
    data.push(...r.data);
    cursor = r.next_cursor;
    if (!cursor) return { data, more: false };
  }
  return { data, more: true };
}

const reasonText = (reason: string) => tMaybe(`qr_${reason}`) ?? t('qr_other');
const recordValue = (r: Record<string, unknown>) => (r.value === undefined ? (r.avg === undefined ? '—' : String(r.avg)) : String(r.value)) + (typeof r.unit === 'string' ? ` ${r.unit}` : '');

/** The point form follows the device form's code: its device, and its code while it is still the suggested one. */
function followDevice(pt: FormValue, code: string | undefined, field: string | undefined): FormValue {
  const next: FormValue = { ...pt, device: code };
  if (field && (!pt.code || pt.code === suggestPointCode(String(pt.device ?? ''), field))) next.code = code ? suggestPointCode(code, field) : undefined;
  for (const k of ['device', 'code']) if (next[k] === undefined) delete next[k];
  return next;
}

interface RegistryLists { sites: SiteDoc[]; devices: Array<DeviceDoc & { identities?: Array<{ protocol: string; key: string }> }>; indicators: Map<string, IndicatorDoc> }

function Inspect(p: { s: Subject; reason: string; lists: RegistryLists | null; onDone: (msg: string) => void }) {
  const s = p.s;
  use(lang);
  const admin = canWrite(use(session));
  const [pick, setPick] = useState(0);
  const knownDevice = useMemo(() => {
    if (s.device) return s.device;
    if (s.identity && p.lists) return p.lists.devices.find((d) => d.identities?.some((i) => i.protocol === s.identity!.protocol && i.key === s.identity!.key))?.code;
    return undefined;
  }, [s, p.lists]);
  const initialDevice = (): FormValue => ({ code: s.device ?? (s.identity ? s.identity.key : undefined), ...(s.identity ? { identities: [{ ...s.identity }] } : {}) });
  const initialPoint = (dev?: string): FormValue => {
    const v: FormValue = {};
    const code = s.point ?? (dev && s.field ? suggestPointCode(dev, s.field) : undefined);
    if (code) v.code = code;
    if (dev) v.device = dev;
    if (s.field) v.field = s.field;
    if (s.unit) v.source_unit = s.unit;
    return v;
  };
  const [device, setDevice] = useState<FormValue>(initialDevice);
  const [point, setPoint] = useState<FormValue>(() => initialPoint(s.fix === 'device' ? (initialDevice().code as string | undefined) : knownDevice));
  const [err, setErr] = useState<{ form: 'device' | 'point' | 'replay'; path: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (s.fix === 'point' && knownDevice && !point.device) setPoint(initialPoint(knownDevice)); }, [knownDevice]);

  const rec = s.entries[Math.min(pick, s.entries.length - 1)]!;
  const ids = s.entries.map((e) => e.id);

  const lists = p.lists;
  const typed = String(point.device ?? '').toLowerCase();
  const pointHints: FieldHints = {
    '/indicator': { options: lists ? [...lists.indicators.values()].map((i) => ({ value: i.code, label: `${i.code} · ${indicatorName(i, i.code)} (${i.unit})` })) : [] },
    '/device': s.fix === 'device' ? { fixed: true } : { suggestions: lists ? lists.devices.filter((d) => d.code.toLowerCase().startsWith(typed)).slice(0, 50).map((d) => d.code) : [] },
  };
  const deviceHints: FieldHints = { '/site': { options: lists ? lists.sites.map((x) => ({ value: x.code, label: `${x.code} · ${x.name ?? ''}` })) : [] } };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setErr(null);
    let step: 'device' | 'point' | 'replay' = 'device';
    try {
      if (s.fix === 'device') await sendJson('PUT', `/v1/devices/${encodeURIComponent(String(device.code ?? ''))}`, device);
      step = 'point';
      if (s.fix !== 'none') await sendJson('PUT', `/v1/points/${encodeURIComponent(String(point.code ?? ''))}`, point);
      step = 'replay';
      const r = await sendJson<{ examined: number; stored: number; still_quarantined: number; not_replayable: number }>('POST', '/v1/quarantine/replay', { ids });
      const what = s.fix === 'device' ? t('registeredBoth', String(device.code), String(point.code)) : s.fix === 'point' ? t('registeredPoint', String(point.code)) : '';
      p.onDone(`${what}${t('replayed', r.examined, r.stored, r.still_quarantined)}`);
    } catch (x) {
      const message = x instanceof Error ? x.message : String(x);
      setErr({ form: step, path: x instanceof ApiError && x.path ? x.path.replace(/^\/body/, '') : '', message });
    } finally { setBusy(false); }
  };

  return (
    <aside class="inspect" data-testid="inspect" data-subject={s.key}>
      <h2>{s.key}</h2>
      <p class="muted small">{p.reason} · {reasonText(p.reason)}</p>
      <table class="compact" data-testid="entries">
        <thead><tr><th>#</th><th>{t('receivedAt')}</th><th>{t('adapter')}</th><th>{t('time')}</th><th class="num">{t('value')}</th></tr></thead>
        <tbody>
          {s.entries.slice(0, 8).map((x, i) => (
            <tr key={x.id} class={i === pick ? 'picked' : ''} onClick={() => setPick(i)}>
              <td>{x.id}</td><td>{fmtTime(Date.parse(x.received_at))}</td><td>{x.adapter}</td><td>{String(x.record.time ?? '—')}</td><td class="num">{recordValue(x.record)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.entries.length > 8 && <p class="note">{t('moreEntries', s.entries.length - 8)}</p>}
      <h3>{t('recordAsReceived', rec.id)}</h3>
      <p class="small"><span class="bad-text">{rec.reason}</span> {rec.message}{rec.field && <> · {t('fieldIs')} <code>{rec.field}</code></>}</p>
      <pre class="record" data-testid="record">{JSON.stringify(rec.record, null, 2)}</pre>

      {!admin && <p class="note" data-testid="readonly-note">{t('needAdmin')}</p>}
      <IfCanWrite>
        <form onSubmit={submit} class="register" data-testid="register-form">
          {s.fix === 'device' && (
            <>
              <h3>{t('registerDevice')}</h3>
              <SchemaForm testid="device-form" schema={deviceSchema as JsonSchema} refs={REFS} value={device} hints={deviceHints}
                error={err?.form === 'device' ? err : undefined}
                onChange={(v) => { setDevice(v); setPoint((pt) => followDevice(pt, v.code as string | undefined, s.field)); setErr(null); }} />
            </>
          )}
          {s.fix !== 'none' && (
            <>
              <h3>{s.fix === 'device' ? t('registerPoint2') : t('registerPoint')}</h3>
              <SchemaForm testid="point-form" schema={pointSchema as JsonSchema} refs={REFS} value={point} hints={pointHints} error={err?.form === 'point' ? err : undefined}
                onChange={(v) => { setPoint(v); setErr(null); }} />
            </>
          )}
          {err && <p class="banner bad" role="alert" data-testid="register-error">{err.message}</p>}
          <button type="submit" class="write primary" data-write="" disabled={busy} data-testid="register-replay">
            {busy ? t('working') : s.fix === 'none' ? t('replayN', ids.length) : s.fix === 'device' ? t('registerBothReplay', ids.length) : t('registerReplay', ids.length)}
          </button>
          {s.fix === 'none' && <p class="note">{t('replayOnlyNote')}</p>}
        </form>
      </IfCanWrite>
    </aside>
  );
}

export function Quarantine() {
  use(lang);
  const [entries, setEntries] = useState<{ data: QuarantineEntry[]; more: boolean; at: number } | null>(null);
  const [error, setError] = useState('');
  const [sel, setSel] = useState<{ reason: string; key: string } | null>(null);
  const [done, setDone] = useState('');
  const [lists, setLists] = useState<RegistryLists | null>(null);
  const [reloadTick, setReload] = useState(0);

  useEffect(() => {
    let stopped = false, timer = 0;
    const tick = async () => {
      try {
        const r = await loadEntries();
        if (!stopped) { setEntries({ ...r, at: Date.now() }); setError(''); }
      } catch (e) { if (!stopped) setError(e instanceof Error ? e.message : String(e)); }
      if (!stopped) timer = setTimeout(tick, POLL_MS) as unknown as number;
    };
    void tick();
    return () => { stopped = true; clearTimeout(timer); };
  }, [reloadTick]);

  // The registry lists the forms offer (sites, devices, indicators): only for keys that may write.
  const admin = canWrite(use(session));
  useEffect(() => {
    if (!admin || lists) return;
    void Promise.all([getJson<{ data: SiteDoc[] }>('/v1/sites'), getJson<{ data: RegistryLists['devices'] }>('/v1/devices'), indicators()])
      .then(([s, d, i]) => setLists({ sites: s.data, devices: d.data, indicators: i }), (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [admin]);

  const groups = useMemo(() => (entries ? groupQuarantine(entries.data) : []), [entries]);
  const selected = sel && groups.find((g) => g.reason === sel.reason)?.subjects.find((x) => x.key === sel.key);

  if (!entries) return <main class="page">{error ? <p class="banner bad" role="alert">{error}</p> : <p class="muted">…</p>}</main>;
  return (
    <main class="page wide" data-testid="quarantine-page">
      <div class="statusline">
        <h1 class="title">{t('quarantine')}</h1>
        <span class="muted" data-testid="updated">{t('updated', new Date(entries.at).toLocaleTimeString('zh-CN', { hour12: false }))}</span>
      </div>
      <p class="muted small">{t('quarantineIntro')}</p>
      {error && <p class="banner warn" role="alert">{error}</p>}
      {done && <p class="banner good" role="status" data-testid="replay-result">{done}</p>}
      {entries.more && <p class="note">{t('quarantineMore', PAGE * MAX_PAGES)}</p>}
      {groups.length === 0 ? <p class="empty muted" data-testid="quarantine-empty">{t('quarantineEmpty')}</p> : (
        <div class="split">
          <div class="groups">
            {groups.map((g) => (
              <section class="reason" key={g.reason} data-reason={g.reason}>
                <h2><span class="pill bad">{g.reason}</span> {reasonText(g.reason)} <span class="count" data-testid="reason-count">{g.count.toLocaleString('en-US')}</span></h2>
                <table class="compact">
                  <thead><tr><th>{t('subject')}</th><th class="num">{t('records')}</th><th>{t('adapter')}</th><th>{t('lastReceived')}</th><th /></tr></thead>
                  <tbody>
                    {g.subjects.slice(0, 50).map((s) => (
                      <tr key={s.key} data-subject={s.key} class={selected === s ? 'picked' : ''}>
                        <td class="name">{s.key}</td>
                        <td class="num">{s.entries.length.toLocaleString('en-US')}</td>
                        <td>{s.adapters.join(', ')}</td>
                        <td>{fmtTime(s.lastMs)}</td>
                        <td><button type="button" class="small" data-testid="inspect-button" onClick={() => { setSel({ reason: g.reason, key: s.key }); setDone(''); }}>{t('inspect')}</button></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {g.subjects.length > 50 && <p class="note">{t('moreSubjects', g.subjects.length - 50)}</p>}
              </section>
            ))}
          </div>
          {selected && sel
            ? <Inspect key={`${sel.reason}|${sel.key}`} s={selected} reason={sel.reason} lists={lists} onDone={(m) => { setDone(m); setSel(null); setReload((n) => n + 1); }} />
            : <aside class="inspect hint muted">{t('pickSubject')}</aside>}
        </div>
      )}
      <p class="note">{t('seeDevices')} <a href={hashOf('devices')}>{t('devices')}</a></p>
    </main>
  );
}

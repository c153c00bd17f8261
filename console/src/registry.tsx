// Page 8, Registry and certification (登记与认证): the sites, devices and points the hub knows, each list with a form
// generated from its JSON Schema (schemas/json/site|device|point.schema.json, bundled: a field added there appears
// here) to create or edit an entry (admin keys only: a read-only key sees the lists and no write control), and the
// conformance reports the hub keeps (registry-reports.tsx). Reads GET /v1/sites, /v1/devices, /v1/points,
// /v1/indicators; writes PUT /v1/{sites,devices,points}/:code.
import { useEffect, useMemo, useState } from 'preact/hooks';
import './registry.css';
import { ApiError, canWrite, getJson, sendJson, session } from './api.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { go, hashOf, route } from './router.ts';
import { IfCanWrite } from './write.tsx';
import { indicators } from './catalogue.ts';
import { indicatorName } from './format.ts';
import { SchemaForm, type FieldHints, type FormValue, type JsonSchema } from './schema-form.tsx';
import { cellText, COLUMNS, editable, filterEntities, type Entity, type EntityKind } from './registry-model.ts';
import { Reports } from './registry-reports.tsx';
import siteSchema from '../../schemas/json/site.schema.json' with { type: 'json' };
import deviceSchema from '../../schemas/json/device.schema.json' with { type: 'json' };
import pointSchema from '../../schemas/json/point.schema.json' with { type: 'json' };
import codeSchema from '../../schemas/json/code.schema.json' with { type: 'json' };
import domainSchema from '../../schemas/json/domain.schema.json' with { type: 'json' };

const SCHEMAS: Record<EntityKind, JsonSchema> = { sites: siteSchema as JsonSchema, devices: deviceSchema as JsonSchema, points: pointSchema as JsonSchema };
const REFS: Record<string, JsonSchema> = { 'lifeline:code': codeSchema as JsonSchema, 'lifeline:domain': domainSchema as JsonSchema };
const TABS = ['sites', 'devices', 'points', 'reports'] as const;
type Tab = typeof TABS[number];
const SHOWN = 200;

interface Lists { sites: Entity[]; devices: Entity[]; points: Entity[]; indicators: Map<string, { code: string; name: { zh: string; en: string } }> }

async function loadLists(): Promise<Lists> {
  const [sites, devices, points, ind] = await Promise.all([
    getJson<{ data: Entity[] }>('/v1/sites'), getJson<{ data: Entity[] }>('/v1/devices'), getJson<{ data: Entity[] }>('/v1/points'), indicators(),
  ]);
  return { sites: sites.data, devices: devices.data, points: points.data, indicators: ind };
}

export function Registry() {
  use(lang);
  const r = use(route);
  const tab: Tab = (TABS as readonly string[]).includes(r.params.get('tab') ?? '') ? (r.params.get('tab') as Tab) : 'sites';
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState('');
  const reload = () => loadLists().then((l) => { setLists(l); setError(''); }, (e: Error) => setError(e.message));
  useEffect(() => { void reload(); }, []);

  return (
    <main class="page wide registry-page" data-testid="registry-page">
      <div class="reg-head">
        <h1 class="title">{t('registry')}</h1>
        <div class="seg" role="tablist">
          {TABS.map((k) => (
            <button key={k} type="button" role="tab" class={tab === k ? 'on' : ''} data-tab={k} aria-selected={tab === k}
              onClick={() => go(hashOf('registry', '', { tab: k }), true)}>
              {t(`tab_${k}`)}{lists && k !== 'reports' ? ` ${lists[k].length}` : ''}
            </button>
          ))}
        </div>
      </div>
      {error && <p class="banner bad" role="alert">{error}</p>}
      {tab === 'reports' ? <Reports /> : lists ? <EntityList key={tab} kind={tab} lists={lists} onSaved={reload} /> : <p class="muted">…</p>}
    </main>
  );
}

function EntityList(p: { kind: EntityKind; lists: Lists; onSaved: () => Promise<void> }) {
  const admin = canWrite(use(session));
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState<{ value: FormValue; isNew: boolean } | null>(null);
  const [err, setErr] = useState<{ path: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const rows = p.lists[p.kind];
  const shown = useMemo(() => filterEntities(rows, p.kind, search, SHOWN), [rows, p.kind, search]);

  // Choices the hub would accept: the registered sites, devices and indicators.
  const hints = useMemo((): FieldHints => {
    const opts = (list: Entity[]) => list.map((e) => ({ value: e.code, label: e.name ? `${e.code} · ${String(e.name)}` : e.code })).sort((a, b) => a.value.localeCompare(b.value));
    const h: FieldHints = {};
    if (p.kind === 'devices') h['/site'] = { options: opts(p.lists.sites) };
    if (p.kind === 'points') {
      h['/device'] = p.lists.devices.length <= 2000 ? { options: opts(p.lists.devices) } : { suggestions: p.lists.devices.slice(0, 2000).map((d) => d.code) };
      h['/indicator'] = { options: [...p.lists.indicators.values()].map((i) => ({ value: i.code, label: `${i.code} · ${indicatorName(i, i.code)}` })) };
    }
    return h;
  }, [p.kind, p.lists]);

  const open = (value: FormValue, isNew: boolean) => { setEditing({ value, isNew }); setErr(null); setDone(''); };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    const code = String(editing.value.code ?? '');
    if (!code) { setErr({ path: '/code', message: t('required') }); return; }
    if (editing.isNew && rows.some((r) => r.code === code)) { setErr({ path: '/code', message: t('codeTaken', code) }); return; }
    setBusy(true);
    try {
      await sendJson('PUT', `/v1/${p.kind}/${encodeURIComponent(code)}`, editing.value);
      setEditing(null);
      setDone(t(editing.isNew ? 'created' : 'saved', t(`one_${p.kind}`), code));
      await p.onSaved();
    } catch (x) {
      setErr({ path: x instanceof ApiError && x.path ? x.path.replace(/^\/body/, '') : '', message: x instanceof Error ? x.message : String(x) });
    } finally { setBusy(false); }
  };

  const cols = COLUMNS[p.kind];
  return (
    <div class="reg-body">
      <section class="reg-list">
        <div class="toolbar">
          <input type="search" class="search" data-testid="registry-search" placeholder={t('searchRegistry')} value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
          <span class="muted">{shown.total > shown.rows.length ? t('shownOf', shown.rows.length, shown.total) : t('entries', shown.total)}</span>
          <span class="spacer" />
          <IfCanWrite><button type="button" class="write primary" data-write="" data-testid="new-entity" onClick={() => open({}, true)}>{t(`new_${p.kind}`)}</button></IfCanWrite>
        </div>
        {done && <p class="banner good" role="status" data-testid="saved">{done}</p>}
        <table class="compact" data-testid="registry-table" data-kind={p.kind}>
          <thead><tr>{cols.map((c) => <th key={c}>{t(`fld_${c}` as never)}</th>)}{admin && <th />}</tr></thead>
          <tbody>
            {shown.rows.map((row) => (
              <tr key={row.code} data-code={row.code}>
                {cols.map((c) => <td key={c} class={c === 'code' ? 'name' : ''}>{c === 'code' && p.kind === 'points' ? <a href={hashOf('point', row.code)}>{row.code}</a> : cellText(row[c])}</td>)}
                <IfCanWrite><td><button type="button" class="small" data-write="" data-testid="edit-entity" onClick={() => open(editable(row), false)}>{t('edit')}</button></td></IfCanWrite>
              </tr>
            ))}
          </tbody>
        </table>
        {!admin && <p class="note" data-testid="readonly-note">{t('registryReadOnly')}</p>}
      </section>
      {editing && admin && (
        <aside class="reg-form inspect">
          <form onSubmit={save} data-testid="entity-form" noValidate={false}>
            <h2>{editing.isNew ? t(`new_${p.kind}`) : `${t('edit')} ${String(editing.value.code)}`}</h2>
            <p class="note">{t('formFromSchema', `schemas/json/${p.kind.slice(0, -1)}.schema.json`)}</p>
            <SchemaForm testid={`${p.kind.slice(0, -1)}-form`} schema={SCHEMAS[p.kind]} refs={REFS} hints={editing.isNew ? hints : { ...hints, '/code': { fixed: true } }}
              value={editing.value} error={err ?? undefined} onChange={(v) => { setEditing({ ...editing, value: v }); setErr(null); }} />
            {err && <p class="banner bad" role="alert" data-testid="save-error">{err.message}</p>}
            <div class="actions">
              <button type="submit" class="write primary" data-write="" data-testid="save-entity" disabled={busy}>{t('save')}</button>
              <button type="button" class="small" onClick={() => setEditing(null)}>{t('cancel')}</button>
            </div>
          </form>
        </aside>
      )}
    </div>
  );
}

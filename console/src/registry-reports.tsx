// The certification half of page 8: the conformance reports the hub keeps (GET /v1/conformance/reports, newest first)
// and one report's clauses (GET /v1/conformance/reports/:id): verdict, pass / fail / warning / not applicable with
// each clause's message and evidence, and the integrity check (digests; whether a lab signed it). Read-only for every
// key: reports are written by the kit (`lifeline conformance … --out`), never edited here.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson } from './api.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { go, hashOf, route } from './router.ts';
import { fmtTime } from './format.ts';
import { clausesInOrder, type ClauseStatus, type Report, type ReportSummary } from './registry-model.ts';

const COUNT_COLUMNS: ClauseStatus[] = ['pass', 'fail', 'warning', 'not_applicable'];
const TONE: Record<ClauseStatus, string> = { pass: 'good', fail: 'bad', warning: 'warn', not_applicable: 'muted' };

function Verdict(p: { v: 'pass' | 'fail' }) {
  return <span class={`pill ${p.v === 'pass' ? 'good' : 'bad'}`} data-verdict={p.v}>{t(p.v === 'pass' ? 'verdictPass' : 'verdictFail')}</span>;
}

function Integrity(p: { i: ReportSummary['integrity'] }) {
  return (
    <span data-testid="integrity" data-intact={String(p.i.intact)} data-signed={String(p.i.signed)}>
      <span class={`pill ${p.i.intact ? 'good' : 'bad'}`} title={p.i.problems.join('\n')}>{t(p.i.intact ? 'intact' : 'tampered')}</span>{' '}
      <span class={`pill ${p.i.signed ? 'good' : 'muted'}`}>{p.i.signed ? t('signed', p.i.algorithm ?? '', p.i.key_id ?? '') : t('unsigned')}</span>
    </span>
  );
}

export function Reports() {
  use(lang);
  const r = use(route);
  const id = r.params.get('report') ?? '';
  const [list, setList] = useState<ReportSummary[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => { getJson<{ data: ReportSummary[] }>('/v1/conformance/reports').then((x) => setList(x.data), (e: Error) => setError(e.message)); }, []);
  if (id) return <ReportView id={id} />;
  return (
    <section data-testid="reports">
      <p class="note">{t('reportsHint')}</p>
      {error && <p class="banner bad" role="alert">{error}</p>}
      {list && list.length === 0 && <p class="muted" data-testid="no-reports">{t('noReports')}</p>}
      {list && list.length > 0 && (
        <table class="compact" data-testid="report-list">
          <thead><tr><th>{t('product')}</th><th>{t('profile')}</th><th>{t('verdict')}</th><th class="num">{t('cs_pass')}</th><th class="num">{t('cs_fail')}</th><th class="num">{t('cs_warning')}</th><th class="num">{t('cs_not_applicable')}</th><th>{t('ranAt')}</th><th>{t('integrityCol')}</th></tr></thead>
          <tbody>
            {list.map((x) => (
              <tr key={x.id} data-report={x.id}>
                <td class="name"><a href={hashOf('registry', '', { tab: 'reports', report: x.id })} data-testid="open-report">{x.subject.vendor} {x.subject.product} {x.subject.version}</a><div class="muted small">{x.id}</div></td>
                <td>{lang.get() === 'zh' ? x.profile.title_zh : x.profile.title} <code class="muted">{x.profile.id}</code></td>
                <td><Verdict v={x.verdict} /></td>
                {COUNT_COLUMNS.map((s) => <td key={s} class="num" data-count={s}>{x.summary[s]}</td>)}
                <td>{fmtTime(Date.parse(x.ended), false)}</td>
                <td><Integrity i={x.integrity} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ReportView(p: { id: string }) {
  const [rep, setRep] = useState<Report | null>(null);
  const [error, setError] = useState('');
  const [filter, setFilter] = useState<ClauseStatus | 'all'>('all');
  useEffect(() => { getJson<Report>(`/v1/conformance/reports/${encodeURIComponent(p.id)}`).then(setRep, (e: Error) => setError(e.message)); }, [p.id]);
  const clauses = useMemo(() => (rep ? clausesInOrder(rep.results, filter) : []), [rep, filter]);
  const zh = lang.get() === 'zh';
  return (
    <section data-testid="report-view" data-report={p.id}>
      <button type="button" class="small" onClick={() => go(hashOf('registry', '', { tab: 'reports' }))}>← {t('allReports')}</button>
      {error && <p class="banner bad" role="alert">{error}</p>}
      {rep && (
        <>
          <h2>{rep.subject.vendor} {rep.subject.product} {rep.subject.version} <Verdict v={rep.verdict} /></h2>
          <dl class="report-head">
            <dt>{t('profile')}</dt><dd>{zh ? rep.profile.title_zh : rep.profile.title} <code class="muted">{rep.profile.id}</code></dd>
            <dt>{t('ranAt')}</dt><dd>{fmtTime(Date.parse(rep.started))} – {fmtTime(Date.parse(rep.ended))}</dd>
            <dt>{t('kit')}</dt><dd>{rep.kit_version ?? '—'} · hub {rep.hub_version ?? '—'}</dd>
            <dt>{t('integrityCol')}</dt><dd><Integrity i={rep.integrity} />{rep.integrity.problems.length > 0 && <span class="bad-text"> {rep.integrity.problems.join('; ')}</span>}</dd>
            {rep.summary.must_not_passed.length > 0 && <><dt>{t('mustNotPassed')}</dt><dd class="bad-text">{rep.summary.must_not_passed.join(', ')}</dd></>}
          </dl>
          <div class="seg" data-testid="clause-filter">
            {(['all', 'fail', 'warning', 'pass', 'not_applicable'] as const).map((s) => (
              <button key={s} type="button" class={filter === s ? 'on' : ''} data-status={s} onClick={() => setFilter(s)}>
                {s === 'all' ? `${t('allClauses')} ${rep.results.length}` : `${t(`cs_${s}`)} ${rep.summary[s]}`}
              </button>
            ))}
          </div>
          <table class="compact clauses" data-testid="clauses">
            <thead><tr><th>{t('clause')}</th><th>{t('clauseLevel')}</th><th>{t('status')}</th><th>{t('message')}</th></tr></thead>
            <tbody>
              {clauses.map((c) => (
                <tr key={c.id} data-clause={c.id} data-status={c.status}>
                  <td><b>{c.id}</b><div>{zh ? c.title_zh : c.title}</div>{c.traces && <div class="muted small">{c.traces}</div>}</td>
                  <td>{c.level}</td>
                  <td><span class={`pill ${TONE[c.status]}`}>{t(`cs_${c.status}`)}</span></td>
                  <td class="msg">{c.message}
                    {c.evidence && c.evidence.length > 0 && (
                      <details><summary class="muted">{t('evidence', c.evidence.length)}</summary><ul>{c.evidence.map((e, i) => <li key={i}><code>{e.kind}{e.event !== undefined ? ` #${e.event}` : ''}</code> {e.text}</li>)}</ul></details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

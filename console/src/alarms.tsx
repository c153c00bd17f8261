// Page 5, Alarms (#alarms): the seed's real-time alarm board (站名, 所属企业, 站址, 报警设备, 报警时间, 最新报警时间,
// 报警次数, 报警类型), with each alarm's level in its colour and its handling state, filtered by state, level,
// enterprise and site. One row per alarm (GET /v1/alarms, the registry's names from /v1/sites and /v1/devices), so a
// click opens that alarm (#alarms/ID, alarm-detail.tsx). Live: the alarm stream (SSE) reloads the board as events
// commit; a slow poll covers a dropped stream.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.ts';
import { lang, t } from './i18n.ts';
import { use } from './signal.ts';
import { go, hashOf, route } from './router.ts';
import { fmtTime } from './format.ts';
import { useAlarmStream } from './alarm-stream.ts';
import { LevelBadge, StateCell } from './alarm-parts.tsx';
import { alarmsQuery, boardRows, DEFAULT_FILTER, enterprisesOf, STATES, stateName as stateWordOf, typeName as typeWordOf, type Alarm, type BoardFilter, type BoardRow, type SiteInfo } from './alarms-model.ts';
import { deviceNames, sitesOnce } from './alarm-registry.ts';
import './ops.css';

const LIMIT = 500;
/** With the stream connected the poll only backs it up; without it, the poll is what keeps the board live. */
const POLL_LIVE_MS = 15_000, POLL_MS = 5000;

function filterOf(p: URLSearchParams): BoardFilter {
  return { state: p.get('state') ?? DEFAULT_FILTER.state, level: p.get('level') ?? '', enterprise: p.get('enterprise') ?? '', site: p.get('site') ?? '' };
}

export function Alarms() {
  const l = use(lang);
  const r = use(route);
  const filter = filterOf(r.params);
  const key = JSON.stringify(filter);
  const [data, setData] = useState<{ rows: BoardRow[]; more: boolean; at: number; key: string; fresh: Set<string> } | null>(null);
  const [off, setOff] = useState(false);
  const [sites, setSites] = useState<SiteInfo[]>([]);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const changed = useRef(new Set<string>());
  const pending = useRef(0);
  const live = useAlarmStream((id) => {
    changed.current.add(id);
    // Events come in bursts (a batch raises many): one reload for the burst.
    if (!pending.current) pending.current = setTimeout(() => { pending.current = 0; setTick((n) => n + 1); }, 250) as unknown as number;
  });
  useEffect(() => () => clearTimeout(pending.current), []);

  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const [list, siteList] = await Promise.all([getJson<{ data: Alarm[]; next_cursor: string | null }>(`/v1/alarms?${alarmsQuery(filter, LIMIT)}`), sitesOnce()]);
        const names = await deviceNames(list.data.map((a) => a.site));
        if (stopped) return;
        // The rows the stream's events touched since the last load: marked until the next.
        const fresh = changed.current;
        changed.current = new Set();
        setSites(siteList);
        setData({ rows: boardRows(list.data, new Map(siteList.map((s) => [s.code, s])), names), more: list.next_cursor !== null, at: Date.now(), key, fresh });
        setError('');
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 404) setOff(true); // alarms.enabled: false
        else setError(e instanceof Error ? e.message : String(e));
      }
    };
    void load();
    const timer = setTimeout(() => setTick((n) => n + 1), live ? POLL_LIVE_MS : POLL_MS);
    return () => { stopped = true; clearTimeout(timer); };
  }, [key, tick, live]);

  const set = (k: keyof BoardFilter, v: string) => {
    const next = { ...filter, [k]: v };
    if (k === 'enterprise') next.site = '';
    go(hashOf('alarms', '', { state: next.state === DEFAULT_FILTER.state ? undefined : next.state, level: next.level, enterprise: next.enterprise, site: next.site }), true);
  };
  const levels = new Map<number, string>();
  for (const row of data?.rows ?? []) if (row.alarm.level_name) levels.set(row.alarm.level, row.alarm.level_name);
  const siteChoices = sites.filter((s) => !filter.enterprise || s.enterprise === filter.enterprise);
  const rows = data?.key === key ? data.rows : null;
  const activeN = rows?.filter((x) => x.alarm.active).length ?? 0;

  if (off) return <main class="page"><p class="empty muted" data-testid="alarms-off">{t('alarmsOff')}</p></main>;
  return (
    <main class="page wide" data-testid="alarms-page">
      <div class="statusline">
        <h1 class="title">{t('alarmBoard')}</h1>
        <span class={`pill ${live ? 'good' : 'warn'}`} data-testid="live" data-live={String(live)}>{live ? t('liveStream') : t('livePoll')}</span>
        {data && <span class="muted" data-testid="updated">{t('updated', new Date(data.at).toLocaleTimeString('zh-CN', { hour12: false }))}</span>}
      </div>
      <p class="muted small">{t('alarmBoardIntro')}</p>
      <div class="toolbar" data-testid="alarm-filters">
        <label>{t('handlingState')}
          <select data-filter="state" value={filter.state} onChange={(e) => set('state', (e.target as HTMLSelectElement).value)}>
            <option value="unfinished">{t('unfinished')}</option>
            <option value="all">{t('allStates')}</option>
            {STATES.map((s) => <option key={s} value={s}>{stateWordOf(s, l)}</option>)}
          </select>
        </label>
        <label>{t('alarmLevel')}
          <select data-filter="level" value={filter.level} onChange={(e) => set('level', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {[1, 2, 3, 4].map((n) => <option key={n} value={String(n)}>{levels.has(n) ? `${n} · ${levels.get(n)}` : t('level', n)}</option>)}
          </select>
        </label>
        <label>{t('colEnterprise')}
          <select data-filter="enterprise" value={filter.enterprise} onChange={(e) => set('enterprise', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {enterprisesOf(sites).map((e) => <option key={e} value={e}>{e}</option>)}
          </select>
        </label>
        <label>{t('site')}
          <select data-filter="site" value={filter.site} onChange={(e) => set('site', (e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {siteChoices.map((s) => <option key={s.code} value={s.code}>{s.name ? `${s.name} (${s.code})` : s.code}</option>)}
          </select>
        </label>
        {rows && <span class="muted" data-testid="alarm-count">{t('alarmCount', rows.length, activeN)}{data?.more ? ` ${t('onlyLatest', LIMIT)}` : ''}</span>}
      </div>
      {error && <p class="banner warn" role="alert">{error}</p>}
      {!rows ? <p class="muted">{t('loading')}</p> : rows.length === 0 ? <p class="empty muted" data-testid="alarms-empty">{t('noAlarms')}</p> : (
        <table class="board" data-testid="alarm-board">
          <thead>
            <tr>
              <th>{t('colSite')}</th><th>{t('colEnterprise')}</th><th>{t('colAddress')}</th><th>{t('colDevice')}</th><th>{t('colFirst')}</th>
              <th>{t('colLatest')}</th><th class="num">{t('colCount')}</th><th>{t('colType')}</th><th>{t('alarmLevel')}</th><th>{t('handlingState')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ alarm: a, siteName, enterprise, address, deviceName }) => (
              <tr key={a.id} data-alarm={a.id} data-state={a.state} data-level={a.level} class={`clickable ${a.active ? 'active-alarm' : ''} ${data?.fresh.has(a.id) ? 'fresh' : ''}`}
                onClick={() => go(hashOf('alarms', a.id))} title={t('openAlarm', a.id)}>
                <td class="name" data-col="site">{siteName}</td>
                <td data-col="enterprise">{enterprise || '—'}</td>
                <td data-col="address" class="wrap">{address || '—'}</td>
                <td data-col="device">{deviceName}</td>
                <td data-col="first">{fmtTime(Date.parse(a.first_time))}</td>
                <td data-col="latest">{fmtTime(Date.parse(a.latest_time))}</td>
                <td class="num" data-col="count">{a.count.toLocaleString('en-US')}</td>
                <td data-col="type">{typeWordOf(a.type, l)}</td>
                <td data-col="level"><LevelBadge a={a} /></td>
                <td data-col="state"><StateCell a={a} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="note">{t('alarmBoardNote')}</p>
    </main>
  );
}

// The operator console (docs/console.md): log in with an API key, then the pages. Served by the hub at /console.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { ApiError, canWrite, login, loginNotice, logout, resume, session } from './api.ts';
import { lang, setLang, t } from './i18n.ts';
import { use } from './signal.ts';
import { Overview } from './overview.tsx';
import { Devices } from './devices.tsx';
import { PointDetail } from './point.tsx';
import { Quarantine } from './quarantine.tsx';
import { Alarms } from './alarms.tsx';
import { AlarmDetail } from './alarm-detail.tsx';
import { Delivery } from './delivery.tsx';
import { OneMap } from './map.tsx';
import { Registry } from './registry.tsx';
import { route, type PageName } from './router.ts';

const NAV: Array<{ page: PageName; label: 'overview' | 'devices' | 'quarantine' | 'navAlarms' | 'navDelivery' | 'map' | 'registry' }> = [
  { page: 'overview', label: 'overview' }, { page: 'devices', label: 'devices' }, { page: 'quarantine', label: 'quarantine' },
  { page: 'alarms', label: 'navAlarms' }, { page: 'delivery', label: 'navDelivery' }, { page: 'map', label: 'map' }, { page: 'registry', label: 'registry' },
];

function Page() {
  const r = use(route);
  if (r.page === 'devices') return <Devices />;
  if (r.page === 'point') return <PointDetail key={r.arg} code={r.arg} />;
  if (r.page === 'quarantine') return <Quarantine />;
  if (r.page === 'alarms') return r.arg ? <AlarmDetail key={r.arg} id={r.arg} /> : <Alarms />;
  if (r.page === 'delivery') return <Delivery target={r.arg} />;
  if (r.page === 'map') return <OneMap />;
  if (r.page === 'registry') return <Registry />;
  return <Overview />;
}

function Login() {
  const notice = use(loginNotice);
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try { await login(key); } catch (err) { setError(err instanceof ApiError ? err.message : String(err)); } finally { setBusy(false); }
  };
  return (
    <main class="login">
      <form onSubmit={submit} class="login-box">
        <h1>{t('login')}</h1>
        <p class="muted">{t('loginHint')}</p>
        {notice && !error && <p class="banner warn" role="status">{notice}</p>}
        <label for="key">{t('apiKey')}</label>
        <input id="key" name="key" type="password" autocomplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} autoFocus />
        {error && <p class="banner bad" role="alert" data-testid="login-error">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? t('loggingIn') : t('login')}</button>
      </form>
    </main>
  );
}

function LangSwitch() {
  const l = use(lang);
  return <button type="button" class="link" data-testid="lang" onClick={() => setLang(l === 'zh' ? 'en' : 'zh')}>{t('switchLang')}</button>;
}

function App() {
  const s = use(session);
  const r = use(route);
  use(lang);
  const [ready, setReady] = useState(false);
  useEffect(() => { void resume().finally(() => setReady(true)); }, []);
  if (!ready) return null;
  return (
    <div class="shell">
      <header>
        <span class="brand">{t('title')}</span>
        {s && (
          <nav>
            {NAV.map((n) => <a key={n.page} href={`#${n.page}`} data-nav={n.page} class={r.page === n.page || (n.page === 'devices' && r.page === 'point') ? 'active' : ''}>{t(n.label)}</a>)}
          </nav>
        )}
        <span class="spacer" />
        {s && (
          <span class="who" data-testid="who" data-scopes={s.scopes.join(',')}>
            {t('keyName')} <b>{s.name}</b> <span class={`pill ${canWrite(s) ? 'warn' : 'muted'}`}>{canWrite(s) ? t('canWrite') : t('readOnly')}</span>
          </span>
        )}
        <LangSwitch />
        {s && <button type="button" class="link" onClick={() => logout()}>{t('logout')}</button>}
      </header>
      {s ? <Page /> : <Login />}
    </div>
  );
}

setLang(lang.get());
render(<App />, document.getElementById('app')!);

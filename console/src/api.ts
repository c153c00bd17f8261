// The hub's public API, from the browser: same origin, the key from sessionStorage as a Bearer token. Nothing else is
// fetched from anywhere (the hub serves the console with Content-Security-Policy: default-src 'self').
import { signal } from './signal.ts';
import { t } from './i18n.ts';

export interface Session { key: string; name: string; scopes: string[] }

const KEY = 'lifeline.apiKey';

/** Who is logged in (null: the login page). The key lives in sessionStorage: one tab, gone when it closes. */
export const session = signal<Session | null>(null);
/** Why the last session ended, shown on the login page. */
export const loginNotice = signal<string>('');

export class ApiError extends Error {
  /**
   * `path`: the offending field as the hub named it (details.path), e.g. `/indicator` for a refused registry write;
   * `details`: all the hub's details (an alarm step refused: the alarm's `state`, the `action`, the state it `needs`).
   */
  constructor(readonly status: number, readonly code: string, message: string, readonly path?: string, readonly details?: Record<string, unknown>) { super(message); }
}

async function request(path: string, key: string, init?: { method: string; body: unknown }): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init?.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, ...(init ? { 'content-type': 'application/json' } : {}) },
      body: init ? JSON.stringify(init.body) : undefined,
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', t('errNetwork', (e as Error).message));
  }
  if (res.ok) return res;
  let code = 'HTTP', message = res.statusText, details: { path?: string } | undefined;
  try { ({ code, message, details } = await res.json() as { code: string; message: string; details?: { path?: string } }); } catch { /* not JSON */ }
  if (res.status === 401) throw new ApiError(401, code, t('errInvalid'));
  if (res.status === 403) throw new ApiError(403, code, init ? t('errNoAdmin') : t('errForbidden'));
  throw new ApiError(res.status, code, init ? `${code}: ${message}` : t('errServer', res.status, message), details?.path, details);
}

/** GET a JSON resource with the session's key. A key refused mid-session ends the session. */
export async function getJson<T>(path: string): Promise<T> {
  return (await authed(path)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await authed(path)).text();
}

/** PUT or POST a JSON body (registry writes, quarantine replay: admin keys only); the hub's answer as JSON. */
export async function sendJson<T>(method: 'PUT' | 'POST', path: string, body: unknown): Promise<T> {
  return (await authed(path, { method, body })).json() as Promise<T>;
}

async function authed(path: string, init?: { method: string; body: unknown }): Promise<Response> {
  const s = session.get();
  if (!s) throw new ApiError(401, 'AUTH_MISSING', t('errMissing'));
  try {
    return await request(path, s.key, init);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) logout(t('expired'));
    throw e;
  }
}

/**
 * A GET whose body is read as it arrives (Server-Sent Events: GET /v1/alarms/stream), with the key as a header, which
 * the browser's EventSource cannot send. `lastEventId` resumes after that event; `signal` ends it.
 */
export async function getStream(path: string, signal: AbortSignal, lastEventId?: string): Promise<Response> {
  const s = session.get();
  if (!s) throw new ApiError(401, 'AUTH_MISSING', t('errMissing'));
  const res = await fetch(path, {
    headers: { authorization: `Bearer ${s.key}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, cache: 'no-store', signal,
  });
  if (!res.ok || !res.body) throw new ApiError(res.status, 'HTTP', t('errServer', res.status, res.statusText));
  return res;
}

/** Check a key with GET /v1/whoami and start a session; throws an ApiError with a message for the person. */
export async function login(key: string): Promise<void> {
  const k = key.trim();
  if (!k) throw new ApiError(0, 'AUTH_MISSING', t('errMissing'));
  const who = await (await request('/v1/whoami', k)).json() as { name: string; scopes: string[] };
  try { sessionStorage.setItem(KEY, k); } catch { /* storage off: the session lasts this page */ }
  loginNotice.set('');
  session.set({ key: k, name: who.name, scopes: who.scopes });
}

export function logout(notice = '') {
  try { sessionStorage.removeItem(KEY); } catch { /* nothing stored */ }
  loginNotice.set(notice);
  session.set(null);
}

/** On load: a key kept from earlier in this tab logs in again silently. */
export async function resume(): Promise<void> {
  let k: string | null = null;
  try { k = sessionStorage.getItem(KEY); } catch { /* storage off */ }
  if (!k) return;
  try {
    await login(k);
  } catch (e) {
    // A refused key is forgotten; an unreachable hub is not the key's fault: keep it for the next attempt.
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) logout(e.message);
    else loginNotice.set(e instanceof Error ? e.message : String(e));
  }
}

/** May the session's key change things (admin scope)? Write buttons render only when it may. */
export const canWrite = (s: Session | null) => !!s && s.scopes.includes('admin');

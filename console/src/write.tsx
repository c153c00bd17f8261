// The one rule for buttons that change things (pause a target, replay, acknowledge an alarm): they render only for a
// key with the admin scope, as GET /v1/whoami reported it. A read-only key never sees them; the API refuses such a
// request regardless (403 AUTH_FORBIDDEN), so this is about what a person is shown, not the security boundary.
import type { ComponentChildren } from 'preact';
import { canWrite, session } from './api.ts';
import { use } from './signal.ts';

/** Children only when the session's key may write. */
export function IfCanWrite(p: { children: ComponentChildren }) {
  return canWrite(use(session)) ? <>{p.children}</> : null;
}

/** A write action: a button marked data-write, rendered only for an admin key. */
export function WriteButton(p: { onClick: () => void; children: ComponentChildren; disabled?: boolean }) {
  return <IfCanWrite><button type="button" class="write" data-write="" disabled={p.disabled} onClick={p.onClick}>{p.children}</button></IfCanWrite>;
}

// API keys: only their sha256 is configured; a request's key is hashed and looked up.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { LifelineError } from '../sdk/errors.ts';
import { isUnscoped, type DataScope } from '../access/scope.ts';

export type Scope = 'read' | 'ingest' | 'admin';
export type RouteScope = Scope | 'public';

/** A configured or stored key. `id`: the store's id for keys made through the admin API; config keys have none. */
export interface ApiKeyEntry { id?: string; name: string; hash: string; scopes: Scope[]; scope?: DataScope }
/**
 * A key's holder: what it may do (`scopes`) and, when limited, which part of the city it may see (`data`, absent when
 * the key sees everything). `id` names the key in the audit: the store id, or `config:<name>` for config keys.
 */
export interface Principal { id?: string; name: string; scopes: Set<Scope>; data?: DataScope }

const principalOf = (k: ApiKeyEntry): Principal => ({
  id: k.id ?? `config:${k.name}`, name: k.name, scopes: new Set(k.scopes), ...(isUnscoped(k.scope) ? {} : { data: k.scope }),
});

export const hashKey = (key: string) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
export const generateKey = () => `llh_${randomBytes(24).toString('base64url')}`;

// RFC 7235 §2.1: the auth scheme is case-insensitive (`bearer`, `BEARER` are `Bearer`).
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

export class KeyRing {
  private readonly byHash = new Map<string, Principal>();
  /** Keys made through the admin API (hub/access/keys.ts), replaced whole on every refresh. */
  private stored = new Map<string, Principal>();
  constructor(keys: ApiKeyEntry[]) {
    for (const k of keys) this.byHash.set(k.hash, principalOf(k));
  }
  get size() { return this.byHash.size + this.stored.size; }
  /** The config file's keys (their hashes are not shown). */
  get configured(): Principal[] { return [...this.byHash.values()]; }
  setStored(keys: ApiKeyEntry[]) { this.stored = new Map(keys.map((k) => [k.hash, principalOf(k)])); }

  /** The key's holder, if the request carries a known key. */
  authenticate(req: FastifyRequest): Principal {
    const bearer = BEARER.exec(req.headers.authorization ?? '');
    const key = bearer ? bearer[1] : (req.headers['x-api-key'] as string | undefined);
    if (!key) throw new LifelineError('AUTH_MISSING', 'send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`');
    const h = hashKey(key);
    const p = this.byHash.get(h) ?? this.stored.get(h);
    if (!p) throw new LifelineError('AUTH_INVALID', 'this API key is not configured (api.keys) nor made through POST /v1/keys, or it was revoked');
    return p;
  }
}

/** admin may do everything; read and ingest only their own routes. */
export function allows(p: Principal, need: Scope): boolean {
  return p.scopes.has('admin') || p.scopes.has(need);
}

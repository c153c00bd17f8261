// API keys: only their sha256 is configured; a request's key is hashed and looked up.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { LifelineError } from '../sdk/errors.ts';
import type { DataScope } from '../access/scope.ts';

export type Scope = 'read' | 'ingest' | 'admin';
export type RouteScope = Scope | 'public';

export interface ApiKeyEntry { name: string; hash: string; scopes: Scope[]; data?: DataScope }
/** A key's holder: what it may do (`scopes`) and, when limited, which part of the city it may see (`data`). */
export interface Principal { name: string; scopes: Set<Scope>; data?: DataScope }

export const hashKey = (key: string) => `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
export const generateKey = () => `llh_${randomBytes(24).toString('base64url')}`;

// RFC 7235 §2.1: the auth scheme is case-insensitive (`bearer`, `BEARER` are `Bearer`).
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

export class KeyRing {
  private readonly byHash = new Map<string, Principal>();
  constructor(keys: ApiKeyEntry[]) {
    for (const k of keys) this.byHash.set(k.hash, { name: k.name, scopes: new Set(k.scopes), ...(k.data ? { data: k.data } : {}) });
  }
  get size() { return this.byHash.size; }

  /** The key's holder, if the request carries a known key. */
  authenticate(req: FastifyRequest): Principal {
    const bearer = BEARER.exec(req.headers.authorization ?? '');
    const key = bearer ? bearer[1] : (req.headers['x-api-key'] as string | undefined);
    if (!key) throw new LifelineError('AUTH_MISSING', 'send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`');
    const p = this.byHash.get(hashKey(key));
    if (!p) throw new LifelineError('AUTH_INVALID', 'this API key is not configured (api.keys)');
    return p;
  }
}

/** admin may do everything; read and ingest only their own routes. */
export function allows(p: Principal, need: Scope): boolean {
  return p.scopes.has('admin') || p.scopes.has(need);
}

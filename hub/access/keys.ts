// API keys made through the admin API (POST /v1/keys), kept hashed in the store's api_key table beside the config
// file's keys. The hub holds the active ones in memory (KeyRing); a change made here applies at once, one made by
// another hub on the same PostgreSQL within KEY_REFRESH_MS.
import type { SqlDriver } from '../store/driver.ts';
import { LifelineError } from '../sdk/errors.ts';
import { generateKey, hashKey, type ApiKeyEntry, type KeyRing, type Scope } from '../api/auth.ts';
import { isUnscoped, scopedKeyProblem, type DataScope } from './scope.ts';

export { scopedKeyProblem };

export const KEY_REFRESH_MS = 5000;

export interface StoredKeyRow {
  id: string; name: string; scopes: Scope[]; data_scope: DataScope | null; created_at: Date; created_by: string | null;
  revoked_at: Date | null; revoked_by: string | null;
}

const COLS = 'id::text AS id, name, scopes, data_scope, created_at, created_by, revoked_at, revoked_by';

export class StoredKeys {
  private timer?: NodeJS.Timeout;
  constructor(private readonly db: SqlDriver, private readonly ring: KeyRing) {}

  /** Load the active keys now, and (PostgreSQL: other hubs may change them) every KEY_REFRESH_MS. */
  async start(onError: (e: unknown) => void): Promise<void> {
    await this.refresh();
    if (this.db.kind === 'postgres') {
      this.timer = setInterval(() => { this.refresh().catch(onError); }, KEY_REFRESH_MS);
      this.timer.unref();
    }
  }
  stop(): void { clearInterval(this.timer); }

  async refresh(): Promise<void> {
    const r = await this.db.query<{ id: string; name: string; hash: string; scopes: Scope[]; data_scope: DataScope | null }>(
      'SELECT id::text AS id, name, hash, scopes, data_scope FROM api_key WHERE revoked_at IS NULL');
    this.ring.setStored(r.rows.map((k): ApiKeyEntry => ({ id: k.id, name: k.name, hash: k.hash, scopes: k.scopes, scope: k.data_scope ?? undefined })));
  }

  /** A new key: the key itself is in the answer only (the store keeps its sha256). */
  async create(input: { name: string; scopes: Scope[]; scope?: DataScope }, by: string): Promise<StoredKeyRow & { key: string }> {
    const problem = scopedKeyProblem(input);
    if (problem) throw new LifelineError('BODY_INVALID', `/body/scopes: ${problem}`, { details: { path: '/body/scopes' } });
    const key = generateKey();
    const r = await this.db.query<StoredKeyRow>(
      `INSERT INTO api_key (name, hash, scopes, data_scope, created_by) VALUES ($1, $2, $3::text[], $4::jsonb, $5) RETURNING ${COLS}`,
      [input.name, hashKey(key), input.scopes, isUnscoped(input.scope) ? null : JSON.stringify(input.scope), by]);
    await this.refresh();
    return { ...r.rows[0]!, key };
  }

  async list(includeRevoked: boolean): Promise<StoredKeyRow[]> {
    return (await this.db.query<StoredKeyRow>(`SELECT ${COLS} FROM api_key ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY api_key.id`)).rows;
  }

  /** Revoke a stored key; KEY_NOT_FOUND when there is no active key with that id. */
  async revoke(id: string, by: string): Promise<StoredKeyRow> {
    const r = await this.db.query<StoredKeyRow>(`UPDATE api_key SET revoked_at = now(), revoked_by = $2 WHERE id = $1::bigint AND revoked_at IS NULL RETURNING ${COLS}`, [id, by]);
    if (!r.rows[0]) throw new LifelineError('KEY_NOT_FOUND', `no active stored key ${id} (keys from the config file are changed there)`);
    await this.refresh();
    return r.rows[0];
  }
}

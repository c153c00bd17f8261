// The two SQL engines behind one small interface, so the store's SQL is written once.
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface SqlDriver extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Run several statements (migrations). */
  exec(sql: string): Promise<void>;
  /** Run fn in one transaction; commit when it resolves, roll back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * Be told when another process sends NOTIFY on `channel` (PostgreSQL only: hub instances sharing one
   * database learn about registry edits). Absent for PGlite, which one process owns.
   */
  listen?(channel: string, onNotify: () => void): Promise<void>;
}

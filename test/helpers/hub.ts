// Start a hub in-process on a fresh store (PGlite in a temp dir, or a fresh PostgreSQL database).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig, sampleConfigPath, type LoadedConfig } from '../../hub/config/load.ts';
import { startHub, type Hub } from '../../hub/hub.ts';
import { hashKey } from '../../hub/api/auth.ts';
import { freshDatabase } from './services.ts';

export const KEYS = { read: 'key-read', ingest: 'key-ingest', admin: 'key-admin', all: 'key-all' } as const;

export function testConfig(dataDir: string, edit?: (c: LoadedConfig['config']) => void): LoadedConfig {
  const loaded = loadConfig(sampleConfigPath, {});
  loaded.baseDir = dataDir;
  const c = loaded.config;
  c.data_dir = dataDir;
  c.server.port = 0;
  c.server.host = '127.0.0.1';
  c.store.embedded_cache_mb = 16; // small stores, many opens: a smaller cache to zero at each start (docs/store.md)
  c.api.keys = [
    { name: 'reader', hash: hashKey(KEYS.read), scopes: ['read'] },
    { name: 'ingester', hash: hashKey(KEYS.ingest), scopes: ['ingest'] },
    { name: 'admin', hash: hashKey(KEYS.admin), scopes: ['admin'] },
    { name: 'all', hash: hashKey(KEYS.all), scopes: ['read', 'ingest'] },
  ];
  edit?.(c);
  return loaded;
}

export interface TestHub { hub: Hub; cleanup(): Promise<void> }

export async function startTestHub(store: 'pglite' | 'postgres', edit?: (c: LoadedConfig['config']) => void, clock?: { now(): number }): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-test-'));
  const db = store === 'postgres' ? await freshDatabase() : undefined;
  const loaded = testConfig(dir, (c) => { if (db) c.store.url = db.url; edit?.(c); });
  const hub = await startHub(loaded, { listen: false, logger: pino({ level: 'silent' }), env: {}, clock });
  return {
    hub,
    async cleanup() {
      await hub.stop();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

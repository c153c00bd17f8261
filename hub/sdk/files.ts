// Files an adapter's or a target's config names (certificates, keys): read at create(), so a wrong path stops the hub
// at start with the key's path instead of failing later as a connection error.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LifelineError } from './errors.ts';

/**
 * Read a file named in config. `at` is the config path of the key (e.g. `/publish/targets/city/config/tls/ca`),
 * `baseDir` resolves a relative name (the config file's directory). Throws CONFIG_INVALID naming both.
 * @category Adapter
 */
export function readConfigFile(file: string, at: string, baseDir?: string): Buffer {
  const path = isAbsolute(file) || !baseDir ? file : resolve(baseDir, file);
  try { return readFileSync(path); } catch (e) {
    throw new LifelineError('CONFIG_INVALID', `${at}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { details: { path: at }, stage: 'config', cause: e });
  }
}

// The per-user cache of things made once and reused by every hub and CLI run: LIFELINE_CACHE_DIR, else the XDG cache
// directory (~/.cache/lifeline-hub). Everything in it is derived and named by what it was made from: delete it freely.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFELINE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lifeline-hub');
}

// Several targets at once, each against its own hub process (`npm run fuzz -- all`, CI's fuzz step, the smoke test).
import net from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runFuzz, type Case, type FuzzOptions, type Summary, type Target } from './engine.ts';

export const ALL_TARGETS = ['hj212', 'http', 'json_http', 'mqtt'] as const;

/** Whether the broker the mqtt target needs answers (Mosquitto on MQTT_URL's port, 1883 by default). */
export function mosquittoUp(): Promise<boolean> {
  const port = Number(new URL(process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883').port || 1883);
  return new Promise<boolean>((ok) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); ok(true); });
    s.on('error', () => ok(false));
    s.setTimeout(2000, () => { s.destroy(); ok(false); });
  });
}

/** Run `names` concurrently, each in its own folder under `dir`; resolves with their summaries in order. */
export async function fuzzAll(
  names: readonly string[],
  opts: Omit<FuzzOptions, 'dir'> & { dir: string },
  loadTarget: (name: string) => Promise<Target<Case>>,
): Promise<Summary[]> {
  return Promise.all(names.map(async (name) => {
    const work = join(opts.dir, name);
    mkdirSync(work, { recursive: true });
    return runFuzz(await loadTarget(name), { ...opts, dir: work });
  }));
}

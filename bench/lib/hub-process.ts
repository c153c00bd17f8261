// A hub in a child process for benches (`lifeline start --config FILE`), so its CPU and RSS are its own.
import { spawn, type ChildProcess } from 'node:child_process';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

/** Start `lifeline start --config file` with extra env (and node flags); resolves with its URL once it listens. */
export async function spawnHub(file: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; api: string }> {
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'start', '--config', file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const api = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`hub did not start:\n${out}`)), 120_000);
    const on = (d: Buffer) => { out += d; const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out); if (m) { clearTimeout(t); resolve(m[1]!); } };
    proc.stdout!.on('data', on); proc.stderr!.on('data', on);
    proc.once('exit', (c) => reject(new Error(`hub exited ${c}:\n${out}`)));
  });
  proc.removeAllListeners('exit');
  return { proc, api };
}

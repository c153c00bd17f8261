// A hub in a child process (`lifeline start --config FILE`), for tests that SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv } from './child-env.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

/** Start a hub process; resolves with its URL once it listens. `exited` resolves when the process ends. */
export async function launchHub(configFile: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; url: string; exited: Promise<unknown> }> {
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'start', '--config', configFile], { env: childEnv({ ...env, LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`hub did not start in ${timeoutMs / 1000} s:\n${err}`)); }, timeoutMs);
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`hub exited ${code}:\n${err}`)); });
  });
  proc.removeAllListeners('exit');
  return { proc, url, exited: new Promise((r) => proc.once('exit', r)) };
}

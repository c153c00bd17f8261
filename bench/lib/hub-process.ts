// A hub in a child process for benches, so its CPU and RSS are its own: the tests' launcher, with a bench's timeout.
import type { ChildProcess } from 'node:child_process';
import { launchHub } from '../../test/helpers/child-hub.ts';

/** Start `lifeline start --config file` with extra env (and node flags); resolves with its URL once it listens. */
export async function spawnHub(file: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; api: string }> {
  const { proc, url } = await launchHub(file, env, 120_000, nodeArgs);
  return { proc, api: url };
}

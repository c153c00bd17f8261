// A hub in a child process for benches, so its CPU and RSS are its own: the tests' launcher, with a bench's timeout.
import type { ChildProcess } from 'node:child_process';
import { launchHub } from '../../test/helpers/child-hub.ts';
import { HUB_NODE_FLAGS } from '../../bin/node-flags.js';

/**
 * Start `lifeline start --config file` with extra env and node flags, after the hub's own (HUB_NODE_FLAGS: the hub is
 * measured as `npm start` runs it); resolves with its URL once it listens.
 */
export async function spawnHub(file: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ proc: ChildProcess; api: string }> {
  const { proc, url } = await launchHub(file, env, 120_000, [...HUB_NODE_FLAGS, ...nodeArgs]);
  return { proc, api: url };
}

// Exit with the launcher: a hub started by npm (`npm start`, `npx lifeline start`) stops when its parent goes away.
//
// npm forwards SIGTERM/SIGINT to the script's shell (`sh -c …`), not to the hub: dash dies of the signal without
// passing it on, the hub is reparented to PID 1 and keeps the port and the store. `npm start` execs the hub, so
// there the signal arrives; `npx` always puts a shell in between, and npm itself may be SIGKILLed. Node has no
// prctl(PR_SET_PDEATHSIG), so the hub checks its parent twice a second (one tiny /proc read, an unref'd timer).
// Not done for `node bin/lifeline.js start` run directly: a hub under nohup or a process manager must outlive
// the shell that started it.
import { readFileSync } from 'node:fs';

/** The parent's pid now (Linux: from /proc; process.ppid is fixed at start), or undefined when it is gone. */
function currentParent(original: number): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // "pid (comm) state ppid …"; comm may hold ')'
  } catch {
    try { process.kill(original, 0); return original; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM' ? original : undefined; }
  }
}

/** Whether this process should stop with its parent: started by npm, unless LIFELINE_EXIT_WITH_PARENT says otherwise. */
export function shouldExitWithParent(env: NodeJS.ProcessEnv): boolean {
  if (env.LIFELINE_EXIT_WITH_PARENT === '0') return false;
  return env.LIFELINE_EXIT_WITH_PARENT === '1' || Boolean(env.npm_lifecycle_event);
}

/** Call `onGone` once when the parent process exits (the hub was reparented). Returns a function that stops watching. */
export function watchParent(onGone: () => void, intervalMs = 500): () => void {
  const original = process.ppid;
  const check = () => {
    if (currentParent(original) === original) return;
    clearInterval(timer);
    onGone();
  };
  const timer = setInterval(check, intervalMs);
  timer.unref(); // never what keeps the process alive
  check();
  return () => clearInterval(timer);
}

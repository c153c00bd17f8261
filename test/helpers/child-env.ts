// The environment for a node child process a test starts (a hub, a CLI command).
//
// tap puts `--import=…/@tapjs/processinfo/…` into NODE_OPTIONS, so every node process a test starts inherits tap's
// loader hook: one more hooks thread and a hook call per imported module, ~0.5 s CPU per child even for a short CLI
// command. It only records which files each test touched (tap's --changed and its own coverage, both unused here).
// The coverage hook npm test adds to NODE_OPTIONS (scripts/coverage-hook.mjs) is kept, so children are covered too.
const tapHook = /--import=\S*@tapjs[\\/]processinfo\S*/g;

// A test's hub keeps a small store: its page cache is 16 MB instead of 128, zeroed at every start (about 0.4 s of CPU
// less per hub; docs/store.md). A test may set its own.
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LIFELINE_EMBEDDED_CACHE_MB: '16', ...process.env, ...extra };
  if (env.NODE_OPTIONS) {
    const rest = env.NODE_OPTIONS.replace(/"(--import=\S*@tapjs[\\/]processinfo\S*)"/g, '$1').replace(tapHook, '').trim();
    if (rest) env.NODE_OPTIONS = rest; else delete env.NODE_OPTIONS;
  }
  return env;
}

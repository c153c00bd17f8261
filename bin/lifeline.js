#!/usr/bin/env -S node --max-semi-space-size=32
// Entry point. Runs the compiled CLI in dist/ (`npm ci` builds it: the `prepare` script) when that build is up to date
// with the sources; otherwise the TypeScript sources through tsx, after saying why on stderr. So an edited source is
// never run from an old build (docs/build.md).
//   LIFELINE_RUN=auto (default) as above; =ts always the sources, silently (development);
//   =dist the build only: exit 1 when it is missing or stale (CI and production: no silent slow path).
import { buildState } from './build-state.js';

process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
const mode = process.env.LIFELINE_RUN || 'auto';
if (!['auto', 'ts', 'dist'].includes(mode)) {
  console.error(`lifeline: LIFELINE_RUN=${mode}: expected auto, ts or dist`);
  process.exit(2);
}
let main;
if (mode !== 'ts') {
  const state = buildState();
  if (state.fresh) {
    process.setSourceMapsEnabled(true); // stack traces name the .ts files and lines
    ({ main } = await import('../dist/cli.js'));
  } else if (mode === 'dist') {
    console.error(`lifeline: ${state.reason}, and LIFELINE_RUN=dist allows only the compiled build: run npm run build`);
    process.exit(1);
  } else {
    console.error(`lifeline: ${state.reason}: running the TypeScript sources through tsx (slower start; npm run build compiles them)`);
  }
}
if (!main) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../hub/cli/main.ts'));
}
await main(process.argv.slice(2));

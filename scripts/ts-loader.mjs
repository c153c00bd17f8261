// `node --import=./scripts/ts-loader.mjs FILE.ts`: run the project's TypeScript (the test processes: .taprc's
// node-arg). The hooks are in scripts/ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);

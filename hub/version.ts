// The hub's version (package.json), in a module of its own: `lifeline --help` needs it without loading the hub.
import { readFileSync } from 'node:fs';

export const hubVersion: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

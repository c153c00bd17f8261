import type { AdapterDefinition, AdapterContext } from '../../hub/sdk/index.ts';

/** What a clause gets: the adapter under test and a way to create it against a real store. */
export interface ClauseContext {
  adapter: AdapterDefinition;
  /** The config the vendor supplied (or one built from the schema's examples), defaults filled. */
  config: Record<string, unknown>;
  /** A fresh AdapterContext backed by a real embedded store and pipeline. */
  newContext(): AdapterContext;
}

export interface Finding { status: 'pass' | 'fail'; message: string }

export interface Clause {
  /** Stable id, e.g. MANIFEST-001. */
  id: string;
  title: string;
  run(c: ClauseContext): Promise<Finding> | Finding;
}

export const pass = (message = 'ok'): Finding => ({ status: 'pass', message });
export const fail = (message: string): Finding => ({ status: 'fail', message });

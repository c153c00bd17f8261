// Topic templates: `lifeline/{domain}/{site}/{point}` with variables from the observation.
import type { Observation } from '../../hub/sdk/index.ts';
import { LifelineError } from '../../hub/sdk/index.ts';

export const TOPIC_VARIABLES = ['domain', 'site', 'device', 'point', 'indicator', 'kind'] as const;
type Variable = (typeof TOPIC_VARIABLES)[number];

/** A value may not open a new topic level or be a wildcard. */
const safe = (v: string) => (v ? v.replace(/[+#/\u0000]/g, '_') : '_');

/** Compile a template once; throws CONFIG_INVALID naming an unknown variable or a wildcard. */
export function compileTopic(template: string): (o: Observation) => string {
  const parts = template.split(/(\{[^}]*\})/);
  for (const p of parts) {
    if (p.startsWith('{') && !(TOPIC_VARIABLES as readonly string[]).includes(p.slice(1, -1))) {
      throw new LifelineError('CONFIG_INVALID', `topic: unknown variable ${p}; use ${TOPIC_VARIABLES.map((v) => `{${v}}`).join(', ')}`, { details: { path: '/topic' } });
    }
    if (!p.startsWith('{') && /[+#]/.test(p)) throw new LifelineError('CONFIG_INVALID', 'topic: + and # are subscription wildcards, not allowed in a publish topic', { details: { path: '/topic' } });
  }
  return (o) => {
    let s = '';
    for (const p of parts) s += p.startsWith('{') ? safe(String(o[p.slice(1, -1) as Variable] ?? '')) : p;
    return s;
  };
}

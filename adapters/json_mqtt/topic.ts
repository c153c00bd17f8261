// Topic templates: `sensors/{vendor}/{device}/up` subscribes to `sensors/+/+/up` and reads
// {vendor, device} from each message's topic. Pure: no I/O.

/** A compiled topic template. */
export interface TopicTemplate {
  /** The template as configured. */
  template: string;
  /** The MQTT topic filter to subscribe to (with a `$share/<group>/` prefix when the template has one). */
  filter: string;
  /** Variable names, in level order. */
  vars: string[];
  /** The variables of `topic` when it matches this template, else undefined. */
  match(topic: string): Record<string, string> | undefined;
}

const VAR = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Compile a template; throws an Error naming the problem (the caller adds the config path). */
export function compileTopic(template: string): TopicTemplate {
  if (!template) throw new Error('topic template is empty');
  let share = '';
  let rest = template;
  if (rest.startsWith('$share/')) {
    const parts = rest.split('/');
    if (parts.length < 3 || !parts[1]) throw new Error(`"${template}": a shared subscription is $share/<group>/<topic>`);
    share = `$share/${parts[1]}/`;
    rest = parts.slice(2).join('/');
  }
  const levels = rest.split('/');
  const vars: string[] = [];
  const filterLevels: string[] = [];
  // Per level: a literal to compare, a variable slot (index into vars), '+' (any, unnamed) or '#' (the rest).
  const plan: Array<{ literal?: string; varIndex?: number; any?: true; rest?: true }> = [];
  levels.forEach((level, i) => {
    const v = VAR.exec(level);
    if (v) {
      if (vars.includes(v[1]!)) throw new Error(`"${template}": variable {${v[1]}} appears twice`);
      plan.push({ varIndex: vars.length });
      vars.push(v[1]!);
      filterLevels.push('+');
    } else if (level === '+') {
      plan.push({ any: true }); filterLevels.push('+');
    } else if (level === '#') {
      if (i !== levels.length - 1) throw new Error(`"${template}": # must be the last level`);
      plan.push({ rest: true }); filterLevels.push('#');
    } else if (/[{}+#]/.test(level)) {
      throw new Error(`"${template}": level "${level}" must be a literal, {name}, + or # (a variable takes a whole level)`);
    } else {
      plan.push({ literal: level }); filterLevels.push(level);
    }
  });
  return {
    template,
    filter: share + filterLevels.join('/'),
    vars,
    match(topic) {
      const parts = topic.split('/');
      const out: Record<string, string> = {};
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i]!;
        if (p.rest) {
          // '#' matches the parent level too, but not topics starting with '$' at the first level.
          if (i === 0 && topic.startsWith('$')) return undefined;
          return out;
        }
        const part = parts[i];
        if (part === undefined) return undefined;
        if (p.literal !== undefined) { if (part !== p.literal) return undefined; continue; }
        if (i === 0 && part.startsWith('$')) return undefined; // wildcards never match $SYS-style topics
        if (p.varIndex !== undefined) out[vars[p.varIndex]!] = part;
      }
      return parts.length === plan.length ? out : undefined;
    },
  };
}

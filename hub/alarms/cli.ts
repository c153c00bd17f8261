// `lifeline alarms list|show|ack|assess|dispatch|resolve|archive …` and `lifeline rules backtest …`: through a
// running hub's API (--url, --key; or LIFELINE_URL, LIFELINE_API_KEY). docs/alarms.md.
import { parseArgs } from 'node:util';
import { LifelineError } from '../sdk/errors.ts';

const ALARMS_USAGE = `usage: lifeline alarms list [--state S] [--level L] [--active true|false] [--site C] [--device C] [--point C] [--from T] [--to T] [--limit N]
       lifeline alarms show ID
       lifeline alarms board [--site C] [--active true|false]
       lifeline alarms ack|assess|archive ID [--note TEXT]
       lifeline alarms dispatch ID --assignee NAME [--note TEXT]
       lifeline alarms resolve ID --note TEXT
  every command: [--url URL (default LIFELINE_URL or http://127.0.0.1:8080)] [--key KEY (default LIFELINE_API_KEY)] [--json]`;
const RULES_USAGE = `usage: lifeline rules backtest (--point C | --device C | --site C) --from T --to T (--rule JSON | --rule-file FILE) [--url URL] [--key KEY] [--json]
       lifeline rules list [--point C]`;

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

function client(url: string | undefined, key: string | undefined): Call {
  const base = url ?? process.env.LIFELINE_URL ?? 'http://127.0.0.1:8080';
  const k = key ?? process.env.LIFELINE_API_KEY;
  if (!k) throw new LifelineError('CONFIG_INVALID', 'no API key: pass --key or set LIFELINE_API_KEY');
  return async (method, path, body) => {
    const res = await fetch(new URL(path, base), {
      method, headers: { authorization: `Bearer ${k}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const out = res.status === 204 ? {} : await res.json() as Record<string, unknown>;
    if (!res.ok) throw new LifelineError(String(out.code ?? 'INTERNAL'), String(out.message ?? res.statusText), { details: out.details as never });
    return out;
  };
}

const line = (a: Record<string, unknown>) => [a.id, a.level_name ?? a.level, a.type, a.site, a.device, a.point ?? '-', a.state, a.active ? 'active' : 'cleared',
  a.first_time, `x${a.count}`, a.overdue ? 'OVERDUE' : ''].join('\t').trimEnd();

export async function alarmsCommand(args: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' },
    state: { type: 'string' }, level: { type: 'string' }, active: { type: 'string' }, site: { type: 'string' }, device: { type: 'string' }, point: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' }, note: { type: 'string' }, assignee: { type: 'string' },
  } });
  const [cmd, id] = positionals;
  if (!cmd || cmd === 'help') { out(ALARMS_USAGE); return cmd ? 0 : 2; }
  const call = client(v.url, v.key);
  const show = (x: unknown, text: () => string) => out(v.json ? JSON.stringify(x, null, 2) : text());
  const q = (keys: string[]) => new URLSearchParams(keys.flatMap((k) => ((v as Record<string, unknown>)[k] === undefined ? [] : [[k, String((v as Record<string, unknown>)[k])] as [string, string]]))).toString();
  switch (cmd) {
    case 'list': {
      const r = await call('GET', `/v1/alarms?${q(['state', 'level', 'active', 'site', 'device', 'point', 'from', 'to', 'limit'])}`);
      show(r, () => (r.data as Array<Record<string, unknown>>).map(line).join('\n') || 'no alarms');
      return 0;
    }
    case 'board': {
      const r = await call('GET', `/v1/alarms/board?${q(['site', 'active'])}`);
      show(r, () => (r.data as Array<Record<string, unknown>>).map((b) => [b.site_name, b.enterprise ?? '', b.address ?? '', b.device_name, b.first_time, b.latest_time, b.count, b.type_name].join('\t')).join('\n') || 'no alarms');
      return 0;
    }
    case 'show': {
      if (!id) { out(ALARMS_USAGE); return 2; }
      const r = await call('GET', `/v1/alarms/${encodeURIComponent(id)}`);
      show(r, () => [line(r), ...(r.events as Array<Record<string, unknown>>).map((e) => `  ${e.at}\t${e.type}${e.level ? ` level ${e.level}` : ''}${e.value !== null ? ` value ${e.value}` : ''}${e.by ? ` by ${e.by}` : ''}${e.assignee ? ` → ${e.assignee}` : ''}${e.note ? `: ${e.note}` : ''}`)].join('\n'));
      return 0;
    }
    case 'ack': case 'assess': case 'dispatch': case 'resolve': case 'archive': {
      if (!id) { out(ALARMS_USAGE); return 2; }
      const body: Record<string, string> = {};
      if (v.note !== undefined) body.note = v.note;
      if (v.assignee !== undefined) body.assignee = v.assignee;
      const r = await call('POST', `/v1/alarms/${encodeURIComponent(id)}/${cmd}`, body);
      show(r, () => `alarm ${r.id}: ${r.state}`);
      return 0;
    }
    default: out(ALARMS_USAGE); return 2;
  }
}

export async function rulesCommand(args: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, allowPositionals: true, options: {
    url: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' }, site: { type: 'string' }, device: { type: 'string' }, point: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, rule: { type: 'string' }, 'rule-file': { type: 'string' },
  } });
  const [cmd] = positionals;
  if (cmd === 'list') {
    const r = await client(v.url, v.key)('GET', `/v1/alarm-rules${v.point ? `?point=${encodeURIComponent(v.point)}` : ''}`);
    out(JSON.stringify(r, null, 2));
    return 0;
  }
  if (cmd !== 'backtest') { out(RULES_USAGE); return 2; }
  let rule: unknown;
  try {
    const { readFileSync } = await import('node:fs');
    const text = v['rule-file'] ? readFileSync(v['rule-file'], 'utf8') : v.rule;
    if (!text || !v.from || !v.to) { out(RULES_USAGE); return 2; }
    rule = v['rule-file']?.match(/\.ya?ml$/) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (e) {
    throw new LifelineError('CONFIG_INVALID', `--rule/--rule-file: not a rule (${(e as Error).message})`);
  }
  const r = await client(v.url, v.key)('POST', '/v1/alarm-rules/backtest', { rule, site: v.site, device: v.device, point: v.point, from: v.from, to: v.to });
  if (v.json) { out(JSON.stringify(r, null, 2)); return 0; }
  const alarms = r.alarms as Array<Record<string, unknown> & { events: unknown[] }>;
  out(`${r.readings} readings${r.truncated ? ' (truncated)' : ''}: ${alarms.length} alarm(s)`);
  for (const a of alarms) out(`  ${a.point}\t${a.type}\tlevel ${a.level} (peak ${a.peak_level})\t${a.first_time} → ${a.cleared_time ?? 'still active'}\tx${a.count}\t${a.events.length} events`);
  return 0;
}

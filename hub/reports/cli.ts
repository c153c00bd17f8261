// `lifeline report daily|monthly …`: a data-quality report from a running hub's API (--url, --key; or LIFELINE_URL,
// LIFELINE_API_KEY) into a file, with progress on stderr while the hub computes and sends it. docs/reports.md.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { LifelineError } from '../sdk/errors.ts';

const USAGE = `usage: lifeline report daily   [--date YYYY-MM-DD] [--scope KEY=VALUE …] [--group G,…] [--format xlsx|csv|json] [--out FILE]
       lifeline report monthly [--month YYYY-MM]   [--scope KEY=VALUE …] [--group G,…] [--format xlsx|csv|json] [--out FILE]
  --date / --month  the day or month in the hub's time zone (default: yesterday / last month)
  --scope           narrow the report: enterprise=NAME, site=CODE, domain=D or point=CODE (repeat it; a value may list
                    several, comma-separated). The API key's own scope always applies as well.
  --group           enterprise, site, domain, point (default: all four; XLSX: one sheet each)
  --format          default: from --out's extension (.xlsx, .csv, .json), else json
  --out FILE        where to write (written to FILE.part, renamed when complete); without it csv/json go to stdout
  every command: [--url URL (default LIFELINE_URL or http://127.0.0.1:8080)] [--key KEY (default LIFELINE_API_KEY)] [--quiet]`;

const SCOPE_KEYS = ['enterprise', 'site', 'domain', 'point'];
const FORMATS = ['xlsx', 'csv', 'json'] as const;
const mb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} kB`);

export async function reportCommand(args: string[], io: { out: (s: string) => void; err: (s: string) => void; stdout?: NodeJS.WritableStream } = { out: console.log, err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  if (args.some((a) => a === '--help' || a === '-h')) { io.out(USAGE); return 0; }
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: {
      url: { type: 'string' }, key: { type: 'string' }, date: { type: 'string' }, month: { type: 'string' }, scope: { type: 'string', multiple: true },
      group: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' },
    } });
  } catch (e) { io.err(`${(e as Error).message}\n${USAGE}`); return 2; }
  const { values: v, positionals: [kind] } = parsed;
  if (kind !== 'daily' && kind !== 'monthly') { io.err(USAGE); return kind === 'help' || kind === undefined ? (kind ? 0 : 2) : 2; }
  if (kind === 'daily' && v.month !== undefined) { io.err('--month is for `report monthly`; a daily report takes --date'); return 2; }
  if (kind === 'monthly' && v.date !== undefined) { io.err('--date is for `report daily`; a monthly report takes --month'); return 2; }
  const ext = v.out?.match(/\.(xlsx|csv|json)$/i)?.[1]?.toLowerCase();
  const format = (v.format ?? ext ?? 'json') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) { io.err(`--format: "${format}" is not one of ${FORMATS.join(', ')}`); return 2; }
  if (format === 'xlsx' && !v.out) { io.err('an XLSX report needs --out FILE.xlsx'); return 2; }

  const q = new URLSearchParams({ format });
  if (v.date !== undefined) q.set('date', v.date);
  if (v.month !== undefined) q.set('month', v.month);
  if (v.group !== undefined) q.set('group', v.group);
  const narrow = new Map<string, string[]>();
  for (const s of v.scope ?? []) {
    const m = /^([a-z]+)=(.+)$/.exec(s);
    if (!m || !SCOPE_KEYS.includes(m[1]!)) { io.err(`--scope: "${s}" is not KEY=VALUE with KEY one of ${SCOPE_KEYS.join(', ')}`); return 2; }
    narrow.set(m[1]!, [...(narrow.get(m[1]!) ?? []), m[2]!]);
  }
  for (const [k, vals] of narrow) q.set(k, vals.join(','));

  const base = v.url ?? process.env.LIFELINE_URL ?? 'http://127.0.0.1:8080';
  const key = v.key ?? process.env.LIFELINE_API_KEY;
  if (!key) throw new LifelineError('CONFIG_INVALID', 'no API key: pass --key or set LIFELINE_API_KEY');
  const say = (s: string) => { if (!v.quiet) io.err(s); };
  const t0 = performance.now();
  const secs = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  say(`report ${kind}${v.date ?? v.month ? ` ${v.date ?? v.month}` : ''}: asking the hub at ${base}…`);
  const res = await fetch(new URL(`/v1/reports/${kind}?${q}`, base), { headers: { authorization: `Bearer ${key}` } }).catch((e: Error) => {
    throw new Error(`could not reach the hub at ${base} (${(e.cause as Error | undefined)?.message ?? e.message}): is it running? (--url, LIFELINE_URL)`);
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { code?: string; message?: string; details?: never };
    throw new LifelineError(String(body.code ?? 'INTERNAL'), String(body.message ?? res.statusText), { details: body.details });
  }
  say(`  computed in ${secs()}; receiving ${format.toUpperCase()}…`);

  const target = v.out ? `${v.out}.part` : undefined;
  const sink = target ? createWriteStream(target) : (io.stdout ?? process.stdout);
  let bytes = 0, lastSaid = performance.now();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (!sink.write(chunk)) await once(sink, 'drain');
      if (performance.now() - lastSaid > 1000) { lastSaid = performance.now(); say(`  received ${mb(bytes)} (${secs()})`); }
    }
    if (target) { (sink as NodeJS.WritableStream).end(); await once(sink, 'finish'); await rename(target, v.out!); }
  } catch (e) {
    if (target) { (sink as NodeJS.WritableStream & { destroy(): void }).destroy(); await rm(target, { force: true }); }
    throw e;
  }
  const rows = res.headers.get('x-report-rows');
  say(`${v.out ? `wrote ${v.out}` : 'done'}: ${mb(bytes)}${rows ? `, ${Number(rows).toLocaleString('en')} rows` : ''} in ${secs()}`);
  return 0;
}

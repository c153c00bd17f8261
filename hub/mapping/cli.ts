// `lifeline mapping test PROFILE PAYLOAD [--vars k=v,…] [--json]` and `lifeline mapping list`:
// run a payload through a profile and print the readings it would produce, or why not.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LifelineError } from '../sdk/errors.ts';
import type { SourceReading } from '../../schemas/generated/types.ts';
import { loadProfile, resolveProfilePath, shippedProfiles, readProfile, isTableProfile } from './load.ts';
import type { MappingResult } from './types.ts';

export const mappingUsage = `usage:
  lifeline mapping test PROFILE PAYLOAD [--vars k=v,...] [--json] [--timezone ZONE] [--protocol P] [--received-at TIME]
      PROFILE: a shipped profile name or a YAML/JSON profile file; PAYLOAD: a JSON file, or - for stdin;
      with a table profile (CSV/XLSX, see docs/uploads.md) PAYLOAD is the CSV or XLSX file
  lifeline mapping list`;

export interface CliOutput { ok: boolean; output: string }

function parseVars(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i < 1) throw new LifelineError('MAPPING_INVALID', `--vars: "${part}" is not k=v (e.g. --vars device=GD-001,site=GS-001)`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

const who = (r: SourceReading) => r.point ? `point ${r.point}` : r.device ? `device ${r.device}` : `${r.identity?.protocol}:${r.identity?.key}`;

export function formatResult(profile: string, file: string, r: MappingResult): string {
  const lines = [`profile ${profile} (${file}): ${r.readings.length} reading(s), ${r.failed} failure(s)`];
  if (r.readings.length) {
    const rows = r.readings.map((x, i) => [String(i + 1), who(x), x.field ?? '', new Date(x.time as number).toISOString(), x.value === null ? 'null' : String(x.value), x.unit ?? '',
      [x.kind && x.kind !== 'rtd' ? `kind ${x.kind}` : '', x.flag ? `flag ${x.flag}` : '', x.quality ? `quality ${x.quality}` : '', x.message_id ? `msg ${x.message_id}` : '', x.warnings?.length ? `warnings ${x.warnings.join(',')}` : ''].filter(Boolean).join('  ')]);
    const head = ['#', 'device', 'field', 'time (UTC)', 'value', 'unit', ''];
    const w = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k]!.length)));
    const line = (row: string[]) => row.map((c, k) => c.padEnd(w[k]!)).join('  ').trimEnd();
    lines.push('', line(head), ...rows.map(line));
  }
  if (r.failures.length) {
    lines.push('');
    for (const f of r.failures) lines.push(`FAILED ${f.code}${f.field ? ` at ${f.field}` : ''}: ${f.message}`);
    if (r.failed > r.failures.length) lines.push(`… and ${r.failed - r.failures.length} more`);
  }
  return lines.join('\n');
}

export async function mappingCommand(args: string[], stdin: () => string = () => readFileSync(0, 'utf8')): Promise<CliOutput> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    vars: { type: 'string' }, json: { type: 'boolean' }, timezone: { type: 'string' }, protocol: { type: 'string', default: 'json_http' }, 'received-at': { type: 'string' },
  } });
  const [sub, profileArg, payloadArg] = positionals;
  if (sub === 'list') {
    const rows = shippedProfiles().map((n) => `  ${n.padEnd(16)} ${(readProfile(resolveProfilePath(n)) as { description?: string }).description ?? ''}`);
    return { ok: true, output: `shipped mapping profiles (hub/mapping/profiles/):\n${rows.join('\n')}` };
  }
  if (sub !== 'test' || !profileArg || !payloadArg) return { ok: false, output: mappingUsage };
  const file = resolveProfilePath(profileArg);
  if (isTableProfile(profileArg)) return tableTest(profileArg, file, payloadArg, values.json === true, values.timezone);
  const profile = loadProfile(profileArg, undefined, { timezone: values.timezone, protocol: values.protocol });
  let payload: unknown;
  const text = payloadArg === '-' ? stdin() : readFileSync(payloadArg, 'utf8');
  try { payload = JSON.parse(text.replace(/^\uFEFF/, '')); } catch (e) {
    return { ok: false, output: `${payloadArg}: not valid JSON: ${(e as Error).message}` };
  }
  const receivedAt = values['received-at'] ? Date.parse(values['received-at']) : Date.now();
  if (Number.isNaN(receivedAt)) return { ok: false, output: `--received-at: "${values['received-at']}" is not a date-time` };
  const r = await profile.map({ payload, vars: parseVars(values.vars), receivedAt });
  const output = values.json ? JSON.stringify({ profile: profile.name, file, ...r }, null, 2) : formatResult(profile.name, relative(process.cwd(), file) || file, r);
  return { ok: r.failed === 0, output };
}

async function tableTest(profileArg: string, file: string, dataFile: string, json: boolean, timezone?: string): Promise<CliOutput> {
  const { tryFile } = await import('../uploads/try-file.ts');
  const r = await tryFile(profileArg, dataFile, { timezone, keep: 1000 });
  if (json) return { ok: r.failed === 0, output: JSON.stringify({ ...r, file }, null, 2) };
  const mr: MappingResult = { readings: r.readings, failed: r.failed, failureCodes: {}, failures: r.failures.map((f) => ({ code: f.code, message: f.message, field: f.column })) };
  const head = `${r.format.toUpperCase()}${r.encoding ? `, ${r.encoding} (by ${r.encodingBy})` : ''}, ${r.rows} data row(s)`;
  let out = formatResult(r.profile, relative(process.cwd(), file) || file, mr).replace(/: (\d+) reading\(s\)/, `: ${head}, $1 reading(s)`);
  if (r.readingCount > r.readings.length) out = out.replace(/ reading\(s\)/, ` reading(s) (first ${r.readings.length} shown; ${r.readingCount} in all)`);
  return { ok: r.failed === 0, output: out };
}

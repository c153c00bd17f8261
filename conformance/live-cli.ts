// `lifeline conformance device modbus …`, `lifeline conformance feed …` and `lifeline conformance sqldb …`: run the
// profile, write the report (JSON, HTML, Markdown, evidence log) with --out, print it; exit 0 only on a pass.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { LifelineError } from '../hub/sdk/errors.ts';
import { writeReport } from './cli.ts';
import { certToMarkdown } from './report/cert-markdown.ts';
import type { LiveRun } from './live/report.ts';

const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);
const COMMON = { out: { type: 'string' }, 'key-file': { type: 'string' }, 'key-id': { type: 'string' }, json: { type: 'boolean' }, capabilities: { type: 'string' } } as const;
const PRODUCT = { vendor: { type: 'string' }, product: { type: 'string' }, version: { type: 'string' } } as const;

export const MODBUS_USAGE = 'usage: lifeline conformance device modbus --host HOST [--port 502] [--unit 1] --profile FILE|NAME [--timeout-ms 1000] [--rounds 3] [--unmapped ADDR] [--capabilities FILE] [--out DIR] [--key-file FILE] [--key-id ID] [--json]';
export const FEED_USAGE = 'usage: lifeline conformance feed --profile NAME|FILE [--samples DIR|FILE] [--config HUB.yaml] [--timezone Asia/Shanghai] [--protocol json_http] [--vars k=v,…] [--vendor V --product P --version X | --capabilities FILE] [--out DIR] [--key-file FILE] [--json]';
export const SQLDB_USAGE = 'usage: lifeline conformance sqldb --url DB_URL [--table lifeline_reading] [--timezone Asia/Shanghai] [--settle-ms 5000] [--rows 10000] [--vendor V --product P --version X | --capabilities FILE] [--out DIR] [--key-file FILE] [--json]';

function keyOf(file: string | undefined, id: string | undefined) {
  if (!file) return undefined;
  try { return { key: Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'), id }; } catch (e) { throw bad(`--key-file: ${(e as Error).message}`); }
}

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`--${name}: an integer ${min}…${max}, not "${v}"`);
  return n;
}

function emit(run: LiveRun, out: string | undefined, json: boolean | undefined): number {
  if (out) { writeReport(out, run.report, run.evidence); console.error(`kit: wrote report.json, report.html, report.md and evidence.ndjson to ${out}`); }
  console.log(json ? JSON.stringify(run.report, null, 2) : certToMarkdown(run.report));
  return run.report.verdict === 'pass' ? 0 : 1;
}

/** `lifeline conformance device modbus …` (args after `modbus`). */
export async function modbusDeviceCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, host: { type: 'string' }, port: { type: 'string', default: '502' }, unit: { type: 'string', default: '1' }, profile: { type: 'string' }, 'timeout-ms': { type: 'string' }, rounds: { type: 'string' }, unmapped: { type: 'string' } } });
  if (!values.host || !values.profile) throw bad(MODBUS_USAGE);
  const { runModbusDevice } = await import('./device/modbus/run.ts');
  const run = await runModbusDevice({
    host: values.host, port: int('port', values.port, 1, 65535)!, unit: int('unit', values.unit, 0, 255)!, profile: values.profile,
    timeoutMs: int('timeout-ms', values['timeout-ms'], 10, 60_000), rounds: int('rounds', values.rounds, 1, 100), unmapped: int('unmapped', values.unmapped, 0, 65535),
    capabilities: values.capabilities, key: keyOf(values['key-file'], values['key-id']), log: (l) => console.error(l),
  });
  return emit(run, values.out, values.json);
}

/** `lifeline conformance feed …` */
export async function feedCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, ...PRODUCT, profile: { type: 'string' }, samples: { type: 'string' }, config: { type: 'string' }, timezone: { type: 'string' }, protocol: { type: 'string' }, vars: { type: 'string' } } });
  if (!values.profile) throw bad(FEED_USAGE);
  const vars: Record<string, string> = {};
  for (const part of (values.vars ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 1) throw bad(`--vars: "${part}" is not k=v`);
    vars[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  const { runFeed } = await import('./feed/run.ts');
  const run = await runFeed({
    profile: values.profile, samples: values.samples, config: values.config, timezone: values.timezone, protocol: values.protocol, vars,
    capabilities: values.capabilities, vendor: values.vendor, product: values.product, version: values.version, key: keyOf(values['key-file'], values['key-id']),
  });
  return emit(run, values.out, values.json);
}

/** `lifeline conformance sqldb …` */
export async function sqldbCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, ...PRODUCT, url: { type: 'string' }, table: { type: 'string' }, timezone: { type: 'string' }, 'settle-ms': { type: 'string' }, rows: { type: 'string' } } });
  if (!values.url) throw bad(SQLDB_USAGE);
  const { runSqldb } = await import('./sqldb/run.ts');
  const run = await runSqldb({
    url: values.url, table: values.table, timezone: values.timezone, settleMs: int('settle-ms', values['settle-ms'], 0, 86_400_000), rows: int('rows', values.rows, 1, 1_000_000),
    capabilities: values.capabilities, vendor: values.vendor, product: values.product, version: values.version, key: keyOf(values['key-file'], values['key-id']),
  });
  return emit(run, values.out, values.json);
}

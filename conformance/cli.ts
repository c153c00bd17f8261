// `lifeline conformance device hj212 …` and `lifeline conformance verify DIR`: run a live-device profile and write
// the report (JSON, HTML, Markdown) with its evidence log; check a report's digests and signature.
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LifelineError } from '../hub/sdk/errors.ts';
import { loadStatement } from './capabilities.ts';
import { runHj212Device } from './device/hj212/run.ts';
import { toHtml } from './report/html.ts';
import { certToMarkdown } from './report/cert-markdown.ts';
import { verify, type CertReport, type LogEvent } from './report/model.ts';

const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);

/** `15m`, `90s`, `2h`, `1500ms` or plain seconds → ms. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw bad(`--duration: "${s}" is not a duration (e.g. 15m, 90s, 2h)`);
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2] ?? 's']!;
  if (!(ms >= 1000)) throw bad('--duration: at least 1 s');
  return ms;
}

function readKey(file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try { return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'); } catch (e) { throw bad(`--key-file: ${(e as Error).message}`); }
}

/** Writes report.json, report.html, report.md and evidence.ndjson into `dir`. */
export function writeReport(dir: string, report: CertReport, evidence: string): void {
  mkdirSync(dir, { recursive: true });
  const events = evidence.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogEvent);
  writeFileSync(join(dir, 'evidence.ndjson'), evidence);
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), toHtml(report, events));
  writeFileSync(join(dir, 'report.md'), certToMarkdown(report));
}

const DEVICE_USAGE = 'usage: lifeline conformance device modbus --host HOST … (see --help), or lifeline conformance device hj212 --listen HOST:PORT --capabilities FILE [--mn MN] [--pw PW] [--duration 15m] [--profile hj212-collector-basic|hj212-collector-full] [--out DIR] [--key-file FILE] [--key-id ID] [--time-tolerance S] [--json]';

/** Returns the exit code: 0 only when every applicable MUST clause passed. */
export async function deviceCommand(args: string[]): Promise<number> {
  if (args[0] === 'modbus') return (await import('./live-cli.ts')).modbusDeviceCommand(args.slice(1));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    listen: { type: 'string' }, mn: { type: 'string' }, pw: { type: 'string' }, capabilities: { type: 'string' }, duration: { type: 'string', default: '15m' },
    profile: { type: 'string' }, out: { type: 'string' }, 'key-file': { type: 'string' }, 'key-id': { type: 'string' }, 'time-tolerance': { type: 'string', default: '60' }, json: { type: 'boolean' },
  } });
  if (positionals[0] !== 'hj212') throw bad(`${positionals[0] ? `no live-device profile for "${positionals[0]}" (hj212, modbus); ` : ''}${DEVICE_USAGE}`);
  if (!values.listen || !values.capabilities) throw bad(DEVICE_USAGE);
  const m = /^(.*):(\d+)$/.exec(values.listen);
  if (!m || Number(m[2]) > 65535) throw bad(`--listen: "${values.listen}" is not HOST:PORT`);
  const tol = Number(values['time-tolerance']);
  if (!(tol > 0)) throw bad('--time-tolerance: seconds > 0');
  const { statement, sha256, file } = loadStatement(values.capabilities);
  const key = readKey(values['key-file']);
  const { report, evidence } = await runHj212Device({
    host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), statement, statementFile: file, statementSha256: sha256, mn: values.mn, pw: values.pw,
    durationMs: parseDuration(values.duration!), profile: values.profile, toleranceS: tol, key: key ? { key, id: values['key-id'] } : undefined,
    log: (l) => console.error(l),
  });
  if (values.out) { writeReport(values.out, report, evidence); console.error(`kit: wrote report.json, report.html, report.md and evidence.ndjson to ${values.out}`); }
  console.log(values.json ? JSON.stringify(report, null, 2) : certToMarkdown(report));
  return report.verdict === 'pass' ? 0 : 1;
}

/** `lifeline conformance verify DIR [--key-file FILE]`: 0 when the digests (and the signature, with a key) hold. */
export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'key-file': { type: 'string' } } });
  if (!positionals[0]) throw bad('usage: lifeline conformance verify DIR [--key-file FILE]');
  const dir = positionals[0];
  let report: CertReport, evidence: Buffer;
  try {
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CertReport;
    evidence = readFileSync(join(dir, report.evidence_log?.file ?? 'evidence.ndjson'));
  } catch (e) { throw bad(`cannot read the report in ${dir}: ${(e as Error).message}`); }
  const problems = verify(report, evidence, readKey(values['key-file']));
  if (problems.length) { console.error(problems.map((p) => `verify: ${p}`).join('\n')); return 1; }
  console.log(`verify: OK — report ${report.integrity.report_sha256}, evidence ${report.integrity.evidence_sha256}${values['key-file'] ? ', HMAC-SM3 signature valid' : ''}; verdict ${report.verdict}`);
  return 0;
}

// `lifeline conformance adapter NAME|PATH [--out DIR] [--key-file F]`: the adapter-contract profile against a
// built-in adapter (by id) or a plugin (path or npm name), with the driver its manifest declares. Same report format
// (JSON, HTML, Markdown, evidence log; SHA-256 and HMAC-SM3) as `lifeline conformance device`.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { LifelineError } from '../../hub/sdk/errors.ts';
import type { AdapterDefinition } from '../../hub/sdk/index.ts';
import { builtinAdapters } from '../../adapters/index.ts';
import { assertAdapter, importPlugin } from '../../hub/adapters/loader.ts';
import { certToMarkdown } from '../report/cert-markdown.ts';
import { writeReport } from '../cli.ts';
import { runAdapterContract, type ContractHost } from './run.ts';

const USAGE = 'usage: lifeline conformance adapter NAME|PATH [--out DIR] [--key-file FILE] [--key-id ID] [--mqtt URL] [--postgres URL] [--vendor NAME] [--json]';
const bad = (msg: string) => new LifelineError('CONFORMANCE_INVALID', msg);

/** Returns the exit code: 0 only when every applicable MUST clause passed. `io` is for tests (a shared store, captured output). */
export async function adapterCommand(args: string[], io: { host?: ContractHost; print?: (text: string) => void; log?: (text: string) => void } = {}): Promise<number> {
  const print = io.print ?? ((x: string) => console.log(x));
  const log = io.log ?? ((x: string) => console.error(x));
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    out: { type: 'string' }, 'key-file': { type: 'string' }, 'key-id': { type: 'string' }, mqtt: { type: 'string' }, postgres: { type: 'string' },
    vendor: { type: 'string' }, json: { type: 'boolean' },
  } });
  const target = positionals[0];
  if (!target) throw bad(USAGE);
  let adapter: AdapterDefinition;
  let builtin = false;
  if (builtinAdapters[target]) { adapter = assertAdapter(await builtinAdapters[target](), `built-in ${target}`); builtin = true; }
  else {
    try { adapter = await importPlugin(target, process.cwd()); } catch (e) {
      if (e instanceof LifelineError && e.code === 'ADAPTER_NOT_FOUND') throw new LifelineError(e.code, `${e.message} (built-in adapters: ${Object.keys(builtinAdapters).join(', ')})`, { cause: e });
      throw e;
    }
  }
  let key: Buffer | undefined;
  if (values['key-file']) {
    try { key = Buffer.from(readFileSync(values['key-file'], 'utf8').trim(), 'utf8'); } catch (e) { throw bad(`--key-file: ${(e as Error).message}`); }
  }
  log(`kit: adapter-contract profile for ${adapter.manifest.id} ${adapter.manifest.version}`);
  const { report, evidence } = await runAdapterContract({
    adapter, source: builtin ? `built-in adapter ${target}` : target, vendor: values.vendor ?? (builtin ? 'lifeline-hub' : undefined),
    services: { ...(values.mqtt ? { mqttUrl: values.mqtt } : {}), ...(values.postgres ? { postgresUrl: values.postgres } : {}) },
    key: key ? { key, id: values['key-id'] } : undefined, host: io.host,
  });
  if (values.out) { writeReport(values.out, report, evidence); log(`kit: wrote report.json, report.html, report.md and evidence.ndjson to ${values.out}`); }
  print(values.json ? JSON.stringify(report, null, 2) : certToMarkdown(report));
  return report.verdict === 'pass' ? 0 : 1;
}

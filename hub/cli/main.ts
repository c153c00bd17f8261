// `lifeline` command line. Each command imports what it needs when it runs (`await import`), so `--help` or
// `hj212 decode` does not load the hub, fastify or node-opcua: in the compiled build (dist/) every dynamic import is a
// chunk of its own. Keep the static imports below light.
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { hubVersion } from '../version.ts';
import { isLifelineError, LifelineError } from '../sdk/errors.ts';
import { domains } from '../../schemas/generated/enums.ts';
import { notOneOf } from '../did-you-mean.ts';

const usage = `lifeline ${hubVersion} — urban lifeline data hub

Usage:
  lifeline start [--config FILE]      run the hub (no config: embedded store in ./data and a sample registry)
  lifeline check-config FILE          validate a config file; errors name the offending path
  lifeline prepare-store              build the embedded store's template (npm install does it; makes a first start fast)
  lifeline indicators [--domain D] [--json]
                                      print the indicator catalogue
  lifeline hash-key KEY               print the hash to put in api.keys[].hash
  lifeline mapping test PROFILE PAYLOAD.json [--vars k=v,...] [--json]
                                      the readings a JSON payload maps to with a mapping profile, or why not
  lifeline mapping list               the shipped mapping profiles
  lifeline upload FILE --profile P [--url URL --key KEY] [--dry-run]
                                      send a CSV/XLSX file to a hub (progress, summary); --dry-run: map it here only
  lifeline publish status|dead-letters|replay|pause|resume [TARGET] [--config FILE | --url URL --key KEY]
                                      upstream delivery: backlog, lag, dead letters; replay, pause, resume
  lifeline alarms list|show|board|ack|assess|dispatch|resolve|archive [ID] [--url URL --key KEY]
                                      alarms and their handling (处置闭环) through a running hub's API
  lifeline rules backtest (--point|--device|--site C) --from T --to T --rule JSON|--rule-file FILE
                                      the alarms a rule would have raised over a past window (nothing written)
  lifeline report daily|monthly [--date D | --month M] [--scope KEY=VALUE …] [--group G,…] --out FILE.xlsx|.csv|.json
                                      data-quality report (completeness, online, timeliness, validity, alarms) from a
                                      running hub's API, with progress [--url URL --key KEY]
  lifeline store status|retention [--dry-run]|migrate [--config FILE | --data-dir DIR] [--json]
                                      observation partitions: sizes, rows, oldest/newest, what retention drops next;
                                      apply retention now; move a pre-partition store into the partitioned layout
  lifeline conformance MODULE [--config FILE] [--json] [--out FILE]
                                      certify an adapter (path or npm name); exit 1 when a clause fails
  lifeline conformance device hj212 --listen HOST:PORT --capabilities FILE [--mn MN] [--pw PW] [--duration 15m]
            [--profile P] [--out DIR] [--key-file FILE]
                                      certify a live HJ 212 collector: the kit plays the platform; exit 0 only when
                                      every MUST clause passed (docs/certification.md)
  lifeline conformance device modbus --host HOST [--port 502] [--unit 1] --profile FILE [--out DIR] [--key-file FILE]
                                      certify a live Modbus TCP device against its register map: every register,
                                      exceptions, values against the indicators, word order, response times
  lifeline conformance feed --profile P [--samples DIR] [--config HUB.yaml] [--out DIR]
                                      certify a vendor feed: every sample maps and validates; point coverage
  lifeline conformance sqldb --url DB_URL [--table NAME] [--out DIR]
                                      certify an intermediate table, read-only, against the standard table
  lifeline conformance adapter NAME|PATH [--out DIR] [--key-file FILE]
                                      adapter-contract profile: faults at the ingest boundary, ack after commit, no
                                      loss/duplicate/phantom, stop, health; the adapter's manifest names its driver
  lifeline conformance verify DIR [--key-file FILE]
                                      check a report's SHA-256 digests and HMAC-SM3 signature
  lifeline --version | --help

Commands of the adapters and publishers (declared in their manifests; more from LIFELINE_PLUGINS):
@ADAPTER_COMMANDS@

Environment: DATABASE_URL (PostgreSQL instead of the embedded store), REDIS_URL (BullMQ delivery), PORT, HOST,
LIFELINE_DATA_DIR, LOG_LEVEL, LIFELINE_API_KEY (the key to accept when api.keys is empty), LIFELINE_CACHE_DIR (the
embedded store template and the checked indicator catalogue, default ~/.cache/lifeline-hub), LIFELINE_EXIT_WITH_PARENT (1/0: stop when the launching
process exits; default 1 under npm/npx, 0 otherwise), LIFELINE_PLUGINS (comma-separated adapter modules, paths or npm
names, whose manifests add commands).`;

/** Build the embedded store's template now (npm install runs this), so the first start copies instead of initdb; and the catalogue cache. */
async function prepareStore() {
  const { ensureTemplate } = await import('../pglite-template.ts');
  const t = performance.now();
  try {
    const { dir, built } = await ensureTemplate();
    console.log(`embedded store template ${built ? `built in ${((performance.now() - t) / 1000).toFixed(1)} s` : 'already there'}: ${dir}`);
  } catch (e) {
    // Never fail an install for this: without a template the first start runs initdb itself, only slower.
    console.log(`embedded store template not built (${(e as Error).message}); the first start will take a few seconds longer`);
  }
  // The checked catalogue too, so even the first `lifeline indicators` reads it instead of parsing and validating YAML.
  try { await (await import('../registry/catalogue-cache.ts')).cachedCatalogue(); } catch { /* made on first use instead */ }
}

async function checkConfig(args: string[]) {
  if (!args[0]) throw new Error('usage: lifeline check-config FILE');
  // The checks `start` makes before it touches the store (schema, registry, environment, adapters, publish
  // targets), all of them in one run: each one goes on with what the others left usable.
  const { source, errors, counts: n } = await (await import('../config/check.ts')).checkConfigFile(args[0]);
  if (errors.length) throw new LifelineError('CONFIG_INVALID', `${source}: ${errors.length} problem(s):\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
  console.log(`${source}: OK (${n!.sites} sites, ${n!.devices} devices, ${n!.points} points, ${n!.adapters} adapters)`);
}

async function indicators(args: string[]) {
  const { values } = parseArgs({ args, options: { domain: { type: 'string' }, json: { type: 'boolean' } } });
  if (values.domain !== undefined && !domains.includes(values.domain as never)) throw new Error(`--domain: ${notOneOf('domain', values.domain, domains)}`);
  const { cachedCatalogue } = await import('../registry/catalogue-cache.ts');
  const list = (await cachedCatalogue()).filter((i) => !values.domain || i.domain === values.domain);
  if (values.json) { console.log(JSON.stringify(list, null, 2)); return; }
  const rows = list.map((i) => [i.code, i.unit, i.range ? `${i.range.min ?? ''}..${i.range.max ?? ''}` : '', i.resolution?.toString() ?? '', `${i.name.zh} / ${i.name.en}`]);
  const head = ['code', 'unit', 'range', 'resolution', 'name'];
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((x, k) => (k < r.length - 1 ? x.padEnd(w[k]!) : x)).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(`\n${list.length} indicators`);
}

async function conformance(args: string[]) {
  if (args[0] === 'device') { process.exitCode = await (await import('../../conformance/cli.ts')).deviceCommand(args.slice(1)); return; }
  if (args[0] === 'verify') { process.exitCode = await (await import('../../conformance/cli.ts')).verifyCommand(args.slice(1)); return; }
  if (args[0] === 'feed') { process.exitCode = await (await import('../../conformance/live-cli.ts')).feedCommand(args.slice(1)); return; }
  if (args[0] === 'sqldb') { process.exitCode = await (await import('../../conformance/live-cli.ts')).sqldbCommand(args.slice(1)); return; }
  if (args[0] === 'adapter') { process.exitCode = await (await import('../../conformance/contract/cli.ts')).adapterCommand(args.slice(1)); return; }
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } } });
  if (!positionals[0]) throw new Error('usage: lifeline conformance MODULE [--config FILE] [--json] [--out FILE]');
  const [{ runConformance, toMarkdown }, { parse }] = await Promise.all([import('../../conformance/index.ts'), import('yaml')]);
  // --config: YAML or JSON with the adapter's `config` and the `registry` its readings refer to.
  const opts = values.config ? (parse(readFileSync(values.config, 'utf8')) as Record<string, never>) : {};
  const report = await runConformance(positionals[0], { ...opts, baseDir: process.cwd() });
  const text = values.json ? JSON.stringify(report, null, 2) : toMarkdown(report);
  if (values.out) writeFileSync(values.out, text);
  console.log(text);
  if (report.failed) process.exitCode = 1;
}

/** The usage text with the adapters' commands filled in (their manifests are light to load). */
async function fullUsage(): Promise<string> {
  const { declaredCommands, commandsUsage } = await import('./adapter-commands.ts');
  return usage.replace('@ADAPTER_COMMANDS@', commandsUsage(await declaredCommands()));
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'start': return await (await import('./start.ts')).start(rest);
      case 'check-config': return await checkConfig(rest);
      case 'prepare-store': return await prepareStore();
      case 'indicators': return await indicators(rest);
      case 'conformance': return await conformance(rest);
      case 'mapping': { const r = await (await import('../mapping/cli.ts')).mappingCommand(rest); (r.ok ? console.log : console.error)(r.output); if (!r.ok) process.exitCode = 1; return; }
      case 'upload': process.exitCode = await (await import('../uploads/cli.ts')).uploadCommand(rest); return;
      case 'store': process.exitCode = await (await import('../store/cli.ts')).storeCommand(rest); return;
      case 'alarms': process.exitCode = await (await import('../alarms/cli.ts')).alarmsCommand(rest); return;
      case 'report': process.exitCode = await (await import('../reports/cli.ts')).reportCommand(rest); return;
      case 'rules': process.exitCode = await (await import('../alarms/cli.ts')).rulesCommand(rest); return;
      case 'publish': process.exitCode = await (await import('../delivery/cli.ts')).publishCommand(rest); return;
      case 'hash-key':
        if (!rest[0]) throw new Error('usage: lifeline hash-key KEY');
        console.log((await import('../api/auth.ts')).hashKey(rest[0]));
        return;
      case '--version': case '-v': console.log(hubVersion); return;
      case undefined: case '--help': case '-h': case 'help': console.log(await fullUsage()); return;
      default: {
        const { declaredCommands, matchCommand, commandsUsage, asksHelp, commandHelp } = await import('./adapter-commands.ts');
        const commands = await declaredCommands();
        const found = matchCommand(argv, commands);
        if (found && asksHelp(found.args)) { console.log(await commandHelp(found.command, found.args)); return; }
        if (found) { const code = await found.command.run(found.args); if (typeof code === 'number') process.exitCode = code; return; }
        const near = commands.filter((c) => c.words[0] === cmd);
        if (near.length) console.error(`lifeline ${cmd}: one of\n${commandsUsage(near)}`);
        else console.error(`unknown command "${cmd}"\n\n${await fullUsage()}`);
        process.exitCode = 2;
      }
    }
  } catch (e) {
    if (isLifelineError(e)) console.error(`error ${e.code}: ${e.message}`);
    else console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

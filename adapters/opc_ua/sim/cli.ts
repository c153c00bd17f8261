// `lifeline sim opcua`: run the OPC UA simulator; optionally write the hub config (registry + opc_ua block) for it.
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, resolve, dirname, relative } from 'node:path';
import { stringify } from 'yaml';
import { parseCliOptions, cliOptionsHelp } from '../../../hub/sdk/index.ts';
import { simOptions } from '../cli-options.ts';
import { OpcUaSim } from './server.ts';
import { simRegistry } from './points.ts';

export const usage = `usage: lifeline sim opcua [options]\n  an OPC UA server with lifeline variables whose values change (security on, a user and password)\noptions:\n${cliOptionsHelp(simOptions)}`;

export async function simCommand(args: string[], log: (l: string) => void = console.log): Promise<OpcUaSim | undefined> {
  let o: ReturnType<typeof parseCliOptions>;
  try { o = parseCliOptions(args, simOptions); } catch (e) { throw new Error(`${(e as Error).message}\n\n${usage}`); }
  if (o.help) { log(usage); return undefined; }
  if (o.positionals.length) throw new Error(`unexpected argument "${o.positionals[0]}"\n\n${usage}`);
  const values = {
    port: o.string('port'), items: o.string('items'), 'interval-ms': o.string('interval-ms'), 'pki-dir': o.string('pki-dir'),
    'allow-none': o.flag('allow-none'), 'accept-clients': o.flag('accept-clients'), user: o.string('user'), password: o.string('password'),
    'registry-out': o.string('registry-out'), 'by-browse-path': o.flag('by-browse-path'), 'data-dir': o.string('data-dir'),
    'sampling-ms': o.string('sampling-ms'), duration: o.string('duration'),
  };
  const port = Number(values.port), items = Number(values.items), intervalMs = Number(values['interval-ms']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: 0–65535\n${usage}`);
  if (!Number.isInteger(items) || items < 1) throw new Error(`--items: a positive integer\n${usage}`);
  if (!(intervalMs >= 10)) throw new Error(`--interval-ms: at least 10\n${usage}`);
  const user = { username: values.user!, password: values.password! };
  const sim = new OpcUaSim({
    port, items, intervalMs, pkiDir: resolve(values['pki-dir']!), allowNone: values['allow-none'], acceptUnknownCertificates: values['accept-clients'], user,
  });
  log(`sim opcua: starting ${items} variables (creating the server certificate on first start takes a few seconds)…`);
  await sim.start();
  log(`sim opcua: listening on ${sim.url}  (Sign/SignAndEncrypt with Basic256Sha256, Aes256_Sha256_RsaPss${values['allow-none'] ? '; None allowed' : ''}; user ${user.username})`);
  log(`sim opcua: values change every ${intervalMs} ms; PKI in ${resolve(values['pki-dir']!)}${values['accept-clients'] ? ' (accepting any client certificate)' : ''}`);
  if (values['registry-out']) {
    const file = resolve(values['registry-out']);
    const dataDir = resolve(values['data-dir'] ?? join(dirname(file), 'data'));
    const cfg = simRegistry(sim.items, {
      url: sim.url, byBrowsePath: values['by-browse-path'], user, samplingIntervalMs: values['sampling-ms'] ? Number(values['sampling-ms']) : undefined,
    });
    writeFileSync(file, `# Hub config for the OPC UA simulator at ${sim.url} (written by lifeline sim opcua)\n${stringify({ data_dir: dataDir, ...cfg })}`);
    // The hub must trust the simulator's certificate: the same as `lifeline opcua pki trust <sim cert>`.
    const trusted = join(dataDir, 'pki', 'trusted', 'certs');
    mkdirSync(trusted, { recursive: true });
    copyFileSync(join(sim.opts.pkiDir, 'own', 'certs', 'certificate.pem'), join(trusted, 'lifeline-sim.pem'));
    log(`sim opcua: wrote ${file} (${sim.items.length} points) and trusted the simulator's certificate in ${join(dataDir, 'pki')}`);
  }
  const config = values['registry-out'] ? ` --config ${relative(process.cwd(), resolve(values['registry-out'])) || values['registry-out']}` : '';
  const trustFirst = values['accept-clients'] ? '' : `  (the simulator trusts the hub once its certificate is moved from ${join(resolve(values['pki-dir']!), 'rejected')} to trusted/certs)`;
  log(`sim opcua: browse it with: npx lifeline opcua browse ${sim.url} --user ${user.username} --password ${user.password}${config}${trustFirst}`);
  const stop = async () => { await sim.stop(); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
  return sim;
}

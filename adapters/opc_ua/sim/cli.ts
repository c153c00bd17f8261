// `lifeline sim opcua`: run the OPC UA simulator; optionally write the hub config (registry + opc_ua block) for it.
import { parseArgs } from 'node:util';
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { stringify } from 'yaml';
import { OpcUaSim, DEFAULT_USER } from './server.ts';
import { simRegistry } from './points.ts';

const usage = `usage: lifeline sim opcua [--port 4840] [--items N] [--interval-ms 1000] [--pki-dir DIR] [--allow-none]
        [--accept-clients] [--user U --password P] [--registry-out FILE [--by-browse-path] [--data-dir DIR] [--sampling-ms MS]] [--duration S]
  --accept-clients   trust any client certificate (demo); otherwise trust the hub's in <pki-dir>/rejected → trusted
  --registry-out     write a hub config (data_dir, opc_ua adapter block, registry) for what the simulator serves, and
                     trust the simulator's certificate in the hub's PKI (<data-dir>/pki, data-dir default: FILE's ./data)
  --sampling-ms      the sampling interval written into that config's items (default: the adapter's)`;

export async function simCommand(args: string[], log: (l: string) => void = console.log): Promise<OpcUaSim | undefined> {
  const { values } = parseArgs({ args, options: {
    port: { type: 'string', default: '4840' }, items: { type: 'string', default: '5' }, 'interval-ms': { type: 'string', default: '1000' },
    'pki-dir': { type: 'string', default: './data/sim-opcua-pki' }, 'allow-none': { type: 'boolean' }, 'accept-clients': { type: 'boolean' },
    user: { type: 'string', default: DEFAULT_USER.username }, password: { type: 'string', default: DEFAULT_USER.password },
    'registry-out': { type: 'string' }, 'by-browse-path': { type: 'boolean' }, 'data-dir': { type: 'string' }, duration: { type: 'string' },
    'sampling-ms': { type: 'string' }, help: { type: 'boolean' },
  } });
  if (values.help) { log(usage); return undefined; }
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
  const stop = async () => { await sim.stop(); process.exit(0); };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
  return sim;
}

// `lifeline opcua …`: the hub's PKI trust lists, and a point-mapping draft browsed from a server's address space.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseCliOptions, cliOptionsHelp, LifelineError, type CliOption, type ParsedOptions } from '../../hub/sdk/index.ts';
import { browseOptions, pkiListOptions, pkiOptions } from './cli-options.ts';
import { identityOfBlock, pkiDirOf, type HubIdentity } from './identity.ts';
import { endpointProperty } from './schema.ts';

const commands: Array<{ words: string; args: string; help: string; options: CliOption[] }> = [
  { words: 'pki list', args: '', help: "certificates of the hub's PKI (own, trusted, issuers, rejected)", options: pkiListOptions },
  { words: 'pki init', args: '', help: "create the hub's certificate now (the adapter does on first start), to give to server operators", options: pkiOptions },
  { words: 'pki trust', args: '<cert-file|thumbprint>', help: 'trust a (server) certificate', options: pkiOptions },
  { words: 'pki reject', args: '<cert-file|thumbprint>', help: 'reject a certificate (move it back to rejected/)', options: pkiOptions },
  { words: 'browse', args: '<opc.tcp://…>', help: "draft OPC UA items (YAML) from a server's address space", options: browseOptions },
];

/** The help of one command (`pki list`, `browse`), or of all when `words` names none. */
export function opcuaUsage(words?: string): string {
  const chosen = commands.filter((c) => !words || c.words === words || c.words.startsWith(`${words} `));
  return (chosen.length ? chosen : commands).map((c) =>
    `usage: lifeline opcua ${c.words}${c.args ? ` ${c.args}` : ''} [options]\n  ${c.help}\noptions:\n${cliOptionsHelp(c.options)}`).join('\n\n');
}

/** PKI folder and hub identity: from --config's data_dir and opc_ua block, else --data-dir; --pki-dir wins. */
function hubSide(o: ParsedOptions): { pkiDir: string; id: HubIdentity } {
  const file = o.string('config');
  let dataDir = o.string('data-dir')!;
  let block: Record<string, unknown> | undefined;
  if (file) {
    let doc: { data_dir?: unknown; adapters?: { opc_ua?: Record<string, unknown> } } | null;
    try { doc = parse(readFileSync(file, 'utf8')) as typeof doc; } catch (e) {
      throw new LifelineError('CONFIG_INVALID', `--config ${file}: ${(e as Error).message}`, { cause: e });
    }
    block = doc?.adapters?.opc_ua;
    if (typeof doc?.data_dir === 'string') dataDir = resolve(dirname(resolve(file)), doc.data_dir);
    if (process.env.LIFELINE_DATA_DIR) dataDir = process.env.LIFELINE_DATA_DIR; // as the hub does
  }
  const pkiDir = resolve(o.string('pki-dir') ?? pkiDirOf(dataDir, typeof block?.pki_dir === 'string' ? block.pki_dir : undefined));
  return { pkiDir, id: identityOfBlock(block) };
}

export async function opcuaCommand(args: string[], out: (line: string) => void = console.log): Promise<void> {
  const [cmd, sub] = args;
  const words = cmd === 'pki' && sub && !sub.startsWith('-') ? `pki ${sub}` : cmd;
  const command = commands.find((c) => c.words === words);
  if (!command) {
    if (args.includes('--help') || args.includes('-h')) { out(opcuaUsage(cmd)); return; }
    throw new Error(opcuaUsage(cmd));
  }
  let o: ParsedOptions;
  try { o = parseCliOptions(args.slice(words!.split(' ').length), command.options); } catch (e) {
    throw new Error(`${(e as Error).message}\n\n${opcuaUsage(words)}`);
  }
  if (o.help) { out(opcuaUsage(words)); return; }
  const [arg] = o.positionals;
  if (command.args && !arg) throw new Error(`lifeline opcua ${words}: give ${command.args}\n\n${opcuaUsage(words)}`);
  const { pkiDir, id } = hubSide(o);
  const pki = await import('./pki.ts');
  if (words === 'pki list') {
    const certs = pki.listCertificates(pkiDir);
    if (o.flag('json')) { out(JSON.stringify(certs, null, 2)); return; }
    if (!certs.length) { out(`${pkiDir}: no certificates (the hub creates its own on first start with an opc_ua adapter, or now: lifeline opcua pki init)`); return; }
    for (const c of certs) out(`${c.where.padEnd(8)} ${c.thumbprint}  ${c.subject}${c.uri ? `  ${c.uri}` : ''}  valid to ${c.validTo.slice(0, 10)}`);
    const rejected = certs.filter((c) => c.where === 'rejected').length;
    if (rejected) out(`\n${rejected} rejected: trust one with \`lifeline opcua pki trust <thumbprint>\``);
    return;
  }
  if (words === 'pki init') {
    const cm = await pki.openPki(pkiDir, id);
    await cm.dispose().catch(() => undefined);
    const own = pki.listCertificates(pkiDir).find((c) => c.where === 'own' && c.file === pki.ownCertificateFile(pkiDir))!;
    out(`${pki.ownCertificateFile(pkiDir)}\n  ${own.thumbprint}  ${own.subject}${own.uri ? `  ${own.uri}` : ''}\ngive this certificate to the servers' operators to trust (an existing one is kept: remove ${resolve(pkiDir, 'own')} for a new one)`);
    return;
  }
  if (words === 'pki trust' || words === 'pki reject') {
    const r = await pki.setTrust(pkiDir, arg!, words === 'pki trust');
    out(`${words === 'pki trust' ? 'trusted' : 'rejected'} ${r.thumbprint} (${r.subject}) in ${pkiDir}`);
    return;
  }
  // browse
  for (const [flag, key] of [['security-mode', 'security_mode'], ['security-policy', 'security_policy']] as const) {
    const v = o.string(flag), allowed = endpointProperty(key).enum ?? [];
    if (v !== undefined && !allowed.includes(v)) throw new Error(`--${flag} ${v}: one of ${allowed.join(', ')}`);
  }
  if (!(Number(o.string('depth')) >= 1)) throw new Error(`--depth ${o.string('depth')}: a positive number`);
  const { browseDraft } = await import('./browse.ts');
  const user = o.string('user');
  const cm = await pki.openPki(pkiDir, id);
  try {
    const draft = await browseDraft({
      url: arg!, cm, pkiDir, id, root: o.string('root'), depth: Number(o.string('depth')), namespace: o.string('namespace'),
      securityMode: o.string('security-mode'), securityPolicy: o.string('security-policy'),
      user: user ? { username: user, password: o.string('password') ?? '' } : undefined,
      note: (line) => process.stderr.write(`  ${line}\n`),
      progress: (n) => process.stderr.write(`\r  browsed ${n} nodes…`),
    });
    process.stderr.write('\n');
    const text = `# Point-mapping draft from ${arg} (${draft.items.length} variables). Keep the items you need, and give\n# each either node_id or browse_path; data_type and description are for reading only.\n${stringify(draft)}`;
    const file = o.string('out');
    if (file) { writeFileSync(file, text); out(`wrote ${draft.items.length} items to ${file}`); } else out(text);
  } finally { await cm.dispose().catch(() => undefined); }
}

// `lifeline opcua …`: the hub's PKI trust lists, and a point-mapping draft browsed from a server's address space.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { listCertificates, setTrust, openPki } from './pki.ts';

const usage = `usage:
  lifeline opcua pki list [--data-dir DIR]                  certificates of the hub's PKI (own, trusted, issuers, rejected)
  lifeline opcua pki trust <cert-file|thumbprint> [--data-dir DIR]
  lifeline opcua pki reject <cert-file|thumbprint> [--data-dir DIR]
  lifeline opcua browse <opc.tcp://…> [--root NODEID] [--depth N] [--out FILE] [--namespace URI]
        [--security-mode None|Sign|SignAndEncrypt] [--security-policy P] [--user U --password P] [--data-dir DIR]
(--data-dir: the hub's data_dir, default ./data; the PKI is <data-dir>/pki, or --pki-dir DIR)`;

export async function opcuaCommand(args: string[], out: (line: string) => void = console.log): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: {
    'data-dir': { type: 'string', default: './data' }, 'pki-dir': { type: 'string' },
    root: { type: 'string' }, depth: { type: 'string', default: '6' }, out: { type: 'string' }, namespace: { type: 'string' },
    'security-mode': { type: 'string', default: 'SignAndEncrypt' }, 'security-policy': { type: 'string', default: 'Basic256Sha256' },
    user: { type: 'string' }, password: { type: 'string' }, json: { type: 'boolean' },
  } });
  const pkiDir = resolve(values['pki-dir'] ?? join(values['data-dir']!, 'pki'));
  const [cmd, sub, arg] = positionals;
  if (cmd === 'pki' && sub === 'list') {
    const certs = listCertificates(pkiDir);
    if (values.json) { out(JSON.stringify(certs, null, 2)); return; }
    if (!certs.length) { out(`${pkiDir}: no certificates (the hub creates its own on first start with an opc_ua adapter)`); return; }
    for (const c of certs) out(`${c.where.padEnd(8)} ${c.thumbprint}  ${c.subject}${c.uri ? `  ${c.uri}` : ''}  valid to ${c.validTo.slice(0, 10)}`);
    const rejected = certs.filter((c) => c.where === 'rejected').length;
    if (rejected) out(`\n${rejected} rejected: trust one with \`lifeline opcua pki trust <thumbprint>\``);
    return;
  }
  if (cmd === 'pki' && (sub === 'trust' || sub === 'reject') && arg) {
    const r = await setTrust(pkiDir, arg, sub === 'trust');
    out(`${sub === 'trust' ? 'trusted' : 'rejected'} ${r.thumbprint} (${r.subject}) in ${pkiDir}`);
    return;
  }
  if (cmd === 'browse' && sub) {
    const { browseDraft } = await import('./browse.ts');
    const cm = await openPki(pkiDir, { applicationName: 'lifeline-hub', applicationUri: 'urn:lifeline:hub' });
    try {
      const draft = await browseDraft({
        url: sub, cm, pkiDir, root: values.root, depth: Number(values.depth), namespace: values.namespace,
        securityMode: values['security-mode'] as never, securityPolicy: values['security-policy'] as never,
        user: values.user ? { username: values.user, password: values.password ?? '' } : undefined,
        progress: (n) => process.stderr.write(`\r  browsed ${n} nodes…`),
      });
      process.stderr.write('\n');
      const text = `# Point-mapping draft from ${sub} (${draft.items.length} variables). Keep the items you need, and give\n# each either node_id or browse_path; data_type and description are for reading only.\n${stringify(draft)}`;
      if (values.out) { writeFileSync(values.out, text); out(`wrote ${draft.items.length} items to ${values.out}`); } else out(text);
    } finally { await cm.dispose().catch(() => undefined); }
    return;
  }
  throw new Error(usage);
}

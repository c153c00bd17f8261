// The hub's OPC UA PKI in <data_dir>/pki (node-opcua's layout: own/, trusted/, rejected/, issuers/): the
// application certificate created on first start, and the trust-list operations behind `lifeline opcua pki`.
import { OPCUACertificateManager, getHostname } from 'node-opcua';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LifelineError } from '../../hub/sdk/index.ts';
import { certificateSubject, type HubIdentity } from './identity.ts';
import './node-opcua-warnings.ts'; // before node-opcua's start-up self-test reports (it takes a moment)

export type { HubIdentity };

/** Own certificate file of the hub inside the PKI folder (where node-opcua's client looks for it). */
export const ownCertificateFile = (pkiDir: string) => join(pkiDir, 'own', 'certs', 'client_certificate.pem');

/** Its private key (node-opcua's layout). */
export const ownPrivateKeyFile = (pkiDir: string) => join(pkiDir, 'own', 'private', 'private_key.pem');

/** Open (creating the folders) the PKI and make sure the hub has its application certificate. */
export async function openPki(pkiDir: string, id: HubIdentity, acceptUnknown = false): Promise<OPCUACertificateManager> {
  const cm = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: acceptUnknown, keySize: 2048 });
  await cm.initialize();
  const file = ownCertificateFile(pkiDir);
  if (!existsSync(file)) {
    const host = getHostname();
    await cm.createSelfSignedCertificate({
      applicationUri: id.applicationUri, dns: [host, 'localhost'], outputFile: file,
      // Not node-opcua's makeSubject: it appends its own default organisation (O=Sterfive, L=Orleans, C=FR).
      subject: certificateSubject(id, host), startDate: new Date(), validity: 365 * 10,
    });
  }
  return cm;
}

export interface CertInfo { file: string; where: 'own' | 'trusted' | 'rejected' | 'issuers'; thumbprint: string; subject: string; uri?: string; validTo: string }

/** SHA-1 thumbprint, lowercase hex without separators (what OPC UA tools show). */
const thumbprintOf = (c: X509Certificate) => c.fingerprint.replace(/:/g, '').toLowerCase();

/** Certificates in a PEM or DER file. */
export function readCertificate(file: string): X509Certificate {
  try { return new X509Certificate(readFileSync(file)); } catch (e) {
    throw new LifelineError('OPCUA_CERT_NOT_FOUND', `${file} is not a readable X.509 certificate (PEM or DER): ${(e as Error).message}`, { cause: e });
  }
}

function certsIn(dir: string, where: CertInfo['where']): CertInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /\.(pem|der|crt|cer)$/i.test(f) && statSync(join(dir, f)).isFile()).flatMap((f) => {
    try {
      const c = new X509Certificate(readFileSync(join(dir, f)));
      const uri = /URI:([^,\s]+)/.exec(c.subjectAltName ?? '')?.[1];
      return [{ file: join(dir, f), where, thumbprint: thumbprintOf(c), subject: c.subject.replace(/\n/g, ', '), ...(uri ? { uri } : {}), validTo: new Date(c.validTo).toISOString() }];
    } catch { return []; }
  });
}

/** Every certificate of the store: own, trusted, issuers, rejected. */
export function listCertificates(pkiDir: string): CertInfo[] {
  return [
    ...certsIn(join(pkiDir, 'own', 'certs'), 'own'),
    ...certsIn(join(pkiDir, 'trusted', 'certs'), 'trusted'),
    ...certsIn(join(pkiDir, 'issuers', 'certs'), 'issuers'),
    ...certsIn(join(pkiDir, 'rejected'), 'rejected'),
  ];
}

/** A certificate file path, or a thumbprint (prefix of at least 8 hex digits) of one in the store. */
export function findCertificate(pkiDir: string, ref: string): { der: Buffer; info?: CertInfo } {
  if (existsSync(ref) && statSync(ref).isFile()) return { der: readCertificate(resolve(ref)).raw };
  const want = ref.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{8,40}$/.test(want)) throw new LifelineError('OPCUA_CERT_NOT_FOUND', `"${ref}" is neither a certificate file nor a thumbprint (8–40 hex digits)`);
  const hits = listCertificates(pkiDir).filter((c) => c.where !== 'own' && c.thumbprint.startsWith(want));
  const unique = [...new Map(hits.map((h) => [h.thumbprint, h])).values()];
  if (!unique.length) throw new LifelineError('OPCUA_CERT_NOT_FOUND', `no certificate with thumbprint ${want}… in ${pkiDir} (see: lifeline opcua pki list)`);
  if (unique.length > 1) throw new LifelineError('OPCUA_CERT_NOT_FOUND', `thumbprint ${want}… is ambiguous (${unique.length} certificates); give more digits`);
  const info = hits.find((h) => h.where === 'rejected') ?? hits[0]!;
  return { der: readCertificate(info.file).raw, info };
}

/**
 * Removes the rejected copy of every certificate that is also trusted; returns their thumbprints. node-opcua checks
 * rejected/ before trusted/, so such a copy would win for ever, and one appears when a hub's verification races
 * `pki trust`'s move: its watcher reports the file gone from rejected/ before it reports it in trusted/, the hub takes
 * the server's certificate for unknown and writes it to rejected/ again. Trusting is the operator's later, deliberate
 * decision: it wins.
 */
export function dropRejectedCopiesOfTrusted(pkiDir: string): string[] {
  const trusted = new Set(certsIn(join(pkiDir, 'trusted', 'certs'), 'trusted').map((c) => c.thumbprint));
  const dropped: string[] = [];
  for (const c of certsIn(join(pkiDir, 'rejected'), 'rejected')) {
    if (!trusted.has(c.thumbprint)) continue;
    rmSync(c.file, { force: true });
    dropped.push(c.thumbprint);
  }
  return dropped;
}

/** Trust (or reject) a certificate: node-opcua moves it between rejected/ and trusted/certs. */
export async function setTrust(pkiDir: string, ref: string, trust: boolean): Promise<{ thumbprint: string; subject: string }> {
  const { der } = findCertificate(pkiDir, ref);
  const cm = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await cm.initialize();
  try {
    if (trust) await cm.trustCertificate(der); else await cm.rejectCertificate(der);
  } finally { await cm.dispose(); }
  if (trust) dropRejectedCopiesOfTrusted(pkiDir);
  const c = new X509Certificate(der);
  return { thumbprint: thumbprintOf(c), subject: c.subject.replace(/\n/g, ', ') };
}

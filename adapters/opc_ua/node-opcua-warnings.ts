// node-opcua's warnings, routed: every one to stderr (node-opcua prints them on stdout, where they would mix with a
// command's output such as `lifeline opcua browse`'s YAML), except its start-up self-test NODE-OPCUA-W27.
//
// That self-test runs when node-opcua is loaded, whatever the connection: on Node 20 (from 20.11.1, CVE-2023-46809)
// RSA PKCS#1 v1.5 decryption is refused, and it prints "you need to use node flag --security-revert=CVE-2023-46809
// if you have issue with RSA PKCS#1 v1.5" on every command. Only the security policy Basic128Rsa15 decrypts with
// PKCS#1 v1.5 (Basic256, Basic256Sha256 and the Aes policies use OAEP), so the warning is dropped here and
// pkcs1v15Problem() says what to do where that policy is used (endpoint.ts, browse.ts).
import { setWarningLogger } from 'node-opcua';
import { constants, privateDecrypt, publicEncrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { format } from 'node:util';

/** The policies whose asymmetric encryption is RSA PKCS#1 v1.5 (node-opcua's security_policy.ts). */
export const PKCS1V15_POLICIES = ['Basic128Rsa15'];

const isSelfTest = (ctx: { filename?: string }, args: unknown[]) =>
  ctx?.filename === 'verify_pcks1' || args.some((a) => typeof a === 'string' && (a.includes('NODE-OPCUA-W27') || a.includes('CVE-2023-46809')));

setWarningLogger(((ctx: { filename?: string; callerline?: number }, ...args: unknown[]) => {
  if (isSelfTest(ctx, args)) return;
  const [first = '', ...rest] = format(...args).split('\n');
  process.stderr.write(`${new Date().toISOString().slice(11)} node-opcua warning (${ctx?.filename ?? '?'}:${ctx?.callerline ?? '?'}) ${first}\n${rest.map((l) => `    ${l}\n`).join('')}`);
}) as Parameters<typeof setWarningLogger>[0]);

let pkcs1Works: boolean | undefined;

/** Can this Node decrypt RSA PKCS#1 v1.5? Tried once, with the hub's own key pair (cheap: no key generation). */
function canDecryptPkcs1(certificateFile: string, privateKeyFile: string): boolean {
  if (pkcs1Works !== undefined) return pkcs1Works;
  try {
    const secret = Buffer.from('lifeline');
    const encrypted = publicEncrypt({ key: readFileSync(certificateFile), padding: constants.RSA_PKCS1_PADDING }, secret);
    pkcs1Works = privateDecrypt({ key: readFileSync(privateKeyFile), padding: constants.RSA_PKCS1_PADDING }, encrypted).equals(secret);
  } catch { pkcs1Works = false; }
  return pkcs1Works;
}

/**
 * One line saying what to do when `policy` needs RSA PKCS#1 v1.5 decryption and this Node refuses it; undefined
 * otherwise (every other policy, or a Node started with --security-revert=CVE-2023-46809).
 */
export function pkcs1v15Problem(policy: string, certificateFile: string, privateKeyFile: string): string | undefined {
  if (!PKCS1V15_POLICIES.includes(policy) || canDecryptPkcs1(certificateFile, privateKeyFile)) return undefined;
  return `security policy ${policy} needs RSA PKCS#1 v1.5 decryption, which Node ${process.version} refuses (CVE-2023-46809), so the secure channel will fail: ` +
    'use Basic256Sha256 or Aes256_Sha256_RsaPss if the server offers them; otherwise run node with --security-revert=CVE-2023-46809 ' +
    '(`node --security-revert=CVE-2023-46809 node_modules/.bin/lifeline …`; Node does not take it from NODE_OPTIONS)';
}

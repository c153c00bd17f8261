// node-opcua connection errors → the adapter's stable codes and a message saying what to do.

export interface ErrorInfo { code: string; message: string }

export function describeError(e: unknown, own: { file: string; thumbprint: string }): ErrorInfo {
  const msg = (e as Error)?.message ?? String(e);
  const m = (re: RegExp) => re.test(msg);
  if (m(/server certificate verification failed/i)) {
    return { code: 'OPCUA_SERVER_CERT_UNTRUSTED', message: `the hub does not trust the server's certificate (${firstLine(msg)}); it was put in the hub's PKI rejected folder: trust it with \`lifeline opcua pki trust <thumbprint>\` (see \`lifeline opcua pki list\`)` };
  }
  if (m(/BadCertificate\w*Untrusted|BadSecurityChecksFailed|BadCertificateInvalid/)) {
    return { code: 'OPCUA_CERT_REJECTED', message: `the server rejected the hub's certificate (${firstLine(msg)}): trust the hub's certificate ${own.file} (thumbprint ${own.thumbprint}) on the server: move it from the server's rejected folder to its trusted folder` };
  }
  if (m(/BadIdentityTokenRejected|BadIdentityTokenInvalid|BadUserAccessDenied|BadUserSignatureInvalid/)) {
    return { code: 'OPCUA_AUTH_FAILED', message: `the server refused the session's user identity (${firstLine(msg)}): check auth.username/password or the user certificate` };
  }
  return { code: 'OPCUA_CONNECT_FAILED', message: firstLine(msg) };
}

const firstLine = (s: string) => s.split('\n').map((l) => l.trim()).find(Boolean)?.slice(0, 300) ?? s;

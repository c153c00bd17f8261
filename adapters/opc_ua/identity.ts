// Who the hub is as an OPC UA client: application name and URI, and the subject of its certificate. One reading of
// the config for the adapter and the CLI (`lifeline opcua pki init`, `browse`), defaults from the config schema.
import { isAbsolute, join } from 'node:path';
import { withSchemaDefaults } from '../../hub/sdk/index.ts';
import { configSchema } from './schema.ts';
import type { OpcUaConfig } from './manifest.ts';

export interface HubIdentity { applicationName: string; applicationUri: string; certificateSubject: string }

type IdentityFields = Pick<OpcUaConfig, 'application_name' | 'application_uri' | 'certificate_subject'>;

/** The identity of a validated config (defaults filled by the hub). */
export function hubIdentity(c: IdentityFields): HubIdentity {
  return { applicationName: c.application_name, applicationUri: c.application_uri, certificateSubject: c.certificate_subject };
}

/** The identity of an `adapters.opc_ua` block as written in a file (or none: every field from the schema's defaults). */
export function identityOfBlock(block: unknown): HubIdentity {
  const filled = withSchemaDefaults<IdentityFields>(configSchema, { endpoints: [], ...(isObject(block) ? block : {}) });
  return hubIdentity(filled);
}

/** The certificate's subject: the configured one, with CN=<application name>@<host> first when it names no CN. */
export function certificateSubject(id: HubIdentity, host: string): string {
  const s = id.certificateSubject.trim();
  const subject = s.startsWith('/') ? s : `/${s}`;
  return /(^|\/)CN=/i.test(subject) ? subject : `/CN=${`${id.applicationName}@${host}`.slice(0, 63)}${subject}`;
}

/** The PKI folder: `pki_dir` (relative to data_dir) or <data_dir>/pki. */
export function pkiDirOf(dataDir: string, pkiDir?: string): string {
  return !pkiDir ? join(dataDir, 'pki') : isAbsolute(pkiDir) ? pkiDir : join(dataDir, pkiDir);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

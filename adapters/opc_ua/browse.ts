// Walk a server's address space (hierarchical references from a root) and draft the adapter's items from it.
import {
  OPCUAClient, MessageSecurityMode, SecurityPolicy, BrowseDirection, NodeClassMask, AttributeIds, UserTokenType, DataType,
  resolveNodeId, type OPCUACertificateManager, type ReferenceDescription,
} from 'node-opcua';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { ownCertificateFile, ownPrivateKeyFile } from './pki.ts';
import { pkcs1v15Problem } from './node-opcua-warnings.ts';
import { describeError } from './errors.ts';
import { chooseEndpoint, type OfferedEndpoint } from './endpoint-choice.ts';
import { endpointProperty } from './schema.ts';
import type { HubIdentity } from './identity.ts';
import { LifelineError } from '../../hub/sdk/index.ts';

export interface BrowseOptions {
  url: string; cm: OPCUACertificateManager; pkiDir: string; id: HubIdentity; root?: string; depth: number; namespace?: string;
  /** Unset: the most secure the server offers (with a user token policy for `user`, or anonymous). */
  securityMode?: string; securityPolicy?: string;
  user?: { username: string; password: string }; progress?: (n: number) => void;
  /** Told which endpoint was chosen. */
  note?: (line: string) => void;
}

const connectOnce = { maxRetry: 1, initialDelay: 500, maxDelay: 1000 };

/** The server's endpoints (GetEndpoints over an unsecured discovery channel, which servers allow for this). */
export async function offeredEndpoints(url: string, cm: OPCUACertificateManager, certificateFile: string, id: HubIdentity): Promise<OfferedEndpoint[]> {
  // The hub's certificate although the channel is not secured: without one node-opcua makes a default one on disk.
  const client = OPCUAClient.create({
    applicationName: id.applicationName, applicationUri: id.applicationUri, clientCertificateManager: cm, certificateFile,
    endpointMustExist: false, connectionStrategy: connectOnce,
  });
  try {
    await client.connect(url);
  } catch (e) {
    throw new LifelineError('OPCUA_CONNECT_FAILED', `${url}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return (await client.getEndpoints()).map((e) => ({
      securityMode: MessageSecurityMode[e.securityMode] ?? String(e.securityMode),
      securityPolicy: (e.securityPolicyUri ?? '').split('#')[1] ?? String(e.securityPolicyUri),
      securityLevel: e.securityLevel,
      userTokens: [...new Set((e.userIdentityTokens ?? []).map((t) => UserTokenType[t.tokenType] ?? String(t.tokenType)))],
    }));
  } finally { await client.disconnect(); }
}

export interface DraftItem { name: string; browse_path: string; node_id: string; data_type: string; description?: string }

const AGGREGATES = new Set(['ns=0;i=47', 'ns=0;i=46', 'ns=0;i=44']); // HasComponent, HasProperty, Aggregates

/** A field name from a browse path: `…/PT101.PV` → `PT101`; `…/Pressure` → `Pressure`. */
export function guessField(path: string, taken: Set<string>): string {
  const parts = path.split(/[/.]/).filter(Boolean).map((p) => p.replace(/^\d+:/, ''));
  let last = parts[parts.length - 1] ?? 'value';
  if (/^(PV|Value|value|CV|Out|Output)$/.test(last) && parts.length > 1) last = parts[parts.length - 2]!;
  let name = last.replace(/[^A-Za-z0-9_\-]+/g, '_').slice(0, 120) || 'value';
  for (let k = 2; taken.has(name); k++) name = `${last}_${k}`;
  taken.add(name);
  return name;
}

export async function browseDraft(o: BrowseOptions) {
  const own = ownCertificateFile(o.pkiDir);
  const endpoint = chooseEndpoint(await offeredEndpoints(o.url, o.cm, own, o.id), {
    securityMode: o.securityMode, securityPolicy: o.securityPolicy, user: o.user ? 'UserName' : 'Anonymous',
  }, endpointProperty('security_policy').enum ?? [], o.url);
  o.note?.(`${o.url}: ${endpoint.securityMode}/${endpoint.securityPolicy}, ${o.user ? `user ${o.user.username}` : 'anonymous'}`);
  const problem = pkcs1v15Problem(endpoint.securityPolicy, own, ownPrivateKeyFile(o.pkiDir));
  if (problem) o.note?.(problem);
  const client = OPCUAClient.create({
    applicationName: o.id.applicationName, applicationUri: o.id.applicationUri, clientCertificateManager: o.cm, certificateFile: own,
    securityMode: MessageSecurityMode[endpoint.securityMode as keyof typeof MessageSecurityMode],
    securityPolicy: SecurityPolicy[endpoint.securityPolicy as keyof typeof SecurityPolicy], endpointMustExist: false,
    connectionStrategy: connectOnce,
  });
  try {
    await client.connect(o.url);
  } catch (e) {
    const thumbprint = new X509Certificate(readFileSync(own)).fingerprint.replace(/:/g, '').toLowerCase();
    const info = describeError(e, { file: own, thumbprint });
    throw new LifelineError(info.code, info.message, { cause: e });
  }
  try {
    const session = await client.createSession(o.user ? { type: UserTokenType.UserName, userName: o.user.username, password: o.user.password } : { type: UserTokenType.Anonymous });
    const nsArray = await session.readNamespaceArray();
    const nsIdx = o.namespace ? nsArray.indexOf(o.namespace) : nsArray.length > 2 ? 2 : 1;
    const defaultNs = nsIdx >= 0 ? nsIdx : 1;
    const nodeText = (id: { namespace: number; toString(): string }) =>
      id.namespace > 0 && nsArray[id.namespace] ? `nsu=${nsArray[id.namespace]};${id.toString().replace(/^ns=\d+;/, '')}` : id.toString();
    const nameText = (ns: number, name: string) => (ns === 0 || ns === defaultNs ? name : `${ns}:${name}`);
    const rootId = resolveNodeId(o.root ?? 'ObjectsFolder');
    let frontier: Array<{ id: string; path: string }> = [{ id: rootId.toString(), path: o.root ? '' : '/Objects' }];
    const seen = new Set([rootId.toString()]);
    const vars: Array<{ id: string; path: string; description?: string }> = [];
    let browsed = 0;
    for (let level = 0; level < o.depth && frontier.length; level++) {
      const next: typeof frontier = [];
      for (let i = 0; i < frontier.length; i += 500) {
        const chunk = frontier.slice(i, i + 500);
        const results = await session.browse(chunk.map((n) => ({
          nodeId: n.id, browseDirection: BrowseDirection.Forward, referenceTypeId: 'HierarchicalReferences', includeSubtypes: true,
          nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable, resultMask: 63,
        })));
        results.forEach((r, k) => {
          for (const ref of (r.references ?? []) as ReferenceDescription[]) {
            const id = ref.nodeId.toString();
            if (seen.has(id) || (ref.nodeId.namespace === 0 && id !== 'ns=0;i=85')) continue; // skip the standard Server object & co.
            seen.add(id);
            const sep = AGGREGATES.has(ref.referenceTypeId.toString()) ? '.' : '/';
            const path = `${chunk[k]!.path}${sep}${nameText(ref.browseName.namespaceIndex, ref.browseName.name ?? '')}`;
            if (ref.nodeClass === 2 /* Variable */) vars.push({ id, path, description: ref.displayName?.text ?? undefined });
            next.push({ id, path });
          }
        });
        browsed += chunk.length;
        o.progress?.(browsed);
      }
      frontier = next;
    }
    const types = vars.length ? await session.read(vars.map((v) => ({ nodeId: v.id, attributeId: AttributeIds.DataType }))) : [];
    const taken = new Set<string>();
    const items: DraftItem[] = vars.map((v, k) => {
      const dt = types[k]?.value?.value as { namespace: number; value: unknown } | undefined;
      const dataType = dt && dt.namespace === 0 && typeof dt.value === 'number' && DataType[dt.value] ? DataType[dt.value]! : String(dt ?? 'unknown');
      return { name: guessField(v.path, taken), browse_path: v.path, node_id: nodeText(resolveNodeId(v.id)), data_type: dataType, ...(v.description ? { description: v.description } : {}) };
    });
    await session.close();
    return { endpoint: o.url, ...(nsArray[defaultNs] ? { namespace: nsArray[defaultNs] } : {}), items };
  } finally { await client.disconnect(); }
}

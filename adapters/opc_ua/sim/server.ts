// The OPC UA simulator: a node-opcua server with lifeline variables whose values change, security on,
// a user/password, and a programmatic API for tests (restart on the same port, Bad status, removed nodes).
import {
  OPCUAServer, OPCUACertificateManager, getHostname, Subscription, MessageSecurityMode, SecurityPolicy, Variant, DataType, StatusCodes,
  type StatusCode, type UAVariable, type UAObject, type Namespace,
} from 'node-opcua';
import { mkdirSync, copyFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { simItems, simValue, SIM_NAMESPACE, DEFAULT_USER, type SimItem } from './points.ts';
import '../node-opcua-warnings.ts'; // node-opcua's warnings on stderr, less its start-up self-test

export { SIM_NAMESPACE };

export interface SimOptions {
  /** TCP port (0 = any free port; a restart keeps the port it got). */
  port?: number;
  /** Folder of the server's PKI (own certificate, trusted/rejected client certificates). */
  pkiDir: string;
  /** Number of variables (default 5: one per kind). */
  items?: number;
  /** Milliseconds between value changes (default 1000). */
  intervalMs?: number;
  /** Also offer SecurityMode None / policy None. */
  allowNone?: boolean;
  /** Accept client certificates it does not know (default false: they land in <pkiDir>/rejected). */
  acceptUnknownCertificates?: boolean;
  user?: { username: string; password: string };
  /** Item names not created (a node that disappeared from the address space). */
  without?: string[];
  /**
   * Extra AnalogItem variables (with an EURange, so a percent deadband is accepted) under /Objects/Manual/<name>,
   * NodeId `s=Manual.<name>`. Their values change only through setValue() (default: none).
   */
  manual?: ManualItem[];
}

export interface ManualItem {
  name: string; low: number; high: number; initial?: number;
  /** OPC UA data type (default Double); Float is single precision, as many PLC tags are. */
  dataType?: 'Double' | 'Float';
}

/** Folder of the user PKI (trusted user certificates for X.509 user tokens) inside the simulator's PKI folder. */
export const userPkiDir = (pkiDir: string) => join(pkiDir, 'user');

const SIM_APPLICATION_URI = 'urn:lifeline:sim:server';

export { DEFAULT_USER };

export class OpcUaSim {
  readonly items: SimItem[];
  port: number;
  private server?: OPCUAServer;
  private cm?: OPCUACertificateManager;
  private userCm?: OPCUACertificateManager;
  private manualVars = new Map<string, UAVariable>();
  private vars = new Map<string, UAVariable>();
  private status = new Map<string, StatusCode>();
  private timer?: NodeJS.Timeout;
  private without: Set<string>;
  private tick = 0;
  private info?: UAVariable;

  constructor(readonly opts: SimOptions) {
    this.items = simItems(opts.items ?? 5);
    this.port = opts.port ?? 0;
    this.without = new Set(opts.without ?? []);
  }

  get url(): string { return `opc.tcp://127.0.0.1:${this.port}/lifeline`; }
  get running(): boolean { return !!this.server; }
  /** The server's PKI store (trust a client: copy its certificate from rejected/ to trusted/). */
  get certificateManager(): OPCUACertificateManager | undefined { return this.cm; }

  async start(): Promise<void> {
    if (this.server) return;
    mkdirSync(this.opts.pkiDir, { recursive: true });
    this.cm = new OPCUACertificateManager({
      rootFolder: this.opts.pkiDir, automaticallyAcceptUnknownCertificate: !!this.opts.acceptUnknownCertificates, keySize: 2048,
    });
    await this.cm.initialize();
    // Its own certificate, made here rather than by node-opcua, whose subject would name node-opcua's organisation.
    const certificateFile = join(this.opts.pkiDir, 'own', 'certs', 'certificate.pem');
    if (!existsSync(certificateFile)) {
      const host = getHostname();
      await this.cm.createSelfSignedCertificate({
        applicationUri: SIM_APPLICATION_URI, dns: [host, 'localhost'], ip: ['127.0.0.1'], outputFile: certificateFile,
        subject: `/CN=${`lifeline-sim@${host}`.slice(0, 63)}/O=lifeline-hub simulator`, startDate: new Date(), validity: 365 * 10,
      });
    }
    // X.509 user tokens are checked against a separate store: <pkiDir>/user (trusted/certs = accepted users).
    this.userCm = new OPCUACertificateManager({ rootFolder: userPkiDir(this.opts.pkiDir), automaticallyAcceptUnknownCertificate: false });
    await this.userCm.initialize();
    const user = this.opts.user ?? DEFAULT_USER;
    const modes = [MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt];
    const policies = [SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes256_Sha256_RsaPss];
    if (this.opts.allowNone) { modes.unshift(MessageSecurityMode.None); policies.unshift(SecurityPolicy.None); }
    const server = new OPCUAServer({
      port: this.port, resourcePath: '/lifeline', hostname: '127.0.0.1', alternateHostname: ['127.0.0.1'],
      serverCertificateManager: this.cm, userCertificateManager: this.userCm,
      securityModes: modes, securityPolicies: policies,
      allowAnonymous: false,
      userManager: { isValidUser: (u: string, p: string) => u === user.username && p === user.password },
      buildInfo: { productName: 'lifeline OPC UA simulator', manufacturerName: 'lifeline-hub', softwareVersion: '0.1.0' },
      serverInfo: { applicationUri: SIM_APPLICATION_URI, productUri: 'urn:lifeline:sim', applicationName: { text: 'lifeline-sim' } },
      maxConnectionsPerEndpoint: 50,
    });
    // node-opcua caps a NotificationMessage at 1000 values; with 5 publish requests in the client's pipeline that
    // is 5000 values per round trip. Let one publish carry every item (a real server has its own limit).
    Subscription.maxNotificationPerPublishHighLimit = Math.max(Subscription.maxNotificationPerPublishHighLimit, this.items.length + 100);
    await server.initialize();
    this.build(server.engine.addressSpace!.registerNamespace(SIM_NAMESPACE), server);
    await server.start();
    this.port = server.endpoints[0]!.port;
    this.server = server;
    const every = this.opts.intervalMs ?? 1000;
    this.timer = setInterval(() => this.update(), every);
  }

  private build(ns: Namespace, server: OPCUAServer): void {
    const objects = server.engine.addressSpace!.rootFolder.objects;
    const folders = new Map<string, UAObject>();
    const now = Date.now();
    this.vars.clear();
    this.items.forEach((it, i) => {
      if (this.without.has(it.name)) return;
      let folder = folders.get(it.folder);
      if (!folder) {
        folder = ns.addFolder(objects, { browseName: it.folder, nodeId: `s=${it.folder}` });
        folders.set(it.folder, folder);
      }
      const tag = ns.addObject({ organizedBy: folder, browseName: it.name, nodeId: `s=${it.folder}.${it.name}`, description: it.title });
      const v = ns.addVariable({
        componentOf: tag, browseName: 'PV', nodeId: `s=${it.folder}.${it.name}.PV`, dataType: 'Double',
        description: `${it.title} (${it.unit})`, minimumSamplingInterval: 100,
      });
      v.setValueFromSource(new Variant({ dataType: DataType.Double, value: simValue(i, now, it.base, it.swing) }), this.status.get(it.name) ?? StatusCodes.Good, new Date(now));
      this.vars.set(it.name, v);
    });
    this.manualVars.clear();
    if (this.opts.manual?.length) {
      const folder = ns.addFolder(objects, { browseName: 'Manual', nodeId: 's=Manual' });
      for (const m of this.opts.manual) {
        const dataType = m.dataType ?? 'Double';
        const v = ns.addAnalogDataItem({
          organizedBy: folder, browseName: m.name, nodeId: `s=Manual.${m.name}`, dataType, minimumSamplingInterval: 100,
          engineeringUnitsRange: { low: m.low, high: m.high },
        });
        v.setValueFromSource(new Variant({ dataType: DataType[dataType], value: m.initial ?? m.low }), StatusCodes.Good, new Date(now));
        this.manualVars.set(m.name, v);
      }
    }
    // A text variable (not a measurement): what the adapter does with values it cannot store.
    const first = folders.values().next().value;
    if (first) {
      const info = ns.addVariable({ componentOf: first, browseName: 'Info', nodeId: `s=${this.items[0]!.folder}.Info`, dataType: 'String', description: 'Operator note (text)' });
      info.setValueFromSource(new Variant({ dataType: DataType.String, value: 'normal operation' }), StatusCodes.Good, new Date(now));
      this.info = info;
    }
  }

  private update(): void {
    const now = Date.now();
    this.tick++;
    this.info?.setValueFromSource(new Variant({ dataType: DataType.String, value: `normal operation #${this.tick}` }), StatusCodes.Good, new Date(now));
    this.items.forEach((it, i) => {
      const v = this.vars.get(it.name);
      if (!v) return;
      const st = this.status.get(it.name) ?? StatusCodes.Good;
      // Keep changing even when equal after rounding: a tiny tick term makes every sample a change.
      const value = Math.round((simValue(i, now, it.base, it.swing) + (this.tick % 2) * 1e-6) * 1e7) / 1e7;
      v.setValueFromSource(new Variant({ dataType: DataType.Double, value }), st, new Date(now));
    });
  }

  /** Set a variable's status (e.g. StatusCodes.BadSensorFailure); Good restores it. Applied at once and on every change. */
  setStatus(name: string, status: StatusCode): void {
    if (status === StatusCodes.Good) this.status.delete(name); else this.status.set(name, status);
    const i = this.items.findIndex((x) => x.name === name);
    const v = this.vars.get(name);
    if (v && i >= 0) v.setValueFromSource(new Variant({ dataType: DataType.Double, value: simValue(i, Date.now(), this.items[i]!.base, this.items[i]!.swing) }), status, new Date());
  }

  /** Set the value of a `manual` variable (it keeps it until the next call). */
  setValue(name: string, value: number): void {
    const v = this.manualVars.get(name);
    if (!v) throw new Error(`no manual variable ${name}`);
    v.setValueFromSource(new Variant({ dataType: v.dataTypeObj.basicDataType, value }), StatusCodes.Good, new Date());
  }

  /** Accept a user certificate (PEM or DER file) for X.509 user-token logins, in the running server. */
  async trustUser(certFile: string): Promise<void> {
    const der = (await import('../pki.ts')).readCertificate(certFile).raw;
    if (this.userCm) await this.userCm.trustCertificate(der);
    else {
      mkdirSync(join(userPkiDir(this.opts.pkiDir), 'trusted', 'certs'), { recursive: true });
      copyFileSync(certFile, join(userPkiDir(this.opts.pkiDir), 'trusted', 'certs', basename(certFile)));
    }
  }

  /** Trust a client certificate (file or thumbprint prefix, e.g. from <pkiDir>/rejected) in the running server. */
  async trustClient(ref: string): Promise<void> {
    const { findCertificate } = await import('../pki.ts');
    const { der } = findCertificate(this.opts.pkiDir, ref);
    if (this.cm) await this.cm.trustCertificate(der);
    else await (await import('../pki.ts')).setTrust(this.opts.pkiDir, ref, true);
  }

  /** Which items the next start leaves out (a node removed from the address space). */
  setWithout(names: string[]): void { this.without = new Set(names); }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const s = this.server;
    this.server = undefined;
    if (s) await s.shutdown(0);
    this.cm = undefined;
    this.userCm = undefined;
  }

  /** Stop, then start again on the same port (a server restart: sessions and subscriptions are gone). */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }
}

// The adapter-contract driver: what an adapter hands the conformance kit (docs/certification.md, "Adapter
// contract") so the kit can make its source send readings and see what the source got acknowledged. Declared in
// the manifest (`conformance.driver`), loaded only by the kit.
import type { SourceReading, Site, Device, Point } from '../../schemas/generated/types.ts';

/** A TCP relay the kit owns between the adapter and its source: cut it to take the source away. @category Conformance */
export interface ContractRelay {
  host: string;
  port: number;
  /** Close the listener and every relayed connection (the source is gone). */
  cut(): Promise<void>;
  /** Listen again on the same port. */
  restore(): Promise<void>;
}

/** Bytes through a relay, per connection and direction (`up`: adapter → source). @category Conformance */
export type RelayTap = (dir: 'up' | 'down', conn: number, chunk: Buffer) => void;

/** What the kit gives a driver. @category Conformance */
export interface ContractDriverEnv {
  /** A prefix unique to this run, for names the driver creates (topics, tables, client ids). */
  prefix: string;
  /** Services the kit was pointed at (defaults: the standard local ports). */
  services: { mqttUrl: string; postgresUrl: string };
  /** Base URL where the kit serves the HTTP routes the running adapter registered (ctx.http.route), as the hub would. */
  httpUrl: string;
  /** The checkpoint the hub last committed under `key` (ctx.checkpoint of the adapter under test). */
  checkpoint(key: string): Promise<unknown>;
  /** A relay to `target` the kit can cut and restore (for the health clause); `tap` sees the bytes. */
  relay(target: { host: string; port: number }, tap?: RelayTap): Promise<ContractRelay>;
  /** A line for the evidence log. */
  note(text: string): void;
}

/** A running driver: the source side of the adapter under test. @category Conformance */
export interface ContractDriver {
  /** The adapter's config for the run (pointing at this driver's source). */
  config: Record<string, unknown>;
  /** Sites, devices and points the readings refer to (registered before the adapter starts). */
  registry: { sites: Site[]; devices: Device[]; points: Point[] };
  /** Called after the adapter started (its routes are registered). */
  attach?(): Promise<void>;
  /**
   * Make the source send one reading per sequence number, each carrying its number (as the value, unless `seqOf`
   * says otherwise). Resolves once they were handed to the transport; a source that resends unacknowledged data
   * (a collector, an MQTT session, a webhook client retrying) keeps doing so on its own.
   */
  send(seqs: number[]): Promise<void>;
  /** Sequence numbers the source has seen acknowledged so far. Absent when the protocol has no acknowledgement. */
  acknowledged?(): ReadonlySet<number>;
  /** The sequence number a reading carries; null for a reading the kit should ignore (an idle value). Default: its value. */
  seqOf?(reading: SourceReading): number | null;
  /** Take the source away and bring it back (health clause). Absent for a listener: it has no source to lose. */
  outage?: { down(): Promise<void>; up(): Promise<void> };
  /** Error codes the adapter registers beyond the hub's (hub/sdk/errors.ts), e.g. its codec's. */
  errorCodes?: readonly string[];
  /** Absolute path of the adapter's docs page, which holds the generated config table. */
  docs?: string;
  close(): Promise<void>;
}

/** Default export of a driver module. @category Conformance */
export type ContractDriverFactory = (env: ContractDriverEnv) => Promise<ContractDriver>;

/**
 * A registry for a contract run: one site, one device (with `identity` when the adapter finds devices by a protocol
 * key), and one water-pressure point per field, in kPa — numbered readings 1, 2, 3 … are plausible values there.
 * @category Conformance
 */
export function contractRegistry(o: { device: string; fields: string[]; identity?: { protocol: string; key: string; [k: string]: unknown } }): ContractDriver['registry'] {
  const site = `${o.device}-SITE`;
  return {
    sites: [{ code: site, name: 'conformance kit', domain: 'water' }],
    devices: [{ code: o.device, site, name: 'conformance kit source', ...(o.identity ? { identities: [o.identity] } : {}) } as Device],
    points: o.fields.map((field) => ({ code: `${o.device}-${field}`, device: o.device, indicator: 'water.pipe_pressure', field, source_unit: 'kPa' }) as Point),
  };
}

/** The time a contract reading `seq` carries: an hour ago plus seq seconds, so each is distinct and none in the future. @category Conformance */
export function contractTime(base: number, seq: number): number { return base + seq * 1000; }

import type { FastifyInstance } from 'fastify';
import type { SqlDriver } from '../store/driver.ts';
import type { RegistryService } from '../registry/service.ts';
import type { Ingest } from '../pipeline/ingest.ts';
import type { HubMetrics } from '../metrics.ts';
import type { RouteScope, Principal } from './auth.ts';
import type { AdapterHealth, AdapterInstance, AdapterManifest } from '../sdk/adapter.ts';
import type { DeliveryEngine } from '../delivery/engine.ts';
import type { Roller } from '../rollups/roller.ts';
import type { AlarmEvaluator } from '../alarms/evaluator.ts';
import type { DataScopeRule } from '../access/rules.ts';
import type { UploadService } from '../uploads/service.ts';

/** What route files get from the hub. */
export interface ApiDeps {
  db: SqlDriver;
  registry: RegistryService;
  ingest: Ingest;
  metrics: HubMetrics;
  timezone: string;
  adapterHealth: () => Promise<Record<string, AdapterHealth>>;
  adapters: () => Map<string, { manifest: AdapterManifest; instance: AdapterInstance }>;
  /** Upstream delivery (absent when no publish targets are configured). */
  publish?: DeliveryEngine;
  /** The rollup roller (absent in API-only setups, e.g. some tests). */
  rollups?: Roller;
  /** Alarms (absent when alarms.enabled is false): level names/colours, the hub clock for handling times, the evaluator. */
  /** Folder of conformance reports (conformance.reports_dir; absent: the routes are not served). */
  conformanceReportsDir?: string;
  /** File uploads (absent in API-only setups). */
  uploads?: UploadService;
  /** Reports (reports.* config; docs/reports.md) and the hub clock their default periods follow. */
  reports?: { timelyWithinS: number; expectedIntervalS: number; clock: { now(): number } };
  alarms?: { levels: Array<{ level: number; name: string; colour: string; ack_within_s?: number; resolve_within_s?: number }>; clock: { now(): number }; evaluator: AlarmEvaluator };
}

export type RouteModule = (app: FastifyInstance, deps: ApiDeps) => void;

declare module 'fastify' {
  interface FastifyContextConfig {
    scope?: RouteScope;
    /** How the route treats a key's data scope (hub/access/rules.ts). Every route declares one. */
    dataScope?: DataScopeRule;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** Rows a data read returned, and (for streamed answers) the bytes: set by the route for the pull audit. */
    pulled?: { rows: number; bytes?: number };
  }
}

// Prometheus metrics (snake_case names, no messages as labels).
import { Registry as PromRegistry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'lifeline_' });
  return {
    registry,
    records: new Counter({ name: 'lifeline_ingest_records_total', help: 'Records ingested, by adapter and outcome (accepted, duplicate, quarantined, rejected).', labelNames: ['adapter', 'outcome'], registers: [registry] }),
    batches: new Counter({ name: 'lifeline_ingest_batches_total', help: 'Batches ingested through the HTTP API, by result.', labelNames: ['result'], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'lifeline_store_commit_seconds', help: 'Time to commit one batch.', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    commitFailures: new Counter({ name: 'lifeline_store_commit_failures_total', help: 'Batches whose transaction failed.', labelNames: ['adapter'], registers: [registry] }),
    adapterEvents: new Counter({ name: 'lifeline_adapter_events_total', help: 'Adapter component events (received, sent, error, dropped).', labelNames: ['adapter', 'event', 'error_type'], registers: [registry] }),
    registrySize: new Gauge({ name: 'lifeline_registry_entities', help: 'Registered sites, devices, points.', labelNames: ['kind'], registers: [registry] }),
  };
}

export type HubMetrics = ReturnType<typeof createMetrics>;

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
    commitArbitrated: new Counter({ name: 'lifeline_store_commit_arbitrated_total', help: 'Batches whose plain insert met a reading already stored, committed again with ON CONFLICT (hub/store/arbitration.ts).', labelNames: ['adapter'], registers: [registry] }),
    adapterEvents: new Counter({ name: 'lifeline_adapter_events_total', help: 'Adapter component events (received, sent, error, dropped).', labelNames: ['adapter', 'event', 'error_type'], registers: [registry] }),
    publishDelivered: new Counter({ name: 'lifeline_publish_delivered_total', help: 'Observations delivered to a publish target (acknowledged by it).', labelNames: ['target'], registers: [registry] }),
    publishAttempts: new Counter({ name: 'lifeline_publish_attempts_total', help: 'Batch delivery attempts, by target and outcome (ok, retry, permanent).', labelNames: ['target', 'outcome'], registers: [registry] }),
    publishDeadLettered: new Counter({ name: 'lifeline_publish_dead_lettered_total', help: 'Batches dead-lettered (permanent error or attempts exhausted).', labelNames: ['target'], registers: [registry] }),
    publishSendSeconds: new Histogram({ name: 'lifeline_publish_send_seconds', help: 'Time of one delivery attempt.', labelNames: ['target'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    publishBacklog: new Gauge({ name: 'lifeline_publish_backlog', help: 'Observations committed but not yet delivered to a target (batched and not yet batched).', labelNames: ['target'], registers: [registry] }),
    publishLag: new Gauge({ name: 'lifeline_publish_lag_seconds', help: 'Age of the oldest observation not yet delivered to a target (0 when none).', labelNames: ['target'], registers: [registry] }),
    publishDeadLetters: new Gauge({ name: 'lifeline_publish_dead_letters', help: 'Dead-lettered batches waiting for replay.', labelNames: ['target'], registers: [registry] }),
    publishPaused: new Gauge({ name: 'lifeline_publish_paused', help: '1 when a target is paused.', labelNames: ['target'], registers: [registry] }),
    rollupLag: new Gauge({ name: 'lifeline_rollup_lag_seconds', help: 'Age of the oldest committed outbox entry the rollup roller has not read yet (0 when caught up).', registers: [registry] }),
    rollupObservations: new Counter({ name: 'lifeline_rollup_observations_total', help: 'Observations whose minute/hour/day buckets the roller recomputed.', registers: [registry] }),
    registrySize: new Gauge({ name: 'lifeline_registry_entities', help: 'Registered sites, devices, points.', labelNames: ['kind'], registers: [registry] }),
  };
}

export type HubMetrics = ReturnType<typeof createMetrics>;

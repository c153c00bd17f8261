// The adapter-contract clauses (OpenTelemetry Collector receivertest, for lifeline adapters): the kit injects faults
// at the SDK's ingest boundary while the adapter's own driver makes its source send numbered readings, and checks
// what the source got acknowledged against what was committed. Data only; the checks live in run.ts.
import type { ClauseSpec } from '../model.ts';

const TRACES = 'lifeline SDK contract: ctx.ingest resolves after commit; acknowledge only then (docs/adapters/sdk.md); OpenTelemetry Collector receivertest';

const c = (id: string, title: string, title_zh: string, needs: string[], method: string, traces = TRACES): ClauseSpec =>
  ({ id, title, title_zh, traces, level: 'MUST', needs, method });

/** Capability: the adapter acknowledges its source (manifest.capabilities.acknowledges, and the driver shows the acks). */
export const ACKS = 'adapter.acknowledges';
/** Capability: the driver can take the source away and bring it back (poll and subscribe adapters). */
export const OUTAGE = 'adapter.source_outage';

const SCENARIO = 'The driver makes the source send numbered readings while the kit';
const CHECK = 'Then every reading the source got acknowledged must have been committed exactly once, nothing committed the source did not send (no phantom), and every reading sent must end acknowledged (sources resend); without acknowledgements: no phantom, no duplicate, and readings after the first are stored (the adapter keeps ingesting).';

export const adapterContractClauses: ClauseSpec[] = [
  c('CONTRACT-001', 'nothing is acknowledged to the source before its commit', '提交前不向数据源确认', [ACKS],
    'Every commit is held back 25 ms (300 ms in slow phases); a reading the source saw acknowledged before the commit that stored it — or never stored — is a finding, with the ingest call and the acknowledgement as evidence.'),
  c('CONTRACT-002', 'success: each acknowledged reading stored exactly once, no phantoms', '正常提交：已确认数据恰好存储一次，无虚构数据', [],
    `${SCENARIO} lets every ingest commit. ${CHECK}`),
  c('CONTRACT-003', 'retryable errors: nothing acknowledged is lost', '可重试错误：已确认数据不丢失', [],
    `${SCENARIO} fails the first ingest call of the phase with STORE_COMMIT_FAILED (retryable, nothing stored). ${CHECK}`),
  c('CONTRACT-004', 'permanent errors: nothing acknowledged is lost', '永久性错误：已确认数据不丢失', [],
    `${SCENARIO} fails the first ingest call of the phase with INGEST_INVALID (permanent, nothing stored). ${CHECK}`),
  c('CONTRACT-005', 'mixed errors: nothing acknowledged is lost', '混合错误：已确认数据不丢失', [],
    `${SCENARIO} sends two batches and fails the first ingest call of the first with a retryable error, of the second with a permanent one. ${CHECK}`),
  c('CONTRACT-006', 'slow commits: nothing acknowledged early, lost or doubled', '提交缓慢：不提前确认、不丢失、不重复', [],
    `${SCENARIO} holds every commit 300 ms. ${CHECK}`),
  c('CONTRACT-007', 'stop during in-flight ingest loses nothing acknowledged', '摄取进行中停止：已确认数据不丢失', [],
    'With commits held 300 ms, the kit calls stop() while an ingest is in flight; once stop() resolved the store counts as closed (a later commit fails STORE_UNAVAILABLE). Every reading acknowledged by then must be committed; a new instance then delivers the rest (acknowledging adapters).'),
  c('CONTRACT-008', 'health turns degraded or down when the source is gone, ok when it returns', '数据源中断时健康状态降级或宕机，恢复后回到正常', [OUTAGE],
    'The driver takes the source away (a relay the kit cuts, or the simulator stops); health() must leave ok within 8 s, and be ok again within 10 s of the source returning.',
    'lifeline SDK contract: health() for /health, /ready and the console (docs/operations.md)'),
  c('CONTRACT-009', 'every error code it raises is registered', '所产生的错误码均已登记', [],
    'Codes seen during the run — quarantine reasons it hands to ingest, `code` fields it logs or puts in health, errors its lifecycle calls throw — must be UPPER_SNAKE and in the hub\'s registry (hub/sdk/errors.ts) or the registry its driver names.',
    'lifeline error model: stable codes, one registry per package (STYLE.md), docs/reference/errors.md'),
  c('CONTRACT-010', 'it has a docs page with the generated config table', '有含生成配置表的文档页', [],
    'The adapter\'s page (docs/adapters/<id>.md for a built-in, the driver\'s `docs` for a plugin) exists and its block between `<!-- config:start -->` and `<!-- config:end -->` is the table generated from manifest.configSchema.',
    'lifeline docs from code: config tables generated from the schema (scripts/config-table.ts)'),
];

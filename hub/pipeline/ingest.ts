// ctx.ingest(): prepare, commit in one transaction, then report each record's outcome.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { IngestOptions, IngestResult, RecordOutcome } from '../sdk/adapter.ts';
import { LifelineError } from '../sdk/errors.ts';
import { validator, fieldErrors } from '../schemas.ts';
import type { SqlDriver } from '../store/driver.ts';
import { commitBatch, type Inserted } from '../store/observations.ts';
import type { Registry } from '../registry/registry.ts';
import { prepare, type PrepareOptions, type Prepared } from './prepare.ts';
import { sanitiseRecords, storableQuarantine, storableCheckpoint } from './sanitise.ts';
import type { HubMetrics } from '../metrics.ts';

export interface PipelineDeps {
  db: SqlDriver;
  registry: () => Registry;
  metrics?: HubMetrics;
  clock: { now(): number };
  timezone: string;
  futureToleranceMs: number;
  lateAfterMs: number;
  /**
   * Called as each commit starts; the function it returns is called once the commit ended, with the batch's outbox
   * entry, the rows stored and when they were received (undefined: it failed, or stored nothing new). The alarm
   * evaluator wakes on the end, and knows a batch it sees in the outbox may be one of this process's not handed over yet
   * while a commit is in flight; it and the rollup roller keep the rows until their steps take them.
   */
  onCommit?: () => (c: { entry: string; rows: readonly import('../store/rows.ts').ObservationRow[]; receivedAtMs: number } | undefined) => void;
}

export interface InternalIngestOptions extends IngestOptions {
  /** Records already checked against the SourceReading schema (the HTTP route checks the batch as a whole). */
  trusted?: boolean;
  /** Quarantine replay: nothing is quarantined again (the entries stay where they are). */
  replay?: boolean;
  /** Indexes of records whose text was sanitised before (a replayed quarantine entry): their observations keep the flag. */
  sanitised?: ReadonlySet<number>;
  /**
   * A checkpoint committed with the batch and the batch's outcome as the store decided it (uploads keep their
   * committed counts with their row offset): `value` plus `accepted` (observations newly stored), `duplicates`
   * (readings already stored, or repeated in the batch) and `quarantined` (quarantine entries written, `rejected`
   * included). Replaces `checkpoint`.
   */
  countedCheckpoint?: { key: string; value: Record<string, unknown> };
  /**
   * false: only the counts are wanted (uploads: their counts are the checkpoint's), `results` is left empty and no
   * outcome is built per record — at hundreds of thousands of rows those objects were a share of the hub's CPU.
   * 'json': the outcome is wanted as the HTTP route answers it (`json`, see ingestResultJson), `results` left empty.
   */
  outcomes?: boolean | 'json';
}

/** What ingest returns: the SDK's result, and with `outcomes: 'json'` the same as the route's JSON answer. */
export type InternalIngestResult = IngestResult & { json?: string };

export type Ingest = (adapter: string, batch: SourceReading[], opts?: InternalIngestOptions) => Promise<InternalIngestResult>;

/** The flags of an accepted record as JSON: most have none, and the rest one of a few combinations. */
const flagsJson = (flags: readonly string[]) => (flags.length === 0 ? '[]' : JSON.stringify(flags));

/**
 * The answer of POST /v1/observations as JSON text, built from the prepared batch and what the store stored: the same
 * text the route's response schema (`ingestResult`) serialises an IngestResult to, byte for byte (the test compares
 * them), without an outcome object per record and a generic serialiser walking them (a sixth of what the ingest path
 * allocated). Key order is the schema's; a key whose value is absent is left out, as the serialiser does.
 */
function ingestResultJson(p: Prepared, inserted: Inserted, length: number): { json: string; accepted: number; duplicates: number; quarantined: number } {
  let accepted = 0, duplicates = 0, quarantined = 0;
  const parts = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    const s = p.slots[i]!;
    if ('quarantine' in s) {
      const q = p.quarantine[s.quarantine]!;
      parts[i] = `{"outcome":"quarantined","reason":${JSON.stringify(q.reason)},"message":${JSON.stringify(q.message)}${q.field ? `,"field":${JSON.stringify(q.field)}` : ''}}`;
      quarantined++;
      continue;
    }
    const id = 'row' in s ? inserted.idOf[s.row] : null;
    // Store ids are bigint text (digits only): nothing to escape.
    if ('row' in s && id) { parts[i] = `{"outcome":"accepted","id":"${id}","flags":${flagsJson(p.rows[s.row]!.flags)}}`; accepted++; }
    else { parts[i] = '{"outcome":"duplicate"}'; duplicates++; }
  }
  // The head and tail joined in with the records: one flat string (a concatenation around the join would be flattened,
  // a copy, when the reply measures it).
  const head = `{"accepted":${accepted},"duplicates":${duplicates},"quarantined":${quarantined},"results":[`;
  if (length === 0) return { json: `${head}]}`, accepted, duplicates, quarantined };
  parts[0] = head + parts[0];
  parts[length - 1] += ']}';
  return { json: parts.join(','), accepted, duplicates, quarantined };
}

export function createIngest(d: PipelineDeps): Ingest {
  const validate = validator<SourceReading>('lifeline:source-reading');
  return async (adapter, batch, opts = {}) => {
    const receivedAtMs = d.clock.now();
    // Text first: everything below (validation, messages, quarantine records, the store) sees storable strings only.
    const { records: input, changed: sanitised } = sanitiseRecords(batch);
    for (const i of opts.sanitised ?? []) sanitised.add(i);
    const po: PrepareOptions = { receivedAtMs, timezone: opts.timezone ?? d.timezone, futureToleranceMs: d.futureToleranceMs, lateAfterMs: d.lateAfterMs, sanitised };
    // Records from the HTTP route were schema-checked as a batch already; adapters' are checked here one by one.
    const invalid = new Map<number, { path: string; message: string }>();
    let records = input;
    if (!opts.trusted) {
      records = input.map((r, i) => {
        if (validate(r)) return r;
        const e = fieldErrors(validate.errors)[0]!;
        invalid.set(i, e);
        return { point: '\u0000invalid', time: 0 } as SourceReading;
      });
    }
    const p = prepare(records, d.registry(), po);
    for (const [i, e] of invalid) {
      const slot = p.slots[i]!;
      if ('quarantine' in slot) p.quarantine[slot.quarantine] = { reason: 'INVALID_RECORD', message: `${e.path} ${e.message}`, field: e.path, record: input[i], textSanitised: sanitised.has(i) };
    }
    // An adapter's rejected input is kept even when the adapter described it badly: a missing reason must not fail the batch.
    const rejectedRows = (opts.rejected ?? []).map((r) => ({ reason: typeof r.reason === 'string' && r.reason ? r.reason : 'REJECTED', message: String(r.message ?? ''), field: typeof r.field === 'string' ? r.field : null, record: r.record, textSanitised: false }));
    const quarantine = opts.replay ? [] : (rejectedRows.length ? p.quarantine.concat(rejectedRows) : p.quarantine).map(storableQuarantine);
    const started = performance.now();
    let inserted: Inserted;
    const ended = d.onCommit?.();
    try {
      // Counted: the readings that reached the store are those the pipeline did not quarantine.
      const counted = opts.countedCheckpoint && { ...storableCheckpoint({ key: opts.countedCheckpoint.key, value: { ...opts.countedCheckpoint.value, quarantined: quarantine.length } })!, counted: { offered: batch.length - p.quarantine.length } };
      inserted = await commitBatch(d.db, { adapter, receivedAtMs, rows: p.rows, quarantine, checkpoint: counted ?? storableCheckpoint(opts.checkpoint), keyed: opts.outcomes === false ? false : 'rows' });
    } catch (cause) {
      ended?.(undefined);
      d.metrics?.commitFailures.inc({ adapter });
      throw new LifelineError('STORE_COMMIT_FAILED', 'the batch could not be committed and was rolled back; nothing from it was stored', { cause, stage: 'store' });
    }
    d.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
    if (inserted.retried) d.metrics?.commitArbitrated.inc({ adapter });
    ended?.(inserted.entry !== null ? { entry: inserted.entry, rows: inserted.rows, receivedAtMs } : undefined);

    let accepted = 0, duplicates = 0, quarantined = 0;
    let results: RecordOutcome[];
    let json: string | undefined;
    if (opts.outcomes === 'json') {
      results = [];
      ({ json, accepted, duplicates, quarantined } = ingestResultJson(p, inserted, batch.length));
    } else if (opts.outcomes === false) {
      results = [];
      quarantined = p.quarantine.length;
      accepted = inserted.rows.length;
      duplicates = batch.length - quarantined - accepted;
    } else {
      results = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const s = p.slots[i]!;
        if ('quarantine' in s) {
          const q = p.quarantine[s.quarantine]!;
          results[i] = q.field ? { outcome: 'quarantined', reason: q.reason, message: q.message, field: q.field } : { outcome: 'quarantined', reason: q.reason, message: q.message };
          quarantined++;
          continue;
        }
        // A repeat within the batch (duplicateOf) or a row whose identity was already stored (no id) is a duplicate.
        const id = 'row' in s ? inserted.idOf[s.row] : null;
        if ('row' in s && id) { results[i] = { outcome: 'accepted', id, flags: p.rows[s.row]!.flags }; accepted++; }
        else { results[i] = { outcome: 'duplicate' }; duplicates++; }
      }
    }
    if (d.metrics) {
      if (accepted) d.metrics.records.inc({ adapter, outcome: 'accepted' }, accepted);
      if (duplicates) d.metrics.records.inc({ adapter, outcome: 'duplicate' }, duplicates);
      if (quarantined) d.metrics.records.inc({ adapter, outcome: 'quarantined' }, quarantined);
      if (rejectedRows.length) d.metrics.records.inc({ adapter, outcome: 'rejected' }, rejectedRows.length);
    }
    return json === undefined ? { accepted, duplicates, quarantined, rejected: rejectedRows.length, results } : { accepted, duplicates, quarantined, rejected: rejectedRows.length, results, json };
  };
}

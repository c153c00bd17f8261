// Group commit for adapters with many small sources (one TCP frame = a few readings): readings from many
// callers are committed in one ingest call, and each caller's promise resolves after THAT commit with its
// own outcomes, so "acknowledge after commit" holds per caller while the store sees large batches.
import type { SourceReading } from '../../schemas/generated/types.ts';
import type { IngestResult, IngestOptions, RejectedInput } from './adapter.ts';

/** @category Adapter */
export interface BatcherOptions {
  /** Commit when this many readings are waiting (default 1000). */
  maxRecords?: number;
  /** …or when the oldest has waited this long (default 10 ms). */
  maxWaitMs?: number;
  /** Commits in flight at once (default 2: one fills while one commits; more helps a pooled PostgreSQL). */
  concurrency?: number;
}

interface Waiting { batch: SourceReading[]; rejected?: RejectedInput[]; resolve(r: IngestResult): void; reject(e: unknown): void }

/**
 * Wrap ctx.ingest so that concurrent calls share transactions. Calls with checkpoints or zones bypass the
 * batcher; `rejected` inputs ride along with the shared transaction. At most `concurrency` commits are in flight; calls arriving meanwhile form the next batch.
 * @category Adapter
 */
export function createIngestBatcher(
  ingest: (batch: SourceReading[], options?: IngestOptions) => Promise<IngestResult>,
  opts: BatcherOptions = {},
): (batch: SourceReading[], options?: IngestOptions) => Promise<IngestResult> {
  const maxRecords = opts.maxRecords ?? 1000;
  const maxWaitMs = opts.maxWaitMs ?? 10;
  const concurrency = opts.concurrency ?? 2;
  let queue: Waiting[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;

  const flush = (): void => {
    if (timer) { clearTimeout(timer); timer = undefined; }
    if (inFlight >= concurrency || !queue.length) return;
    const take = queue;
    queue = []; queued = 0;
    inFlight++;
    void (async () => {
      try {
        const all = take.flatMap((w) => w.batch);
        const rejected = take.flatMap((w) => w.rejected ?? []);
        const res = await ingest(all, rejected.length ? { rejected } : undefined);
        let at = 0;
        for (const w of take) {
          const results = res.results.slice(at, at + w.batch.length);
          at += w.batch.length;
          w.resolve({
            accepted: results.filter((r) => r.outcome === 'accepted').length,
            duplicates: results.filter((r) => r.outcome === 'duplicate').length,
            quarantined: results.filter((r) => r.outcome === 'quarantined').length,
            rejected: w.rejected?.length ?? 0,
            results,
          });
        }
      } catch (e) {
        for (const w of take) w.reject(e);
      } finally {
        inFlight--;
        if (queued >= maxRecords) flush();
        else if (queue.length) timer ??= setTimeout(flush, maxWaitMs);
      }
    })();
  };

  return (batch, options) => {
    const rejected = options?.rejected?.length ? options.rejected : undefined;
    if (options && (options.checkpoint || options.timezone)) return ingest(batch, options);
    if (!batch.length && !rejected) return Promise.resolve({ accepted: 0, duplicates: 0, quarantined: 0, rejected: 0, results: [] });
    return new Promise<IngestResult>((resolve, reject) => {
      queue.push({ batch, rejected, resolve, reject });
      queued += batch.length + (rejected?.length ?? 0);
      if (queued >= maxRecords) flush();
      else timer ??= setTimeout(flush, maxWaitMs);
    });
  };
}

// BullMQ driver: many hub processes share the sending through one BullMQ queue per target on Redis.
//
// The store stays the source of truth. Batches are built in the store (cursor + batch rows in one transaction);
// a job only says "deliver this target's batches up to batch B" and carries B's idempotency key as jobId, so
// adding it twice is a no-op. The processor always sends the target's OLDEST pending batch first, so order holds
// even when jobs were lost or re-added out of order, and a job whose batch is already done completes at once.
// Each target queue has global concurrency 1: one batch in flight per target across all hubs. Retries wait as
// delayed jobs (no sleeping worker). Redis may lose everything (restart without persistence): a reconciler (every
// few seconds and on every reconnect) makes sure the newest pending batch of each target has a live job, and
// re-adds it from the store if not — which, by the head-first rule, delivers everything before it too.
import { Queue, Worker, DelayedError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { attempt, type DeliverDeps, type Next, type Target } from './deliver.ts';
import { headOrPaused, lastPending, batchesAfter } from './store.ts';
import type { Driver } from './embedded.ts';

const RECONCILE_MS = 3000;
const JOB_OPTS = { removeOnComplete: { age: 3600, count: 2000 }, removeOnFail: { age: 86400 }, attempts: 5, backoff: { type: 'fixed', delay: 1000 } };

export const queueName = (target: string) => `publish-${target}`;

export function bullmqDriver(d: DeliverDeps, targets: Target[], o: { redisUrl: string; prefix: string; pollMs: number }): Driver {
  const byName = new Map(targets.map((t) => [t.spec.name, t]));
  const redisOpts = { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy: (n: number) => Math.min(200 * n, 2000) };
  const qconn = new Redis(o.redisUrl, redisOpts);
  const wconn = new Redis(o.redisUrl, redisOpts);
  for (const c of [qconn, wconn]) c.on('error', (e) => d.logger.debug({ err: e.message }, 'redis connection error'));
  const queues = new Map<string, Queue>();
  const workers: Worker[] = [];
  const enqueued = new Map<string, string>(); // target → highest batch id whose job add Redis acknowledged
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reconciling: Promise<void> | undefined;
  let wasDown = false;
  let lastReconcile = 0;

  async function processJob(job: Job<{ batchId: string }>, token?: string): Promise<string> {
    const t = byName.get(job.queueName.replace(/^publish-/, ''))!;
    const upTo = BigInt(job.data.batchId);
    let sent = 0;
    let known: Next | undefined;
    for (;;) {
      const delay = async (ms: number) => { await job.moveToDelayed(Date.now() + ms, token); throw new DelayedError(); };
      if (stopped) await delay(o.pollMs);
      const { paused, head } = known ?? await headOrPaused(d.db, t.spec.name);
      known = undefined;
      if (paused) await delay(Math.max(1000, o.pollMs));
      if (!head || BigInt(head.id) > upTo) return `delivered through ${job.data.batchId} (${sent} sent by this job)`;
      if (head.wait_ms > 0) await delay(Math.ceil(head.wait_ms));
      const r = await attempt(d, t, head, (n) => { known = n; });
      sent++;
      if (BigInt(head.id) === upTo && (r === 'done' || r === 'dead')) return `delivered ${job.data.batchId}`;
    }
  }

  async function enqueue(name: string): Promise<void> {
    const q = queues.get(name)!;
    const list = await batchesAfter(d.db, name, enqueued.get(name) ?? '0');
    for (let i = 0; i < list.length; i += 500) {
      const part = list.slice(i, i + 500);
      await q.addBulk(part.map((b) => ({ name: 'batch', data: { batchId: b.id }, opts: { ...JOB_OPTS, jobId: b.idempotency_key } })));
      enqueued.set(name, part[part.length - 1]!.id);
    }
  }

  /** Redis may have lost jobs (restart without persistence, eviction): re-add from the store what has no live job. */
  async function reconcile(): Promise<void> {
    const last = await lastPending(d.db, [...queues.keys()]);
    for (const [name, q] of queues) {
      await q.setGlobalConcurrency(1);
      const b = last.get(name);
      if (!b) continue;
      const job = await q.getJob(b.idempotency_key);
      const state = job ? await job.getState() : 'unknown';
      if (state === 'completed' || state === 'failed' || state === 'unknown') {
        // completed with the batch pending again = a replay; failed = the processor hit an error 5 times.
        if (job) await job.remove().catch(() => undefined);
        await q.add('batch', { batchId: b.id }, { ...JOB_OPTS, jobId: b.idempotency_key });
        if (state !== 'completed') d.logger.warn({ target: name, batch: b.id, state }, 'publish job missing in Redis; re-added from the store');
      }
      if (BigInt(b.id) > BigInt(enqueued.get(name) ?? '0')) enqueued.set(name, b.id);
    }
    lastReconcile = Date.now();
  }

  const kick = () => {
    if (stopped || reconciling) return;
    reconciling = reconcile().catch((e) => { wasDown = true; d.logger.debug({ err: (e as Error).message }, 'publish reconcile failed (Redis down?)'); }).finally(() => { reconciling = undefined; });
  };

  return {
    async start() {
      for (const t of targets) {
        const name = queueName(t.spec.name);
        const q = new Queue(name, { connection: qconn, prefix: o.prefix });
        q.on('error', (e) => d.logger.debug({ err: e.message, target: t.spec.name }, 'bullmq queue error'));
        queues.set(t.spec.name, q);
        const w = new Worker(name, processJob, { connection: wconn, prefix: o.prefix, concurrency: 1, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 1000, autorun: true });
        w.on('error', (e) => d.logger.debug({ err: e.message, target: t.spec.name }, 'bullmq worker error'));
        w.on('failed', (job, e) => d.logger.warn({ err: e.message, target: t.spec.name, job: job?.id }, 'publish job failed'));
        workers.push(w);
      }
      qconn.on('ready', () => { if (wasDown) d.logger.info('redis reconnected: reconciling publish jobs with the store'); wasDown = false; kick(); });
      qconn.on('close', () => { wasDown = true; });
      // Redis down at start does not stop the hub: the reconciler adds the jobs once it is reachable.
      kick();
      const first = reconciling;
      const ready = await Promise.race([first?.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref())]);
      if (!ready || qconn.status !== 'ready') d.logger.warn({ redis: o.redisUrl.replace(/\/\/[^@]*@/, '//***@') }, 'redis not reachable yet; publish jobs will be added when it is');
      timer = setInterval(() => { if (Date.now() - lastReconcile >= RECONCILE_MS) kick(); }, 1000);
    },
    built(name) {
      if (stopped || !queues.has(name) || qconn.status !== 'ready') return; // the reconciler adds them after a reconnect
      enqueue(name).catch((e) => d.logger.debug({ err: (e as Error).message, target: name }, 'publish enqueue failed; the reconciler will add it'));
    },
    poke() { kick(); },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Bounded: with Redis unreachable these would wait for it for ever. Nothing is lost by not waiting (store).
      const within = (p: Promise<unknown> | undefined, ms: number) => Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
      await within(reconciling, 2000);
      await within(Promise.all(workers.map((w) => w.close())), qconn.status === 'ready' ? 15_000 : 500);
      await within(Promise.all([...queues.values()].map((q) => q.close())), 2000);
      qconn.disconnect();
      wconn.disconnect();
    },
    info: () => ({ driver: 'bullmq', redis: qconn.status }),
  };
}

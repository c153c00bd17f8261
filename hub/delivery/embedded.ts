// Embedded driver: each target's head batch is sent from this process, straight from the store (no servers).
// On a PostgreSQL store shared by several hubs, a lease row makes one process at a time the sender per target.
import { randomUUID } from 'node:crypto';
import { attempt, type DeliverDeps, type Next, type Target } from './deliver.ts';
import { headOrPaused, takeLease, dropLease } from './store.ts';
import { Waker } from './wait.ts';

const LEASE_MS = 10_000;

export interface Driver {
  start(): Promise<void>;
  /** New batches were built for this target. */
  built(target: string): void;
  /** Store state changed (resume, replay): look again now. */
  poke(target?: string): void;
  stop(): Promise<void>;
  info(): Record<string, unknown>;
}

export function embeddedDriver(d: DeliverDeps, targets: Target[], pollMs: number): Driver {
  const owner = randomUUID();
  const abort = new AbortController();
  const wakers = new Map(targets.map((t) => [t.spec.name, new Waker()]));
  const loops: Promise<void>[] = [];
  const stale = new Set<string>();

  async function run(t: Target): Promise<void> {
    const name = t.spec.name;
    const waker = wakers.get(name)!;
    let known: Next | undefined; // from the last markDone: saves a round trip per batch
    // The lease is renewed in the background, so a long attempt (up to the publisher's timeout) keeps it.
    const shared = d.db.kind === 'postgres';
    let held = false;
    const renew = async () => { held = await takeLease(d.db, name, owner, LEASE_MS).catch(() => false); };
    const timer = shared ? setInterval(() => { if (held) void renew(); }, LEASE_MS / 3) : undefined;
    while (!abort.signal.aborted) {
      try {
        if (shared && !held) {
          await renew();
          if (!held) { await waker.sleep(LEASE_MS / 3, abort.signal); continue; }
        }
        if (stale.delete(name)) known = undefined; // resumed, paused or replayed meanwhile: ask the store
        const { paused, head } = known ?? await headOrPaused(d.db, name);
        known = undefined;
        if (paused) { await waker.sleep(pollMs * 5, abort.signal); continue; }
        if (!head) { await waker.sleep(pollMs, abort.signal); continue; }
        if (head.wait_ms > 0) { await waker.sleep(Math.min(head.wait_ms, 5000), abort.signal); continue; }
        await attempt(d, t, head, (n) => { known = n; });
      } catch (e) {
        if (abort.signal.aborted) break;
        d.logger.error({ err: e, target: name }, 'delivery loop error; retrying');
        await waker.sleep(1000, abort.signal);
      }
    }
    clearInterval(timer);
    if (shared) await dropLease(d.db, name, owner).catch(() => undefined);
  }

  return {
    async start() { for (const t of targets) loops.push(run(t)); },
    built: (name) => wakers.get(name)?.wake(),
    poke: (name) => { for (const [n, w] of wakers) if (!name || n === name) { stale.add(n); w.wake(); } },
    async stop() { abort.abort(); await Promise.all(loops); },
    info: () => ({ driver: 'embedded' }),
  };
}

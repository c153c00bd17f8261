// The HTTP load generator (http-client.mjs) in a worker thread: POST /v1/observations JSON batches over keep-alive
// connections, so building requests and reading answers does not take the hub's event loop.
import { Worker } from 'node:worker_threads';

/** JSON bodies for POST /v1/observations (ArrayBuffers, handed over to the worker) and their record counts. */
export interface LoadBatches { bodies: ArrayBuffer[]; records: number[] }

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
/** How often the worker reports progress when asked to. */
export const PROGRESS_MS = 3000;

export interface ClientRun {
  error?: string; batches: number; sent: number; accepted: number; duplicates: number; quarantined: number;
  elapsedMs: number; clientElu: number; latencyMs: { p50: number; p95: number; max: number };
}

/** The HTTP load generator (bench/lib/http-client.mjs) in a worker thread. */
export class LoadClient {
  private readonly worker = new Worker(new URL('./http-client.mjs', import.meta.url));
  private readonly exited: Promise<void>;
  constructor() {
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.unref();
  }

  /** Send every batch of `w` (handed over to the worker), or with `w` undefined the previous run's batches again. */
  run(label: string, url: string, key: string, w: LoadBatches | undefined, concurrency: number, progress: boolean): Promise<ClientRun> {
    return new Promise<ClientRun>((resolve, reject) => {
      const onMessage = (m: { type: string } & Record<string, unknown>) => {
        if (m.type === 'progress') {
          const { batches, total, accepted, elapsedMs } = m as unknown as { batches: number; total: number; accepted: number; elapsedMs: number };
          console.log(`      … ${label}: ${batches}/${total} batches, ${fmt(accepted / (elapsedMs / 1000))} obs/s`);
        } else if (m.type === 'done') {
          this.worker.off('message', onMessage); this.worker.off('error', onError);
          resolve(m as unknown as ClientRun);
        }
      };
      const onError = (e: Error) => { this.worker.off('message', onMessage); reject(e); };
      this.worker.on('message', onMessage);
      this.worker.once('error', onError);
      this.worker.postMessage({ cmd: 'run', url, key, bodies: w?.bodies, records: w?.records, concurrency, progressMs: progress ? PROGRESS_MS : 0 }, w?.bodies ?? []);
    });
  }

  async close() {
    this.worker.postMessage({ cmd: 'close' });
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.worker.terminate();
  }
}


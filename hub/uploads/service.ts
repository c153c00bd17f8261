// Uploads: a file is spooled to data_dir/uploads while its size, SHA-256 and encoding are taken, then mapped and
// committed batch by batch, one upload at a time. Batch boundaries are a function of the file, the profile and the
// upload's batch_rows; each batch commits its counts with its rows (adapter_checkpoint 'upload', key <id>/<batch>),
// so several batches can be in flight, and after a crash or a stop the upload maps the file again and commits only
// the batches that have no checkpoint: every row is stored (or quarantined) exactly once, and the counts are exact.
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { SqlDriver } from '../store/driver.ts';
import type { Ingest } from '../pipeline/ingest.ts';
import { LifelineError, isLifelineError } from '../sdk/errors.ts';
import { loadTableProfile, resolveProfilePath } from '../mapping/load.ts';
import type { CompiledTable } from '../mapping/table.ts';
import type { Upload } from '../../schemas/generated/types.ts';
import { EncodingSniffer, sniffFormat } from './read.ts';
import { mapFile } from './map-file.ts';

export const UPLOAD_ADAPTER = 'upload';
/** Batches of one upload committing at once, by default (bench/upload gives its raw reference the same). */
export const UPLOAD_IN_FLIGHT = 3;

export interface UploadDeps {
  db: SqlDriver;
  ingest: Ingest;
  /** Spool directory (data_dir/uploads). */
  dir: string;
  maxBytes: number;
  timezone: string;
  logger: Logger;
  /** Where profiles named by uploads are looked for before the shipped ones (uploads.profiles_dir). */
  profilesDir?: string;
  /** Data rows per committed batch (default 2000). */
  batchRows?: number;
  /** Batches committing at once (default UPLOAD_IN_FLIGHT). */
  inFlight?: number;
}

interface Counts { rows: number; readings: number; accepted: number; duplicates: number; quarantined: number }
const ZERO: Counts = { rows: 0, readings: 0, accepted: 0, duplicates: 0, quarantined: 0 };
const PROFILE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const ACTIVE = ['receiving', 'queued', 'processing'];

interface Row {
  id: string; name: string; profile: string; size: string | number; sha256: string | null; format: string | null; encoding: string | null; encoding_by: string | null;
  batch_rows?: number | null; status: Upload['status']; error: { code: string; message: string } | null; created_at: Date | string; started_at: Date | string | null; finished_at: Date | string | null; value: Partial<Counts> | null;
}
const COUNTS = `LEFT JOIN LATERAL (SELECT jsonb_build_object('rows', sum((value->>'rows')::bigint), 'readings', sum((value->>'readings')::bigint),
  'accepted', sum((value->>'accepted')::bigint), 'duplicates', sum((value->>'duplicates')::bigint), 'quarantined', sum((value->>'quarantined')::bigint)) AS value
  FROM adapter_checkpoint WHERE adapter = '${UPLOAD_ADAPTER}' AND starts_with(key, u.id || '/')) c ON true`;
const iso = (d: Date | string | null) => d === null ? null : new Date(d).toISOString();

export class UploadService {
  private queue: string[] = [];
  private running?: { id: string; abort: AbortController; done: Promise<void>; progress: { bytes: number }; total: number };
  private stopped = false;
  private idle: Array<() => void> = [];

  constructor(private readonly d: UploadDeps) {}

  /** The profile file an upload names: uploads.profiles_dir/<name>.yaml, else a shipped profile. Names only, never paths. */
  profileFile(name: string): string {
    if (!PROFILE_NAME.test(name) || name.includes('..')) throw new LifelineError('UPLOAD_BAD_REQUEST', `profile "${name.slice(0, 80)}" is not a profile name (lowercase letters, digits, . _ -); uploads name a shipped profile or one in uploads.profiles_dir`, { details: { path: '/querystring/profile' } });
    for (const ext of ['.yaml', '.yml', '.json']) {
      const p = this.d.profilesDir ? resolve(this.d.profilesDir, name + ext) : undefined;
      if (p && existsSync(p)) return p;
    }
    return resolveProfilePath(name);
  }

  private table(profile: string, id?: string): CompiledTable {
    return loadTableProfile(this.profileFile(profile), undefined, { timezone: this.d.timezone, messagePrefix: id ? `${id}:` : undefined });
  }

  /** Receive a file body into the spool; resolves with the record once it is queued. */
  async receive(body: Readable, o: { name?: string; profile: string; keyName?: string; contentLength?: number }): Promise<Upload> {
    if (this.stopped) throw new LifelineError('UPLOAD_BAD_REQUEST', 'the hub is stopping; send the file again in a moment');
    this.table(o.profile); // an unknown or non-table profile is refused before any byte is stored
    if (o.contentLength !== undefined && o.contentLength > this.d.maxBytes) throw tooLarge(this.d.maxBytes, o.contentLength);
    const id = `up_${randomBytes(8).toString('hex')}`;
    const name = (o.name ?? 'upload').replace(/[\u0000-\u001f]/g, '').slice(0, 255) || 'upload';
    mkdirSync(this.d.dir, { recursive: true });
    const spool = this.spool(id);
    await this.d.db.query('INSERT INTO upload (id, name, profile, status, key_name, batch_rows) VALUES ($1, $2, $3, $4, $5, $6)', [id, name, o.profile, 'receiving', o.keyName ?? null, this.d.batchRows ?? 2000]);
    const hash = createHash('sha256');
    const sniff = new EncodingSniffer();
    let size = 0;
    const max = this.d.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(tooLarge(max));
        hash.update(chunk);
        sniff.push(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(spool));
      if (size === 0) throw new LifelineError('UPLOAD_BAD_REQUEST', 'the file is empty: send its bytes as the request body (or as a multipart file part)');
    } catch (e) {
      rmSync(spool, { force: true });
      const err = isLifelineError(e) ? e : new LifelineError('UPLOAD_BAD_REQUEST', `the upload was cut off after ${size} bytes: ${(e as Error).message}; send the file again`, { cause: e });
      await this.finish(id, 'failed', err).catch(() => undefined);
      throw err;
    }
    const t = this.table(o.profile).table;
    const format = t.format && t.format !== 'auto' ? t.format : await sniffFormat(spool);
    const det = format === 'xlsx' ? null : t.encoding && t.encoding !== 'auto' ? { encoding: t.encoding, by: 'profile' } : sniff.result();
    await this.d.db.query(`UPDATE upload SET size = $2, sha256 = $3, format = $4, encoding = $5, encoding_by = $6, status = 'queued' WHERE id = $1 AND status = 'receiving'`,
      [id, size, hash.digest('hex'), format, det?.encoding ?? null, det?.by ?? null]);
    this.enqueue(id);
    return (await this.get(id))!;
  }

  private spool(id: string) { return join(this.d.dir, `${id}.part`); }

  async get(id: string): Promise<Upload | undefined> {
    const r = await this.d.db.query<Row>(`SELECT u.*, c.value FROM upload u ${COUNTS} WHERE u.id = $1`, [id]);
    return r.rows[0] && this.present(r.rows[0]);
  }

  async list(o: { limit: number; status?: string }): Promise<Upload[]> {
    const r = await this.d.db.query<Row>(`SELECT u.*, c.value FROM upload u ${COUNTS}
      ${o.status ? 'WHERE u.status = $2' : ''} ORDER BY u.created_at DESC, u.id DESC LIMIT $1`, o.status ? [o.limit, o.status] : [o.limit]);
    return r.rows.map((x) => this.present(x));
  }

  private present(r: Row): Upload {
    const c = { ...ZERO };
    for (const k of Object.keys(ZERO) as Array<keyof Counts>) c[k] = Number(r.value?.[k] ?? 0);
    const run = this.running?.id === r.id ? this.running : undefined;
    return {
      id: r.id, name: r.name, profile: r.profile, size: Number(r.size), sha256: r.sha256, format: r.format as Upload['format'], encoding: r.encoding, encoding_by: r.encoding_by as Upload['encoding_by'],
      status: r.status, error: r.error, created_at: iso(r.created_at)!, started_at: iso(r.started_at), finished_at: iso(r.finished_at),
      rows: c.rows, readings: c.readings, accepted: c.accepted, duplicates: c.duplicates, quarantined: c.quarantined,
      progress: run ? { bytes_done: Math.min(run.progress.bytes, run.total), bytes_total: run.total } : null,
    };
  }

  /** Stop an upload that has not finished: what it committed stays (re-sending the file later is harmless). */
  async cancel(id: string): Promise<Upload> {
    const r = await this.d.db.query<{ status: string }>(`UPDATE upload SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status IN ('receiving', 'queued', 'processing') RETURNING status`, [id]);
    if (!r.rows.length) {
      const u = await this.get(id);
      if (!u) throw new LifelineError('UPLOAD_NOT_FOUND', `no upload ${id}; list them with GET /v1/uploads`, { details: { id } });
      throw new LifelineError('UPLOAD_NOT_CANCELLABLE', `upload ${id} is already ${u.status}`, { details: { id, status: u.status } });
    }
    this.queue = this.queue.filter((q) => q !== id);
    if (this.running?.id === id) { this.running.abort.abort(); await this.running.done; }
    rmSync(this.spool(id), { force: true });
    return (await this.get(id))!;
  }

  /** Resume what a previous run left: queued and processing uploads whose spool file is here. */
  async start(): Promise<void> {
    const r = await this.d.db.query<{ id: string; status: string }>(`SELECT id, status FROM upload WHERE status IN ('receiving', 'queued', 'processing') ORDER BY created_at, id`);
    for (const u of r.rows) {
      if (u.status === 'receiving') {
        rmSync(this.spool(u.id), { force: true });
        await this.finish(u.id, 'failed', new LifelineError('UPLOAD_BAD_REQUEST', 'the hub stopped while the file was being received; send it again (rows already stored are not stored twice)'));
      } else if (!existsSync(this.spool(u.id))) {
        await this.finish(u.id, 'failed', new LifelineError('UPLOAD_UNREADABLE', `the spooled file ${this.spool(u.id)} is gone; send the file again (rows already stored are not stored twice)`));
      } else {
        this.d.logger.info({ upload: u.id }, 'resuming upload');
        this.enqueue(u.id);
      }
    }
  }

  /** Stop after the batch in flight; unfinished uploads stay queued/processing and resume at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue = [];
    if (this.running) { this.running.abort.abort(); await this.running.done; }
  }

  /** Resolves when nothing is queued or running (tests, `?wait=true`). */
  whenIdle(): Promise<void> {
    return !this.running && !this.queue.length ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  /** Resolves when upload `id` is no longer queued or processing. */
  async whenDone(id: string, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const u = await this.get(id);
      if (!u || !ACTIVE.includes(u.status)) return;
      await new Promise<void>((r) => { const done = () => r(); if (this.running?.id === id) this.running.done.then(done, done); else setTimeout(done, 200); });
    }
  }

  private enqueue(id: string) {
    if (this.stopped) return;
    if (!this.queue.includes(id) && this.running?.id !== id) this.queue.push(id);
    this.pump();
  }

  private pump() {
    if (this.running || this.stopped) return;
    const id = this.queue.shift();
    if (!id) { for (const r of this.idle.splice(0)) r(); return; }
    const abort = new AbortController();
    const progress = { bytes: 0 };
    const run = { id, abort, progress, total: 0, done: Promise.resolve() };
    this.running = run;
    run.done = this.process(run).catch((e) => this.d.logger.error({ err: e, upload: id }, 'upload failed')).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async finish(id: string, status: 'done' | 'failed', err?: LifelineError) {
    await this.d.db.query(`UPDATE upload SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status IN ('receiving', 'queued', 'processing')`,
      [id, status, err ? JSON.stringify({ code: err.code, message: err.message }) : null]);
  }

  private async process(run: { id: string; abort: AbortController; progress: { bytes: number }; total: number }): Promise<void> {
    const { id, abort } = run;
    const r = await this.d.db.query<Row>(`UPDATE upload SET status = 'processing', started_at = coalesce(started_at, now()) WHERE id = $1 AND status IN ('queued', 'processing') RETURNING *`, [id]);
    const u = r.rows[0];
    if (!u) return;
    run.total = Number(u.size);
    const spool = this.spool(id);
    try {
      const table = this.table(u.profile, id);
      const committed = new Set((await this.d.db.query<{ key: string }>(`SELECT key FROM adapter_checkpoint WHERE adapter = '${UPLOAD_ADAPTER}' AND starts_with(key, $1)`, [`${id}/`])).rows.map((x) => x.key));
      const batchRows = Number(u.batch_rows ?? this.d.batchRows ?? 2000);
      const batches = mapFile(spool, table, { format: u.format as 'csv' | 'xlsx', encoding: (u.encoding ?? 'utf-8') as never, batchRows, signal: abort.signal, progress: run.progress });
      const inFlight = new Set<Promise<void>>();
      const most = this.d.inFlight ?? UPLOAD_IN_FLIGHT;
      let failed: unknown;
      let index = 0;
      // The next batches are read and mapped while earlier ones commit, up to `most` commits at once.
      for await (const b of batches) {
        const key = `${id}/${String(index++).padStart(8, '0')}`;
        if (committed.has(key)) continue; // stored before a crash or a stop
        while (inFlight.size >= most) await Promise.race(inFlight);
        if (failed !== undefined) throw failed;
        if (abort.signal.aborted) break;
        const rejected = b.failures.map((f) => ({ record: { upload: id, file: u.name, ...(f.sheet ? { sheet: f.sheet } : {}), row: f.row, cells: f.cells }, reason: f.code, message: f.message, field: f.column ?? undefined }));
        const p: Promise<void> = this.d.ingest(UPLOAD_ADAPTER, b.readings, {
          rejected,
          trusted: true, // the table mapper builds readings within lifeline:source-reading's limits (hub/mapping/table.ts)
          outcomes: false, // the counts are the checkpoint's, computed by the store
          countedCheckpoint: { key, value: { rows: b.batchRows, readings: b.readings.length } },
        }).then(() => undefined, (e) => { failed ??= e; }).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
      if (failed !== undefined) throw failed;
      if (abort.signal.aborted) return; // cancelled (status set by cancel) or stopping (resumes at the next start)
      // One checkpoint row per finished upload: its batches' counts summed, with the status, in one transaction.
      await this.d.db.transaction(async (tx) => {
        await tx.query(`WITH d AS (DELETE FROM adapter_checkpoint WHERE adapter = '${UPLOAD_ADAPTER}' AND starts_with(key, $1) RETURNING value)
          INSERT INTO adapter_checkpoint (adapter, key, value) SELECT '${UPLOAD_ADAPTER}', $1 || 'total', jsonb_build_object('rows', coalesce(sum((value->>'rows')::bigint), 0),
            'readings', coalesce(sum((value->>'readings')::bigint), 0), 'accepted', coalesce(sum((value->>'accepted')::bigint), 0),
            'duplicates', coalesce(sum((value->>'duplicates')::bigint), 0), 'quarantined', coalesce(sum((value->>'quarantined')::bigint), 0)) FROM d`, [`${id}/`]);
        await tx.query(`UPDATE upload SET status = 'done', finished_at = now() WHERE id = $1 AND status = 'processing'`, [id]);
      });
      rmSync(spool, { force: true });
      this.d.logger.info({ upload: id }, 'upload done');
    } catch (e) {
      const err = isLifelineError(e) ? e : new LifelineError('UPLOAD_UNREADABLE', `the upload stopped: ${(e as Error).message}`, { cause: e });
      await this.finish(id, 'failed', err);
      rmSync(spool, { force: true });
      throw err;
    }
  }
}

function tooLarge(max: number, got?: number): LifelineError {
  return new LifelineError('UPLOAD_TOO_LARGE', `the file is larger than the upload limit of ${max} bytes${got ? ` (Content-Length ${got})` : ''}: split it, or raise uploads.max_bytes`, { details: { max_bytes: max } });
}

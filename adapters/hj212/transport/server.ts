// TCP (or TLS) server for data collectors. Per connection: framer → decode → authorise → dispatch; uploads
// are committed through a group-commit batcher and answered 9014 only after their commit.
// Failure boundaries: whatever goes wrong with one frame or one connection (a hub bug, an answer that cannot
// be built, a socket error) ends that connection with a logged, typed error; it never reaches the process.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { createIngestBatcher, LifelineError, type AdapterContext, type AdapterHealth, type Device } from '../../../hub/sdk/index.ts';
import type { Hj212Config } from '../manifest.ts';
import type { Hj212Frame, DecodeOptions, CrcDialect, BuildInput } from '../codec/types.ts';
import { decodeFrame, encodeFrame, replyTo, Reassembler, qnRtnFor, Hj212Error, peekHeader, versionOfFlag, cnInfo, type PeekedHeader } from '../codec/index.ts';
import { frameToReadings } from '../map.ts';
import { Session } from './session.ts';

/** Uploads are the CNs the codec's table answers with 9014 (per version: 2005 alarm records, 2025 additions …). */
const isUpload = (f: Pick<Hj212Frame, 'cn' | 'version'>) => cnInfo(f.cn, f.version)?.reply === '9014';
import { QnSource } from './qn.ts';
import { PendingCommand, validateCommand, exchangeOf, type CommandResult } from './commands.ts';

interface Identity { protocol: string; key: string; pw?: string; crc?: CrcDialect; mode?: 'strict' | 'lenient'; encoding?: 'gb18030' | 'none' }

export class Hj212Server {
  private server?: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly perIp = new Map<string, number>();
  private readonly byMn = new Map<string, Session>();
  private readonly pending = new Set<PendingCommand>();
  private readonly reassembler: Reassembler;
  private readonly ingest: AdapterContext['ingest'];
  private readonly qns: QnSource;
  private readonly zone: string;
  private expiryTimer?: NodeJS.Timeout;
  private lastError?: string;
  port = 0;

  constructor(private readonly config: Hj212Config, private readonly ctx: AdapterContext) {
    this.ingest = createIngestBatcher((batch, o) => ctx.ingest(batch, o), { maxRecords: 2000, maxWaitMs: 5, concurrency: 4 });
    this.reassembler = new Reassembler({ expiryMs: config.segment_expiry_s * 1000 });
    this.zone = config.timezone ?? ctx.timezone;
    this.qns = new QnSource(ctx.clock, this.zone);
  }

  async start(): Promise<void> {
    const onSocket = (s: net.Socket) => this.accept(s);
    this.server = this.config.tls
      ? tls.createServer({ cert: readFileSync(this.config.tls.cert), key: readFileSync(this.config.tls.key) }, onSocket)
      : net.createServer(onSocket);
    this.server.maxConnections = this.config.max_connections;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.config.port, this.config.host, () => { this.server!.off('error', reject); resolve(); });
    });
    this.server.on('error', (e) => { this.lastError = e.message; this.ctx.logger.error({ err: e }, 'hj212 listener error'); });
    this.port = (this.server.address() as net.AddressInfo).port;
    this.expiryTimer = setInterval(() => {
      try {
        for (const f of this.reassembler.expire(this.ctx.clock.now())) {
          this.ctx.metrics.dropped();
          this.ctx.logger.warn({ mn: f.mn, cn: f.cn, qn: f.qn }, 'incomplete segmented message expired; not acknowledged, the station will resend');
        }
      } catch (e) {
        this.noteFailure(e, 'segment expiry failed');
      }
    }, 5_000);
    this.expiryTimer.unref();
    this.ctx.logger.info({ port: this.port, tls: !!this.config.tls }, 'hj212 listening');
  }

  async stop(): Promise<void> {
    clearInterval(this.expiryTimer);
    for (const p of this.pending) p.fail(new LifelineError('COMMAND_TIMEOUT', 'the hub is stopping'));
    for (const s of this.sessions) s.socket.destroy();
    if (this.server?.listening) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
  }

  health(): AdapterHealth {
    return {
      status: this.server?.listening ? 'ok' : 'down',
      detail: { port: this.port, connections: this.sessions.size, stations: this.byMn.size, ...(this.lastError ? { last_error: this.lastError } : {}) },
    };
  }

  private identityOf(mn: string | undefined): { device?: Device; id?: Identity } {
    if (!mn) return {};
    const device = this.ctx.registry.findDevice('hj212', mn);
    return { device, id: device?.identities?.find((i) => i.protocol === 'hj212' && i.key === mn) as Identity | undefined };
  }

  private accept(socket: net.Socket) {
    const ip = socket.remoteAddress ?? '?';
    socket.on('error', () => { /* reset by peer, write after end …: 'close' follows */ });
    const n = (this.perIp.get(ip) ?? 0) + 1;
    if (n > this.config.max_connections_per_ip) {
      this.ctx.metrics.error('too_many_connections_from_ip');
      socket.destroy();
      return;
    }
    this.perIp.set(ip, n);
    const maxData = this.config.mode === 'strict' ? 1024 : this.config.max_data_length;
    const session = new Session(socket, maxData, this.config.mode, this.config.frame_timeout_s * 1000, () => this.ctx.clock.now(), (ageMs, buffered) => {
      const err = new LifelineError('HJ212_FRAME_TIMEOUT', `a frame was still incomplete ${Math.round(ageMs / 100) / 10} s after its first byte (frame_timeout_s ${this.config.frame_timeout_s}); connection closed`, { details: { buffered }, stage: 'receiving' });
      this.ctx.metrics.error('frame_timeout');
      this.ctx.logger.warn({ code: err.code, ip, buffered, age_ms: ageMs }, err.message);
      socket.destroy();
    });
    this.sessions.add(session);
    socket.setNoDelay(true);
    socket.setTimeout(this.config.idle_timeout_s * 1000, () => socket.destroy());
    socket.on('data', (chunk) => {
      try {
        this.receive(session, chunk, ip);
      } catch (e) {
        this.connectionFailed(session, e, 'receiving');
      }
    });
    socket.on('close', () => {
      session.dispose();
      this.sessions.delete(session);
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left) this.perIp.set(ip, left); else this.perIp.delete(ip);
      for (const mn of session.mns) if (this.byMn.get(mn) === session) this.byMn.delete(mn);
    });
  }

  private receive(session: Session, chunk: Buffer, ip: string) {
    for (const ev of session.framer.push(chunk)) {
      if (ev.type === 'frame') session.queue.push(ev.bytes);
      else { this.ctx.metrics.error(ev.error.code); this.ctx.logger.warn({ code: ev.error.code, offset: ev.error.details.offset, ip }, ev.error.message); }
    }
    session.watchPartial();
    if (session.queue.length >= this.config.max_pending_frames && !session.paused) { session.paused = true; session.socket.pause(); }
    void this.drain(session);
  }

  /** Frames of one connection are handled in order, one at a time. Never rejects: a failure ends the connection. */
  private async drain(s: Session) {
    if (s.busy) return;
    s.busy = true;
    try {
      while (s.queue.length && s.open) {
        await this.handle(s, s.queue.shift()!);
        if (s.paused && s.queue.length < this.config.max_pending_frames / 2) { s.paused = false; s.socket.resume(); }
      }
    } catch (e) {
      this.connectionFailed(s, e, 'processing');
    } finally { s.busy = false; }
  }

  /**
   * The boundary of one connection: an error nothing else handled (a hub bug, an answer the builder refused)
   * is logged as HJ212_FRAME_FAILED and closes this connection only. The frame being handled was not
   * acknowledged, so the station resends it on its next connection, as after any network loss.
   */
  private connectionFailed(s: Session, e: unknown, stage: 'receiving' | 'processing') {
    const err = new LifelineError('HJ212_FRAME_FAILED', `handling a frame failed (${e instanceof LifelineError ? e.code : (e as Error)?.name ?? 'error'}: ${(e as Error)?.message ?? String(e)}); the connection was closed unanswered`, { stage, cause: e });
    this.noteFailure(err, 'hj212 connection closed after a failure', { ip: s.socket.remoteAddress, mns: [...s.mns] });
    s.queue.length = 0;
    s.socket.destroy();
  }

  private noteFailure(e: unknown, msg: string, extra: Record<string, unknown> = {}) {
    try {
      this.lastError = (e as Error)?.message ?? String(e);
      this.ctx.metrics.error(e instanceof LifelineError && e.code === 'HJ212_FRAME_FAILED' ? 'frame_failed' : 'internal');
      this.ctx.logger.error({ err: e, code: e instanceof LifelineError ? e.code : undefined, ...extra }, msg);
    } catch { /* a logger that throws must not take the boundary down with it */ }
  }

  /** Writes a frame; throws (Hj212Error) when it cannot be built: callers are inside a boundary. */
  private send(s: Session, input: BuildInput) {
    const bytes = encodeFrame(input);
    if (!s.socket.destroyed && !s.socket.writableEnded) s.socket.write(bytes);
  }

  /**
   * Answer a frame that failed to decode with 9011 and the standard's QnRtn (9 CRC, 3 PW, 4 MN, 7 QN …) when it
   * names a QN and an MN and asked for answers (A bit, or no Flag). Fields whose value cannot be sent back (a
   * space, control character or separator in it: the usual reason for QnRtn 3/4/7) are left out of the answer
   * rather than echoed or replaced. A PW error refuses the connection, as a wrong PW does.
   */
  private answerUndecodable(s: Session, head: PeekedHeader, err: unknown, bytes: Uint8Array) {
    const has = (v: string | undefined, field: 'QN' | 'MN') => !!v || !!head.unechoable?.includes(field);
    const qnRtn = err instanceof Hj212Error ? qnRtnFor(err) : 100;
    const field = err instanceof Hj212Error ? err.details.field : undefined;
    if (field === 'MN' && err instanceof Hj212Error && err.code === 'HJ212_BAD_FIELD') this.quarantineBadMn(head, err, bytes, s.socket.remoteAddress);
    if (has(head.qn, 'QN') && has(head.mn, 'MN') && (head.flag === undefined || head.flag & 1)) {
      const frame: Hj212Frame = { version: versionOfFlag(head.flag), qn: head.qn, st: head.st, cn: head.cn ?? '0000', pw: head.pw, mn: head.mn, flag: head.flag, ackRequested: true, segmented: false, cp: { fields: {}, records: [] }, cpText: '', warnings: [], byteLength: 0 };
      this.send(s, replyTo(frame, '9011', { QnRtn: qnRtn }));
    }
    if (qnRtn === 3) {
      this.ctx.logger.warn({ mn: head.mn, ip: s.socket.remoteAddress }, 'hj212 connection refused: PW not valid');
      s.socket.end();
    }
  }

  /**
   * An upload refused only for its MN (bad characters, CRC good): most likely a collector set up with a
   * mistyped MN, which an operator should see. Its frame is kept in the quarantine as evidence (reason
   * HJ212_BAD_FIELD, field MN); it is not acknowledged and cannot be replayed (no device can have that MN).
   */
  private quarantineBadMn(head: PeekedHeader, err: Hj212Error, bytes: Uint8Array, ip: string | undefined) {
    if (!head.cn || !isUpload({ cn: head.cn, version: versionOfFlag(head.flag) })) return;
    const frame = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    this.ingest([], { rejected: [{ record: { protocol: 'hj212', ip: ip ?? null, cn: head.cn, qn: head.qn ?? null, frame }, reason: err.code, message: err.message, field: 'MN' }] })
      .catch((e) => this.ctx.logger.warn({ err: e, cn: head.cn }, 'a frame refused for its MN could not be quarantined'));
  }

  private async handle(s: Session, bytes: Uint8Array) {
    this.ctx.metrics.received();
    const head = peekHeader(bytes);
    const { device, id } = this.identityOf(head.mn);
    const mode = id?.mode ?? this.config.mode;
    const opts: DecodeOptions = { mode, maxDataLength: mode === 'strict' ? 1024 : this.config.max_data_length, crc: id?.crc ?? 'hj212', fallbackEncoding: id?.encoding ?? 'gb18030' };
    let frame: Hj212Frame;
    try {
      frame = decodeFrame(bytes, opts);
    } catch (e) {
      const err = e as Hj212Error;
      this.ctx.metrics.error(err.code ?? 'decode_failed');
      this.ctx.logger.warn({ code: err.code, offset: err.details?.offset, field: err.details?.field, mn: head.mn, cn: head.cn, ip: s.socket.remoteAddress }, err.message);
      // Answer what can be answered with the standard's code (9 = CRC error …), so the station knows why.
      this.answerUndecodable(s, head, e, bytes);
      return;
    }
    const mn = frame.mn ?? '';
    if (mn) { s.mns.add(mn); this.byMn.set(mn, s); }
    s.last = { version: frame.version, st: frame.st, pw: frame.pw };

    if (!device && this.config.unknown_mn === 'reject') return this.refuse(s, frame, 4, 'unknown MN');
    if (id?.pw !== undefined && frame.pw !== id.pw) return this.refuse(s, frame, 3, 'wrong PW');

    for (const p of this.pending) if (p.request.mn === mn && p.open && p.offer(frame) && !isUpload(frame)) return;

    // 2005 collectors often send no Flag: answer their uploads anyway (ack_without_flag), as the platforms they were built for did.
    const needsAnswer = frame.ackRequested || (frame.flag === undefined && this.config.ack_without_flag && isUpload(frame));
    if (frame.cn === '9015' || frame.cn === '1013') { if (needsAnswer) this.send(s, replyTo(frame, '9013')); return; }
    if (!isUpload(frame)) {
      if (frame.ackRequested && !frame.cn.startsWith('90')) this.send(s, replyTo(frame, '9011', { QnRtn: 2 })); // not a request a platform serves
      return;
    }

    // Segments in the standard's style (every part starts with DataTime) are stored and answered one by one,
    // so stop-and-wait senders keep going. Raw-split parts (no DataTime) only make sense joined: they are held,
    // and answered when the whole message is stored.
    let toStore: Hj212Frame | undefined = frame;
    let answer: Array<{ qn?: string }> = [frame];
    if ((frame.pnum ?? 1) > 1) { // PNUM/PNO without the D bit happens too (lenient warning pnum_without_d)
      const rawPart = frame.cp.records.length === 0 || frame.cp.records.some((r) => !r.dataTime);
      let joined: Hj212Frame | undefined;
      try { joined = this.reassembler.add(frame, this.ctx.clock.now()).frame; } catch (e) {
        this.ctx.metrics.error((e as Hj212Error).code ?? 'reassembly_failed');
        this.ctx.logger.warn({ mn, cn: frame.cn, code: (e as Hj212Error).code }, (e as Error).message);
      }
      if (rawPart) {
        if (!joined) return;
        toStore = joined;
        answer = (joined.segments ?? []).filter((p) => p.qn !== undefined).map((p) => ({ qn: p.qn }));
      } else if (joined?.warnings.includes('segment_raw_split')) {
        // The last part completed a raw-split message whose first part was already stored: store the joined one.
        toStore = joined;
      }
    }
    const { readings, skipped } = frameToReadings(toStore!, mn);
    for (const k of skipped) this.ctx.logger.warn({ mn, cn: frame.cn, qn: frame.qn, field: k.field }, k.reason);
    try {
      if (readings.length) await this.ingest(readings);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.ctx.metrics.error('store_commit_failed');
      this.ctx.logger.error({ err: e, mn, qn: frame.qn }, 'upload not stored; not acknowledged (the station will resend)');
      return;
    }
    this.ctx.metrics.sent(readings.length);
    if (needsAnswer) for (const a of answer) this.send(s, replyTo({ ...frame, qn: a.qn }, '9014'));
  }

  private refuse(s: Session, frame: Hj212Frame, qnRtn: number, why: string) {
    this.ctx.metrics.error(qnRtn === 3 ? 'wrong_pw' : 'unknown_mn');
    this.ctx.logger.warn({ mn: frame.mn, ip: s.socket.remoteAddress }, `hj212 connection refused: ${why}`);
    this.send(s, replyTo(frame, '9011', { QnRtn: qnRtn }));
    s.socket.end();
  }

  /** POST /v1/adapters/hj212/commands { mn, cn, cp?, timeout_s?, retries? } */
  async command(body: unknown): Promise<CommandResult & { complete: boolean }> {
    const req = validateCommand(body);
    const s = this.byMn.get(req.mn);
    if (!s || s.socket.destroyed) throw new LifelineError('DEVICE_NOT_CONNECTED', `station ${req.mn} has no open connection`);
    const { id } = this.identityOf(req.mn);
    const qn = this.qns.next();
    const p = new PendingCommand(req, qn);
    this.pending.add(p);
    const timeoutMs = (req.timeout_s ?? this.config.command_timeout_s) * 1000;
    const retries = req.retries ?? this.config.command_retries;
    const version = s.last?.version === '2005' || s.last?.version === '2025' ? s.last.version : '2017';
    const frame: BuildInput = { version, qn, st: s.last?.st ?? '32', cn: req.cn, pw: id?.pw ?? s.last?.pw, mn: req.mn, ackRequested: true, cp: { fields: req.cp ?? {} } };
    try {
      for (let attempt = 0; attempt <= retries && !p.answered; attempt++) {
        p.result.attempts = attempt + 1;
        this.send(s, frame);
        if (await settledWithin(p.done, timeoutMs)) break;
      }
      if (!p.answered) throw new LifelineError('COMMAND_TIMEOUT', `station ${req.mn} did not answer CN ${req.cn} (QN ${qn}) in ${retries + 1} × ${timeoutMs / 1000} s`);
      // Answered: wait for the end of the exchange, as long as the station keeps sending within the timeout.
      let seen = -1;
      while (p.open && p.result.answers.length + (p.result.qn_rtn ?? 0) !== seen) {
        seen = p.result.answers.length + (p.result.qn_rtn ?? 0);
        await settledWithin(p.done, exchangeOf(req.cn) === 'request' ? timeoutMs * 3 : timeoutMs);
      }
      return { ...p.result, complete: !p.open };
    } finally {
      p.finish();
      this.pending.delete(p);
    }
  }
}

function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(() => { clearTimeout(t); resolve(true); }, () => { clearTimeout(t); resolve(true); });
  });
}

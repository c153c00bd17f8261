// One collector connection: its framer, the frames waiting to be handled (one at a time, in order), the MNs
// seen on it, and the whole-frame deadline. The idle timeout alone does not bound a frame: a peer that
// trickles one byte every few seconds keeps a half-sent frame (and its connection slot) forever.
import type net from 'node:net';
import type { Hj212Frame } from '../codec/types.ts';
import { Framer } from '../codec/index.ts';

export class Session {
  readonly framer: Framer;
  readonly queue: Uint8Array[] = [];
  busy = false;
  paused = false;
  readonly mns = new Set<string>();
  /** What this station last sent, to answer in its own dialect. */
  last?: { version: Hj212Frame['version']; st?: string; pw?: string };
  /** The incomplete frame the framer holds: where it began in the stream, and when its first byte came. */
  private partial?: { start: number; since: number };
  private deadline?: NodeJS.Timeout;

  constructor(
    readonly socket: net.Socket,
    maxDataLength: number,
    mode: 'strict' | 'lenient',
    private readonly frameTimeoutMs: number,
    private readonly now: () => number,
    /** Called once when a partial frame outlives frameTimeoutMs (the caller closes the connection). */
    private readonly onFrameTimeout: (ageMs: number, buffered: number) => void,
  ) {
    this.framer = new Framer({ maxDataLength, mode });
  }

  /** After each chunk: start the clock for a new partial frame, keep it for the same one, stop it when none is held. */
  watchPartial(): void {
    const start = this.framer.pendingStart;
    if (start < 0) { this.partial = undefined; this.disarm(); return; }
    if (this.partial?.start === start) return;
    this.partial = { start, since: this.now() };
    this.arm(this.frameTimeoutMs);
  }

  private arm(ms: number): void {
    this.disarm();
    this.deadline = setTimeout(() => this.check(), Math.max(1, ms));
    this.deadline.unref();
  }

  private check(): void {
    this.deadline = undefined;
    const p = this.partial;
    if (!p || this.socket.destroyed) return;
    // Reading paused for backpressure (the hub is behind, not the peer): the frame's clock restarts.
    if (this.paused) { p.since = this.now(); this.arm(this.frameTimeoutMs); return; }
    const age = this.now() - p.since;
    if (age < this.frameTimeoutMs) { this.arm(this.frameTimeoutMs - age); return; }
    this.partial = undefined;
    this.onFrameTimeout(age, this.framer.buffered);
  }

  private disarm(): void {
    if (this.deadline) { clearTimeout(this.deadline); this.deadline = undefined; }
  }

  /** The connection closed: no timer may outlive it. */
  dispose(): void {
    this.partial = undefined;
    this.disarm();
  }

  /** Frames are still worth handling: the socket is open and no refusal has ended it. */
  get open(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }
}

// PUBACKs in the order the PUBLISHes arrived (MQTT 3.1.1 §4.6, MQTT 5 §4.6), each sent only once its
// message is committed: a message committed early waits for the ones received before it. Pure: the
// caller supplies `send`. One queue per connection; a new connection starts a new queue, and whatever
// the old one still held is redelivered by the broker.

interface Entry { messageId: number; ready: boolean }

export class AckQueue {
  private entries: Entry[] = [];
  private head = 0;
  closed = false;

  constructor(private readonly send: (messageId: number) => void) {}

  /** Register a received QoS 1 message; call the returned function once it is committed. */
  add(messageId: number): () => void {
    const e: Entry = { messageId, ready: false };
    this.entries.push(e);
    return () => { e.ready = true; this.drain(); };
  }

  /** Messages received and not yet acknowledged. */
  get pending(): number { return this.entries.length - this.head; }

  /** Forget everything (the connection is gone); later commits send nothing. */
  close(): void { this.closed = true; this.entries = []; this.head = 0; }

  private drain(): void {
    if (this.closed) return;
    while (this.head < this.entries.length && this.entries[this.head]!.ready) {
      this.send(this.entries[this.head]!.messageId);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) { this.entries = this.entries.slice(this.head); this.head = 0; }
  }
}

// Commands to stations: request → 9011 (QnRtn) → answers → 9012 (ExeRtn), correlated by QN, with the
// standard's answer timeout and resend count (same QN on resend).
import { LifelineError } from '../../../hub/sdk/index.ts';
import type { Hj212Frame } from '../codec/types.ts';

export interface CommandRequest {
  mn: string;
  cn: string;
  /** CP fields of the request, e.g. { SystemTime: '20261125100000' } or { BeginTime, EndTime }. */
  cp?: Record<string, string | number>;
  timeout_s?: number;
  retries?: number;
}

export interface CommandResult {
  qn: string;
  mn: string;
  cn: string;
  /** 9011 answer (1 = will execute), when the station sent one. */
  qn_rtn?: number;
  /** 9012 answer (1 = success), when the station sent one. */
  exe_rtn?: number;
  /** Answer frames (single-valued answers with the request QN, and data frames of a history request). */
  answers: Array<{ qn?: string; cn: string; cp: Hj212Frame['cp'] }>;
  /** Resends needed. */
  attempts: number;
}

/** How a CN's exchange ends: requests end with 9012 (or a single answer), notices with 9013. */
export function exchangeOf(cn: string): 'request' | 'notice' | 'get' {
  if (cn === '2012' || cn === '2022') return 'notice';
  if (['1011', '1061', '1063', '3017', '3018', '3019', '3020'].includes(cn)) return 'get';
  return 'request';
}

export function validateCommand(body: unknown): CommandRequest {
  const b = body as Partial<CommandRequest> | null;
  const bad = (field: string, msg: string) => new LifelineError('COMMAND_INVALID', `${field}: ${msg}`, { details: { path: `/${field}` } });
  if (!b || typeof b !== 'object') throw bad('', 'send a JSON object { mn, cn, cp? }');
  if (typeof b.mn !== 'string' || !b.mn) throw bad('mn', 'the station\'s MN is required');
  if (typeof b.cn !== 'string' || !/^\d{4}$/.test(b.cn)) throw bad('cn', 'a 4-digit command code is required, e.g. "1011" (get time), "1012" (set time), "2061" (hour history)');
  if (b.cp !== undefined && (typeof b.cp !== 'object' || b.cp === null || Array.isArray(b.cp))) throw bad('cp', 'must be an object of CP fields');
  for (const [k, v] of Object.entries(b.cp ?? {})) {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(k)) throw bad(`cp/${k}`, 'not a CP field name');
    if (typeof v !== 'string' && typeof v !== 'number') throw bad(`cp/${k}`, 'must be a string or number');
    if (/[;,&=]/.test(String(v))) throw bad(`cp/${k}`, 'may not contain ; , & or =');
  }
  if (b.timeout_s !== undefined && !(typeof b.timeout_s === 'number' && b.timeout_s > 0 && b.timeout_s <= 600)) throw bad('timeout_s', 'seconds, 0–600');
  if (b.retries !== undefined && !(Number.isInteger(b.retries) && b.retries >= 0 && b.retries <= 99)) throw bad('retries', 'an integer 0–99');
  return b as CommandRequest;
}

/** One command in flight: collects the station's frames for its QN until the exchange ends. */
export class PendingCommand {
  readonly result: CommandResult;
  private settle?: { resolve(r: CommandResult): void; reject(e: unknown): void };
  private progressed = false;
  readonly done: Promise<CommandResult>;

  constructor(readonly request: CommandRequest, readonly qn: string) {
    this.result = { qn, mn: request.mn, cn: request.cn, answers: [], attempts: 0 };
    this.done = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    this.done.catch(() => undefined); // fail() when nobody waits (hub stopping) must not be an unhandled rejection
  }

  /** Whether the station has answered anything yet (stops resends). */
  get answered() { return this.progressed; }

  /** Offer a frame from the station; true when it belonged to this command. */
  offer(frame: Hj212Frame): boolean {
    const kind = exchangeOf(this.request.cn);
    const requested = this.request.cn;
    if (frame.qn === this.qn || (frame.cn === '9011' || frame.cn === '9012' || frame.cn === '9013') && frame.cp.fields.QN === this.qn) {
      this.progressed = true;
      if (frame.cn === '9011') {
        this.result.qn_rtn = Number(frame.cp.fields.QnRtn);
        if (this.result.qn_rtn !== 1) this.finish();
      } else if (frame.cn === '9012') {
        this.result.exe_rtn = Number(frame.cp.fields.ExeRtn);
        this.finish();
      } else if (frame.cn === '9013') {
        this.finish();
      } else {
        this.result.answers.push({ qn: frame.qn, cn: frame.cn, cp: frame.cp });
        if (kind === 'get') this.finish();
      }
      return true;
    }
    // History data frames carry their own QNs: while a history request is open, its CN's uploads are answers too.
    if (kind === 'request' && this.result.qn_rtn === 1 && frame.cn === requested) {
      this.result.answers.push({ qn: frame.qn, cn: frame.cn, cp: frame.cp });
      return false; // still stored and acknowledged like any upload
    }
    return false;
  }

  finish() { this.settle?.resolve(this.result); this.settle = undefined; }
  fail(e: unknown) { this.settle?.reject(e); this.settle = undefined; }
  get open() { return this.settle !== undefined; }
}

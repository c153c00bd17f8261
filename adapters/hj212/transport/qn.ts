// QN = YYYYMMDDhhmmsszzz in the station's zone: unique per interaction, so same-millisecond QNs are bumped.
const formatters = new Map<string, Intl.DateTimeFormat>();

function parts(ms: number, zone: string): Record<string, string> {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

/** 14-digit wall time (SystemTime, DataTime) in `zone`. */
export function wallTime14(ms: number, zone: string): string {
  const p = parts(ms, zone);
  return `${p.year}${p.month}${p.day}${p.hour}${p.minute}${p.second}`;
}

export class QnSource {
  private last = 0;
  constructor(private readonly clock: { now(): number }, private readonly zone: string) {}
  next(): string {
    const ms = Math.max(this.clock.now(), this.last + 1);
    this.last = ms;
    return `${wallTime14(ms, this.zone)}${String(ms % 1000).padStart(3, '0')}`;
  }
}

/** 14-digit wall time in `zone` → epoch ms (undefined when not a valid time). Inverse of wallTime14. */
export function wallTimeMs(s14: string, zone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s14);
  if (!m) return undefined;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (Number.isNaN(asUtc) || wallTime14(asUtc, 'UTC') !== s14) return undefined;
  const offset = (ms: number) => {
    const p = parts(ms, zone);
    return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first);
}

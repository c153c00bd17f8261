// What a crash was: its signature (error name + top stack frames, so repeats group together), a readable
// message, and the crash file that keeps the inputs that preceded it for replay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

export interface CrashReport { signature: string; id: string; headline: string; frames: string[] }

const FRAME = /^\s+at (?:(.+?) \()?(?:file:\/\/)?([^()]+?):(\d+):\d+\)?$/;

function shortFrame(line: string): string | undefined {
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const file = m[2]!.split('/').slice(-2).join('/');
  if (file.startsWith('node:') || m[2]!.includes('node_modules')) return `${m[1] ?? '<anonymous>'} (${file.split('/').pop()})`;
  return `${m[1] ?? '<anonymous>'} (${file}:${m[3]})`;
}

/** The last uncaught error in a hub's stderr: Node's own trace, or a pino fatal line with err.stack. */
export function crashReport(stderr: string, why: string): CrashReport {
  let stack: string | undefined;
  for (const line of stderr.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as { level?: number; err?: { stack?: string } };
      if ((o.level ?? 0) >= 60 && o.err?.stack) { stack = o.err.stack; break; }
    } catch { /* not JSON */ }
  }
  if (!stack) {
    const re = /^([A-Za-z_$][\w$.]*(?:Error|Exception)?(?:\s*\[[^\]]*\])?:[^\n]*|FATAL ERROR:[^\n]*)\n((?:\s+at [^\n]+\n?)*)/gm;
    let m: RegExpExecArray | null, last: RegExpExecArray | undefined;
    while ((m = re.exec(stderr))) if (m[2] || m[1]!.startsWith('FATAL')) last = m;
    if (last) stack = last[0];
  }
  if (!stack) {
    const lastLine = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('{')).pop() ?? '(no output)';
    return { signature: printable(`${why}: ${lastLine.slice(0, 120)}`), id: hashOf(why + lastLine), headline: printable(`${why}: ${lastLine.slice(0, 300)}`), frames: [] };
  }
  const lines = stack.split('\n');
  const headline = printable(lines[0]!.slice(0, 300));
  const name = /^([\w$.]+(?:\s*\[[^\]]*\])?)/.exec(headline)?.[1] ?? 'Error';
  const code = /\bcode: '([A-Z0-9_]+)'/.exec(stderr.slice(stderr.lastIndexOf(lines[0]!)))?.[1];
  const frames = lines.slice(1).map(shortFrame).filter((f): f is string => !!f).slice(0, 8);
  const signature = `${name}${code ? ` ${code}` : ''} at ${frames.join(' ← ') || '?'}`;
  return { signature, id: hashOf(signature), headline, frames };
}

/** Control characters escaped (\x00…): a crash message quotes the hostile input, and raw NUL or CR would garble a
 *  terminal or a TAP stream. */
export const printable = (s: string) => s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const hashOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);

export interface CrashFile {
  target: string;
  seed: number;
  at: string;
  why: string;
  signature: string;
  headline: string;
  /** The single input that kills a fresh hub, when triage found it. */
  culprit?: unknown;
  /** The inputs sent before the crash, oldest first; inFlight = not yet answered when the hub died. */
  inputs: Array<{ seq: number; worker: number; inFlight: boolean; case: unknown }>;
  stderr: string;
}

export function writeCrashFile(dir: string, c: CrashFile, n: number): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${c.target}-seed${c.seed}-${c.at.replace(/[:.]/g, '')}-${n}.json`);
  writeFileSync(file, JSON.stringify(c, null, 1));
  return file;
}

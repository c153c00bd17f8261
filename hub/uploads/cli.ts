// `lifeline upload FILE --profile P [--url URL --key KEY] [--name N] [--dry-run] [--json]`: stream a CSV/XLSX file to
// a running hub (POST /v1/uploads) with progress on stderr (bytes while sending; rows, rows/s and ETA while the hub
// processes it), then print the summary. --dry-run maps and validates the file here, storing nothing.
import { parseArgs } from 'node:util';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { Upload } from '../../schemas/generated/types.ts';

export const uploadUsage = `usage: lifeline upload FILE --profile PROFILE [--url URL] [--key KEY] [--name NAME] [--json]
       lifeline upload FILE --profile PROFILE --dry-run [--timezone ZONE] [--json]
  FILE     a CSV or XLSX file; PROFILE a table profile (shipped: long-csv, wide-csv, gbk-export, xlsx-sheets;
           --dry-run also takes a profile file)
  --url    the hub (default $LIFELINE_URL, else http://127.0.0.1:8080); --key an ingest key (default $LIFELINE_API_KEY)
  --dry-run  map and validate locally, store nothing: rows, readings, and each bad row with its reason`;

const fmtN = (n: number) => n.toLocaleString('en-US');
const fmtS = (s: number) => !Number.isFinite(s) ? '?' : s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.floor(s) % 60).padStart(2, '0')}s` : `${s.toFixed(0)}s`;

class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;
  show(line: string, force = false) {
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}`); else process.stderr.write(`${line}\n`);
  }
  done() { if (this.tty) process.stderr.write('\n'); }
}

const bar = (f: number, w = 24) => { const k = Math.max(0, Math.min(w, Math.round(f * w))); return `[${'#'.repeat(k)}${'.'.repeat(w - k)}]`; };

export async function uploadCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: {
      profile: { type: 'string', short: 'p' }, url: { type: 'string' }, key: { type: 'string' }, name: { type: 'string' },
      'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, timezone: { type: 'string' },
    } });
  } catch (e) { console.error(`lifeline upload: ${(e as Error).message}\n\n${uploadUsage}`); return 2; }
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || !values.profile || positionals.length > 1) { console.error(uploadUsage); return 2; }
  let size: number;
  try { size = statSync(file).size; } catch { console.error(`lifeline upload: no file ${file}`); return 2; }
  const p = new Progress();
  const started = performance.now();
  const secs = () => (performance.now() - started) / 1000;

  if (values['dry-run']) {
    const { tryFile } = await import('./try-file.ts');
    const r = await tryFile(values.profile, file, { timezone: values.timezone, keep: 20, validate: true, onProgress: (rows, bytes) => {
      const rate = rows / secs();
      p.show(`mapping ${bar(bytes / size)} ${fmtN(rows)} rows, ${fmtN(Math.round(rate))} rows/s, ETA ${fmtS((size - bytes) / (bytes / secs()))}`);
    } });
    p.done();
    if (values.json) { console.log(JSON.stringify(r, null, 2)); return r.failed ? 1 : 0; }
    console.log(`dry run (nothing stored): ${file} with profile ${r.profile}: ${r.format.toUpperCase()}${r.encoding ? `, ${r.encoding} (by ${r.encodingBy})` : ''}, ${fmtN(r.rows)} data rows → ${fmtN(r.readingCount)} readings, ${fmtN(r.failed)} bad row(s)/value(s) in ${secs().toFixed(1)} s`);
    for (const f of r.failures) console.log(`  ${f.code}: ${f.message}`);
    if (r.failed > r.failures.length) console.log(`  … and ${fmtN(r.failed - r.failures.length)} more`);
    console.log('(the hub may still quarantine readings whose device or point is not registered)');
    return r.failed ? 1 : 0;
  }

  const url = values.url ?? process.env.LIFELINE_URL ?? 'http://127.0.0.1:8080';
  const key = values.key ?? process.env.LIFELINE_API_KEY;
  if (!key) { console.error('lifeline upload: give --key KEY (an ingest key) or set LIFELINE_API_KEY'); return 2; }
  const headers = { authorization: `Bearer ${key}` };
  let sent = 0;
  const meter = new Transform({ transform(c: Buffer, _e, cb) { sent += c.length; p.show(`sending ${bar(sent / size)} ${fmtN(sent)} / ${fmtN(size)} bytes, ETA ${fmtS((size - sent) / (sent / secs()))}`); cb(null, c); } });
  const q = new URLSearchParams({ profile: values.profile, name: values.name ?? basename(file) });
  let res: Response;
  try {
    res = await fetch(new URL(`/v1/uploads?${q}`, url), {
      method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(file).pipe(meter)) as never, duplex: 'half',
    } as RequestInit);
  } catch (e) { p.done(); console.error(`lifeline upload: cannot reach ${url}: ${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}`); return 1; }
  const body = (await res.json().catch(() => ({}))) as Upload & { code?: string; message?: string };
  if (res.status !== 202) { p.done(); console.error(`lifeline upload: ${res.status} ${body.code ?? ''}: ${body.message ?? ''}`); return 1; }
  p.show(`sent ${fmtN(size)} bytes; upload ${body.id} queued`, true);
  const t0 = performance.now();
  let u: Upload = body;
  process.once('SIGINT', () => { p.done(); console.error(`\nlifeline upload: stopped watching; upload ${u.id} goes on in the hub (cancel: POST ${url}/v1/uploads/${u.id}/cancel)`); process.exit(130); });
  while (u.status === 'queued' || u.status === 'processing') {
    await new Promise((r) => setTimeout(r, 500));
    const r = await fetch(new URL(`/v1/uploads/${u.id}`, url), { headers });
    if (!r.ok) { p.done(); console.error(`lifeline upload: GET /v1/uploads/${u.id}: ${r.status}`); return 1; }
    u = (await r.json()) as Upload;
    const s = (performance.now() - t0) / 1000;
    const frac = u.progress && u.progress.bytes_total ? u.progress.bytes_done! / u.progress.bytes_total : u.status === 'queued' ? 0 : 1;
    const eta = frac > 0 && frac < 1 ? s / frac - s : NaN;
    p.show(`${u.status} ${bar(frac)} ${fmtN(u.rows)} rows, ${fmtN(Math.round(u.rows / s))} rows/s, ETA ${fmtS(eta)}`);
  }
  p.done();
  if (values.json) console.log(JSON.stringify(u, null, 2));
  else {
    console.log(`upload ${u.id} ${u.status}: ${u.name} (${fmtN(u.size)} bytes, sha256 ${u.sha256?.slice(0, 16)}…, ${u.format}${u.encoding ? ` ${u.encoding} by ${u.encoding_by}` : ''})`);
    console.log(`  ${fmtN(u.rows)} rows → ${fmtN(u.readings)} readings: ${fmtN(u.accepted)} stored, ${fmtN(u.duplicates)} already there, ${fmtN(u.quarantined)} quarantined (GET /v1/quarantine) in ${secs().toFixed(1)} s`);
    if (u.error) console.log(`  ${u.error.code}: ${u.error.message}`);
  }
  return u.status === 'done' ? 0 : 1;
}

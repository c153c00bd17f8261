// multipart/form-data, streamed: text fields before the file part are read (small), the first file part is
// handed on as a stream without buffering it, and whatever follows it is drained. Enough for `curl -F`, HTML
// forms and the CLI; bodies that are not well-formed are UPLOAD_BAD_REQUEST.
import { Readable } from 'node:stream';
import { LifelineError } from '../sdk/errors.ts';

const MAX_HEAD = 16 * 1024;
const MAX_FIELD = 64 * 1024;
const bad = (m: string) => new LifelineError('UPLOAD_BAD_REQUEST', `multipart body: ${m}`);

export function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface MultipartFile { fields: Record<string, string>; filename?: string; file: Readable }

export async function multipartFile(body: Readable, boundary: string): Promise<MultipartFile> {
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  const fill = async () => {
    if (ended) return false;
    const n = await it.next();
    if (n.done) { ended = true; return false; }
    buf = buf.length ? Buffer.concat([buf, n.value]) : n.value;
    return true;
  };
  const until = async (needle: Buffer, max: number): Promise<Buffer> => {
    for (;;) {
      const i = buf.indexOf(needle);
      if (i >= 0) { const out = buf.subarray(0, i); buf = buf.subarray(i + needle.length); return out; }
      if (buf.length > max) throw bad(`a part header or field is longer than ${max} bytes`);
      if (!(await fill())) throw bad('it ends before its closing boundary');
    }
  };
  const delim = Buffer.from(`\r\n--${boundary}`);
  buf = Buffer.from('\r\n'); // the first boundary has no CRLF before it
  await until(delim, MAX_HEAD);
  const fields: Record<string, string> = {};
  for (;;) {
    while (buf.length < 2 && await fill());
    if (buf.subarray(0, 2).toString() === '--') throw bad('no file part (send the file as a part with a filename, e.g. curl -F file=@data.csv)');
    const head = (await until(Buffer.from('\r\n\r\n'), MAX_HEAD)).toString('utf8');
    const disp = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disp)?.[1] ?? '';
    const filename = /\bfilename\*?="?([^";\r\n]*)"?/i.exec(disp)?.[1];
    if (filename === undefined) { fields[name] = (await until(delim, MAX_FIELD)).toString('utf8'); continue; }
    // The file part: pass bytes on, holding back what could be the start of the delimiter.
    const rest = async function* () {
      for (;;) {
        const i = buf.indexOf(delim);
        if (i >= 0) {
          if (i) yield buf.subarray(0, i);
          buf = Buffer.alloc(0);
          while (await fill()) buf = Buffer.alloc(0); // drain the epilogue
          return;
        }
        const keep = delim.length - 1;
        if (buf.length > keep) { const out = buf.subarray(0, buf.length - keep); buf = buf.subarray(buf.length - keep); yield out; }
        if (!(await fill())) throw bad('it ends inside the file part (the upload was cut off)');
      }
    };
    return { fields, filename: decodeURIComponent(filename.replace(/%(?![0-9a-f]{2})/gi, '%25')), file: Readable.from(rest(), { objectMode: false }) };
  }
}

// The suite's coverage, collected in each test process and each node process a test starts (npm test puts this file in
// NODE_OPTIONS as --import, with LIFELINE_COVERAGE_DIR; scripts/test.js), for c8 to report.
//
// Why not NODE_V8_COVERAGE (what c8 sets when it wraps a command): with it, Node records the source map of every
// script that has one (node_modules included) and at exit writes the coverage of every script the process ran, about
// 1,300 of them for a test that loads the hub, 9 MB of JSON, of which the runner then kept the project's ~140. That cost
// a test process 0.6–1.2 s of CPU (test/ingest-api: 4.3–5.7 s without coverage, 5.5–6.2 s with it), about a fifth of
// the suite's CPU. Here V8's precise coverage (the same block counts) is started through the inspector as the process
// starts, and at exit only the project's own scripts are written: 0.1–0.3 s (2026-12-05).
//
// The files are Node's own format (coverage-PID-TIME-THREAD.json: `result`, `source-map-cache`), so `c8 report` reads
// them as it reads NODE_V8_COVERAGE's. A `.ts` file ran as the test loader compiled it (scripts/ts-compile.mjs): its
// source map and line lengths come from that compiled text, written once per run for each file (a marker file per
// script in DIR.maps). Compiled builds (dist/) carry their own `sourceMappingURL`, which c8 follows from the file.
// Threads: a worker thread runs this too (NODE_OPTIONS) and writes its own file when it ends by itself; one ended by
// terminate() emits no 'exit' and writes nothing. That is the embedded store's engine thread (hub/store/pglite-worker.mjs),
// whose .mjs c8 does not count (.c8rc.json's extension: .ts only), so the report loses nothing.
import { Session } from 'node:inspector';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';

const dir = process.env.LIFELINE_COVERAGE_DIR;
if (dir) {
  const { cachedTsPath } = await import('./ts-compile.mjs');
  const root = pathToFileURL(fileURLToPath(new URL('..', import.meta.url))).href;
  const own = (url) => url.startsWith(root) && !url.includes('/node_modules/');
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  try { mkdirSync(`${dir}.maps`, { recursive: true }); } catch { /* the run ended */ }
  let written = false;
  process.on('exit', () => {
    if (written) return;
    written = true;
    // A session on this thread answers synchronously: the callback runs before post() returns.
    session.post('Profiler.takePreciseCoverage', (err, taken) => {
      if (err) return;
      const result = [];
      const maps = {};
      for (const s of taken.result) {
        if (!own(s.url)) continue;
        const url = s.url.replace(/[?#].*$/, ''); // a second copy of a module (?copy=…) is the same file
        if (url.endsWith('.ts')) {
          // The text that ran: the test loader's compile, unless another loader (tsx, in a child a test starts that
          // way) compiled it differently; then its offsets would map to the wrong lines, and it is left out.
          let code;
          try {
            const path = fileURLToPath(url);
            code = readFileSync(cachedTsPath(path, readFileSync(path, 'utf8')), 'utf8');
          } catch { continue; }
          if (s.functions[0]?.ranges[0]?.endOffset !== code.length) continue;
          if (!(url in maps) && firstInRun(url)) maps[url] = sourceMapOf(code);
        }
        result.push(s);
      }
      try {
        writeFileSync(join(dir, `coverage-${process.pid}-${Date.now()}-${threadId}.json`), JSON.stringify({ result, 'source-map-cache': maps }));
      } catch { /* the run's directory is gone (the runner ended): nothing to report to */ }
    });
  });
}

/** Whether this process is the run's first to write the source map of `url` (one marker file per script). */
function firstInRun(url) {
  try {
    closeSync(openSync(join(`${dir}.maps`, createHash('sha1').update(url).digest('hex')), 'wx'));
    return true;
  } catch { return false; }
}

/** The inline source map of a compiled text, and its line lengths, as Node's source-map-cache holds them for c8. */
function sourceMapOf(code) {
  const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  return { lineLengths: code.split(/\n|\r\n/).map((l) => l.length), data: m ? JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) : null };
}

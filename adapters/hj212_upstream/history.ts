// Answering a platform's history request (补传): CN 2051/2061/2031 with BeginTime/EndTime → 9011 QnRtn=1, the
// stored data (one frame per DataTime, in time order, paced), 9012 ExeRtn=1 (100 when there was no data).
import type { HistoryReader, Observation, AdapterLogger } from '../../hub/sdk/index.ts';
import type { BuildInput, Hj212Frame } from '../hj212/codec/types.ts';
import { replyTo, splitRecords } from '../hj212/codec/index.ts';
import { buildMessages, KIND_OF_HISTORY_CN, wallToUtc } from './frames.ts';
import type { UpstreamConfig } from './manifest.ts';

export interface HistoryDeps {
  cfg: UpstreamConfig;
  history?: HistoryReader;
  /** Write one frame; rejects when the connection the request came on is gone. */
  send(input: BuildInput): Promise<void>;
  /** Aborted when the publisher stops or the connection closes. */
  signal: AbortSignal;
  logger: AdapterLogger;
  now(): number;
}

export interface HistoryAnswer { qnRtn: number; exeRtn?: number; frames: number; observations: number }

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  if (ms <= 0 || signal.aborted) return resolve();
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
  signal.addEventListener('abort', done, { once: true });
});

/** True for the requests answered here (the data-request CNs; their upload meaning is the station's own). */
export const isHistoryRequest = (f: Hj212Frame) => KIND_OF_HISTORY_CN[f.cn] !== undefined;

export async function answerHistory(req: Hj212Frame, d: HistoryDeps): Promise<HistoryAnswer> {
  const { cfg } = d;
  const kind = KIND_OF_HISTORY_CN[req.cn]!;
  const refuse = async (qnRtn: number, why: string): Promise<HistoryAnswer> => {
    d.logger.warn({ qn: req.qn, cn: req.cn, mn: req.mn, qn_rtn: qnRtn }, `history request refused: ${why}`);
    await d.send(replyTo(req, '9011', { QnRtn: qnRtn }));
    return { qnRtn, frames: 0, observations: 0 };
  };
  const station = cfg.stations.find((s) => s.mn === req.mn);
  if (!station) return refuse(4, `no configured station has MN ${req.mn}`);
  if (req.pw !== undefined && req.pw !== station.pw) return refuse(3, 'PW does not match');
  if (!cfg.history.enabled) return refuse(2, 'history answering is disabled (history.enabled: false)');
  if (!d.history) return refuse(2, 'the hub gives this publisher no access to stored history');

  await d.send(replyTo(req, '9011', { QnRtn: 1 }));
  const finish = async (exeRtn: number, frames: number, observations: number): Promise<HistoryAnswer> => {
    await d.send(replyTo(req, '9012', { ExeRtn: exeRtn }));
    return { qnRtn: 1, exeRtn, frames, observations };
  };
  const begin = wallToUtc(String(req.cp.fields.BeginTime ?? ''), cfg.timezone);
  const end = wallToUtc(String(req.cp.fields.EndTime ?? ''), cfg.timezone);
  if (Number.isNaN(begin) || Number.isNaN(end) || end < begin) return finish(3, 0, 0); // request condition error

  const one = { ...cfg, stations: [station] };
  const interval = 1000 / cfg.history.frames_per_second;
  let nextAt = d.now();
  let frames = 0;
  let observations = 0;
  let capped = false;
  const emit = async (obs: Observation[]) => {
    for (const m of buildMessages(obs, one, req.cn).messages) {
      // The data frames carry the request's QN (they answer it) and no A flag; split ones share it too.
      const parts = splitRecords({ ...m.input, qn: req.qn, ackRequested: false }, cfg.max_data_length, () => req.qn);
      for (const part of parts) {
        if (frames >= cfg.history.max_frames) { capped = true; return; }
        await sleep(nextAt - d.now(), d.signal);
        if (d.signal.aborted) return;
        await d.send(part);
        nextAt = Math.max(nextAt, d.now() - interval) + interval;
        frames++;
      }
      observations += m.count;
    }
  };
  // Pages split anywhere; a DataTime is emitted once all its rows are read (the last time of a page waits).
  let pending: Observation[] = [];
  const q = { kind, from: new Date(begin), to: new Date(end), sites: station.devices ? undefined : [station.site ?? ''], devices: station.devices, pageSize: 500 };
  for await (const page of d.history.read(q)) {
    if (d.signal.aborted || capped) break;
    const all = pending.concat(page);
    const lastTime = all[all.length - 1]!.time;
    let cut = all.length;
    while (cut > 0 && all[cut - 1]!.time === lastTime) cut--;
    pending = all.slice(cut);
    await emit(all.slice(0, cut));
  }
  if (pending.length && !d.signal.aborted && !capped) await emit(pending);
  if (d.signal.aborted) return { qnRtn: 1, frames, observations };
  if (capped) d.logger.warn({ qn: req.qn, frames }, `history answer capped at history.max_frames (${cfg.history.max_frames})`);
  return finish(frames ? 1 : 100, frames, observations);
}

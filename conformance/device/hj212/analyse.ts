// The passive cases: everything the device sent during the run, judged frame by frame (framing, header, CP) and
// over time (cadence, segments, heartbeat, answers). Each clause gets pass, or fail with the frames that break it.
import { cnInfo, dataTimeToIso, DATA_FLAGS, type Hj212Frame } from '../../../adapters/hj212/codec/index.ts';
import { wallTime14, wallTimeMs } from '../../../adapters/hj212/transport/qn.ts';
import { passed, failed, warned, type Outcome, type Evidence } from '../../model.ts';
import type { LogEvent, Rx } from './platform.ts';
import { keyOf, utcHint, type Hj212Session } from './probes.ts';
import { DEFAULT_PERIOD_S, type Declared } from './declared.ts';

/** Codec warning (a deviation lenient reading accepted) → the clause it breaks. */
const WARNING_CLAUSE: Record<string, string> = {
  over_1024: 'FRAME-005', length_in_chars: 'FRAME-001', bare_lf_trailer: 'FRAME-002', crc_unpadded: 'FRAME-004', no_crc: 'FRAME-003',
  crc_modbus: 'FRAME-003', crc_modbus_le: 'FRAME-003', gb18030_text: 'FRAME-006',
  missing_separator: 'HDR-008', header_comma: 'HDR-008', header_key_case: 'HDR-008', unknown_header_field: 'HDR-008', duplicate_header_field: 'HDR-008',
  no_flag: 'HDR-006', unknown_version: 'HDR-006', pnum_without_d: 'HDR-006', segment_without_pnum: 'HDR-006',
  unknown_cn: 'HDR-004', no_qn: 'HDR-001', bad_qn: 'HDR-001', no_st: 'HDR-003', unknown_st: 'HDR-003', no_pw: 'HDR-005', long_pw: 'HDR-005',
  no_mn: 'HDR-005', bad_mn: 'HDR-007',
  no_cp: 'CP-001', cp_not_closed: 'CP-001', empty_entry: 'CP-001', isolated_key: 'CP-001', whitespace_trimmed: 'CP-001', empty_key: 'CP-001',
  duplicate_key: 'CP-001', trailing_separator: 'CP-001', info_unterminated: 'CP-001', segment_raw_split: 'CP-001',
};
const WARNING_TEXT: Record<string, string> = {
  crc_modbus: 'CRC dialect modbus: CRC-16/MODBUS, high byte first, instead of the Appendix A algorithm',
  crc_modbus_le: 'CRC dialect modbus_le: CRC-16/MODBUS written low byte first, instead of the Appendix A algorithm',
};
/** Codec error (the frame could not be read at all) → clause, by code and field. */
function errorClause(code: string, field?: string): string {
  switch (code) {
    case 'HJ212_CRC_MISMATCH': return 'FRAME-003';
    case 'HJ212_BAD_TRAILER': return 'FRAME-002';
    case 'HJ212_TOO_LONG': return 'FRAME-005';
    case 'HJ212_BAD_ENCODING': return 'FRAME-006';
    case 'HJ212_BAD_CP': case 'HJ212_DUPLICATE_KEY': return field && /^(QN|ST|CN|PW|MN|Flag|PNUM|PNO)$/.test(field) ? 'HDR-008' : 'CP-001';
    case 'HJ212_BAD_FIELD': case 'HJ212_MISSING_FIELD':
      return ({ QN: 'HDR-001', ST: 'HDR-003', CN: 'HDR-004', PW: 'HDR-005', MN: 'HDR-005', Flag: 'HDR-006', PNUM: 'HDR-006', PNO: 'HDR-006' } as Record<string, string>)[field ?? ''] ?? 'HDR-008';
    default: return 'FRAME-001';
  }
}

const DATA_CNS = new Set(['2011', '2021', '2031', '2041', '2051', '2061']);
const SUFFIXES: Record<string, Set<string>> = {
  '2011': new Set(['Rtd', 'Flag', 'SampleTime', 'EFlag', 'ZsRtd', 'SN']),
  agg: new Set(['Avg', 'Min', 'Max', 'Cou', 'Flag', 'EFlag', 'ZsAvg', 'ZsMin', 'ZsMax', 'SampleTime']),
};
const NUMERIC = /^(Rtd|Avg|Min|Max|Cou|ZsRtd|ZsAvg|ZsMin|ZsMax|Data|DayData|NightData)$/;
const FACTOR_2017 = /^([a-z]\d{5,8}|L(A|5|10|50|90|95|eq|dn|d|n|Mx|Mn))$/;
const FACTOR_2005 = /^[0-9A-Za-z]{2,3}$/;
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Findings per clause: frames that break it; a clause with frames checked and no finding passes. */
class Findings {
  readonly by = new Map<string, Evidence[]>();
  add(id: string, rx: Rx | undefined, text: string) {
    const list = this.by.get(id) ?? [];
    if (!list.some((e) => e.text === text && e.event === rx?.n)) list.push(rx ? { kind: 'frame', event: rx.n, text } : { kind: 'note', text });
    this.by.set(id, list);
  }
  outcome(id: string, okMessage: string, level: 'fail' | 'warning' = 'fail', okEvidence: Evidence[] = []): Outcome {
    const list = this.by.get(id);
    if (!list?.length) return passed(okMessage, okEvidence);
    const distinct = [...new Set(list.map((e) => e.text))];
    const msg = `${list.length} finding(s): ${distinct.slice(0, 3).join('; ')}${distinct.length > 3 ? ' …' : ''}`;
    return level === 'fail' ? failed(msg, list.slice(0, 12)) : warned(msg, list.slice(0, 12));
  }
}

export function analyse(rxs: Rx[], log: LogEvent[], s: Hj212Session, d: Declared): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  const F = new Findings();
  const mine = rxs.filter((r) => r.frame?.mn === d.mn || !r.frame);
  const byKit = (r: Rx) => r.frame?.qn !== undefined && s.kitQns.has(r.frame.qn);
  const isFirst = (r: Rx) => !s.copies.has(r.n);
  const uploads = mine.filter((r) => r.frame && cnInfo(r.frame.cn, r.frame.version)?.kind === 'upload' && !byKit(r));

  // connection
  out.set('HJ212-CONN-001', uploads.length ? passed(`${uploads.length} upload frame(s) from MN ${d.mn}`, [{ kind: 'frame', event: uploads[0]!.n, text: 'first upload' }])
    : failed(`no upload from MN ${d.mn} during the run${rxs.length ? `; ${rxs.length} frame(s) from MN(s) ${[...new Set(rxs.map((r) => r.frame?.mn ?? '?'))].join(', ')}` : ': the device never sent a frame'}`));

  // framing, header grammar, CP grammar: codec warnings and errors
  for (const e of log) if (e.kind === 'rx_error') F.add('HJ212-FRAME-001', undefined, `#${e.n} ${e.text}`);
  for (const r of rxs) {
    if (r.error) { F.add(`HJ212-${errorClause(r.error.code, r.error.field)}`, r, `${r.error.code}: ${r.error.message}`); continue; }
    const at = 6 + r.length;
    const crc = Buffer.from(r.bytes.subarray(at, at + 4)).toString('latin1');
    for (const w of r.warnings) {
      if (!WARNING_CLAUSE[w]) continue;
      // A CRC whose two bytes are equal reads the same in both Modbus byte orders.
      const text = (w === 'crc_modbus' || w === 'crc_modbus_le') && crc.slice(0, 2) === crc.slice(2) ? WARNING_TEXT.crc_modbus_le!.replace('modbus_le', 'modbus_le (or modbus: this value reads the same both ways)') : WARNING_TEXT[w] ?? `codec warning ${w}`;
      F.add(`HJ212-${WARNING_CLAUSE[w]}`, r, text);
    }
    if (/[a-f]/.test(crc) && !r.warnings.includes('crc_unpadded')) F.add('HJ212-FRAME-004', r, `CRC "${crc}" in lowercase`);
  }

  // header
  const seenQn = new Map<string, Rx>();
  for (const r of mine) {
    const f = r.frame;
    if (!f) continue;
    if (f.qn !== undefined && (f.qn.length !== 17 || !dataTimeToIso(f.qn.slice(0, 14)))) F.add('HJ212-HDR-001', r, `QN "${f.qn}" is not YYYYMMDDhhmmsszzz`);
    if (f.qn !== undefined && !byKit(r)) {
      const prev = seenQn.get(f.qn);
      if (!prev) seenQn.set(f.qn, r);
      else if (Buffer.compare(Buffer.from(prev.bytes), Buffer.from(r.bytes)) !== 0) F.add('HJ212-HDR-002', r, `QN ${f.qn} already used by frame #${prev.n} (CN ${prev.frame!.cn}) for different content`);
    }
    const answer = f.cn === '9011' || f.cn === '9012' || f.cn === '9013' || f.cn === '9014';
    if (!answer && d.st && f.st !== d.st) F.add('HJ212-HDR-003', r, `ST ${f.st ?? '(none)'}, declared ${d.st}`);
    if (!answer && f.st === '91') F.add('HJ212-HDR-003', r, 'ST=91 (system interaction) on a frame that is not an answer');
    const info = cnInfo(f.cn, f.version);
    if (info?.kind === 'request' && !byKit(r)) F.add('HJ212-HDR-004', r, `CN ${f.cn} is a platform request (${info.en}), not something a device sends`);
    if (d.pw !== undefined && f.pw !== d.pw) F.add('HJ212-HDR-005', r, `PW "${f.pw ?? ''}", declared "${d.pw}"`);
    if (f.version !== d.version) F.add('HJ212-HDR-006', r, `Flag ${f.flag ?? '(none)'} says version ${f.version}, declared ${d.version}`);
    if (d.retx && info?.kind === 'upload' && !f.ackRequested && !byKit(r) && !s.historyFrames.has(r.n)) F.add('HJ212-HDR-006', r, `upload CN ${f.cn} without the A bit (Flag ${f.flag}) although the device resends unanswered uploads`);
    if (d.version !== '2005' && f.mn && !/^[0-9A-F]{24}$/.test(f.mn)) F.add('HJ212-HDR-007', r, `MN "${f.mn}" is not 24 hex digits`);
  }
  for (const r of rxs) if (r.frame && r.frame.mn !== d.mn) F.add('HJ212-HDR-005', r, `MN "${r.frame.mn ?? ''}", declared "${d.mn}"`);

  // CP
  for (const r of uploads) {
    const f = r.frame!;
    const cpBytes = Buffer.byteLength(`CP=&&${f.cpText}&&`, 'utf8');
    if (cpBytes > 950) F.add('HJ212-CP-001', r, `CP of ${cpBytes} bytes (at most 950)`);
    if (!DATA_CNS.has(f.cn)) continue;
    const recs = f.cp.records;
    if (!recs.length || recs.some((x) => !x.dataTime)) F.add('HJ212-CP-002', r, `CN ${f.cn} without DataTime`);
    for (const rec of recs) {
      if (rec.dataTime && (rec.dataTime.length !== 14 || !dataTimeToIso(rec.dataTime))) F.add('HJ212-CP-002', r, `DataTime "${rec.dataTime}" is not YYYYMMDDhhmmss`);
      for (const it of rec.items) {
        if (it.code.startsWith('SB') || it.code.startsWith('i')) continue;
        if (!(d.version === '2005' ? FACTOR_2005 : FACTOR_2017).test(it.code)) F.add('HJ212-CP-004', r, `factor code "${it.code}" is not in the ${d.version} form`);
        if (d.factors && !d.factors.includes(it.code)) F.add('HJ212-CP-004', r, `factor code "${it.code}" is not among the declared factors`);
        const allowed = f.cn === '2011' ? SUFFIXES['2011']! : ['2031', '2051', '2061'].includes(f.cn) ? SUFFIXES.agg! : undefined;
        for (const [sfx, v] of Object.entries(it.fields)) {
          if (allowed && !allowed.has(sfx)) F.add('HJ212-CP-005', r, `${it.code}-${sfx}: suffix not defined for CN ${f.cn}`);
          if (sfx === 'Flag' && v !== null && d.version !== 'unknown' as never && !(v in (DATA_FLAGS[d.version] ?? {}))) F.add('HJ212-CP-006', r, `${it.code}-Flag=${v} is not a data flag of ${d.version}`);
          if (NUMERIC.test(sfx) && v !== null && !/^-?\d+(\.\d+)?$/.test(v)) F.add('HJ212-CP-007', r, `${it.code}-${sfx}=${v} is not a decimal number`);
        }
      }
    }
    // DataTime against the kit's clock: first transmissions, not history answers, not while the kit moved the clock
    const dt = recs[0]?.dataTime;
    const win = s.setWindow;
    if (!dt || !isFirst(r) || s.historyFrames.has(r.n) || (win && r.t >= win[0] && r.t <= win[1])) continue;
    const ms = wallTimeMs(dt.slice(0, 14), d.zone);
    if (ms === undefined) continue;
    const off = r.t - ms;
    const period = (d.uploads[f.cn] ?? DEFAULT_PERIOD_S[f.cn] ?? 0) * 1000;
    const aggregate = f.cn !== '2011' && f.cn !== '2021';
    // An aggregate is sent once its period is over: DataTime is the start of the period that just ended.
    const ok = aggregate ? off >= period - s.tolMs && off <= 2 * period + s.tolMs : Math.abs(off) <= s.tolMs;
    if (!ok) {
      const hint = utcHint(-off + (aggregate ? period : 0), r.t, d.zone, s.tolMs + (aggregate ? period : 0));
      F.add('HJ212-CP-003', r, `CN ${f.cn} DataTime ${dt} is ${secs(-off)} from the kit's clock (${wallTime14(r.t, d.zone)} ${d.zone})${hint || (aggregate ? `; it must start the ${secs(period)} period that just ended` : '')}`);
    }
  }

  const n = mine.length;
  if (!n) {
    const none = warned('nothing to judge: no frame from the device during the run');
    for (const id of ['FRAME-001', 'FRAME-002', 'FRAME-003', 'FRAME-004', 'FRAME-005', 'FRAME-006', 'HDR-001', 'HDR-002', 'HDR-003', 'HDR-004', 'HDR-005', 'HDR-006', 'HDR-007', 'HDR-008']) if (!F.by.has(`HJ212-${id}`)) out.set(`HJ212-${id}`, none);
  }
  if (!uploads.length) for (const id of ['CP-001', 'CP-002', 'CP-003', 'CP-004', 'CP-005', 'CP-006', 'CP-007']) if (!F.by.has(`HJ212-${id}`)) out.set(`HJ212-${id}`, warned('nothing to judge: no upload from the device during the run'));
  for (const id of ['FRAME-001', 'FRAME-002', 'FRAME-003', 'FRAME-004', 'FRAME-005', 'FRAME-006', 'HDR-001', 'HDR-002', 'HDR-003', 'HDR-004', 'HDR-005', 'HDR-006', 'HDR-007', 'HDR-008']) if (!out.has(`HJ212-${id}`)) out.set(`HJ212-${id}`, F.outcome(`HJ212-${id}`, `${n} frame(s) checked`));
  for (const id of ['CP-001', 'CP-002', 'CP-003', 'CP-004', 'CP-005', 'CP-006', 'CP-007']) if (!out.has(`HJ212-${id}`)) out.set(`HJ212-${id}`, F.outcome(`HJ212-${id}`, `${uploads.length} upload(s) checked`));

  // cadence
  const cadence = (id: string, cn: string) => {
    const periodS = d.uploads[cn] ?? DEFAULT_PERIOD_S[cn]!;
    const I = periodS * 1000;
    const frames = uploads.filter((r) => r.frame!.cn === cn && isFirst(r) && !s.historyFrames.has(r.n) && (r.frame!.pno ?? 1) === 1);
    if (frames.length < 2) return warned(`${frames.length} ${cn} upload(s) in the run: judging a ${periodS} s cadence needs at least two periods (run longer)`, frames.map((r) => ({ kind: 'frame' as const, event: r.n, text: cn })));
    const gaps = frames.slice(1).map((r, i) => r.t - frames[i]!.t);
    const med = median(gaps), mean = (frames[frames.length - 1]!.t - frames[0]!.t) / gaps.length;
    const ev: Evidence[] = [{ kind: 'timing', text: `${frames.length} uploads; gaps ${gaps.slice(0, 20).map(secs).join(', ')}${gaps.length > 20 ? ' …' : ''}; median ${secs(med)}, mean ${secs(mean)}, declared ${periodS} s` }, { kind: 'frame', event: frames[0]!.n, text: `first ${cn}` }];
    if (Math.abs(med - I) > Math.max(0.1 * I, 200)) return failed(`median ${cn} period ${secs(med)}, declared ${periodS} s`, ev);
    if (Math.abs(mean - I) > Math.max(0.02 * I, 200)) return failed(`mean ${cn} period ${secs(mean)} over ${gaps.length} periods, declared ${periodS} s: the schedule drifts`, ev);
    if (cn !== '2011' && 86400 % periodS === 0) {
      const win = s.setWindow;
      const off = frames.filter((r) => !(win && r.t >= win[0] && r.t <= win[1])).find((r) => {
        const dt = r.frame!.cp.records[0]?.dataTime;
        const w = dt ? wallTimeMs(dt.slice(0, 14), 'UTC') : undefined;
        return w !== undefined && (w / 1000) % periodS !== 0;
      });
      if (off) return failed(`${cn} DataTime ${off.frame!.cp.records[0]!.dataTime} is not the start of a ${periodS} s period`, [...ev, { kind: 'frame', event: off.n, text: 'misaligned DataTime' }]);
    }
    return passed(`${frames.length} ${cn} uploads, median period ${secs(med)}, mean ${secs(mean)}`, ev);
  };
  out.set('HJ212-CAD-001', cadence('HJ212-CAD-001', '2011'));
  out.set('HJ212-CAD-002', cadence('HJ212-CAD-002', '2051'));
  out.set('HJ212-CAD-003', cadence('HJ212-CAD-003', '2061'));

  // acknowledged QNs must not come again (beyond a frame already in flight)
  for (const r of mine) {
    const ta = s.ackedAt.get(keyOf(r));
    if (ta !== undefined && !isFirst(r) && r.t > ta + Math.max(300, 0.2 * s.otMs)) {
      F.add('HJ212-RETX-003', r, `QN ${r.frame!.qn} resent ${secs(r.t - ta)} after its 9014`);
    }
  }
  const passive = F.by.get('HJ212-RETX-003');
  const probe = s.outcomes.get('HJ212-RETX-003');
  if (passive?.length && probe?.status !== 'fail') out.set('HJ212-RETX-003', failed(`${passive.length} resend(s) of acknowledged uploads: ${passive[0]!.text}`, passive.slice(0, 8)));

  // segmented uploads
  const segs = uploads.filter((r) => r.frame!.segmented || r.frame!.pnum !== undefined || r.frame!.pno !== undefined).filter(isFirst);
  if (!segs.length) { out.set('HJ212-SEG-001', warned('no segmented upload during the run')); out.set('HJ212-SEG-002', warned('no segmented upload during the run')); }
  else {
    const S = new Findings();
    let set: Rx[] = [];
    const close = () => {
      if (!set.length) return;
      const f0 = set[0]!.frame!;
      if (set.length !== f0.pnum) S.add('HJ212-SEG-001', set[0], `message of CN ${f0.cn} has ${set.length} packet(s), PNUM=${f0.pnum}`);
      const qns = new Set(set.map((r) => r.frame!.qn));
      if (qns.size !== set.length) S.add('HJ212-SEG-002', set[0], `packets of one message share a QN (${set.map((r) => r.frame!.qn).join(', ')})`);
      set = [];
    };
    for (const r of segs) {
      const f = r.frame!;
      if (!f.segmented) S.add('HJ212-SEG-001', r, `PNUM/PNO without the D bit (Flag ${f.flag})`);
      if (f.pnum === undefined || f.pno === undefined) { S.add('HJ212-SEG-001', r, 'D bit without PNUM and PNO'); continue; }
      if (f.pno < 1 || f.pno > f.pnum) S.add('HJ212-SEG-001', r, `PNO ${f.pno} outside 1…PNUM (${f.pnum})`);
      if (f.pno === 1) close();
      else if (!set.length || set[set.length - 1]!.frame!.pno !== f.pno - 1 || set[0]!.frame!.pnum !== f.pnum || set[0]!.frame!.cn !== f.cn) S.add('HJ212-SEG-001', r, `PNO ${f.pno}/${f.pnum} does not follow the previous packet of CN ${f.cn}`);
      set.push(r);
      if (!f.cpText.startsWith('DataTime=')) S.add('HJ212-SEG-002', r, `packet ${f.pno}/${f.pnum} does not start its CP with DataTime (raw split)`);
      if (f.pno === f.pnum) close();
    }
    close();
    const msgs = segs.filter((r) => r.frame!.pno === 1).length;
    const one = segs.slice(0, segs[0]!.frame!.pnum ?? 1).map((r): Evidence => ({ kind: 'frame', event: r.n, text: `QN ${r.frame!.qn} PNUM=${r.frame!.pnum} PNO=${r.frame!.pno} Flag=${r.frame!.flag}` }));
    out.set('HJ212-SEG-001', S.outcome('HJ212-SEG-001', `${msgs} segmented message(s), ${segs.length} packets, PNUM/PNO consistent`, 'fail', one));
    out.set('HJ212-SEG-002', S.outcome('HJ212-SEG-002', `${segs.length} packets, each with its own QN and DataTime`, 'fail', one));
  }

  // heartbeat
  if (d.heartbeatS) {
    const hb = mine.filter((r) => r.frame?.cn === '9015');
    const I = d.heartbeatS * 1000;
    if (hb.length < 2) out.set('HJ212-HB-001', hb.length || rxs.length ? warned(`${hb.length} heartbeat(s) in the run: judging a ${d.heartbeatS} s interval needs two (run longer)`) : failed('no heartbeat'));
    else {
      const gaps = hb.slice(1).map((r, i) => r.t - hb[i]!.t);
      const med = median(gaps);
      const bad = hb.find((r) => !r.frame!.ackRequested || r.frame!.cpText !== '');
      const ev: Evidence[] = [{ kind: 'timing', text: `${hb.length} heartbeats; median gap ${secs(med)}, declared ${d.heartbeatS} s` }, { kind: 'frame', event: hb[0]!.n, text: 'first heartbeat' }];
      out.set('HJ212-HB-001', Math.abs(med - I) > Math.max(0.1 * I, 200) ? failed(`median heartbeat interval ${secs(med)}, declared ${d.heartbeatS} s`, ev)
        : bad ? failed(`heartbeat frame #${bad.n} ${bad.frame!.ackRequested ? 'carries a CP' : 'does not set A'}`, ev) : passed(`${hb.length} heartbeats, median ${secs(med)}`, ev));
    }
  }

  // answers to the kit's requests
  const C = new Findings();
  for (const r of mine) {
    const f = r.frame;
    if (!f || (f.cn !== '9011' && f.cn !== '9012')) continue;
    if (f.st !== '91') C.add('HJ212-CMD-004', r, `${f.cn} with ST=${f.st}, expected 91`);
    if (!f.qn || !s.kitQns.has(f.qn)) C.add('HJ212-CMD-004', r, `${f.cn} with QN ${f.qn ?? '(none)'}, not the QN of a kit request`);
    if (f.ackRequested) C.add('HJ212-CMD-004', r, `${f.cn} sets the A bit (Flag ${f.flag})`);
  }
  const answers = mine.filter((r) => r.frame?.cn === '9011' || r.frame?.cn === '9012').length;
  out.set('HJ212-CMD-004', answers ? C.outcome('HJ212-CMD-004', `${answers} answer(s) checked`) : warned('the device sent no 9011/9012 answer'));
  return out;
}

export type { Hj212Frame };

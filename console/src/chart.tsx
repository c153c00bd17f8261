// The point chart, drawn as SVG (no chart library: a line, a min–max envelope, markers and bands are all it needs,
// and the console stays small and offline). Values as a line (broken over gaps), aggregates' min–max as a shaded
// envelope, flagged readings as red dots, alarm levels as coloured bands with their raise value. Hover: the nearest
// reading's time, value and flags.
import { useRef, useState } from 'preact/hooks';
import { gapsOf, niceTicks, timeTicks, yDomain, type Band } from './series.ts';
import { fmtValue } from './devices-model.ts';
import { fmtTime, flagWord } from './format.ts';
import { t } from './i18n.ts';

export interface ChartSeries {
  t: number[];
  v: Array<number | null>;
  /** Aggregates: per bucket min and max (the envelope). */
  lo?: number[]; hi?: number[];
  /** Per reading: problem flags (raw) or `flagged: N` (aggregates); a red marker where non-empty. */
  marks: string[][];
}

const W = 1000, H = 340, L = 64, R = 16, T = 14, B = 30;
export const LEVEL_COLOURS: Record<number, string> = { 1: '#d93025', 2: '#f08c00', 3: '#e6b800', 4: '#1a73e8' };

export function Chart(p: { s: ChartSeries; from: number; to: number; bands: Band[]; unit: string; testid?: string }) {
  const { s, from, to, bands } = p;
  const svg = useRef<SVGSVGElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  const values: number[] = [];
  s.v.forEach((v, i) => { if (v !== null) values.push(v); if (s.lo) values.push(s.lo[i]!); if (s.hi) values.push(s.hi[i]!); });
  const [y0, y1] = yDomain(values, bands);
  const x = (ms: number) => L + ((ms - from) / Math.max(1, to - from)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const clampY = (v: number) => Math.min(H - B, Math.max(T, y(Math.max(y0, Math.min(y1, v)))));
  const gaps = gapsOf(s.t);

  let line = '', env = '';
  let pen = false;
  s.t.forEach((ms, i) => {
    const v = s.v[i];
    if (v === null || v === undefined || gaps.has(i)) pen = false;
    if (v === null || v === undefined) return;
    line += `${pen ? 'L' : 'M'}${x(ms).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  if (s.lo && s.hi && s.t.length) {
    // One closed shape per run without gaps: the max edge forwards, the min edge back.
    let start = 0;
    for (let i = 1; i <= s.t.length; i++) {
      if (i === s.t.length || gaps.has(i)) {
        const idx = Array.from({ length: i - start }, (_v, k) => start + k);
        env += `M${idx.map((k) => `${x(s.t[k]!).toFixed(1)},${y(s.hi![k]!).toFixed(1)}`).join('L')}L${idx.reverse().map((k) => `${x(s.t[k]!).toFixed(1)},${y(s.lo![k]!).toFixed(1)}`).join('L')}Z`;
        start = i;
      }
    }
  }

  const onMove = (e: MouseEvent) => {
    const box = svg.current?.getBoundingClientRect();
    if (!box || !s.t.length) return;
    const ms = from + (((e.clientX - box.left) / box.width) * W - L) / (W - L - R) * (to - from);
    let lo = 0, hi = s.t.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (s.t[mid]! < ms) lo = mid + 1; else hi = mid; }
    setHover(lo > 0 && Math.abs(s.t[lo - 1]! - ms) < Math.abs(s.t[lo]! - ms) ? lo - 1 : lo);
  };

  const h = hover !== null && hover < s.t.length ? hover : null;
  const tipX = h === null ? 0 : x(s.t[h]!);
  return (
    <div class="chart" data-testid={p.testid}>
      <svg ref={svg} viewBox={`0 0 ${W} ${H}`} role="img" onMouseMove={onMove} onMouseLeave={() => setHover(null)}>
        {bands.map((b, i) => {
          const top = clampY(b.to), bottom = clampY(b.from);
          const c = LEVEL_COLOURS[b.level] ?? '#888';
          return (
            <g key={i} data-band={b.level} data-raise={b.raise}>
              {bottom - top > 0.5 && <rect x={L} y={top} width={W - L - R} height={bottom - top} fill={c} fill-opacity="0.1" />}
              <line x1={L} x2={W - R} y1={clampY(b.raise)} y2={clampY(b.raise)} stroke={c} stroke-dasharray="6 4" stroke-width="1.2" />
              <text x={W - R - 4} y={clampY(b.raise) + (b.direction === 'upper' ? -4 : 12)} text-anchor="end" class="band-label" fill={c}>
                {t('levelN', b.level)} {b.direction === 'upper' ? '≥' : '≤'} {fmtValue(b.raise)}
              </text>
            </g>
          );
        })}
        {niceTicks(y0, y1).map((v) => (
          <g key={`y${v}`} class="tick">
            <line x1={L} x2={W - R} y1={y(v)} y2={y(v)} />
            <text x={L - 6} y={y(v) + 4} text-anchor="end">{fmtValue(v)}</text>
          </g>
        ))}
        {timeTicks(from, to).map((ms) => (
          <g key={`x${ms}`} class="tick">
            <line x1={x(ms)} x2={x(ms)} y1={T} y2={H - B} />
            <text x={x(ms)} y={H - B + 18} text-anchor="middle">{tickLabel(ms, to - from)}</text>
          </g>
        ))}
        <text x={8} y={T + 4} class="axis-unit">{p.unit}</text>
        {env && <path d={env} class="envelope" data-testid="envelope" />}
        {line && <path d={line} class="series" data-testid="series" />}
        {s.t.map((ms, i) => (s.marks[i]!.length > 0
          // A flagged reading without a value (the source said bad) is marked on the time axis.
          ? <circle key={`m${i}`} cx={x(ms)} cy={s.v[i] === null ? H - B : y(s.v[i]!)} r="4.5" class="flagged" data-testid="flagged-mark"><title>{s.marks[i]!.map(flagWord).join(', ')}</title></circle>
          : null))}
        {s.t.length === 1 && s.v[0] !== null && <circle cx={x(s.t[0]!)} cy={y(s.v[0]!)} r="3" class="dot" />}
        {h !== null && (
          <g class="hover">
            <line x1={tipX} x2={tipX} y1={T} y2={H - B} />
            {s.v[h] !== null && <circle cx={tipX} cy={y(s.v[h]!)} r="4" />}
          </g>
        )}
      </svg>
      {h !== null && (
        <div class="tip" style={{ left: `${(tipX / W) * 100}%` }} data-testid="chart-tip">
          <div>{fmtTime(s.t[h]!)}</div>
          <b>{fmtValue(s.v[h] ?? null)}</b> {p.unit}
          {s.lo && s.hi && <div class="muted">{t('minMax', fmtValue(s.lo[h]!), fmtValue(s.hi[h]!))}</div>}
          {s.marks[h]!.length > 0 && <div class="bad-text">{s.marks[h]!.map(flagWord).join(', ')}</div>}
        </div>
      )}
    </div>
  );
}

function tickLabel(ms: number, span: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const hm = `${p2(d.getHours())}:${p2(d.getMinutes())}`;
  if (span <= 86_400_000) return hm;
  const md = `${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
  return span <= 7 * 86_400_000 && (d.getHours() || d.getMinutes()) ? `${md} ${hm}` : md;
}

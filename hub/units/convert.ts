// Source unit → canonical unit. UCUM (via @lhncbc/ucum-lhc) does the real work; each (from, to) pair is
// reduced once to an affine map (scale, offset) and cached, so the hot path is one multiply-add.
import ucum from '@lhncbc/ucum-lhc';
import { LifelineError } from '../sdk/errors.ts';

const utils = ucum.UcumLhcUtils.getInstance();

/** Spellings seen on real devices, mapped to UCUM. Anything else must already be UCUM. */
const aliases: Record<string, string> = {
  '℃': 'Cel', '°C': 'Cel', 'degC': 'Cel',
  'm³/h': 'm3/h', 'm^3/h': 'm3/h', 'm³': 'm3',
  '%LEL': '%{LEL}', '%lel': '%{LEL}', 'LEL%': '%{LEL}',
  '%VOL': '%{vol}', '%vol': '%{vol}', '%Vol': '%{vol}', 'VOL%': '%{vol}',
  'ppm': '[ppm]', 'ppm·m': '[ppm].m', 'ppm.m': '[ppm].m',
  'με': '10*-6', 'µε': '10*-6', 'ue': '10*-6',
  '°': 'deg', '%RH': '%{RH}',
};

export const LEL = '%{LEL}';

export function normaliseUnit(unit: string): string {
  return aliases[unit] ?? unit;
}

export interface Conversion {
  scale: number;
  offset: number;
  /** false when from and to are the same unit */
  converts: boolean;
}

// Keyed by what sources send, so bounded: units come from the network (a fuzzed feed sent millions of distinct ones).
const cache = new Map<string, Conversion | LifelineError>();
const CACHE_MAX = 4096;
const CACHE_KEY_MAX = 256;
const IDENTITY: Conversion = Object.freeze({ scale: 1, offset: 0, converts: false });

/**
 * A unit error is data kept in the cache and handed to every record that names the unit: it must not hold a
 * captured stack, whose frames keep the closures (and the whole batch) of the first caller alive.
 */
function unitError(code: 'UNIT_UNKNOWN' | 'UNIT_INCOMPATIBLE', message: string, details: Record<string, unknown>): LifelineError {
  const e = new LifelineError(code, message, { details });
  e.stack = `${e.name}: ${e.message}`;
  return e;
}

function ucumAffine(from: string, to: string): Conversion | LifelineError {
  if (from === to) return IDENTITY;
  const validity = utils.validateUnitString(from);
  if (validity.status !== 'valid') {
    return unitError('UNIT_UNKNOWN', `unit "${from}" is not a UCUM code (e.g. kPa, m3/h, Cel, %{vol}, [ppm])`, { unit: from });
  }
  const at = (v: number) => {
    const r = utils.convertUnitTo(from, v, to);
    return r.status === 'succeeded' ? (r.toVal as number) : undefined;
  };
  const y0 = at(0), y1 = at(1), y10 = at(10);
  if (y0 === undefined || y1 === undefined || y10 === undefined) {
    return unitError('UNIT_INCOMPATIBLE', `cannot convert "${from}" to "${to}": different quantities`, { unit: from, to });
  }
  const scale = y1 - y0, offset = y0;
  // Only affine conversions are cached; UCUM's non-linear units (pH, dB, …) would not pass this.
  if (Math.abs(offset + 10 * scale - y10) > 1e-9 * Math.max(1, Math.abs(y10))) {
    return unitError('UNIT_INCOMPATIBLE', `conversion "${from}" → "${to}" is not linear; report values in "${to}"`, { unit: from, to });
  }
  return Object.freeze({ scale, offset, converts: true });
}

/**
 * The affine conversion from a source unit to a canonical unit, or the error saying why there is none.
 * `%{LEL}` converts to volume fraction using `lelPercentVol` (methane: 5 %VOL at 100 %LEL).
 */
export function conversion(fromUnit: string, toUnit: string, lelPercentVol?: number): Conversion | LifelineError {
  const from = normaliseUnit(fromUnit);
  const key = `${from}\u0000${toUnit}\u0000${lelPercentVol ?? ''}`;
  let c = cache.get(key);
  if (c) return c;
  if (from === LEL) {
    if (!lelPercentVol) {
      c = unitError('UNIT_INCOMPATIBLE', `"%{LEL}" needs the gas's lower explosive limit: set lel_percent_vol on the point or indicator`, { unit: fromUnit, to: toUnit });
    } else {
      const pct = ucumAffine('%', toUnit);
      c = pct instanceof LifelineError ? pct : Object.freeze({ scale: (lelPercentVol / 100) * pct.scale, offset: pct.offset, converts: true });
    }
  } else {
    c = ucumAffine(from, toUnit);
  }
  if (key.length <= CACHE_KEY_MAX) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!); // the oldest entry
    cache.set(key, c);
  }
  return c;
}

/** Apply a conversion, trimming binary noise (0.25000000000000006 → 0.25) to 12 significant digits. */
export function applyConversion(c: Conversion, v: number): number {
  if (!c.converts) return v;
  const y = v * c.scale + c.offset;
  return y === 0 || !Number.isFinite(y) ? y : Number.parseFloat(y.toPrecision(12));
}

export function isValidUnit(unit: string): boolean {
  const u = normaliseUnit(unit);
  return u === LEL || utils.validateUnitString(u).status === 'valid';
}

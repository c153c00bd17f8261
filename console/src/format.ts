// Display helpers the pages share: units as people write them, ages, times, flag names.
import { lang, t, tMaybe } from './i18n.ts';

const UNITS: Record<string, string> = {
  '%{vol}': '%VOL', '%{LEL}': '%LEL', Cel: '°C', deg: '°', 'm3/h': 'm³/h', 'm/s2': 'm/s²', '10*-6': 'ppm', '[ppm].m': 'ppm·m',
  '{vehicle}/h': 'veh/h', '1': '',
};

/** A UCUM code as operators write it (m3/h → m³/h, Cel → °C, %{LEL} → %LEL). */
export const unitLabel = (u: string) => UNITS[u] ?? u;

/** How long ago, `s` seconds: 12 秒前, 5 分钟前, 2.5 小时前, 3 天前. */
export function fmtAgo(s: number): string {
  if (s < 90) return t('agoS', s.toFixed(0));
  if (s < 5400) return t('agoM', (s / 60).toFixed(0));
  if (s < 172_800) return t('agoH', (s / 3600).toFixed(1));
  return t('agoD', (s / 86_400).toFixed(0));
}

/** Local date and time, 24 h, seconds when asked. */
export function fmtTime(ms: number, seconds = true): string {
  return new Date(ms).toLocaleString(lang.get() === 'zh' ? 'zh-CN' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hour12: false,
  });
}

/** A quality flag (out_of_range, flag_D for the HJ 212 source flag D …) in words, or as the hub said it. */
export const flagWord = (f: string) => tMaybe(`fl_${f}`) ?? f;

/** An indicator's name in the current language. */
export const indicatorName = (i: { name: { zh: string; en: string } } | undefined, code: string) => (i ? i.name[lang.get()] : code);

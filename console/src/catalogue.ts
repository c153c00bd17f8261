// The indicator catalogue (names, units, ranges, default alarm rules), which the pages share: it changes only with a
// hub upgrade, so it is fetched once per page load.
import { getJson } from './api.ts';
import type { IndicatorDoc } from './devices-model.ts';

let indicatorCache: Promise<Map<string, IndicatorDoc>> | null = null;
/** The catalogue by indicator code; a failed fetch is tried again on the next call. */
export function indicators(): Promise<Map<string, IndicatorDoc>> {
  indicatorCache ??= getJson<{ data: IndicatorDoc[] }>('/v1/indicators').then((r) => new Map(r.data.map((i) => [i.code, i])))
    .catch((e: unknown) => { indicatorCache = null; throw e; });
  return indicatorCache;
}


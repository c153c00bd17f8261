// The vendor-feed clauses, as data: what the kit checks on sample payloads (JSON bodies, CSV/XLSX exports) a vendor
// sends through a mapping profile (hub/mapping, docs/mapping.md) before the feed is switched on. With the hub config
// that declares the feed's points (--config), readings go through the hub's own pipeline step (map → convert units →
// validate) against those points.
import type { ClauseSpec, Profile } from '../model.ts';

const MAP = 'lifeline mapping profiles (docs/mapping.md, docs/uploads.md)';
const MODEL = 'lifeline unified model (docs/model.md)';
const c = (id: string, level: ClauseSpec['level'], title: string, title_zh: string, traces: string, method: string, needs: string[] = []): ClauseSpec =>
  ({ id: `FEED-${id}`, level, title, title_zh, traces, needs, method });

export const feedClauses: ClauseSpec[] = [
  c('MAP-001', 'MUST', 'every sample maps, each to at least one reading', '每个样例均可映射出读数', `${MAP}`,
    'Each file in --samples (JSON payloads; CSV/XLSX for a table profile) goes through the profile with the hub\'s mapping engine. A JSON payload must map without any MAPPING_* failure (one failure quarantines the whole payload); a file must open and yield readings. Every sample must give at least one reading.'),
  c('MAP-002', 'MUST', 'every reading resolves to a declared point', '每条读数对应已声明的测点', `${MODEL} (site → device → point); quarantine reasons UNKNOWN_DEVICE, UNKNOWN_POINT`,
    'Each reading\'s device (or identity) and field resolves to a point of the registry in --config, as the hub resolves it at ingest.', ['feed.points']),
  c('MAP-003', 'SHOULD', 'every row of a file export maps', '文件导出的每一行均可映射', `${MAP} (docs/uploads.md: each bad row is quarantined with its row number, the good rows stored)`,
    'For a table profile (CSV/XLSX), each row of each sample maps without a row failure (MAPPING_BAD_VALUE, MAPPING_BAD_TIME …). An upload stores the good rows and quarantines the bad ones with their row, so a bad row is a warning here, named by file, row and column.', ['feed.table']),
  c('UNIT-001', 'MUST', 'units are UCUM codes the hub knows', '单位为平台可识别的 UCUM 编码', `${MODEL} (units: UCUM); the profile\'s unit_map`,
    'Each reading\'s unit, after the profile\'s unit_map, is a UCUM code (or a known alias such as ℃, m³/h, %LEL).'),
  c('UNIT-002', 'MUST', 'units convert to the indicator\'s unit', '单位可换算为指标的标准单位', `${MODEL} (canonical unit per indicator); UNIT_INCOMPATIBLE`,
    'Each resolved reading converts from its unit (else the point\'s source_unit) to its indicator\'s canonical unit.', ['feed.points']),
  c('VAL-001', 'MUST', 'values are finite numbers; a missing value carries a flag', '数值有限；缺测须带标记', `${MODEL} (readings); MISSING_VALUE, INVALID_RECORD`,
    'value (or avg for aggregates) is a finite number, or absent with a flag other than N or quality bad.'),
  c('RANGE-001', 'MUST', 'values lie in the indicator\'s valid range', '数值在指标量程内', 'lifeline indicator catalogue (schemas/indicators/*.yaml)',
    'After conversion, no reading gets the out_of_range flag: a sample outside the range usually means a wrong unit or scale.', ['feed.points']),
  c('TIME-001', 'MUST', 'every reading carries its measurement time', '每条读数带有测量时间', `${MODEL} (time: when it was measured)`,
    'No reading takes its time from receipt (time_from_receipt): the profile maps a time for every record.'),
  c('TIME-002', 'MUST', 'times are real and not in the future', '时间有效且不超前', `${MODEL} (future_time); HJ 212-2017 §6.7 by analogy`,
    'Every time is a real date between 2000 and the kit\'s clock + 5 minutes; a time hours ahead is the classic zone error (Beijing time read as UTC).'),
  c('TIME-003', 'SHOULD', 'times carry their zone (offset or epoch), or the profile pins one', '时间带时区（偏移或时间戳）或由映射规则指定', `${MODEL} (sources without an offset are read in the configured zone)`,
    'Each sample is mapped twice, read in UTC and in Asia/Shanghai; a reading whose time moves is zone-less and lands wherever the receiving hub\'s zone says (eight hours apart between the two). Reported with the samples and the zone the hub would assume.'),
  c('COV-001', 'SHOULD', 'the samples cover the fields the profile names', '样例覆盖映射规则声明的字段', `${MAP} (values[].field)`,
    'Every fixed field of the profile\'s values (not optional) appears in some reading of the samples; the coverage is reported.'),
  c('COV-002', 'SHOULD', 'the samples cover the declared points', '样例覆盖已声明的测点', `${MODEL} (points)`,
    'Every point of the --config registry has a reading in the samples; the coverage (points covered / declared) and the points without one are reported.', ['feed.points']),
];

export const feedProfile: Profile = {
  id: 'vendor-feed', title: 'Vendor feed', title_zh: '厂商数据推送', subject: 'a vendor\'s JSON feed (MQTT, webhook) or file export, through a mapping profile, checked on sample payloads',
  clauses: feedClauses.map((x) => x.id),
};

// HJ 212 code tables as data: versions, command codes (CN), system codes (ST), QnRtn/ExeRtn, data flags,
// CP field suffixes. 2005 = HJ/T 212-2005, 2017 = HJ 212-2017, 2025 = HJ 212-2025 (from caoyiliang/HJ212's
// code, not checked against the text; see /work/shared/reference/hj212.md §9.3). Nothing here is code.
import type { Hj212Version } from './types.ts';

export type KnownVersion = Exclude<Hj212Version, 'unknown'>;

/** Flag version bits (Flag >> 2) per generation. */
export const VERSION_BITS: Readonly<Record<KnownVersion, number>> = { '2005': 0, '2017': 1, '2025': 2 };
export const KNOWN_VERSIONS: readonly KnownVersion[] = ['2005', '2017', '2025'];
const VERSION_BY_BITS: readonly KnownVersion[] = ['2005', '2017', '2025'];

/** Flag → generation. Absent Flag → 2005 (2005 frames usually carry none); unknown version bits → 'unknown'. */
export function versionOfFlag(flag: number | undefined): Hj212Version {
  if (flag === undefined) return '2005';
  return VERSION_BY_BITS[flag >>> 2] ?? 'unknown';
}

/** Flag for a generation + D (segmented) + A (ack requested): 2017 + A → 5, 2025 + A → 9, 2005 + D + A → 3. */
export function flagFor(version: KnownVersion, ackRequested: boolean, segmented: boolean): number {
  return (VERSION_BITS[version] << 2) | (segmented ? 2 : 0) | (ackRequested ? 1 : 0);
}

export const FLAG_A = 1;
export const FLAG_D = 2;

// ---------------------------------------------------------------------------------------------------------
// Command codes

/**
 * What a CN is: `upload` (data a device sends; answered 9014 when A=1), `request` (platform → device; the
 * device answers 9011 then 9012), `notice` (answered 9013), `answer` (90xx), `heartbeat` (2025 9015, answered 9013).
 */
export type CnKind = 'upload' | 'request' | 'notice' | 'answer' | 'heartbeat';

export interface CnEntry {
  cn: string;
  zh: string;
  en: string;
  /** Meaning when a device sends it to the platform (the hub's side), or the only meaning. */
  kind: CnKind;
  /** Meaning of the same code sent platform → device, when it differs (e.g. 2011 request vs 2011 upload). */
  down?: CnKind;
  /** The answer the receiver of a `kind` frame sends (when Flag A is set, or always for 2005 uploads, see docs). */
  reply?: '9011' | '9013' | '9014';
  versions: readonly KnownVersion[];
  /** Key CP fields. */
  cp?: string;
}

const V05: readonly KnownVersion[] = ['2005'];
const V17: readonly KnownVersion[] = ['2017', '2025'];
const V25: readonly KnownVersion[] = ['2025'];
const VALL: readonly KnownVersion[] = ['2005', '2017', '2025'];

const up = (cn: string, zh: string, en: string, versions: readonly KnownVersion[], cp?: string): CnEntry =>
  ({ cn, zh, en, kind: 'upload', down: 'request', reply: '9014', versions, cp });
const req = (cn: string, zh: string, en: string, versions: readonly KnownVersion[], cp?: string): CnEntry =>
  ({ cn, zh, en, kind: 'request', reply: '9011', versions, cp });

/** Every command code of every generation (one entry per code and meaning). */
export const CN_TABLE: readonly CnEntry[] = [
  // Initialisation and parameters
  req('1000', '设置超时时间及重发次数', 'set timeout and retries', VALL, 'OverTime, ReCount'),
  req('1001', '设置超限报警时间', 'set over-limit alarm time', V05, 'WarnTime'),
  { cn: '1001', zh: '上传数采仪硬件序列号', en: 'upload DAQ hardware serial number', kind: 'notice', reply: '9013', versions: V25 },
  req('1002', '设置数采仪 MN', 'set DAQ MN', V25, 'i23005-Info'),
  up('1011', '提取/上传现场机时间', 'get / upload device time', VALL, 'PolId, SystemTime'),
  req('1012', '设置现场机时间', 'set device time', VALL, 'PolId, SystemTime'),
  { cn: '1013', zh: '现场机时间校准请求', en: 'device time-calibration request', kind: 'notice', reply: '9013', versions: V17, cp: 'PolId' },
  { cn: '1014', zh: '密钥交换', en: 'key exchange', kind: 'notice', down: 'request', reply: '9013', versions: V25, cp: 'SKCreateTime, NewSK' },
  up('1021', '提取/上传污染物报警门限值', 'get / upload alarm limits', V05, 'xxx-LowValue, xxx-UpValue'),
  req('1022', '设置污染物报警门限值', 'set alarm limits', V05, 'xxx-LowValue, xxx-UpValue'),
  up('1031', '提取/上传上位机地址', 'get / upload platform address', V05, 'AlarmTarget'),
  req('1032', '设置上位机地址', 'set platform address', V05, 'AlarmTarget'),
  up('1041', '提取/上传数据上报时间', 'get / upload report time', V05, 'ReportTime'),
  req('1042', '设置数据上报时间', 'set report time', V05, 'ReportTime'),
  up('1061', '提取/上传实时数据间隔', 'get / upload real-time data interval', VALL, 'RtdInterval'),
  req('1062', '设置实时数据间隔', 'set real-time data interval', VALL, 'RtdInterval'),
  up('1063', '提取/上传分钟数据间隔', 'get / upload minute data interval', V17, 'MinInterval'),
  req('1064', '设置分钟数据间隔', 'set minute data interval', V17, 'MinInterval'),
  req('1072', '设置现场机访问密码', 'set access password', VALL, 'NewPW'),
  // Data
  up('2011', '取/上传污染物实时数据', 'start / upload real-time data', VALL, 'DataTime, xxx-Rtd, xxx-Flag'),
  { cn: '2012', zh: '停止察看污染物实时数据', en: 'stop real-time data', kind: 'notice', reply: '9013', versions: VALL },
  { cn: '2013', zh: '上传原始监测数据', en: 'upload raw (periodic) monitoring data', kind: 'upload', reply: '9014', versions: V25 },
  up('2021', '取/上传设备运行状态数据', 'start / upload facility run state', VALL, 'DataTime, SBx-RS'),
  { cn: '2022', zh: '停止察看设备运行状态', en: 'stop facility run state', kind: 'notice', reply: '9013', versions: VALL },
  up('2031', '取/上传污染物日历史数据', 'day history data', VALL, 'BeginTime, EndTime, DataTime, xxx-Cou/Min/Avg/Max'),
  up('2041', '取/上传设备运行时间日历史数据', 'facility run-time day history', VALL, 'DataTime, SBx-RT'),
  up('2051', '取/上传污染物分钟数据', 'minute data', VALL, 'DataTime, xxx-Cou/Min/Avg/Max'),
  { cn: '2052', zh: '上传噪声单次测量数据', en: 'upload single noise measurement', kind: 'upload', reply: '9014', versions: V25 },
  up('2061', '取/上传污染物小时数据', 'hour data', VALL, 'DataTime, xxx-Cou/Min/Avg/Max'),
  { cn: '2062', zh: '上传自动标样核查数据', en: 'upload automatic standard-sample check data', kind: 'upload', reply: '9014', versions: V25 },
  up('2071', '取/上传污染物报警记录', 'alarm records', V05, 'BeginTime, EndTime, xxx-Ala'),
  { cn: '2072', zh: '上传报警事件', en: 'alarm event notice', kind: 'upload', reply: '9014', versions: V05, cp: 'AlarmTime, AlarmType' },
  { cn: '2081', zh: '上传数采仪开机时间', en: 'upload DAQ restart time', kind: 'upload', reply: '9014', versions: V17, cp: 'DataTime, RestartTime' },
  { cn: '2111', zh: '上传炉膛温度 5 分钟均值', en: 'upload furnace temperature 5-minute average', kind: 'upload', reply: '9014', versions: V25 },
  // Control
  req('3011', '校零校满', 'zero/full calibration', V05, 'PolId'),
  req('3011', '零点校准量程校准', 'zero/span calibration', V17, 'PolId'),
  req('3012', '即时采样', 'immediate sampling', VALL, 'PolId'),
  req('3013', '设备操作', 'device operation', V05, 'PolId'),
  req('3013', '启动清洗/反吹', 'start cleaning / blowback', V17, 'PolId'),
  req('3014', '设置设备采样时间周期', 'set sampling period', V05, 'PolId, CTime'),
  req('3014', '比对采样', 'comparison sampling', V17, 'PolId'),
  up('3015', '超标留样/上传超标留样信息', 'over-limit sample retention', V17, 'DataTime, VaseNo'),
  req('3016', '设置采样时间周期', 'set sampling period', V17, 'PolId, CstartTime, Ctime'),
  up('3017', '提取/上传采样时间周期', 'get / upload sampling period', V17, 'PolId, CstartTime, Ctime'),
  up('3018', '提取/上传出样时间', 'get / upload sample-output time', V17, 'PolId, Stime'),
  up('3019', '提取/上传设备唯一标识', 'get / upload instrument unique ID', V17, 'PolId, xxx-SN'),
  up('3020', '提取/上传现场机信息', 'get / upload field information', V17, 'PolId, InfoId, DataTime, ixxxxx-Info'),
  req('3021', '设置现场机参数', 'set field parameter', V17, 'PolId, InfoId, ixxxxx-Info'),
  req('3022', '即时留样任务', 'immediate sample-retention task', V25),
  req('3024', '启动标样核查', 'start standard-sample check', V25),
  // Interaction
  { cn: '9011', zh: '请求应答', en: 'request answer', kind: 'answer', versions: VALL, cp: 'QnRtn' },
  { cn: '9012', zh: '执行结果', en: 'execution result', kind: 'answer', versions: VALL, cp: 'ExeRtn' },
  { cn: '9013', zh: '通知应答', en: 'notice answer', kind: 'answer', versions: VALL },
  { cn: '9014', zh: '数据应答', en: 'data answer', kind: 'answer', versions: VALL },
  { cn: '9015', zh: '心跳', en: 'heartbeat', kind: 'heartbeat', reply: '9013', versions: V25 },
];

/** 4-digit code → number (-1 if not 4 digits): Smi map keys hash faster than fresh strings. */
function cnNumber(cn: string): number {
  if (cn.length !== 4) return -1;
  let n = 0;
  for (let k = 0; k < 4; k++) {
    const dgt = cn.charCodeAt(k) - 48;
    if (dgt < 0 || dgt > 9) return -1;
    n = n * 10 + dgt;
  }
  return n;
}

/** Per generation: CN number → index in CN_TABLE (−1: not a command of that generation). */
const CN_INDEX: Readonly<Record<KnownVersion, Int16Array>> = /* @__PURE__ */ (() => {
  const mk = (v: KnownVersion) => {
    const a = new Int16Array(10000).fill(-1);
    CN_TABLE.forEach((e, i) => { if (e.versions.includes(v)) a[cnNumber(e.cn)] = i; });
    return a;
  };
  return { '2005': mk('2005'), '2017': mk('2017'), '2025': mk('2025') };
})();

/** The CN's entry in a generation ('unknown' → the newest generation that defines it). */
export function cnInfo(cn: string, version: Hj212Version): CnEntry | undefined {
  return cnInfoByNumber(cnNumber(cn), version);
}

/** cnInfo for a CN already read as a number (0–9999; -1 → undefined). */
export function cnInfoByNumber(n: number, version: Hj212Version): CnEntry | undefined {
  if (n < 0 || n > 9999) return undefined;
  let i: number;
  if (version !== 'unknown') i = CN_INDEX[version][n]!;
  else { i = CN_INDEX['2025'][n]!; if (i < 0) i = CN_INDEX['2017'][n]!; if (i < 0) i = CN_INDEX['2005'][n]!; }
  return i < 0 ? undefined : CN_TABLE[i];
}

// ---------------------------------------------------------------------------------------------------------
// System codes (ST), 2017 Table 5 (GB/T 16706) and 2005

export interface StEntry { st: string; zh: string; en: string; versions: readonly KnownVersion[] }

export const ST_TABLE: readonly StEntry[] = [
  { st: '21', zh: '地表水质量监测', en: 'surface water quality', versions: VALL },
  { st: '22', zh: '空气质量监测', en: 'air quality', versions: VALL },
  { st: '23', zh: '声环境质量监测', en: 'acoustic environment (2005: regional noise)', versions: VALL },
  { st: '24', zh: '地下水质量监测', en: 'groundwater quality', versions: V17 },
  { st: '25', zh: '土壤质量监测', en: 'soil quality', versions: V17 },
  { st: '26', zh: '海水质量监测', en: 'seawater quality', versions: V17 },
  { st: '27', zh: '挥发性有机物监测', en: 'volatile organic compounds', versions: V17 },
  { st: '31', zh: '大气环境污染源', en: 'air pollution source', versions: VALL },
  { st: '32', zh: '地表水体环境污染源', en: 'surface-water pollution source', versions: VALL },
  { st: '33', zh: '地下水体环境污染源', en: 'groundwater pollution source', versions: VALL },
  { st: '34', zh: '海洋环境污染源', en: 'marine pollution source', versions: VALL },
  { st: '35', zh: '土壤环境污染源', en: 'soil pollution source', versions: VALL },
  { st: '36', zh: '声环境污染源', en: 'noise pollution source', versions: VALL },
  { st: '37', zh: '振动环境污染源', en: 'vibration pollution source', versions: VALL },
  { st: '38', zh: '放射性环境污染源', en: 'radioactive pollution source', versions: VALL },
  { st: '39', zh: '工地扬尘污染源', en: 'construction dust source', versions: V17 },
  { st: '41', zh: '电磁环境污染源', en: 'electromagnetic pollution source', versions: VALL },
  { st: '51', zh: '烟气排放过程监控', en: 'flue-gas process monitoring', versions: V17 },
  { st: '52', zh: '污水排放过程监控', en: 'wastewater process monitoring', versions: V17 },
  { st: '91', zh: '系统交互', en: 'system interaction', versions: VALL },
];

/** Per generation: bit set for each Table 5 code, indexed by its two characters ('0'–'Z' each: 43 × 43). */
const stIndex = (a: number, b: number) => (a >= 48 && a <= 90 && b >= 48 && b <= 90 ? (a - 48) * 43 + (b - 48) : -1);
const ST_BITS = /* @__PURE__ */ (() => {
  const t = new Uint8Array(43 * 43);
  const bit: Record<KnownVersion, number> = { '2005': 1, '2017': 2, '2025': 4 };
  for (const e of ST_TABLE) for (const v of e.versions) t[stIndex(e.st.charCodeAt(0), e.st.charCodeAt(1))] |= bit[v];
  return t;
})();
const ST_BIT: Readonly<Record<Hj212Version, number>> = { '2005': 1, '2017': 2, '2025': 4, unknown: 4 };

/**
 * Whether the standard allows this ST: a Table 5 code of the generation, or `A0`–`Z9` (2017 §6.6.2: letters
 * for systems not in the table). Field values such as 80, 99, 101 are not allowed (strict mode rejects them).
 */
export function isKnownSt(st: string, version: Hj212Version): boolean {
  if (st.length !== 2) return false;
  const a = st.charCodeAt(0), b = st.charCodeAt(1);
  if (a >= 65 && a <= 90 && b >= 48 && b <= 57 && version !== '2005') return true;
  const i = stIndex(a, b);
  return i >= 0 && (ST_BITS[i]! & ST_BIT[version]) !== 0;
}

// ---------------------------------------------------------------------------------------------------------
// Answer codes

export interface CodeEntry { zh: string; en: string; versions: readonly KnownVersion[] }

/** 9011 QnRtn (2017 Table 6; 2005 had 1–3). */
export const QN_RTN: Readonly<Record<number, CodeEntry>> = {
  1: { zh: '准备执行请求', en: 'ready to execute', versions: VALL },
  2: { zh: '请求被拒绝', en: 'request rejected', versions: VALL },
  3: { zh: 'PW 错误', en: 'PW error', versions: VALL },
  4: { zh: 'MN 错误', en: 'MN error', versions: V17 },
  5: { zh: 'ST 错误', en: 'ST error', versions: V17 },
  6: { zh: 'Flag 错误', en: 'Flag error', versions: V17 },
  7: { zh: 'QN 错误', en: 'QN error', versions: V17 },
  8: { zh: 'CN 错误', en: 'CN error', versions: V17 },
  9: { zh: 'CRC 校验错误', en: 'CRC error', versions: V17 },
  100: { zh: '未知错误', en: 'unknown error', versions: V17 },
};

/** 9012 ExeRtn (2017 Table 7; 2005 had 1, 2, 100). */
export const EXE_RTN: Readonly<Record<number, CodeEntry>> = {
  1: { zh: '执行成功', en: 'success', versions: VALL },
  2: { zh: '执行失败，但不知道原因', en: 'failed, reason unknown', versions: VALL },
  3: { zh: '命令请求条件错误', en: 'request condition error', versions: V17 },
  4: { zh: '通讯超时', en: 'communication timeout', versions: V17 },
  5: { zh: '系统繁忙不能执行', en: 'busy', versions: V17 },
  6: { zh: '系统故障', en: 'system fault', versions: V17 },
  100: { zh: '没有数据', en: 'no data', versions: VALL },
};

// ---------------------------------------------------------------------------------------------------------
// Data flags (`xxxxxx-Flag`)

export interface DataFlagEntry { zh: string; en: string; /** true when the value is usable as a normal measurement */ normal: boolean }

/** Per generation. Keep the raw flag on the wire; map through this table (unknown flags: keep verbatim). */
export const DATA_FLAGS: Readonly<Record<KnownVersion, Readonly<Record<string, DataFlagEntry>>>> = {
  '2017': {
    N: { zh: '在线监控（监测）仪器仪表工作正常', en: 'normal', normal: true },
    F: { zh: '在线监控（监测）仪器仪表停运', en: 'instrument stopped', normal: false },
    M: { zh: '在线监控（监测）仪器仪表处于维护期间产生的数据', en: 'maintenance', normal: false },
    S: { zh: '手工输入的设定值', en: 'manually set value', normal: false },
    D: { zh: '在线监控（监测）仪器仪表故障', en: 'instrument fault', normal: false },
    C: { zh: '在线监控（监测）仪器仪表处于校准状态', en: 'calibration', normal: false },
    T: { zh: '在线监控（监测）仪器仪表采样数值超过测量上限', en: 'above measuring upper limit', normal: false },
    B: { zh: '在线监控（监测）仪器仪表与数采仪通讯异常', en: 'instrument–DAQ communication error', normal: false },
  },
  '2025': {} as Record<string, DataFlagEntry>, // filled below: same as 2017 until the 2025 text is available
  '2005': {
    P: { zh: '电源故障', en: 'power failure', normal: false },
    F: { zh: '排放源停运', en: 'source stopped', normal: false },
    C: { zh: '校验', en: 'calibration', normal: false },
    M: { zh: '维护', en: 'maintenance', normal: false },
    T: { zh: '超测上限', en: 'above measuring upper limit', normal: false },
    D: { zh: '故障', en: 'fault', normal: false },
    S: { zh: '设定值', en: 'set value', normal: false },
    N: { zh: '正常', en: 'normal', normal: true },
    0: { zh: '空气站：校准', en: 'air station: calibration', normal: false },
    1: { zh: '空气站：气象', en: 'air station: meteorological', normal: true },
    2: { zh: '空气站：异常', en: 'air station: abnormal', normal: false },
    3: { zh: '空气站：正常', en: 'air station: normal', normal: true },
  },
};
Object.assign(DATA_FLAGS['2025'], DATA_FLAGS['2017']);

// ---------------------------------------------------------------------------------------------------------
// CP field suffixes (`code-Suffix`) and prefixes (SBx-RS)

export type SuffixType = 'number' | 'flag' | 'time' | 'text' | 'id';

export interface SuffixEntry { zh: string; en: string; type: SuffixType; versions: readonly KnownVersion[]; /** code prefix required, e.g. SB for SBx-RS */ prefix?: string }

/** Suffix after the last `-` of a CP key. Unknown suffixes (-ValidNum, -Ia, -flag …) are kept verbatim by the parser. */
export const FIELD_SUFFIXES: Readonly<Record<string, SuffixEntry>> = {
  Rtd: { zh: '实时数据', en: 'real-time value', type: 'number', versions: VALL },
  Min: { zh: '最小值', en: 'minimum over the period', type: 'number', versions: VALL },
  Avg: { zh: '平均值', en: 'average over the period', type: 'number', versions: VALL },
  Max: { zh: '最大值', en: 'maximum over the period', type: 'number', versions: VALL },
  Cou: { zh: '累计值', en: 'cumulative amount over the period', type: 'number', versions: VALL },
  ZsRtd: { zh: '折算实时数据', en: 'converted real-time value', type: 'number', versions: VALL },
  ZsMin: { zh: '折算最小值', en: 'converted minimum', type: 'number', versions: VALL },
  ZsAvg: { zh: '折算平均值', en: 'converted average', type: 'number', versions: VALL },
  ZsMax: { zh: '折算最大值', en: 'converted maximum', type: 'number', versions: VALL },
  Flag: { zh: '数据标记', en: 'data flag', type: 'flag', versions: VALL },
  EFlag: { zh: '设备自定义数据标记', en: 'instrument-defined extended flag', type: 'flag', versions: V17 },
  SampleTime: { zh: '采样时间', en: 'sampling time of the value', type: 'time', versions: V17 },
  SN: { zh: '设备唯一标识', en: 'instrument unique ID (EPC-96)', type: 'id', versions: V17 },
  Info: { zh: '现场端信息', en: 'field-side information (ixxxxx-Info)', type: 'text', versions: V17 },
  Data: { zh: '噪声时段值', en: 'noise period value', type: 'number', versions: VALL },
  DayData: { zh: '噪声昼间值', en: 'noise day value', type: 'number', versions: VALL },
  NightData: { zh: '噪声夜间值', en: 'noise night value', type: 'number', versions: VALL },
  RS: { zh: '污染治理设施运行状态', en: 'treatment facility run state (0 off, 1 running, 2 calibrating, 3 maintenance, 4 alarm, 5 blowback)', type: 'number', versions: VALL, prefix: 'SB' },
  RT: { zh: '污染治理设施一日内运行时间', en: 'facility run hours in the day (0–24)', type: 'number', versions: VALL, prefix: 'SB' },
  Ala: { zh: '报警值', en: 'alarm value', type: 'number', versions: V05 },
  UpValue: { zh: '报警上限', en: 'upper alarm limit', type: 'number', versions: V05 },
  LowValue: { zh: '报警下限', en: 'lower alarm limit', type: 'number', versions: V05 },
};

/** Plain (non-item) CP fields of the standards. */
export const PLAIN_CP_FIELDS: readonly string[] = [
  'SystemTime', 'QnRtn', 'ExeRtn', 'RtdInterval', 'MinInterval', 'RestartTime', 'PolId', 'BeginTime', 'EndTime',
  'DataTime', 'NewPW', 'OverTime', 'ReCount', 'VaseNo', 'CstartTime', 'Ctime', 'Stime', 'InfoId',
  // 2005
  'ReportTime', 'AlarmTime', 'AlarmType', 'ReportTarget', 'AlarmTarget', 'DayStdValue', 'NightStdValue', 'WarnTime', 'CTime', 'PW',
  // 2025 (caoyiliang)
  'SKCreateTime', 'NewSK',
];

/** Field-information states (B.10): i12001 instrument state, i22001 DAQ state. */
export const INFO_STATES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  i12001: { 0: 'run', 1: 'maintenance', 2: 'fault', 3: 'calibration', 5: 'blowback', 6: 'power fault', 7: 'measuring', 8: 'standardisation', 9: 'standby', 10: 'O&M' },
  i22001: { 0: 'run', 1: 'stopped', 2: 'fault', 3: 'maintenance' },
};

/** Default answer timeout (s) and retries per link (2017 Table 1; 2005 adds PSTN 5 s and SMS 30 s). */
export const DEFAULT_TIMEOUTS: Readonly<Record<string, { timeoutS: number; retries: number }>> = {
  cellular: { timeoutS: 10, retries: 3 }, // GPRS, CDMA, WCDMA, TD-SCDMA, CDMA2000, TD-LTE, FDD-LTE
  plc: { timeoutS: 10, retries: 3 },
  wimax: { timeoutS: 10, retries: 3 },
  adsl: { timeoutS: 5, retries: 3 },
  pstn: { timeoutS: 5, retries: 3 },
  sms: { timeoutS: 30, retries: 3 },
};

/** Largest data segment the standard allows, and the 4-digit length field's own limit. */
export const MAX_DATA_STANDARD = 1024;
export const MAX_DATA_FIELD = 9999;

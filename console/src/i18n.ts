// Two languages, one table: Chinese (the default, what operators here read) and English. No framework: a key is a
// property name, so a missing translation is a type error, not a blank on screen.
import { signal } from './signal.ts';

export type Lang = 'zh' | 'en';

const zh = {
  title: '生命线数据枢纽 · 运行控制台',
  short: '运行控制台',
  login: '登录',
  loginHint: '输入 hub 的 API 密钥（配置文件 api.keys 中的一个）。密钥只保存在本浏览器标签页内，关闭即清除。',
  apiKey: 'API 密钥',
  loggingIn: '正在验证…',
  logout: '退出',
  switchLang: 'English',
  errMissing: '请输入 API 密钥。',
  errInvalid: '密钥无效：hub 未配置此 API 密钥（api.keys）。请检查后重新输入。',
  errForbidden: '此密钥没有“读取”权限（read），无法查看控制台。请使用带 read 或 admin 权限的密钥。',
  errNetwork: '无法连接 hub：{0}',
  errServer: 'hub 返回错误 {0}：{1}',
  expired: '密钥已失效，请重新登录。',
  keyName: '密钥',
  readOnly: '只读',
  canWrite: '可操作',
  overview: '概览',
  hubReady: 'hub 就绪',
  hubNotReady: 'hub 未就绪',
  updated: '更新于 {0}',
  stale: '连接中断，{0} 秒前的数据，正在重试…',
  inRate: '接入 条/秒',
  storedRate: '入库 条/秒',
  quarantineRate: '隔离率',
  alarmsOpen: '未处理报警',
  backlog: '待投递积压',
  adapters: '接入适配器',
  adapter: '适配器',
  status: '状态',
  totalIn: '累计接入',
  totalQuarantined: '累计隔离',
  noAdapters: '暂无适配器接入数据。',
  httpApi: '（HTTP 接入接口）',
  delivery: '上行投递',
  target: '目标平台',
  lag: '延迟',
  deliveredRate: '投递 条/秒',
  deadLetters: '死信',
  noTargets: '未配置上行投递目标（publish.targets）。',
  alarms: '报警（按级别）',
  alarmsOff: '报警功能未启用（alarms.enabled）。',
  level: '{0}级',
  none: '无',
  more: '以上',
  st_ok: '正常', st_degraded: '降级', st_down: '中断', st_unknown: '未知',
  st_running: '运行中', st_paused: '已暂停', st_retrying: '重试中', st_disabled: '已停用',
  rateNote: '速率为最近约 {0} 秒的平均值；隔离率 = 隔离条数 ÷ 接入条数。',
  seconds: '{0} 秒', minutes: '{0} 分', hours: '{0} 小时',
};

const en: typeof zh = {
  title: 'Lifeline hub · Operator console',
  short: 'Operator console',
  login: 'Log in',
  loginHint: 'Enter an API key of this hub (one of api.keys in its config). The key is kept in this browser tab only and cleared when it closes.',
  apiKey: 'API key',
  loggingIn: 'Checking…',
  logout: 'Log out',
  switchLang: '中文',
  errMissing: 'Enter an API key.',
  errInvalid: 'Wrong key: this API key is not configured on the hub (api.keys). Check it and try again.',
  errForbidden: 'This key has no "read" scope, so it cannot see the console. Use a key with the read or admin scope.',
  errNetwork: 'Cannot reach the hub: {0}',
  errServer: 'The hub answered {0}: {1}',
  expired: 'The key is no longer accepted; log in again.',
  keyName: 'Key',
  readOnly: 'read-only',
  canWrite: 'can act',
  overview: 'Overview',
  hubReady: 'hub ready',
  hubNotReady: 'hub not ready',
  updated: 'updated {0}',
  stale: 'Connection lost; data from {0} s ago, retrying…',
  inRate: 'in, readings/s',
  storedRate: 'stored, readings/s',
  quarantineRate: 'quarantine rate',
  alarmsOpen: 'open alarms',
  backlog: 'delivery backlog',
  adapters: 'Adapters (ingest)',
  adapter: 'Adapter',
  status: 'Status',
  totalIn: 'total in',
  totalQuarantined: 'total quarantined',
  noAdapters: 'No adapter has reported yet.',
  httpApi: '(HTTP ingest API)',
  delivery: 'Delivery upstream',
  target: 'Target',
  lag: 'lag',
  deliveredRate: 'delivered, readings/s',
  deadLetters: 'dead letters',
  noTargets: 'No delivery targets are configured (publish.targets).',
  alarms: 'Alarms by level',
  alarmsOff: 'Alarms are off (alarms.enabled).',
  level: 'level {0}',
  none: 'none',
  more: '+',
  st_ok: 'ok', st_degraded: 'degraded', st_down: 'down', st_unknown: 'unknown',
  st_running: 'running', st_paused: 'paused', st_retrying: 'retrying', st_disabled: 'disabled',
  rateNote: 'Rates average the last ~{0} s; quarantine rate = quarantined ÷ received.',
  seconds: '{0} s', minutes: '{0} min', hours: '{0} h',
};

export type MessageKey = keyof typeof zh;
const tables: Record<Lang, typeof zh> = { zh, en };

const stored = (() => { try { return localStorage.getItem('lifeline.lang'); } catch { return null; } })();
export const lang = signal<Lang>(stored === 'en' ? 'en' : 'zh');

export function setLang(l: Lang) {
  lang.set(l);
  try { localStorage.setItem('lifeline.lang', l); } catch { /* private mode: the choice lasts this page */ }
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  document.title = tables[l].title;
}

/** The message in the current language, `{0}`, `{1}` replaced by the arguments. */
export function t(key: MessageKey, ...args: Array<string | number>): string {
  return tables[lang.get()][key].replace(/\{(\d)\}/g, (_m, i: string) => String(args[Number(i)] ?? ''));
}

/** A status word, translated when known (st_ok, st_running…), else as the hub said it. */
export function statusWord(s: string): string {
  const k = `st_${s}` as MessageKey;
  return k in zh ? t(k) : s;
}

// Profiles group clauses by what is certified. The adapter-package profile is today's `lifeline conformance MODULE`;
// the HJ 212 collector profiles drive `lifeline conformance device hj212`; modbus-device, vendor-feed and
// intermediate-db drive `lifeline conformance device modbus`, `… feed` and `… sqldb`.
import type { ClauseSpec, Profile } from './model.ts';
import { hj212DeviceClauses } from './clauses/hj212-device.ts';
import { adapterContractClauses } from './contract/clauses.ts';
import { modbusDeviceClauses, modbusDeviceProfile } from './clauses/modbus-device.ts';
import { feedClauses, feedProfile } from './clauses/feed.ts';
import { sqldbClauses, sqldbProfile } from './clauses/sqldb.ts';

/** The SDK packaging clauses (manifest, config schema, lifecycle) as catalogue entries; their checks live in clauses/*.ts. */
const sdk = (id: string, title: string, title_zh: string, method: string): ClauseSpec =>
  ({ id, title, title_zh, traces: 'lifeline SDK contract (docs/adapters/sdk.md)', level: 'MUST', needs: [], method });

export const adapterPackageClauses: ClauseSpec[] = [
  sdk('MANIFEST-001', 'id is a snake_case protocol noun', 'id 为蛇形命名的协议名', '`id` matches ^[a-z][a-z0-9_]*$.'),
  sdk('MANIFEST-002', 'version is semver', 'version 为语义化版本', '`version` is MAJOR.MINOR.PATCH with optional pre-release/build.'),
  sdk('MANIFEST-003', 'title and a one-line description', '标题与单行说明', '`title` and `description` are non-empty; the description is one line.'),
  sdk('MANIFEST-004', 'direction and stability are known values', 'direction 与 stability 取值合法', 'direction ∈ listen/poll/subscribe; stability ∈ development/alpha/beta/stable/deprecated.'),
  sdk('MANIFEST-005', 'configSchema compiles and is named lifeline:adapter/<id>', '配置 Schema 可编译且 $id 正确', 'The schema compiles (draft-07), describes an object, `$id` is lifeline:adapter/<id>.'),
  sdk('MANIFEST-006', 'every CLI command it declares has words, usage, help text and a handler', '声明的命令行命令均有用法与说明', '`commands[]`: lower-case `words` not taken by the hub, a `usage` string, non-empty `help`, a `run` function (`lifeline --help` lists them).'),
  sdk('CONFIG-001', 'every config field has a description', '每个配置项有说明', 'Docs and admin forms are generated from the descriptions.'),
  sdk('CONFIG-002', 'every config field has examples, and they validate', '每个配置项有合法示例', 'Each field has `examples`, each valid against the field.'),
  sdk('CONFIG-003', 'defaults validate against their field', '默认值合法', 'Each `default` is valid against its field.'),
  sdk('LIFECYCLE-001', 'create() returns start, stop and health', 'create() 返回 start/stop/health', 'create(config, ctx) against a real embedded store returns the three functions.'),
  sdk('LIFECYCLE-002', 'stop() before start() resolves', '未启动即停止可正常返回', 'The hub stops adapters that failed to start.'),
  sdk('LIFECYCLE-003', 'start(), health(), then stop() twice', '启动、健康检查、两次停止', 'Each within 10 s; health answers ok, degraded or down.'),
];

/** Every clause of every profile, by id. */
export const clauseCatalogue: ClauseSpec[] = [
  ...adapterPackageClauses, ...hj212DeviceClauses, ...adapterContractClauses,
  ...modbusDeviceClauses, ...feedClauses, ...sqldbClauses,
];

const ids = (pred: (c: ClauseSpec) => boolean, from: ClauseSpec[]) => from.filter(pred).map((c) => c.id);
const FULL_ONLY = /^HJ212-(CAD-00[23]|SEG-|HB-|CMD-)/;

export const profiles: Profile[] = [
  { id: 'adapter-package', title: 'Adapter package', title_zh: '适配器封装', subject: 'an SDK adapter (npm package or path)', clauses: ids(() => true, adapterPackageClauses) },
  { id: 'hj212-collector-basic', title: 'HJ 212 data collector, basic', title_zh: 'HJ 212 数采仪（基础）', subject: 'an HJ 212 data collector (数采仪) on TCP: framing, header, CP, real-time cadence, retransmission', clauses: ids((c) => !FULL_ONLY.test(c.id), hj212DeviceClauses) },
  { id: 'hj212-collector-full', title: 'HJ 212 data collector, full', title_zh: 'HJ 212 数采仪（完整）', subject: 'basic, plus minute/hour cadence, segmented uploads, heartbeat and the commands it declares', clauses: ids(() => true, hj212DeviceClauses) },
  { id: 'adapter-contract', title: 'Adapter contract', title_zh: '适配器契约', subject: 'an SDK adapter with its source: acknowledgement after commit, no loss, duplicate or phantom under faults, stop, health, error codes, docs', clauses: ids(() => true, adapterContractClauses) },
  modbusDeviceProfile,
  feedProfile,
  sqldbProfile,
];

export function profileById(id: string): Profile {
  const p = profiles.find((x) => x.id === id);
  if (!p) throw new Error(`unknown profile "${id}"; known: ${profiles.map((x) => x.id).join(', ')}`);
  return p;
}

export function clauseById(id: string): ClauseSpec {
  const c = clauseCatalogue.find((x) => x.id === id);
  if (!c) throw new Error(`unknown clause ${id}`);
  return c;
}

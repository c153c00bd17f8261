// Indicator catalogue (schemas/indicators/*.yaml) — checked against the JSON Schema,
// against UCUM, and against the seed document's tables 表1–表5.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { parse } from 'yaml'
import { domains as DOMAINS } from '../generated/enums.ts'
import { Ajv } from 'ajv'
// @ts-ignore -- @lhncbc/ucum-lhc ships no type declarations
import ucum from '@lhncbc/ucum-lhc'

const here = dirname(fileURLToPath(import.meta.url))
const schemasDir = join(here, '..')
const readJson = (p: string) => JSON.parse(readFileSync(join(schemasDir, p), 'utf8'))

type Indicator = {
  code: string
  domain: string
  object: { zh: string; en: string }
  name: { zh: string; en: string }
  quantity: string
  value_type: 'number' | 'event' | 'media'
  unit: string
  range?: { min?: number; max?: number }
  resolution?: number
  accuracy?: string
  requirements?: string
  standards: string[]
  lel_percent_vol?: number
  source_table?: string
}

type Domain = (typeof DOMAINS)[number]

const SOURCE_TABLE: Record<Domain, string> = {
  gas: '表1',
  water: '表2',
  drainage: '表3',
  heating: '表4',
  bridge: '表5',
}

// Number of monitored-indicator rows transcribed from each seed table.
const EXPECTED_COUNT: Record<Domain, number> = {
  // 表1 燃气:
  //   燃气管网: 压力, 流量                                  (2)
  //   施工破坏: 视频监控, 振动监测                            (2)
  //   燃气管网相邻地下空间: 可燃气体浓度                       (1)
  //   餐饮场所: 可燃气体浓度                                 (1)
  //   场站: 浓度视频扫描                                     (1)
  gas: 7,
  // 表2 供水:
  //   供水管网: 流量, 压力, 漏水声波                          (3)
  //   市政消火栓: 流量, 压力                                 (2)
  water: 5,
  // 表3 排水:
  //   排水防涝监测: 雨量, 液位, 流量, 视频监控                  (4)
  //   控源截污监测: 液位(管网和易积水点), 液位(河道), 管网流量, 河道流量 (4)
  //   空间爆燃监测: 可燃气体浓度                              (1)
  drainage: 9,
  // 表4 热力:
  //   热力管道: 流量, 压力                                   (2)
  heating: 2,
  // 表5 桥梁:
  //   桥梁结构: 倾角, 位移, 裂缝宽度, 静应变, 索力, 加速度(整体), 加速度(构件),
  //             动应变, 挠度, 支座动反力, 腐蚀, 基础冲刷          (12)
  //   外部荷载: 交通流量, 车辆荷载, 车船撞击(加速度), 地震荷载(三向加速度) (4)
  //   气象环境: 温度, 湿度, 风速, 风向, 风压, 降雨量, 能见度      (7)
  //   桥面视频: 温度(桥面温度), 冰点                           (2)
  //   桥梁视频: 视频录像                                     (1)
  bridge: 26,
}

const catalogue = new Map<Domain, Indicator[]>()
for (const d of DOMAINS) {
  const doc = parse(readFileSync(join(schemasDir, 'indicators', `${d}.yaml`), 'utf8'))
  catalogue.set(d, doc.indicators as Indicator[])
}
const all = [...catalogue.values()].flat()
const byCode = new Map(all.map(i => [i.code, i]))
const get = (code: string): Indicator => {
  const i = byCode.get(code)
  if (!i) throw new Error(`missing indicator ${code}`)
  return i
}

const ajv = new Ajv({ allErrors: true, strict: true })
ajv.addSchema(readJson('json/domain.schema.json'))
ajv.addSchema(readJson('json/alarm-rule.schema.json'))
ajv.addSchema(readJson('json/indicator.schema.json'))
const validate = ajv.getSchema('lifeline:indicator')
if (!validate) throw new Error('indicator schema not registered')

const u = ucum.UcumLhcUtils.getInstance()

t.test('each file is a list under `indicators:`', async t => {
  for (const d of DOMAINS) {
    const list = catalogue.get(d)
    t.ok(Array.isArray(list) && list.length > 0, `${d}.yaml has a non-empty indicators list`)
  }
})

t.test('every entry validates against indicator.schema.json', async t => {
  for (const i of all) {
    const ok = validate(i)
    t.ok(ok, `${i.code} is schema-valid`, { errors: validate.errors })
  }
})

t.test('codes are unique across all files', async t => {
  const seen = new Set<string>()
  const dups = all.map(i => i.code).filter(c => (seen.has(c) ? true : (seen.add(c), false)))
  t.same(dups, [], 'no duplicate codes')
  t.equal(byCode.size, all.length)
})

t.test('code prefix, domain and source table match the file', async t => {
  for (const d of DOMAINS) {
    for (const i of catalogue.get(d)!) {
      t.ok(i.code.startsWith(`${d}.`), `${i.code} starts with ${d}.`)
      t.equal(i.domain, d, `${i.code} domain is ${d}`)
      t.equal(i.source_table, SOURCE_TABLE[d], `${i.code} comes from ${SOURCE_TABLE[d]}`)
      t.ok(i.standards.length > 0, `${i.code} cites standards`)
    }
  }
})

t.test('every unit is a valid UCUM code', async t => {
  for (const i of all) {
    const r = u.validateUnitString(i.unit)
    t.equal(r.status, 'valid', `${i.code}: ${i.unit} is valid UCUM`, { msg: r.msg })
  }
})

t.test('events and media are dimensionless `1`', async t => {
  for (const i of all.filter(i => i.value_type !== 'number')) {
    t.equal(i.unit, '1', `${i.code} unit is 1`)
    t.notOk(i.range, `${i.code} has no range`)
  }
})

t.test('ranges are ordered', async t => {
  for (const i of all.filter(i => i.range)) {
    t.type(i.range!.min, 'number', `${i.code} range.min`)
    t.type(i.range!.max, 'number', `${i.code} range.max`)
    t.ok(i.range!.min! <= i.range!.max!, `${i.code}: ${i.range!.min} <= ${i.range!.max}`)
  }
})

t.test('per-domain counts match the seed tables', async t => {
  for (const d of DOMAINS) {
    t.equal(catalogue.get(d)!.length, EXPECTED_COUNT[d], `${d}: ${EXPECTED_COUNT[d]} rows`)
  }
})

t.test('standards from each table note', async t => {
  t.ok(get('gas.pipe_pressure').standards.includes('GB 50028'))
  t.ok(get('gas.pipe_pressure').standards.includes('CJJ/T 146'))
  t.ok(get('water.pipe_pressure').standards.includes('CJJ 159'))
  t.ok(get('drainage.rainfall').standards.includes('HJ 212'))
  t.ok(get('heating.pipe_flow').standards.includes('CJJ 88'))
  t.ok(get('bridge.inclination').standards.includes('GB 50992'))
  t.ok(get('bridge.inclination').standards.includes('JT/T 1037'))
  // Normalised spacing: `<prefix> <number>`, e.g. GB 50028, CJJ/T 146, DB32/T 3562, T/CECS 529.
  for (const s of new Set(all.flatMap(i => i.standards))) {
    t.match(s, /^[A-Z]+\d*(\/[A-Z]+)? \d+(\.\d+)?$/, `"${s}" spacing normalised`)
  }
})

t.test('spot checks against the seed', async t => {
  const p = get('water.pipe_pressure')
  t.equal(p.unit, 'MPa')
  t.same(p.range, { min: 0, max: 2.5 })

  const hf = get('water.hydrant_flow')
  t.equal(hf.unit, 'm3/h')
  t.same(hf.range, { min: 1.8, max: 180 }, '0.5~50 L/s = 1.8~180 m3/h')

  t.same(get('water.hydrant_pressure').range, { min: 0, max: 1.6 })
  t.same(get('water.pipe_flow_velocity').range, { min: 0.02, max: 5 })
  t.equal(get('water.pipe_flow_velocity').unit, 'm/s')

  const hp = get('heating.pipe_flow')
  t.equal(hp.unit, 'm3/h')
  t.same(hp.range, { min: 0, max: 1000 })

  const inc = get('bridge.inclination')
  t.equal(inc.unit, 'deg')
  t.equal(inc.resolution, 0.0001)

  t.same(get('bridge.impact_acceleration').range, { min: -196.133, max: 196.133 }, '±20 g')
  t.same(get('bridge.seismic_acceleration').range, { min: -19.6133, max: 19.6133 }, '±2 g')
  t.equal(get('bridge.static_strain').unit, '10*-6')
  t.equal(get('bridge.static_strain').resolution, 0.1)

  const scan = get('gas.station_scan_concentration')
  t.equal(scan.unit, '[ppm].m')
  t.same(scan.range, { min: 0, max: 50000 })
  t.equal(scan.lel_percent_vol, undefined, 'path-integrated scan has no LEL')

  t.equal(get('gas.construction_video').value_type, 'event')
  t.equal(get('drainage.flood_video').value_type, 'media')
  t.equal(get('bridge.video').value_type, 'media')
})

t.test('point-type combustible gas concentrations carry lel_percent_vol 5', async t => {
  const conc = all.filter(i => i.unit === '%{vol}')
  t.same(
    conc.map(i => i.code).sort(),
    ['drainage.well_gas_concentration', 'gas.restaurant_concentration', 'gas.underground_space_concentration'],
  )
  for (const i of conc) t.equal(i.lel_percent_vol, 5, `${i.code} LEL 5 %VOL (methane)`)
  t.equal(get('gas.restaurant_concentration').resolution, 0.1)
})

// Device profiles: the built-in ones load and apply their defaults; bad maps are typed errors naming the point.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinProfileNames, loadProfile, resolvePoints } from '../profile.ts';
import { loadCatalogue } from '../../../hub/registry/catalogue.ts';

t.test('built-in profiles', async (t) => {
  const names = builtinProfileNames();
  t.ok(names.length >= 3, names.join(', '));
  const indicators = new Set(loadCatalogue().map((i) => i.code));
  for (const n of names) {
    const p = loadProfile(n);
    t.equal(p.id, n);
    for (const pt of p.points) if (pt.indicator) t.ok(indicators.has(pt.indicator), `${n}/${pt.name}: indicator ${pt.indicator} is in the catalogue`);
  }
  const fm = loadProfile('electromagnetic_flow_meter');
  t.equal(fm.points.find((p) => p.name === 'flow_rate')!.function, 'input_registers', 'profile defaults apply');
  t.equal(fm.points.find((p) => p.name === 'empty_pipe')!.function, 'discrete_inputs', 'a point may override them');
  t.equal(loadProfile('water_pressure_transmitter').points[0]!.order, 'CDAB');
  t.equal(loadProfile('heating_rtu').points[0]!.order, 'ABCD');
});

t.test('device points extend and override the profile', async (t) => {
  const pts = resolvePoints({ profile: 'water_pressure_transmitter', points: [{ name: 'pressure', address: 50, type: 'int16', unit: 'kPa' } as never, { name: 'extra', address: 60, type: 'uint16' } as never] }, '/d/0');
  t.match(pts.find((p) => p.name === 'pressure'), { address: 50, type: 'int16', function: 'holding_registers', order: 'ABCD' });
  t.ok(pts.find((p) => p.name === 'extra'));
  t.throws(() => resolvePoints({}, '/d/1'), { code: 'MODBUS_PROFILE_INVALID' });
  t.throws(() => resolvePoints({ profile: 'no_such_model' }, '/d/2'), { code: 'MODBUS_PROFILE_INVALID', message: /no device profile "no_such_model"/ });
});

t.test('invalid maps name the file and point', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-mbprof-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: Array<[string, string, RegExp]> = [
    ['dup', 'points: [{ name: a, address: 0, type: int16 }, { name: a, address: 1, type: int16 }]', /point name used twice/],
    ['boolreg', 'points: [{ name: a, address: 0, type: bool }]', /type bool is for coils/],
    ['bitcoil', 'points: [{ name: a, function: coils, address: 0, type: int16 }]', /use type bool/],
    ['nobit', 'points: [{ name: a, address: 0, type: bit }]', /needs `bit`/],
    ['nolen', 'points: [{ name: a, address: 0, type: string }]', /needs `length`/],
    ['roinput', 'points: [{ name: a, function: input_registers, address: 0, type: int16, writable: true }]', /read-only/],
    ['badtype', 'points: [{ name: a, address: 0, type: int24 }]', /points\/0\/type/],
    ['badaddr', 'points: [{ name: a, address: 70000, type: int16 }]', /points\/0\/address/],
    ['typo', 'points: [{ name: a, adress: 0, type: int16 }]', /points\/0/],
  ];
  for (const [id, body, msg] of cases) {
    writeFileSync(join(dir, `${id}.yaml`), `id: ${id}\n${body}\n`);
    t.throws(() => loadProfile(id, dir), { code: 'MODBUS_PROFILE_INVALID', message: msg }, id);
  }
  writeFileSync(join(dir, 'wrongid.yaml'), 'id: other\npoints: [{ name: a, address: 0, type: int16 }]\n');
  t.throws(() => loadProfile('wrongid', dir), { message: /does not match the file name/ });
  writeFileSync(join(dir, 'water_pressure_transmitter.yaml'), 'id: water_pressure_transmitter\npoints: [{ name: mine, address: 7, type: uint16 }]\n');
  t.equal(loadProfile('water_pressure_transmitter', dir).points[0]!.name, 'mine', 'profiles_dir is searched before the built-in folder');
});

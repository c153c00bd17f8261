// The XLSX report opens in LibreOffice (Debian's libreoffice-calc) with its Chinese headers and percent formats
// intact: the workbook the API sends is converted headless to CSV (UTF-8) and the text is checked. docs/reports.md.
import t from 'tap';
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeReportXlsx } from '../hub/reports/xlsx.ts';
import type { ReportRow } from '../hub/reports/compute.ts';
import { catalogueByCode } from '../hub/registry/catalogue.ts';
import { needService } from './helpers/services.ts';

const run = promisify(execFile);
const office = ['/usr/bin/libreoffice', '/usr/bin/soffice'].find((p) => existsSync(p));
if (needService(t, 'LibreOffice (apt-get install libreoffice-calc)', office !== undefined)) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-report-lo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = { domain: 'water', site: null, site_name: null, point: null, indicator: null, expected: 96, received: 90, valid: 90, flagged: 0, on_time: 80, hours_expected: 24, hours_online: 23, quarantined: 1, alarms: 1, alarms_by_level: { 1: 0, 2: 1, 3: 0, 4: 0 }, mean_ack_s: 1800, mean_resolve_s: 7200, completeness: 0.9375, online: 23 / 24, timeliness: 0.8, validity: 1, points: 1 };
  const rows: ReportRow[] = [
    { ...base, group: 'enterprise', enterprise: '甲水务', domain: null },
    { ...base, group: 'site', enterprise: '甲水务', site: 'RA-S1', site_name: '甲供水一号站' },
    { ...base, group: 'point', enterprise: '甲水务', site: 'RA-S1', site_name: '甲供水一号站', point: 'RA-P1', indicator: 'water.pipe_pressure' },
  ];
  const file = join(dir, 'report.xlsx');
  const out = createWriteStream(file);
  await writeReportXlsx(out, rows, { title: '城市生命线数据质量日报 2026-11-25（Asia/Shanghai）', groups: ['enterprise', 'site', 'point'] }, {
    levels: [1, 2, 3, 4].map((level) => ({ level, name: `${'一二三四'[level - 1]}级` })), catalogue: catalogueByCode(),
  });
  if (!out.writableFinished) await once(out, 'finish');

  t.test('LibreOffice converts it, Chinese headers and percents intact', async (t) => {
    // A profile of its own: another LibreOffice running on the machine would otherwise take the conversion over.
    await run(office!, [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76', '--outdir', dir, file], { timeout: 120_000 });
    const csv = readFileSync(join(dir, 'report.csv'), 'utf8');
    const [title, header, first] = csv.split(/\r?\n/);
    t.match(title, /城市生命线数据质量日报 2026-11-25（Asia\/Shanghai） · 按企业/, 'the title row');
    t.same(header!.split(',').slice(0, 6), ['所属企业', '测点数', '数据完整率', '在线率', '及时率', '有效率'], 'the first sheet (按企业): Chinese headers');
    t.match(header, /二级报警,三级报警,四级报警,平均接警时长\(分钟\),平均处置时长\(分钟\)/);
    t.same(first!.split(',').slice(0, 6), ['甲水务', '1', '93.75%', '95.83%', '80.00%', '100.00%'], 'rates shown with their percent format');
    t.match(first, /,30\.0,120\.0$/, 'handling times in minutes');
  });
}

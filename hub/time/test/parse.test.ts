import t from 'tap';
import { parseTime, zoneOffsetMs, isValidZone } from '../parse.ts';

t.equal(parseTime('2026-11-25T10:00:00+08:00', 'UTC'), Date.UTC(2026, 10, 25, 2), 'offset wins over zone');
t.equal(parseTime('2026-11-25T02:00:00Z', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2));
t.equal(parseTime('2026-11-25T10:00:00+0800', 'UTC'), Date.UTC(2026, 10, 25, 2), 'basic-format offset');
t.equal(parseTime('2026-11-25 10:00:00', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2), 'wall time in Shanghai');
t.equal(parseTime('2026-11-25T10:00:00.250', 'Asia/Shanghai'), Date.UTC(2026, 10, 25, 2, 0, 0, 250));
t.equal(parseTime('2026-07-01 12:00', 'Europe/Berlin'), Date.UTC(2026, 6, 1, 10), 'summer time');
t.equal(parseTime('2026-01-01 12:00', 'Europe/Berlin'), Date.UTC(2026, 0, 1, 11), 'winter time');
t.equal(parseTime(1764036000000, 'Asia/Shanghai'), 1764036000000, 'epoch ms');
for (const bad of ['2026-13-01T00:00:00', '2026-02-30T10:00:00', '2026-02-29T10:00:00+08:00', '2026-04-31 00:00', 'yesterday', '2026-11-25T25:00:00', '20261125100000', '']) t.ok(Number.isNaN(parseTime(bad, 'UTC')), `"${bad}" is invalid`);
t.ok(Number.isNaN(parseTime(Number.POSITIVE_INFINITY, 'UTC')));
t.equal(zoneOffsetMs('Asia/Shanghai', Date.now()), 8 * 3600_000);
t.ok(isValidZone('Asia/Shanghai'));
t.notOk(isValidZone('Mars/Olympus'));
t.equal(parseTime('2028-02-29T10:00:00+08:00', 'UTC'), Date.UTC(2028, 1, 29, 2), 'leap day exists in 2028');

// A city-sized registry for the console's Devices page, and the page measures taken in the page's own clock. Shared by
// test/console-pages.test.ts (behaviour, with the figures as comments) and bench/console.ts (the 1 s target).
import type { Page } from 'playwright-core';
import type { Hub } from '../../hub/hub.ts';

const pad = (i: number) => String(i).padStart(5, '0');

/**
 * `n` devices on 100 water sites, one pressure point each (`DV-00000-P` …), written straight into the registry tables and
 * the registry reloaded, as after an edit: three statements, about a second (through a config file it takes several).
 */
export async function seedFleetRegistry(hub: Hub, n: number): Promise<void> {
  const sites = Array.from({ length: 100 }, (_v, s) => ({ code: `ST-${String(s).padStart(3, '0')}`, name: `测试站点 ${s}`, domain: 'water', enterprise: '示范市自来水有限公司' }));
  const devices = Array.from({ length: n }, (_v, i) => ({ code: `DV-${pad(i)}`, site: sites[i % 100]!.code, name: '压力变送器' }));
  const points = devices.map((d) => ({ code: `${d.code}-P`, device: d.code, indicator: 'water.pipe_pressure', field: 'p' }));
  await hub.db.query(`INSERT INTO site (code, doc) SELECT e->>'code', e FROM jsonb_array_elements($1::jsonb) AS e`, [JSON.stringify(sites)]);
  await hub.db.query(`INSERT INTO device (code, site_id, doc) SELECT e->>'code', s.id, e FROM jsonb_array_elements($1::jsonb) AS e
    JOIN site s ON s.code = e->>'site'`, [JSON.stringify(devices)]);
  await hub.db.query(`INSERT INTO point (code, device_id, indicator, doc) SELECT e->>'code', d.id, e->>'indicator', e
    FROM jsonb_array_elements($1::jsonb) AS e JOIN device d ON d.code = e->>'device'`, [JSON.stringify(points)]);
  await hub.registry.reload();
}

/**
 * The latest readings of the fleet, by device index: …0 last heard 3 h ago (offline), …1 never, …2 a fault flag (D),
 * …3 30 min ago (late), the rest 5 s ago. Records for POST /v1/observations: 9 of every 10 devices.
 */
export function fleetReadings(n: number, now: number): object[] {
  const out: object[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    if (k === 1) continue;
    const age = k === 0 ? 3 * 3600_000 : k === 3 ? 1800_000 : 5000;
    out.push({ point: `DV-${pad(i)}-P`, time: new Date(now - age).toISOString(), value: 0.2 + (i % 50) / 100, ...(k === 2 ? { flag: 'D' } : {}) });
  }
  return out;
}

/** From the click on 设备 (Devices): to interactive, to complete; `clicked`: the page's clock at the click. */
export interface DevicesOpen { interactive: number; complete: number; clicked: number }

/**
 * Open the Devices page from the navigation and time, in the page's own clock (nothing of the test driver counted): to
 * interactive (the rows in view drawn with values, the list scrolled to its end and its last device, `lastDevice`,
 * drawn) and to complete (every device's status counted). Leaves the list scrolled to the top.
 */
export async function openDevicesTimed(page: Page, lastDevice: string): Promise<DevicesOpen> {
  return await page.evaluate(`(async () => {
    const t0 = performance.now();
    const until = (f) => new Promise((ok, fail) => { const tick = () => { const v = f(); if (v) ok(v); else if (performance.now() - t0 > 30000) fail(new Error('timeout')); else requestAnimationFrame(tick); }; tick(); });
    document.querySelector('a[data-nav=devices]').click();
    const list = await until(() => document.querySelector('[data-testid=device-list]'));
    await until(() => [...list.querySelectorAll('.drow[data-status=online] .chip b')].some((b) => b.textContent !== '—'));
    list.scrollTop = list.scrollHeight;
    await until(() => list.querySelector('[data-device="${lastDevice}"]'));
    const interactive = performance.now() - t0;
    await until(() => document.querySelector('[data-testid=devices-page][data-complete=true]'));
    list.scrollTop = 0;
    return { interactive, complete: performance.now() - t0, clicked: Math.round(t0) };
  })()`) as DevicesOpen;
}

/**
 * Jump the device list to 20 places (devices `DV-…` from row 2 on) and time each jump until its top row is drawn: the
 * sorted times and how many rows the DOM holds (a virtualised list keeps only about a screenful).
 */
export async function scrollJumpsTimed(page: Page): Promise<{ frames: number[]; rows: number }> {
  return await page.evaluate(`(async () => {
    const list = document.querySelector('[data-testid=device-list]');
    const out = [];
    for (let i = 0; i < 20; i++) {
      const index = 2 + ((i * 7919) % 9970);
      const code = 'DV-' + String(index - 2).padStart(5, '0');
      const t0 = performance.now();
      list.scrollTop = index * 46;
      await new Promise((ok) => { const tick = () => (list.querySelector('[data-device="' + code + '"]') ? ok() : requestAnimationFrame(tick)); tick(); });
      out.push(performance.now() - t0);
    }
    return { frames: out.sort((a, b) => a - b), rows: list.querySelectorAll('.drow').length };
  })()`) as { frames: number[]; rows: number };
}

/** The registry and latest-value fetches the page made, with start, duration and size: a line for a test's comment. */
export async function devicesFetches(page: Page): Promise<string> {
  return await page.evaluate(`performance.getEntriesByType('resource').filter((e) => /\\/v1\\/(sites|devices|points|indicators|observations\\/latest)/.test(e.name))
    .map((e) => decodeURIComponent(new URL(e.name).pathname + new URL(e.name).search).slice(0, 40) + ' ' + Math.round(e.startTime) + '+' + Math.round(e.duration) + 'ms ' + Math.round(e.transferSize / 1024) + 'KB').join(', ')`) as string;
}

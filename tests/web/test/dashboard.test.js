// The dashboard in headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium): it renders its charts without a console error, its
// cards equal /trends/weekly, a filter changes the URL and the data (and the
// back button undoes it), it fits a 390 px phone, and it refreshes itself
// when the sheet changes. Saves build/artifacts/dashboard.png (+ phone) and
// build/artifacts/dashboard-metrics.json (transfer size, time to render).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ADMIN_TOKEN, DEMO_CSV, ROOT, startStack, waitIdle } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'build/artifacts');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const METRICS = ['opened', 'resolved', 'open_at_end', 'overdue_at_end', 'mean_days_to_resolve'];

let stack, browser;
const problems = []; /* console errors and page errors, from every page */

function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('requestfailed', (r) => problems.push('requestfailed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
  return page;
}

async function api(p) {
  const r = await fetch(stack.url + p);
  assert.equal(r.status, 200, p);
  return r.json();
}

async function cards(page) {
  return page.$$eval('[data-metric]', (els) => Object.fromEntries(els.map((e) => [e.dataset.metric, e.querySelector('[data-value]').dataset.raw])));
}

function expected(weeks) {
  const last = weeks.at(-1);
  return Object.fromEntries(METRICS.map((m) => [m, last[m] === null ? '' : String(last[m])]));
}

/* Waits until the page finished the load after `n` (body[data-ready] counts loads). */
async function waitReady(page, n) {
  await page.waitForFunction((k) => Number(document.body.dataset.ready || 0) > k && !document.body.hasAttribute('aria-busy'), n, { timeout: 20000 });
  return page.evaluate(() => Number(document.body.dataset.ready));
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), CHROMIUM + ' is missing: apt-get install chromium');
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});
after(async () => {
  if (browser) await browser.close();
  if (stack) await stack.stop();
});

describe('the dashboard', () => {
  test('renders charts and cards equal to /trends/weekly; first render measured', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = watch(await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0, requests = 0;
    const byUrl = {};
    const urls = new Map();
    cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
    cdp.on('Network.loadingFinished', (e) => {
      bytes += e.encodedDataLength;
      requests++;
      const full = urls.get(e.requestId) || '';
      if (!full.startsWith('http')) return; /* data: URLs cost no transfer */
      const u = new URL(full).pathname;
      byUrl[u] = (byUrl[u] || 0) + e.encodedDataLength;
    });
    const t0 = Date.now();
    await page.goto(stack.url + '/', { waitUntil: 'load' });
    await waitReady(page, 0);
    const wall = Date.now() - t0;
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const mark = performance.getEntriesByName('sheetsync-rendered')[0];
      return {
        first_contentful_paint_ms: fcp ? Math.round(fcp.startTime) : null,
        dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
        data_rendered_ms: mark ? Math.round(mark.startTime) : null,
      };
    });
    const report = { transfer_bytes: bytes, requests, bytes_by_path: byUrl, ...timing, wall_clock_to_ready_ms: wall };
    writeFileSync(path.join(ARTIFACTS, 'dashboard-metrics.json'), JSON.stringify(report, null, 2) + '\n');
    console.log('dashboard: ' + JSON.stringify(report));

    /* Charts drawn: Chart.js owns each canvas and it has pixels. */
    const charts = await page.evaluate(() => ['chart-flow', 'chart-backlog', 'chart-priority'].map((id) => {
      const c = document.getElementById(id);
      const chart = window.Chart && window.Chart.getChart(c);
      return { id, drawn: Boolean(chart), points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0, w: c.width, h: c.height };
    }));
    for (const c of charts) {
      assert.ok(c.drawn && c.points > 0 && c.w > 100 && c.h > 100, JSON.stringify(c));
    }
    assert.equal(await page.isHidden('#charts-missing'), true);

    const trends = await api('/trends/weekly');
    assert.deepEqual(await cards(page), expected(trends.weeks));
    const opened = trends.weeks.at(-1);
    const deltaText = await page.textContent('[data-metric="opened"] [data-delta]');
    assert.match(deltaText, new RegExp('(up|down) ' + Math.abs(opened.opened_wow_delta)));
    assert.match(await page.getAttribute('[data-metric="opened"] [data-delta]', 'class'), opened.opened_wow_delta > 0 ? /bad/ : /good|flat/);

    /* Freshness from /readyz and /syncs. */
    assert.match(await page.textContent('#freshness'), /Last synced (just now|\d+ min ago)/);
    /* The data problems name their cells. */
    const cells = await page.$$eval('#quality tbody td:first-child code', (els) => els.map((e) => e.textContent));
    const quality = await api('/quality?limit=25');
    assert.deepEqual(cells, quality.items.map((q) => q.cell || 'row ' + q.row));
    /* The worst vehicles first. */
    const vehicles = await api('/vehicles');
    const maxOpen = Math.max(...vehicles.items.map((v) => v.open));
    const firstOpen = await page.textContent('#vehicles tbody tr:first-child td[data-label="Open now"]');
    assert.equal(Number(firstOpen), maxOpen);

    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('filters change the URL and the data; back goes back; links reproduce the view', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage());
    await page.goto(stack.url + '/');
    let n = await waitReady(page, 0);

    await page.selectOption('#f-priority', 'high');
    n = await waitReady(page, n);
    assert.match(page.url(), /\?priority=high$/);
    const high = await api('/trends/weekly?group_by=priority&group=high');
    assert.deepEqual(await cards(page), expected(high.weeks));

    const vehicles = await api('/vehicles');
    const busiest = vehicles.items.reduce((a, b) => (b.total > a.total ? b : a));
    await page.selectOption('#f-vehicle', busiest.vehicle_key);
    n = await waitReady(page, n);
    assert.match(page.url(), new RegExp('\\?vehicle=' + busiest.vehicle_key + '$'), 'the priority filter is cleared');
    const one = await api('/trends/weekly?group_by=vehicle&group=' + busiest.vehicle_key);
    assert.deepEqual(await cards(page), expected(one.weeks));
    assert.notDeepEqual(expected(one.weeks), expected(high.weeks));

    await page.fill('#f-from', '2024-06-05');
    await page.dispatchEvent('#f-from', 'change');
    n = await waitReady(page, n);
    assert.match(page.url(), /from=2024-06-05/);
    const ranged = await api('/trends/weekly?group_by=vehicle&group=' + busiest.vehicle_key + '&from=2024-06-05');
    assert.equal(ranged.weeks[0].week_start, '2024-06-03');
    const points = await page.evaluate(() => window.Chart.getChart(document.getElementById('chart-flow')).data.labels.length);
    assert.equal(points, ranged.weeks.length);

    await page.goBack();
    n = await waitReady(page, n);
    assert.match(page.url(), new RegExp('\\?vehicle=' + busiest.vehicle_key + '$'));
    await page.goBack();
    n = await waitReady(page, n);
    assert.match(page.url(), /\?priority=high$/);
    assert.equal(await page.inputValue('#f-priority'), 'high');
    assert.deepEqual(await cards(page), expected(high.weeks));

    /* A link reproduces the view. */
    const fresh = watch(await context.newPage());
    await fresh.goto(stack.url + '/?priority=high');
    await waitReady(fresh, 0);
    assert.deepEqual(await cards(fresh), expected(high.weeks));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('fits a 390 px phone without horizontal scrolling', async () => {
    /* A phone (overlay scrollbars), and a 390 px desktop window whose
     * scrollbar takes width once the page is long. */
    for (const opts of [{ deviceScaleFactor: 2, isMobile: true, hasTouch: true }, {}]) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, ...opts });
      const page = watch(await context.newPage());
      await page.goto(stack.url + '/');
      await waitReady(page, 0);
      await page.waitForTimeout(300); /* Chart.js resizes on a ResizeObserver callback */
      const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(widths.scroll <= widths.client, JSON.stringify({ ...widths, ...opts }));
      if (opts.isMobile) await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
      await context.close();
    }
    assert.deepEqual(problems, []);
  });

  test('accessible basics: labelled controls, table headers, one h1, lang', async () => {
    const context = await browser.newContext();
    const page = watch(await context.newPage());
    await page.goto(stack.url + '/');
    await waitReady(page, 0);
    const a11y = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      h1: document.querySelectorAll('h1').length,
      unlabelled: Array.from(document.querySelectorAll('input, select')).filter((e) => !(e.labels && e.labels.length)).map((e) => e.id),
      tablesWithoutHeaders: Array.from(document.querySelectorAll('table')).filter((t) => !t.querySelector('thead th[scope="col"]')).length,
      canvasesWithoutLabel: Array.from(document.querySelectorAll('canvas')).filter((c) => !c.getAttribute('aria-label')).length,
    }));
    assert.deepEqual(a11y, { lang: 'en', h1: 1, unlabelled: [], tablesWithoutHeaders: 0, canvasesWithoutLabel: 0 });
    await context.close();
  });

  test('refreshes itself when the sheet changes (ETag poll)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage());
    await page.goto(stack.url + '/');
    const n = await waitReady(page, 0);
    const before = await cards(page);
    const trends = await api('/trends/weekly');
    const last = trends.weeks.at(-1);

    /* The partner adds a row in the last week: the emulator's sheet gets it,
     * an admin sync pulls it (as a webhook would). */
    const csv = readFileSync(DEMO_CSV, 'utf8').replace(/\n*$/, '\n');
    const added = csv + `${90000},Truck 99,New test issue,,High,Open,${last.week_start},Tester,,,,,\n`;
    const load = await fetch(stack.emuUrl + '/_emulator/load?sheet=Issues', { method: 'POST', body: added, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(load.status, 200, await load.text());
    const prevRun = (await api('/syncs?limit=1')).items[0];
    const lastRun = prevRun.id;
    const r = await fetch(stack.url + '/syncs', { method: 'POST', headers: { Authorization: 'Bearer ' + ADMIN_TOKEN } });
    assert.equal(r.status, 202);
    const run = await waitIdle(stack, lastRun + 1);
    assert.equal(run.status, 'ok', run.error);
    assert.equal(run.rows_fetched, prevRun.rows_fetched + 1);

    await waitReady(page, n); /* the poll saw a new ETag and reloaded */
    const afterCards = await cards(page);
    assert.equal(Number(afterCards.opened), Number(before.opened) + 1);
    assert.equal(Number(afterCards.open_at_end), Number(before.open_at_end) + 1);
    assert.deepEqual(afterCards, expected((await api('/trends/weekly')).weeks));
    assert.deepEqual(problems, []);
    await context.close();
  });
});

'use strict';
// The sheetsync menu: Sync now and Check setup.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createHarness, setUpHarness, verifyToken, SECRET, SERVICE_URL } = require('./harness');

test('onOpen adds the sheetsync menu with Sync now and Check setup', () => {
  const h = createHarness();
  h.gs.onOpen({ authMode: h.gs.ScriptApp.AuthMode.LIMITED });
  assert.equal(h.menus.length, 1);
  assert.equal(h.menus[0].caption, 'sheetsync');
  assert.deepEqual(h.menus[0].items, [
    { label: 'Sync now', fn: 'syncNow' },
    { label: 'Check setup', fn: 'checkSetup' },
  ]);
  for (const item of h.menus[0].items) assert.equal(typeof h.gs[item.fn], 'function');
});

test('onOpen without a UI does not throw', () => {
  const h = createHarness({ uiAvailable: false });
  h.gs.onOpen();
  assert.equal(h.menus.length, 0);
});

test('Sync now sends a change notification with change_type OTHER and reports success', async () => {
  const h = setUpHarness();
  const result = h.gs.syncNow();
  assert.equal(result.ok, true);
  assert.equal(h.requests.length, 1);
  const { payload } = await verifyToken(h.requests[0].payload);
  assert.equal(payload.event, 'change');
  assert.equal(payload.change_type, 'OTHER');
  assert.equal(payload.sheet, 'Issues');
  assert.equal(h.alerts.length, 1);
  assert.match(h.alerts[0].prompt, /accepted .*HTTP 202.*whole tab "Issues"/);
});

test('Sync now reports a refusal (wrong secret → 401) in the alert', () => {
  const h = setUpHarness();
  h.answers({ status: 401, body: JSON.stringify({ title: 'Unauthorized', detail: 'bad signature', status: 401 }) });
  const result = h.gs.syncNow();
  assert.equal(result.ok, false);
  assert.match(h.alerts[0].prompt, /did not accept .*HTTP 401: Unauthorized — bad signature/);
  assert.equal(h.visibleText().includes(SECRET), false);
});

test('Sync now before setup says so and sends nothing', () => {
  const h = createHarness();
  const result = h.gs.syncNow();
  assert.equal(result.ok, false);
  assert.equal(h.requests.length, 0);
  assert.match(h.alerts[0].prompt, /not set up/);
});

test('Check setup after setup: settings, both triggers, /healthz answered', () => {
  const h = setUpHarness();
  h.respond((req) => (req.url.endsWith('/healthz') ? { status: 200, body: '{"status":"ok"}' } : undefined));
  const report = h.gs.checkSetup();
  assert.equal(report.ok, true, report.text);
  assert.equal(h.requests.length, 1);
  assert.equal(h.requests[0].url, `${SERVICE_URL}/healthz`);
  assert.equal(h.requests[0].method, 'get');
  assert.match(report.text, new RegExp(`Spreadsheet id: ${h.spreadsheet.getId()}`));
  assert.match(report.text, /WEBHOOK_SECRET: set \(39 bytes\)/);
  assert.match(report.text, /Edit trigger \(onSheetEdit\): installed/);
  assert.match(report.text, /Change trigger \(onSheetChange\): installed/);
  assert.match(report.text, /healthz: HTTP 200 \{"status":"ok"\}/);
  assert.equal(h.alerts.length, 1);
  assert.equal(h.alerts[0].prompt, report.text);
  assert.equal(h.visibleText().includes(SECRET), false);
});

test('Check setup before setup lists what is missing', () => {
  const h = createHarness();
  const report = h.gs.checkSetup();
  assert.equal(report.ok, false);
  assert.match(report.text, /SERVICE_URL: MISSING/);
  assert.match(report.text, /WEBHOOK_SECRET: MISSING/);
  assert.match(report.text, /Edit trigger \(onSheetEdit\): MISSING/);
  assert.equal(h.requests.length, 0);
});

test('Check setup reports an unreachable service, a renamed tab and a missing trigger', () => {
  const h = setUpHarness();
  h.gs.ScriptApp.deleteTrigger(h.gs.ScriptApp.getProjectTriggers()[1]);
  h.scriptProperties.WATCHED_SHEET = 'Old name';
  h.respond(() => ({ throw: 'Exception: DNS error: https://sheetsync.example.com/healthz' }));
  const report = h.gs.checkSetup();
  assert.equal(report.ok, false);
  assert.match(report.text, /healthz: no answer \(Exception: DNS error/);
  assert.match(report.text, /"Old name" — NO SUCH TAB/);
  assert.match(report.text, /Change trigger \(onSheetChange\): MISSING/);
});

test('Check setup run from the editor (no UI) writes its report to the log', () => {
  const h = setUpHarness({ uiAvailable: false });
  const report = h.gs.checkSetup();
  assert.equal(h.alerts.length, 0);
  assert.ok(h.logText().includes(report.lines[0]));
});

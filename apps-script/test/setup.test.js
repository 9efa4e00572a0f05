'use strict';
// setup() and teardown(): Script Properties, one edit and one change trigger, no duplicates.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createHarness, SECRET, SERVICE_URL } = require('./harness');

const OPTIONS = { SERVICE_URL, WEBHOOK_SECRET: SECRET, AUDIENCE: 'sheetsync', WATCHED_SHEET: 'Issues' };

function ours(h) {
  return h.triggers().filter((t) => t.handler === 'onSheetEdit' || t.handler === 'onSheetChange')
    .map((t) => `${t.handler}:${t.type}:${t.sourceId}`).sort();
}

test('setup stores the settings and installs one edit and one change trigger', () => {
  const h = createHarness();
  const summary = h.gs.setup(OPTIONS);
  assert.deepEqual(h.scriptProperties, {
    SERVICE_URL, WEBHOOK_SECRET: SECRET, AUDIENCE: 'sheetsync', WATCHED_SHEET: 'Issues',
  });
  const id = h.spreadsheet.getId();
  assert.deepEqual(ours(h), [`onSheetChange:ON_CHANGE:${id}`, `onSheetEdit:ON_EDIT:${id}`]);
  assert.equal(summary.triggersCreated, 2);
  assert.equal(summary.spreadsheetId, id);
  assert.equal(summary.watchedSheet, 'Issues');
  // The handlers exist as top-level functions of Code.gs.
  assert.equal(typeof h.gs.onSheetEdit, 'function');
  assert.equal(typeof h.gs.onSheetChange, 'function');
});

test('setup twice leaves exactly 2 triggers', () => {
  const h = createHarness();
  h.gs.setup(OPTIONS);
  const second = h.gs.setup(OPTIONS);
  assert.equal(second.triggersCreated, 0);
  assert.equal(h.triggers().length, 2);
  h.gs.setup();
  assert.equal(h.triggers().length, 2);
});

test('setup removes duplicates and keeps triggers it does not own', () => {
  const h = createHarness();
  const ss = h.spreadsheet;
  const { ScriptApp } = h.gs;
  for (let i = 0; i < 3; i++) ScriptApp.newTrigger('onSheetEdit').forSpreadsheet(ss).onEdit().create();
  ScriptApp.newTrigger('onSheetChange').forSpreadsheet(ss).onEdit().create(); // wrong event type
  ScriptApp.newTrigger('myOwnReport').forSpreadsheet(ss).onEdit().create();
  const summary = h.gs.setup(OPTIONS);
  assert.equal(summary.triggersRemoved, 3);
  assert.equal(summary.triggersCreated, 1);
  assert.deepEqual(ours(h), [`onSheetChange:ON_CHANGE:${ss.getId()}`, `onSheetEdit:ON_EDIT:${ss.getId()}`]);
  assert.ok(h.triggers().some((t) => t.handler === 'myOwnReport'));
  assert.equal(h.triggers().length, 3);
});

test('teardown removes the two triggers and only them', () => {
  const h = createHarness();
  h.gs.ScriptApp.newTrigger('myOwnReport').forSpreadsheet(h.spreadsheet).onChange().create();
  h.gs.setup(OPTIONS);
  assert.equal(h.gs.teardown(), 2);
  assert.deepEqual(h.triggers().map((t) => t.handler), ['myOwnReport']);
  assert.equal(h.scriptProperties.WEBHOOK_SECRET, SECRET, 'settings are kept by default');
  assert.equal(h.gs.teardown(), 0);
});

test('teardown({forgetSettings: true}) also deletes the settings', () => {
  const h = createHarness({ properties: { UNRELATED: 'x' } });
  h.gs.setup(OPTIONS);
  h.gs.teardown({ forgetSettings: true });
  assert.deepEqual(h.scriptProperties, { UNRELATED: 'x' });
  assert.equal(h.triggers().length, 0);
});

test('setup() with no argument reads the config block at the top of Code.gs', () => {
  const h = createHarness({ config: { SERVICE_URL: 'https://svc.example.org/', WEBHOOK_SECRET: SECRET, WATCHED_SHEET: 'Notes' } });
  h.gs.setup();
  assert.deepEqual(h.scriptProperties, {
    SERVICE_URL: 'https://svc.example.org', WEBHOOK_SECRET: SECRET, AUDIENCE: 'sheetsync', WATCHED_SHEET: 'Notes',
  });
});

test('setup() with an empty config block keeps the stored settings (secret cleared from the file)', () => {
  const stored = { SERVICE_URL, WEBHOOK_SECRET: SECRET, AUDIENCE: 'partner', WATCHED_SHEET: 'Issues' };
  const h = createHarness({ properties: Object.assign({}, stored) });
  h.gs.setup();
  assert.deepEqual(h.scriptProperties, stored);
  assert.equal(h.triggers().length, 2);
});

test('options win over the config block, which wins over stored properties', () => {
  const h = createHarness({
    config: { SERVICE_URL: 'https://from-config.example', AUDIENCE: 'config-aud' },
    properties: { SERVICE_URL: 'https://stored.example', WEBHOOK_SECRET: SECRET, AUDIENCE: 'stored-aud' },
  });
  h.gs.setup({ serviceUrl: 'https://from-options.example/webhooks/sheets' });
  assert.equal(h.scriptProperties.SERVICE_URL, 'https://from-options.example');
  assert.equal(h.scriptProperties.AUDIENCE, 'config-aud');
  assert.equal(h.scriptProperties.WEBHOOK_SECRET, SECRET);
});

test('a secret shorter than 32 bytes is refused and nothing is stored', () => {
  const h = createHarness();
  const short = 'x'.repeat(31);
  assert.throws(() => h.gs.setup(Object.assign({}, OPTIONS, { WEBHOOK_SECRET: short })), /at least 32/);
  assert.deepEqual(h.scriptProperties, {});
  assert.equal(h.triggers().length, 0);
  // 32 bytes is enough; so are 11 characters of 3 bytes each.
  h.gs.setup(Object.assign({}, OPTIONS, { WEBHOOK_SECRET: 'x'.repeat(32) }));
  h.gs.setup(Object.assign({}, OPTIONS, { WEBHOOK_SECRET: '€'.repeat(11) }));
  assert.equal(h.scriptProperties.WEBHOOK_SECRET, '€'.repeat(11));
  // 10 of them (30 bytes) are not.
  assert.throws(() => h.gs.setup(Object.assign({}, OPTIONS, { WEBHOOK_SECRET: '€'.repeat(10) })), /30 bytes/);
});

test('setup refuses a missing secret or URL, a bad URL, stray whitespace and an unknown tab', () => {
  const h = createHarness();
  const bad = [
    [{ WEBHOOK_SECRET: undefined }, /WEBHOOK_SECRET is missing/],
    [{ SERVICE_URL: '' }, /SERVICE_URL is missing/],
    [{ SERVICE_URL: 'ftp://example.com' }, /http\(s\) URL/],
    [{ SERVICE_URL: 'https://example.com/?x=1' }, /http\(s\) URL/],
    [{ WEBHOOK_SECRET: ` ${SECRET}` }, /whitespace/],
    [{ WEBHOOK_SECRET: 'y'.repeat(5000) }, /too long/],
    [{ WATCHED_SHEET: 'Isues' }, /"Isues" is not a tab.*"Issues", "Notes"/],
  ];
  for (const [patch, message] of bad) {
    const o = Object.assign({}, OPTIONS, patch);
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    assert.throws(() => h.gs.setup(o), message);
    assert.deepEqual(h.scriptProperties, {});
    assert.equal(h.triggers().length, 0);
  }
});

test('setup holds the script lock and releases it, also when it fails', () => {
  const h = createHarness();
  h.gs.setup(OPTIONS);
  assert.deepEqual(h.state.lockCalls.map((c) => c[0]), ['waitLock', 'releaseLock']);
  h.state.lockCalls.length = 0;
  assert.throws(() => h.gs.setup({ SERVICE_URL: '' }));
  assert.deepEqual(h.state.lockCalls.map((c) => c[0]), ['waitLock', 'releaseLock']);
});

test('setup never shows the secret: not in logs, not in its summary', () => {
  const h = createHarness();
  const summary = h.gs.setup(OPTIONS);
  assert.equal(JSON.stringify(summary).includes(SECRET), false);
  try {
    h.gs.setup(Object.assign({}, OPTIONS, { WEBHOOK_SECRET: 'short-secret' }));
  } catch (err) {
    assert.equal(err.message.includes('short-secret'), false);
  }
  assert.ok(h.logs.length > 0);
  assert.equal(h.visibleText().includes(SECRET), false);
});

test('setup warns about plain http except for localhost', () => {
  const h = createHarness();
  h.gs.setup(Object.assign({}, OPTIONS, { SERVICE_URL: 'http://127.0.0.1:8080' }));
  assert.doesNotMatch(h.logText(), /plain http/);
  h.gs.setup(Object.assign({}, OPTIONS, { SERVICE_URL: 'http://sheetsync.example.com' }));
  assert.match(h.logText(), /plain http/);
});

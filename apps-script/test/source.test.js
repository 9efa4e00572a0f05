'use strict';
// Static checks of the files pasted into Apps Script.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const acorn = require('acorn');

const root = path.join(__dirname, '..');
const code = fs.readFileSync(path.join(root, 'Code.gs'), 'utf8');

test('Code.gs is a plain ES2019 script (no modules, no newer syntax)', () => {
  assert.doesNotThrow(() => acorn.parse(code, { ecmaVersion: 2019, sourceType: 'script' }));
});

test('Code.gs defines the entry points as top-level functions', () => {
  const ast = acorn.parse(code, { ecmaVersion: 2019, sourceType: 'script' });
  const names = ast.body.filter((n) => n.type === 'FunctionDeclaration').map((n) => n.id.name);
  for (const fn of ['setup', 'teardown', 'onSheetEdit', 'onSheetChange', 'onOpen', 'syncNow', 'checkSetup']) {
    assert.ok(names.includes(fn), fn);
  }
  // A simple onEdit would run too (without UrlFetchApp rights) and double the work.
  assert.equal(names.includes('onEdit'), false);
  assert.equal(new Set(names).size, names.length, 'no function defined twice');
});

test('the config block at the top is empty: no secret is committed', () => {
  const ast = acorn.parse(code, { ecmaVersion: 2019, sourceType: 'script' });
  const decl = ast.body.find((n) => n.type === 'VariableDeclaration' && n.declarations[0].id.name === 'SHEETSYNC_CONFIG');
  assert.ok(decl);
  const props = decl.declarations[0].init.properties;
  assert.deepEqual(props.map((p) => p.key.name), ['SERVICE_URL', 'WEBHOOK_SECRET', 'AUDIENCE', 'WATCHED_SHEET']);
  for (const p of props) assert.equal(p.value.value, '', p.key.name);
});

test('appsscript.json: V8, Stackdriver logging, exactly the least-privilege scopes', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'appsscript.json'), 'utf8'));
  assert.equal(manifest.runtimeVersion, 'V8');
  assert.equal(manifest.exceptionLogging, 'STACKDRIVER');
  assert.equal(typeof manifest.timeZone, 'string');
  assert.deepEqual(manifest.oauthScopes.slice().sort(), [
    'https://www.googleapis.com/auth/script.container.ui',
    'https://www.googleapis.com/auth/script.external_request',
    'https://www.googleapis.com/auth/script.scriptapp',
    'https://www.googleapis.com/auth/spreadsheets.currentonly',
  ]);
});

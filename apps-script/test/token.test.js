'use strict';
// The notification: one signed token per edit of the watched tab (contract §6),
// checked with jose as an independent HS256 verifier.
const test = require('node:test');
const assert = require('node:assert/strict');
const { createHarness, setUpHarness, verifyToken, decodeClaims, SECRET, SERVICE_URL } = require('./harness');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('a multi-cell paste sends one notification whose token verifies with the shared secret', async () => {
  const h = setUpHarness();
  const before = Math.floor(Date.now() / 1000);
  const result = h.edit('Issues', 'B7:D9');
  const after = Math.floor(Date.now() / 1000);
  assert.equal(result.ok, true);
  assert.equal(result.status, 202);
  assert.equal(h.requests.length, 1);
  const req = h.requests[0];
  assert.equal(req.url, `${SERVICE_URL}/webhooks/sheets`);
  assert.equal(req.method, 'post');
  assert.equal(req.contentType, 'application/jwt');
  assert.equal(req.muteHttpExceptions, true);

  const { payload, protectedHeader } = await verifyToken(req.payload);
  assert.deepEqual(protectedHeader, { alg: 'HS256', typ: 'JWT' });
  assert.equal(payload.aud, 'sheetsync');
  assert.ok(Number.isInteger(payload.iat) && payload.iat >= before && payload.iat <= after);
  assert.equal(payload.exp - payload.iat, 300);
  assert.ok(payload.exp - payload.iat <= 600);
  assert.match(payload.jti, UUID);
  assert.ok(payload.jti.length <= 128);
  assert.equal(payload.spreadsheet_id, h.spreadsheet.getId());
  assert.equal(payload.sheet, 'Issues');
  assert.equal(payload.event, 'edit');
  assert.equal(payload.range, 'B7:D9');
  assert.equal('change_type' in payload, false);
  assert.deepEqual(Object.keys(payload), ['aud', 'iat', 'exp', 'jti', 'spreadsheet_id', 'sheet', 'event', 'range']);
  // The header is exactly {"alg":"HS256","typ":"JWT"}.
  assert.equal(Buffer.from(req.payload.split('.')[0], 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}');
});

test('a single-cell edit sends its cell as the range', async () => {
  const h = setUpHarness();
  h.edit('Issues', 'C12');
  h.edit('Issues', 'A1:M1'); // the header row: the service pulls the whole tab
  const [one, header] = await Promise.all(h.tokens().map((t) => verifyToken(t)));
  assert.equal(one.payload.range, 'C12');
  assert.equal(header.payload.range, 'A1:M1');
});

test('no token has "=" anywhere (base64EncodeWebSafe padding is stripped)', async () => {
  const h = setUpHarness();
  // Ranges and tab names of every length modulo 3 make every padding case occur.
  const ranges = ['A1', 'B7', 'C10', 'D100', 'A1:B2', 'AA10:AB20', 'B7:D9', 'Z999:AZ1000', 'A2:M2', 'A1000'];
  for (const r of ranges) h.edit('Issues', r);
  for (const t of ['INSERT_ROW', 'REMOVE_ROW', 'INSERT_COLUMN', 'REMOVE_COLUMN', 'INSERT_GRID', 'REMOVE_GRID', 'OTHER']) {
    h.change(t);
  }
  const tokens = h.tokens();
  assert.equal(tokens.length, ranges.length + 7);
  for (const token of tokens) {
    assert.equal(token.includes('='), false, token);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    await verifyToken(token);
  }
  // The fake really keeps padding, so the stripping is what removed it.
  assert.equal(h.gs.Utilities.base64EncodeWebSafe('ab'), 'YWI=');
});

test('every notification has its own jti', async () => {
  const h = setUpHarness();
  for (let i = 0; i < 50; i++) h.edit('Issues', `B${i + 2}`);
  const jtis = h.tokens().map((t) => decodeClaims(t).jti);
  assert.equal(new Set(jtis).size, 50);
});

test('non-ASCII tab names and secrets are signed over their UTF-8 bytes', async () => {
  const secret = 'sécret-partagé-🚚-0123456789abcdef'; // 38 bytes
  const h = setUpHarness({ sheets: ['Problèmes 🚚', 'Other'] }, { WEBHOOK_SECRET: secret, WATCHED_SHEET: 'Problèmes 🚚' });
  h.edit('Problèmes 🚚', 'B2:C3');
  const { payload } = await verifyToken(h.tokens()[0], secret);
  assert.equal(payload.sheet, 'Problèmes 🚚');
  assert.equal(payload.range, 'B2:C3');
});

test('the audience is the configured one, and jose refuses another', async () => {
  const h = setUpHarness(undefined, { AUDIENCE: 'partner-acme' });
  h.edit('Issues', 'B2');
  const token = h.tokens()[0];
  assert.equal((await verifyToken(token, SECRET, 'partner-acme')).payload.aud, 'partner-acme');
  await assert.rejects(verifyToken(token, SECRET, 'sheetsync'));
});

test('a token does not verify with another secret', async () => {
  const h = setUpHarness();
  h.edit('Issues', 'B2');
  await assert.rejects(verifyToken(h.tokens()[0], 'another-secret-0123456789-abcdefghijkl'), /signature/);
});

test('edits of other tabs send nothing', () => {
  const h = setUpHarness();
  assert.equal(h.edit('Notes', 'B7:D9'), null);
  assert.equal(h.requests.length, 0);
});

test('without WATCHED_SHEET the first tab is watched', async () => {
  const h = setUpHarness(undefined, { WATCHED_SHEET: '' });
  assert.equal(h.scriptProperties.WATCHED_SHEET, undefined);
  h.edit('Notes', 'A1');
  assert.equal(h.requests.length, 0);
  h.edit('Issues', 'A5');
  assert.equal(h.requests.length, 1);
  assert.equal((await verifyToken(h.tokens()[0])).payload.sheet, 'Issues');
});

test('structural changes send a change notification with change_type', async () => {
  const h = setUpHarness();
  const types = ['INSERT_ROW', 'REMOVE_ROW', 'INSERT_COLUMN', 'REMOVE_COLUMN', 'INSERT_GRID', 'REMOVE_GRID', 'OTHER'];
  for (const t of types) h.change(t);
  const claims = await Promise.all(h.tokens().map(async (t) => (await verifyToken(t)).payload));
  assert.deepEqual(claims.map((c) => c.change_type), types);
  for (const c of claims) {
    assert.equal(c.event, 'change');
    assert.equal(c.sheet, 'Issues');
    assert.equal('range' in c, false);
    assert.equal(c.spreadsheet_id, h.spreadsheet.getId());
  }
});

test('EDIT and FORMAT changes send nothing', () => {
  const h = setUpHarness();
  assert.equal(h.change('EDIT'), null);
  assert.equal(h.change('FORMAT'), null);
  assert.equal(h.requests.length, 0);
});

test('an unknown changeType is sent as OTHER', async () => {
  const h = setUpHarness();
  h.change('SOMETHING_NEW');
  assert.equal((await verifyToken(h.tokens()[0])).payload.change_type, 'OTHER');
});

test('before setup nothing is sent and the log says to run setup', () => {
  const h = createHarness();
  assert.equal(h.edit('Issues', 'B2'), null);
  assert.equal(h.change('INSERT_ROW'), null);
  assert.equal(h.requests.length, 0);
  assert.match(h.logText(), /run setup\(\)/);
});

test('running a handler by hand (no event) sends nothing and explains', () => {
  const h = setUpHarness();
  assert.equal(h.gs.onSheetEdit(), null);
  assert.equal(h.gs.onSheetChange(undefined), null);
  assert.equal(h.requests.length, 0);
  assert.match(h.logText(), /edit trigger/);
});

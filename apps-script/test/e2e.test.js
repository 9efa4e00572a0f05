'use strict';
// End to end: Code.gs (in the harness, with a UrlFetchApp that does real HTTP
// synchronously through curl) notifies a real `sheetsync serve`, which pulls
// from a real `sheets-emulator`; the edited value shows in GET /issues/{n}.
//
// Binaries: SHEETSYNC_BIN (default ../build/release/sheetsync) and
// SHEETS_EMULATOR_BIN (default ../build/release/sheets-emulator). Skipped,
// saying so, only when they are missing and were not named explicitly (a named
// binary that is missing fails the test); build them with
//   cmake -S .. -B ../build/release -DSHEETSYNC_TESTS=OFF && cmake --build ../build/release -j2
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { createHarness, verifyToken } = require('./harness');

const root = path.join(__dirname, '..', '..');
const SHEETSYNC_BIN = process.env.SHEETSYNC_BIN || path.join(root, 'build', 'release', 'sheetsync');
const EMULATOR_BIN = process.env.SHEETS_EMULATOR_BIN || path.join(root, 'build', 'release', 'sheets-emulator');
const missing = [SHEETSYNC_BIN, EMULATOR_BIN].filter((p) => !fs.existsSync(p));
const named = process.env.SHEETSYNC_BIN || process.env.SHEETS_EMULATOR_BIN;
const skip = missing.length && !named ? `binaries missing (${missing.join(', ')}): build them with ` +
  '`cmake -S .. -B ../build/release -DSHEETSYNC_TESTS=OFF && cmake --build ../build/release -j2` ' +
  'or set SHEETSYNC_BIN / SHEETS_EMULATOR_BIN' : false;

const SPREADSHEET_ID = 'e2e-apps-script-sheet';
const SECRET = crypto.randomBytes(24).toString('hex'); // 48 bytes
const CSV = [
  'Issue #,Vehicle,Summary,Description,Priority,Status,Reported Date,Reported By,Assigned To,Due Date,Resolved Date,Odometer,Labels',
  '101,VAN-14,Heater not working,Cold cab,High,Open,1/1/2024,Greg Johnson,Luis Ortega,1/4/2024,,155184,hvac',
  '102,Truck 28,Brake light out,Rear left,Medium,Open,1/2/2024,Angela Garcia,Dave Reynolds,1/9/2024,,153064,electrical',
  '103,Unit 3,Flat tire,Front right,Low,Open,1/3/2024,Lupe Scott,Marcus Hall,1/10/2024,,44263,tires',
  '',
].join('\n');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + (timeoutMs || 20000);
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

function startProcess(bin, args, env, logFile) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(bin, args, { env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, logFile };
}

async function stopProcess(p) {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10000);
  await p.exited;
  clearTimeout(timer);
}

// A service-account token from the emulator, to write cells as a person would.
async function emulatorToken(keyFile) {
  const key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })}.${b64({
    iss: key.client_email, scope: 'https://www.googleapis.com/auth/spreadsheets', aud: key.token_uri, iat: now, exp: now + 600,
  })}`;
  const sig = crypto.createSign('RSA-SHA256').update(input).sign(key.private_key).toString('base64url');
  const res = await fetch(key.token_uri, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `grant_type=${encodeURIComponent('urn:ietf:params:oauth:grant-type:jwt-bearer')}&assertion=${input}.${sig}`,
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token;
}

test('Code.gs → sheetsync serve → sheets-emulator: an edit shows in /issues', { skip, timeout: 120000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sheetsync-gas-e2e-'));
  let emu;
  let svc;
  t.after(async () => {
    await stopProcess(svc);
    await stopProcess(emu);
    if (process.env.KEEP_E2E_DIR) {
      console.log(`e2e files kept in ${dir}`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  const logs = () => ['emulator.log', 'serve.log'].map((f) => {
    const p = path.join(dir, f);
    return fs.existsSync(p) ? `--- ${f}\n${fs.readFileSync(p, 'utf8').slice(-4000)}` : '';
  }).join('\n');

  // 1. The emulator with a three-issue tab.
  fs.writeFileSync(path.join(dir, 'issues.csv'), CSV);
  const portFile = path.join(dir, 'emu.port');
  const keyFile = path.join(dir, 'emu-key.json');
  emu = startProcess(EMULATOR_BIN, ['--csv', path.join(dir, 'issues.csv'), '--sheet', 'Issues',
    '--spreadsheet-id', SPREADSHEET_ID, '--port', '0', '--port-file', portFile, '--key-out', keyFile],
  process.env, path.join(dir, 'emulator.log'));
  const emuPort = await waitFor('the emulator port file', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8').trim());
  const emuBase = `http://127.0.0.1:${emuPort}`;

  // 2. sheetsync serve on a free port, webhooks on.
  const env = Object.assign({}, process.env, {
    SHEETSYNC_DB: path.join(dir, 'sheetsync.db'),
    SHEETSYNC_SPREADSHEET_ID: SPREADSHEET_ID,
    SHEETSYNC_SHEET: 'Issues',
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    SHEETSYNC_SHEETS_API_URL: emuBase,
    SHEETSYNC_WEBHOOK_SECRET: SECRET,
    SHEETSYNC_PORT: '0',
    SHEETSYNC_BIND: '127.0.0.1',
    SHEETSYNC_DEBOUNCE_MS: '50',
    SHEETSYNC_RECONCILE_SECONDS: '0',
  });
  delete env.SHEETSYNC_CONFIG;
  delete env.SHEETSYNC_WEBHOOK_SECRET_FILE;
  svc = startProcess(SHEETSYNC_BIN, ['serve'], env, path.join(dir, 'serve.log'));
  const base = await waitFor('serve: listening on ...', () => {
    if (svc.child.exitCode !== null) throw new Error(`sheetsync serve exited ${svc.child.exitCode}\n${logs()}`);
    const m = /serve: listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(fs.readFileSync(svc.logFile, 'utf8'));
    return m && m[1];
  });
  const getJson = async (p) => {
    const res = await fetch(base + p);
    return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
  };

  // 3. The start-up sync has the original row.
  await waitFor('issue 102 from the start-up sync', async () => {
    const r = await getJson('/issues/102');
    return r.status === 200 && r.body.summary === 'Brake light out';
  }).catch((err) => { throw new Error(`${err.message}\n${logs()}`); });

  // 4. The Apps Script, set up as a partner would, with a UrlFetchApp that really fetches.
  const h = createHarness({ sheets: ['Issues'], spreadsheetId: SPREADSHEET_ID, realFetch: true, realSleep: true });
  h.gs.setup({ SERVICE_URL: base, WEBHOOK_SECRET: SECRET, WATCHED_SHEET: 'Issues' });
  assert.equal(h.triggers().length, 2);
  const check = h.gs.checkSetup();
  assert.equal(check.ok, true, check.text);

  // 5. A person pastes over C3:E3 (issue 102's summary, description, priority)...
  const token = await emulatorToken(keyFile);
  const range = encodeURIComponent('Issues!C3:E3');
  const put = await fetch(`${emuBase}/v4/spreadsheets/${SPREADSHEET_ID}/values/${range}?valueInputOption=USER_ENTERED`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ range: 'Issues!C3:E3', majorDimension: 'ROWS', values: [['Brake light out (both sides)', 'Rear left and right', 'Critical']] }),
  });
  assert.equal(put.status, 200, await put.text());

  // ...and the edit trigger fires: one notification, accepted.
  const result = h.edit('Issues', 'C3:E3');
  assert.equal(result.ok, true, `${result.message}\n${h.logText()}\n${logs()}`);
  assert.equal(result.status, 202);
  assert.equal(h.requests.length, 2); // /healthz, then the notification
  const sent = h.requests[1];
  assert.equal(sent.url, `${base}/webhooks/sheets`);
  const { payload } = await verifyToken(sent.payload, SECRET);
  assert.equal(payload.range, 'C3:E3');

  // 6. The service pulled the rows: the new values are served.
  const issue = await waitFor('the edited issue 102', async () => {
    const r = await getJson('/issues/102');
    return r.status === 200 && r.body.summary === 'Brake light out (both sides)' && r.body;
  }).catch((err) => { throw new Error(`${err.message}\n${logs()}`); });
  assert.equal(issue.description, 'Rear left and right');
  assert.equal(issue.priority, 'critical');
  assert.ok(Array.isArray(issue.history) && issue.history.length >= 2, 'the old version is kept in history');

  // The pull is recorded as a webhook sync.
  const syncs = await getJson('/syncs');
  assert.equal(syncs.status, 200);
  const items = Array.isArray(syncs.body) ? syncs.body : syncs.body.items;
  assert.ok(items.some((s) => s.trigger === 'webhook' && s.status === 'ok'), JSON.stringify(items));

  // 7. A replayed token is refused (409) and Code.gs does not retry it;
  //    Sync now (a change, OTHER) is accepted.
  const replay = h.gs.UrlFetchApp.fetch(`${base}/webhooks/sheets`, { method: 'post', contentType: 'application/jwt', payload: sent.payload, muteHttpExceptions: true });
  assert.equal(replay.getResponseCode(), 409);
  const now = h.gs.syncNow();
  assert.equal(now.ok, true, now.message);

  // 8. A script with another secret is refused with 401, once, and logs it.
  const wrong = createHarness({ sheets: ['Issues'], spreadsheetId: SPREADSHEET_ID, realFetch: true, realSleep: true });
  wrong.gs.setup({ SERVICE_URL: base, WEBHOOK_SECRET: 'not-the-service-secret-0123456789abcdef', WATCHED_SHEET: 'Issues' });
  const refused = wrong.edit('Issues', 'B2');
  assert.equal(refused.ok, false);
  assert.equal(refused.status, 401);
  assert.equal(wrong.requests.length, 1);
  assert.match(wrong.logText(), /HTTP 401/);
  assert.equal(wrong.logText().includes(SECRET), false);
  assert.equal(h.logText().includes(SECRET), false);
});

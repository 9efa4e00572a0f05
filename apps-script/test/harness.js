'use strict';
// Loads ../Code.gs into a `vm` context with fakes of the Apps Script services
// it uses, behaving as Google documents them:
//
// - Utilities.computeHmacSha256Signature returns SIGNED bytes (-128..127), as
//   Java's byte[] does; Utilities.base64Encode*/base64EncodeWebSafe KEEP the
//   '=' padding; Utilities.sleep records the pause instead of sleeping (and
//   moves the script's clock on), unless realSleep is asked for.
// - UrlFetchApp.fetch records every request; answers come from a responder
//   (default 202); a non-2xx throws unless muteHttpExceptions is true, with
//   Google's message; a responder may throw (no answer). With realFetch it
//   performs real HTTP, synchronously like UrlFetchApp, through curl.
// - ScriptApp keeps the user's triggers (20 at most), builds them with
//   newTrigger(fn).forSpreadsheet(ss).onEdit()/.onChange().create().
// - PropertiesService stores strings, 9 kB a value at most.
// - LockService, Logger and console record what is done to them.
//
// When node --test runs this file directly (it sits in test/), it checks the
// fakes themselves against the documented behaviour.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const vm = require('node:vm');
const { execFileSync } = require('node:child_process');

const CODE_PATH = path.join(__dirname, '..', 'Code.gs');

// Apps Script enums are objects whose string form is their name.
function makeEnum(names) {
  const e = {};
  for (const name of names) {
    e[name] = Object.freeze({ name, toString: () => name, toJSON: () => name });
  }
  return Object.freeze(e);
}

const Charset = makeEnum(['US_ASCII', 'UTF_8']);

function signatureError(method, args) {
  const types = args.map((a) => (Array.isArray(a) ? 'number[]' : typeof a === 'string' ? 'String' : typeof a));
  return new Error(`Exception: The parameters (${types.join(',')}) don't match the method signature for ${method}.`);
}

// A Byte[] coming from script code: integers in -128..127.
function bytesFromArray(arr, method) {
  for (const b of arr) {
    if (!Number.isInteger(b) || b < -128 || b > 127) {
      throw new Error(`Exception: Invalid argument: a Byte[] for ${method} holds ${b}`);
    }
  }
  return Buffer.from(arr.map((b) => b & 0xff));
}

function bytesFromString(s, charset) {
  if (charset === undefined || String(charset) === 'UTF_8') return Buffer.from(s, 'utf8');
  if (String(charset) === 'US_ASCII') return Buffer.from(s.replace(/[^\x00-\x7f]/g, '?'), 'latin1');
  throw new Error('Exception: Invalid argument: charset');
}

function toSignedBytes(buf) {
  return Array.from(buf, (b) => (b > 127 ? b - 256 : b));
}

function toData(data, charset, method) {
  if (typeof data === 'string') return bytesFromString(data, charset);
  if (Array.isArray(data)) {
    if (charset !== undefined) throw signatureError(method, [data, charset]);
    return bytesFromArray(data, method);
  }
  throw signatureError(method, [data]);
}

function makeUtilities(state, opts) {
  return {
    Charset,
    DigestAlgorithm: makeEnum(['MD2', 'MD5', 'SHA_1', 'SHA_256', 'SHA_384', 'SHA_512']),
    MacAlgorithm: makeEnum(['HMAC_MD5', 'HMAC_SHA_1', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512']),
    computeHmacSha256Signature(value, key, charset) {
      const method = 'Utilities.computeHmacSha256Signature';
      let v;
      let k;
      if (typeof value === 'string' && typeof key === 'string') {
        v = bytesFromString(value, charset);
        k = bytesFromString(key, charset);
      } else if (Array.isArray(value) && Array.isArray(key) && charset === undefined) {
        v = bytesFromArray(value, method);
        k = bytesFromArray(key, method);
      } else {
        throw signatureError(method, [value, key]);
      }
      state.hmacCalls++;
      return toSignedBytes(crypto.createHmac('sha256', k).update(v).digest());
    },
    base64Encode(data, charset) {
      return toData(data, charset, 'Utilities.base64Encode').toString('base64');
    },
    base64EncodeWebSafe(data, charset) {
      // Google keeps the '=' padding.
      return toData(data, charset, 'Utilities.base64EncodeWebSafe')
        .toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    },
    base64Decode(encoded) {
      return toSignedBytes(Buffer.from(String(encoded), 'base64'));
    },
    base64DecodeWebSafe(encoded) {
      return toSignedBytes(Buffer.from(String(encoded).replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
    },
    getUuid() {
      return crypto.randomUUID();
    },
    sleep(ms) {
      if (typeof ms !== 'number' || !(ms >= 0)) throw new Error('Exception: Invalid argument: milliseconds');
      if (ms > 300000) throw new Error('Exception: Sleep time is too long. Maximum sleep time is 300000 milliseconds.');
      state.sleeps.push(ms);
      if (opts.realSleep) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      } else {
        state.clockOffsetMs += ms;
      }
    },
  };
}

function makeHttpResponse(status, body, headers) {
  const text = body === undefined || body === null ? '' : String(body);
  const hdrs = Object.assign({}, headers || {});
  return {
    getResponseCode: () => status,
    getContentText: () => text,
    getHeaders: () => Object.assign({}, hdrs),
    getAllHeaders: () => Object.assign({}, hdrs),
  };
}

// One synchronous HTTP request through curl (UrlFetchApp is synchronous).
// The payload goes through stdin, never through argv.
function curlFetch(url, params) {
  const method = String(params.method || 'get').toUpperCase();
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'gas-fetch-'));
  try {
    const headFile = path.join(dir, 'head');
    const bodyFile = path.join(dir, 'body');
    const args = ['-sS', '-X', method, '-D', headFile, '-o', bodyFile, '-w', '%{http_code}',
      '--max-time', '30', '--connect-timeout', '10', '-H', 'Expect:'];
    if (params.followRedirects !== false) args.push('-L');
    for (const [k, v] of Object.entries(params.headers || {})) args.push('-H', `${k}: ${v}`);
    let input;
    if (params.payload !== undefined) {
      args.push('-H', `Content-Type: ${params.contentType || 'application/x-www-form-urlencoded'}`);
      args.push('--data-binary', '@-');
      input = String(params.payload);
    }
    args.push(url);
    let out;
    try {
      out = execFileSync('curl', args, { input: input === undefined ? '' : input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      throw new Error(`Exception: Address unavailable: ${url}`);
    }
    const status = Number(out.trim());
    const headers = {};
    const blocks = fs.readFileSync(headFile, 'utf8').split(/\r?\n\r?\n/).filter((b) => b.trim());
    const last = blocks.length ? blocks[blocks.length - 1] : '';
    for (const line of last.split(/\r?\n/).slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return { status, body: fs.readFileSync(bodyFile, 'utf8'), headers };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function makeUrlFetchApp(state, opts) {
  return {
    fetch(url, params) {
      if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
        throw new Error(`Exception: Invalid argument: ${url}`);
      }
      const p = Object.assign({}, params || {});
      const request = {
        url,
        method: String(p.method || 'get').toLowerCase(),
        contentType: p.contentType,
        payload: p.payload,
        headers: Object.assign({}, p.headers || {}),
        muteHttpExceptions: p.muteHttpExceptions === true,
        followRedirects: p.followRedirects,
        at: Date.now() + state.clockOffsetMs,
      };
      state.requests.push(request);
      let answer;
      if (opts.realFetch) {
        answer = curlFetch(url, p);
      } else {
        answer = state.responder(request, state.requests.length - 1);
        if (answer === undefined) answer = { status: 202, body: '{"status":"accepted"}' };
      }
      if (answer.throw) {
        request.threw = answer.throw;
        throw new Error(answer.throw);
      }
      request.status = answer.status;
      request.responseBody = answer.body;
      if (!request.muteHttpExceptions && !(answer.status >= 200 && answer.status < 300)) {
        throw new Error(`Exception: Request failed for ${url} returned code ${answer.status}. ` +
          `Truncated server response: ${String(answer.body || '').slice(0, 100)} ` +
          '(use muteHttpExceptions option to examine full response)');
      }
      return makeHttpResponse(answer.status, answer.body, answer.headers);
    },
  };
}

function makeScriptApp(state, ss) {
  const EventType = makeEnum(['CLOCK', 'ON_OPEN', 'ON_EDIT', 'ON_FORM_SUBMIT', 'ON_CHANGE', 'ON_EVENT_UPDATED']);
  const TriggerSource = makeEnum(['SPREADSHEETS', 'CLOCK', 'FORMS', 'DOCUMENTS', 'CALENDAR']);
  let nextId = 1;
  function makeTrigger(handler, type, sourceId) {
    const id = String(1000 + nextId++);
    return {
      getHandlerFunction: () => handler,
      getEventType: () => type,
      getTriggerSource: () => TriggerSource.SPREADSHEETS,
      getTriggerSourceId: () => sourceId,
      getUniqueId: () => id,
    };
  }
  return {
    EventType,
    TriggerSource,
    AuthMode: makeEnum(['NONE', 'CUSTOM_FUNCTION', 'LIMITED', 'FULL']),
    getProjectTriggers: () => state.triggers.slice(),
    deleteTrigger(trigger) {
      const i = state.triggers.findIndex((t) => t.getUniqueId() === trigger.getUniqueId());
      if (i < 0) throw new Error('Exception: No such trigger.');
      state.triggers.splice(i, 1);
    },
    newTrigger(functionName) {
      if (typeof functionName !== 'string' || !functionName) throw new Error('Exception: Invalid argument: functionName');
      return {
        forSpreadsheet(sheet) {
          const sourceId = typeof sheet === 'string' ? sheet : sheet.getId();
          let type = null;
          const builder = {
            onEdit() { type = EventType.ON_EDIT; return builder; },
            onChange() { type = EventType.ON_CHANGE; return builder; },
            onOpen() { type = EventType.ON_OPEN; return builder; },
            onFormSubmit() { type = EventType.ON_FORM_SUBMIT; return builder; },
            create() {
              if (!type) throw new Error('Exception: The trigger has no event type.');
              if (state.triggers.length >= 20) {
                throw new Error('Exception: This script has too many triggers. Triggers must be deleted from the script before more can be added.');
              }
              const t = makeTrigger(functionName, type, sourceId);
              state.triggers.push(t);
              return t;
            },
          };
          return builder;
        },
        timeBased() { throw new Error('not faked'); },
      };
    },
  };
}

function makeSpreadsheetApp(state, opts) {
  const sheets = [];
  const ss = {
    getId: () => opts.spreadsheetId,
    getName: () => opts.title,
    getSpreadsheetTimeZone: () => opts.timeZone,
    getSheets: () => sheets.slice(),
    getSheetByName: (name) => sheets.find((s) => s.getName() === name) || null,
  };
  let sheetId = 0;
  for (const name of opts.sheets) {
    const id = sheetId;
    sheetId += 1000;
    const sheet = {
      getName: () => name,
      getSheetId: () => id,
      getIndex: () => sheets.indexOf(sheet) + 1,
      getParent: () => ss,
      getRange: (a1) => makeRange(sheet, a1),
    };
    sheets.push(sheet);
  }
  const ButtonSet = makeEnum(['OK', 'OK_CANCEL', 'YES_NO', 'YES_NO_CANCEL']);
  const Button = makeEnum(['CLOSE', 'OK', 'CANCEL', 'YES', 'NO']);
  const ui = {
    Button,
    ButtonSet,
    alert(a, b, c) {
      const alert = c !== undefined || (typeof b === 'string') ? { title: a, prompt: b } : { title: '', prompt: a };
      state.alerts.push(alert);
      return Button.OK;
    },
    createMenu(caption) {
      const menu = { caption, items: [] };
      const builder = {
        addItem(label, fn) { menu.items.push({ label, fn }); return builder; },
        addSeparator() { menu.items.push({ separator: true }); return builder; },
        addSubMenu(sub) { menu.items.push({ submenu: sub }); return builder; },
        addToUi() { state.menus.push(menu); },
      };
      return builder;
    },
  };
  return {
    spreadsheet: ss,
    app: {
      getActive: () => ss,
      getActiveSpreadsheet: () => ss,
      getUi() {
        if (!state.uiAvailable) throw new Error('Exception: Cannot call SpreadsheetApp.getUi() from this context.');
        return ui;
      },
    },
  };
}

function colNumber(letters) {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

function makeRange(sheet, a1) {
  const m = /^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/i.exec(a1);
  if (!m) throw new Error(`Exception: Range not found: ${a1}`);
  const c1 = colNumber(m[1]);
  const r1 = Number(m[2]);
  const c2 = m[3] ? colNumber(m[3]) : c1;
  const r2 = m[4] ? Number(m[4]) : r1;
  // Google collapses a 1x1 range to one cell: "B7:B7" reads "B7".
  const notation = c1 === c2 && r1 === r2 ? `${m[1].toUpperCase()}${r1}` : a1.toUpperCase();
  return {
    getA1Notation: () => notation,
    getSheet: () => sheet,
    getRow: () => r1,
    getColumn: () => c1,
    getNumRows: () => r2 - r1 + 1,
    getNumColumns: () => c2 - c1 + 1,
    getLastRow: () => r2,
    getLastColumn: () => c2,
  };
}

function makeProperties(state, name) {
  const store = state.properties[name];
  const LIMIT = 9 * 1024;
  const props = {
    getProperty: (key) => (Object.prototype.hasOwnProperty.call(store, key) ? store[key] : null),
    setProperty(key, value) {
      const v = String(value);
      if (Buffer.byteLength(String(key) + v, 'utf8') > LIMIT) throw new Error('Exception: Argument too large: value');
      store[key] = v;
      return props;
    },
    setProperties(obj, deleteAllOthers) {
      for (const [k, v] of Object.entries(obj)) {
        if (Buffer.byteLength(k + String(v), 'utf8') > LIMIT) throw new Error('Exception: Argument too large: value');
      }
      if (deleteAllOthers) for (const k of Object.keys(store)) delete store[k];
      for (const [k, v] of Object.entries(obj)) store[k] = String(v);
      return props;
    },
    getProperties: () => Object.assign({}, store),
    getKeys: () => Object.keys(store),
    deleteProperty(key) { delete store[key]; return props; },
    deleteAllProperties() { for (const k of Object.keys(store)) delete store[k]; return props; },
  };
  return props;
}

function makeLock(state) {
  let held = false;
  return {
    tryLock(ms) {
      state.lockCalls.push(['tryLock', ms]);
      if (state.lockBusy) return false;
      held = true;
      return true;
    },
    waitLock(ms) {
      state.lockCalls.push(['waitLock', ms]);
      if (state.lockBusy) throw new Error('Exception: Lock timeout: another process was holding the lock for too long.');
      held = true;
    },
    releaseLock() { state.lockCalls.push(['releaseLock']); held = false; },
    hasLock: () => held,
  };
}

function formatArgs(args) {
  return args.map((a) => (typeof a === 'string' ? a : util.inspect(a, { depth: 4 }))).join(' ');
}

/**
 * createHarness(options) → a loaded Code.gs and its fakes.
 * options: sheets (tab names, default ['Issues', 'Notes']), spreadsheetId,
 * responder(request, index) → {status, body, headers} | {throw: message} |
 * undefined (202), realFetch, realSleep, uiAvailable (default true),
 * config (overrides of SHEETSYNC_CONFIG), properties (initial Script Properties).
 */
function createHarness(options) {
  const opts = Object.assign({
    sheets: ['Issues', 'Notes'],
    spreadsheetId: '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-sheet',
    title: 'Fleet issues',
    timeZone: 'America/Chicago',
    realFetch: false,
    realSleep: false,
  }, options || {});
  const state = {
    requests: [],
    sleeps: [],
    logs: [],
    alerts: [],
    menus: [],
    triggers: [],
    lockCalls: [],
    lockBusy: false,
    hmacCalls: 0,
    clockOffsetMs: 0,
    uiAvailable: opts.uiAvailable !== false,
    responder: opts.responder || (() => undefined),
    properties: { script: Object.assign({}, opts.properties || {}), user: {}, document: {} },
  };
  const sheetsApp = makeSpreadsheetApp(state, opts);
  const log = (level) => (...args) => { state.logs.push({ level, message: formatArgs(args) }); };
  const Logger = {
    log(fmt, ...args) {
      const message = typeof fmt === 'string' && args.length ? fmt.replace(/%s/g, () => String(args.shift())) : formatArgs([fmt, ...args]);
      state.logs.push({ level: 'logger', message });
      return Logger;
    },
    getLog: () => state.logs.filter((l) => l.level === 'logger').map((l) => l.message).join('\n'),
    clear: () => {},
  };
  const sandbox = {
    SpreadsheetApp: sheetsApp.app,
    ScriptApp: makeScriptApp(state, sheetsApp.spreadsheet),
    UrlFetchApp: makeUrlFetchApp(state, opts),
    Utilities: makeUtilities(state, opts),
    PropertiesService: {
      getScriptProperties: () => makeProperties(state, 'script'),
      getUserProperties: () => makeProperties(state, 'user'),
      getDocumentProperties: () => makeProperties(state, 'document'),
    },
    LockService: {
      getScriptLock: () => makeLock(state),
      getUserLock: () => makeLock(state),
      getDocumentLock: () => makeLock(state),
    },
    Logger,
    console: { log: log('log'), info: log('info'), warn: log('warn'), error: log('error') },
    __clock: state,
  };
  const context = vm.createContext(sandbox);
  // The script's clock moves on with Utilities.sleep (unless it really sleeps).
  vm.runInContext('(function(){var real=Date.now;Date.now=function(){return real()+__clock.clockOffsetMs;};})();', context);
  vm.runInContext(fs.readFileSync(CODE_PATH, 'utf8'), context, { filename: 'Code.gs' });
  if (opts.config) Object.assign(context.SHEETSYNC_CONFIG, opts.config);

  const h = {
    gs: context,
    state,
    spreadsheet: sheetsApp.spreadsheet,
    get requests() { return state.requests; },
    get sleeps() { return state.sleeps; },
    get logs() { return state.logs; },
    get alerts() { return state.alerts; },
    get menus() { return state.menus; },
    get scriptProperties() { return state.properties.script; },
    triggers: () => state.triggers.map((t) => ({
      handler: t.getHandlerFunction(), type: String(t.getEventType()), sourceId: t.getTriggerSourceId(), id: t.getUniqueId(),
    })),
    logText: () => state.logs.map((l) => l.message).join('\n'),
    /** Everything a person or Google's logs could see: logs, alerts. */
    visibleText: () => state.logs.map((l) => l.message).concat(state.alerts.map((a) => `${a.title}\n${a.prompt}`)).join('\n'),
    respond(fn) { state.responder = fn; },
    /** Scripted answers, one per request, then 202. */
    answers(...list) {
      let i = 0;
      state.responder = () => (i < list.length ? list[i++] : undefined);
    },
    editEvent(sheetName, a1, extra) {
      const sheet = sheetsApp.spreadsheet.getSheetByName(sheetName);
      if (!sheet) throw new Error(`no tab ${sheetName}`);
      return Object.assign({
        authMode: sandbox.ScriptApp.AuthMode.FULL,
        range: sheet.getRange(a1),
        source: sheetsApp.spreadsheet,
        triggerUid: '4242',
        user: { getEmail: () => 'partner@example.com', toString: () => 'partner@example.com' },
      }, extra || {});
    },
    changeEvent(changeType) {
      return {
        authMode: sandbox.ScriptApp.AuthMode.FULL,
        changeType,
        source: sheetsApp.spreadsheet,
        triggerUid: '4343',
        user: { getEmail: () => 'partner@example.com', toString: () => 'partner@example.com' },
      };
    },
    edit(sheetName, a1, extra) { return context.onSheetEdit(h.editEvent(sheetName, a1, extra)); },
    change(changeType) { return context.onSheetChange(h.changeEvent(changeType)); },
    /** Tokens of the webhook POSTs so far. */
    tokens: () => state.requests.filter((r) => r.method === 'post').map((r) => r.payload),
  };
  return h;
}

// Shared by the tests.
const SECRET = 'test-secret-0123456789-abcdefghijklmnop'; // 39 bytes
const SERVICE_URL = 'https://sheetsync.example.com';

/** A harness on which setup() has run with SECRET and SERVICE_URL (plus `settings`). */
function setUpHarness(options, settings) {
  const h = createHarness(options);
  h.gs.setup(Object.assign({ SERVICE_URL, WEBHOOK_SECRET: SECRET, WATCHED_SHEET: 'Issues' }, settings || {}));
  h.state.logs.length = 0;
  return h;
}

/** Verifies a token with jose, the independent verifier: returns {payload, protectedHeader}. */
async function verifyToken(token, secret, audience) {
  const jose = await import('jose');
  return jose.jwtVerify(token, new TextEncoder().encode(secret === undefined ? SECRET : secret), {
    algorithms: ['HS256'],
    audience: audience === undefined ? 'sheetsync' : audience,
    typ: 'JWT',
  });
}

function decodeClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

module.exports = {
  createHarness, setUpHarness, verifyToken, decodeClaims, makeEnum, toSignedBytes, SECRET, SERVICE_URL,
};

// Run directly by `node --test test/`: check the fakes against Google's documented behaviour.
if (require.main === module) {
  const test = require('node:test');
  const assert = require('node:assert/strict');

  test('fake Utilities.computeHmacSha256Signature returns signed bytes like Apps Script', () => {
    const h = createHarness();
    const sig = h.gs.Utilities.computeHmacSha256Signature('value', 'key');
    assert.equal(sig.length, 32);
    assert.ok(sig.every((b) => Number.isInteger(b) && b >= -128 && b <= 127));
    assert.ok(sig.some((b) => b < 0), 'this digest has bytes >= 0x80, which must come out negative');
    const expected = crypto.createHmac('sha256', 'key').update('value').digest();
    assert.deepEqual(Buffer.from(sig.map((b) => b & 0xff)), expected);
  });

  test('fake Utilities.base64EncodeWebSafe keeps the = padding like Apps Script', () => {
    const h = createHarness();
    assert.equal(h.gs.Utilities.base64EncodeWebSafe('a'), 'YQ==');
    assert.equal(h.gs.Utilities.base64EncodeWebSafe([-5, -1]), '-_8=');
    assert.throws(() => h.gs.Utilities.base64EncodeWebSafe([200]));
  });

  test('fake UrlFetchApp throws on non-2xx unless muteHttpExceptions', () => {
    const h = createHarness({ responder: () => ({ status: 401, body: 'no' }) });
    assert.throws(() => h.gs.UrlFetchApp.fetch('https://x.example/'), /returned code 401/);
    assert.equal(h.gs.UrlFetchApp.fetch('https://x.example/', { muteHttpExceptions: true }).getResponseCode(), 401);
  });

  test('fake Utilities.sleep records and moves the script clock without sleeping', () => {
    const h = createHarness();
    const before = Date.now();
    h.gs.Utilities.sleep(250000);
    assert.ok(Date.now() - before < 1000);
    assert.deepEqual(h.sleeps, [250000]);
    assert.ok(vm.runInContext('Date.now()', h.gs) - Date.now() >= 249000);
    assert.throws(() => h.gs.Utilities.sleep(300001), /too long/);
  });
}

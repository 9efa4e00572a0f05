/**
 * sheetsync — the Apps Script side.
 *
 * Sends one signed notification (an HS256 JWT, contract §6) to the sheetsync
 * service for every edit of the watched tab, and one for every structural
 * change (rows/columns/tabs inserted or removed), so the service pulls the
 * changed rows through the Sheets API. The service never trusts the payload
 * for data: the notification only says *where* to look.
 *
 * Install: see README.md beside this file. In short, fill in the settings
 * below (or pass them to setup()), run `setup` once from the editor, authorize,
 * then clear WEBHOOK_SECRET from this file again.
 *
 * @OnlyCurrentDoc
 */

/* ------------------------------------------------------------------------- *
 * Settings. setup() reads them when it is run with no argument (from the
 * editor's Run button). An empty value means "not given here": setup() then
 * keeps what Script Properties already hold, else uses the default.
 *
 * setup() copies them into Script Properties (Project Settings → Script
 * Properties); the triggers only ever read Script Properties. After setup has
 * succeeded, empty WEBHOOK_SECRET again so the secret does not live in the
 * source code (it stays in Script Properties).
 * ------------------------------------------------------------------------- */
var SHEETSYNC_CONFIG = {
  // Base URL of the sheetsync service, reachable from the internet
  // (Google's servers call it), e.g. 'https://sheetsync.example.com'.
  SERVICE_URL: '',
  // The same value as the service's SHEETSYNC_WEBHOOK_SECRET: at least 32 bytes.
  WEBHOOK_SECRET: '',
  // The service's SHEETSYNC_WEBHOOK_AUDIENCE; empty means 'sheetsync'.
  AUDIENCE: '',
  // The tab the service reads (its SHEETSYNC_SHEET); empty means the first tab.
  WATCHED_SHEET: ''
};

/* ------------------------------------------------------------------------- *
 * Constants
 * ------------------------------------------------------------------------- */
var SHEETSYNC_WEBHOOK_PATH = '/webhooks/sheets';
var SHEETSYNC_HEALTH_PATH = '/healthz';
var SHEETSYNC_DEFAULT_AUDIENCE = 'sheetsync';
var SHEETSYNC_MIN_SECRET_BYTES = 32;
var SHEETSYNC_MAX_SECRET_BYTES = 4096; // Script Properties hold 9 kB a value
var SHEETSYNC_TOKEN_LIFETIME_S = 300;  // exp = iat + 300 (the service allows 600)
var SHEETSYNC_MAX_RETRIES = 4;         // 5 attempts: pauses of about 1, 2, 4, 8 s
var SHEETSYNC_FIRST_PAUSE_MS = 1000;
var SHEETSYNC_MAX_PAUSE_MS = 30000;
var SHEETSYNC_JITTER_MS = 250;
// A run may last 6 minutes; one fetch may wait up to about a minute for a dead
// host. No retry starts once this much time has gone by.
var SHEETSYNC_RETRY_BUDGET_MS = 180000;
var SHEETSYNC_EDIT_HANDLER = 'onSheetEdit';
var SHEETSYNC_CHANGE_HANDLER = 'onSheetChange';
var SHEETSYNC_PROPERTY_KEYS = ['SERVICE_URL', 'WEBHOOK_SECRET', 'AUDIENCE', 'WATCHED_SHEET'];
// Apps Script's changeType values (contract §6). EDIT and FORMAT are not sent.
var SHEETSYNC_CHANGE_TYPES = ['INSERT_ROW', 'REMOVE_ROW', 'INSERT_COLUMN', 'REMOVE_COLUMN',
  'INSERT_GRID', 'REMOVE_GRID', 'OTHER'];

/* ------------------------------------------------------------------------- *
 * Setup and teardown (run from the editor)
 * ------------------------------------------------------------------------- */

/**
 * Stores the settings in Script Properties and installs the edit and change
 * triggers. Safe to run again: it never adds a second trigger.
 *
 * options (optional): {SERVICE_URL, WEBHOOK_SECRET, AUDIENCE, WATCHED_SHEET}
 * (camelCase serviceUrl, webhookSecret, audience, watchedSheet work too).
 * A value given here wins over SHEETSYNC_CONFIG above, which wins over what
 * Script Properties already hold. Throws, changing nothing, when a setting is
 * missing or invalid (a secret shorter than 32 bytes, an unknown tab...).
 * Returns a summary (never the secret).
 */
function setup(options) {
  if (options && typeof options === 'object' && 'authMode' in options) {
    options = undefined; // an event object, not options
  }
  var lock = LockService.getScriptLock();
  lock.waitLock(30000);
  try {
    var props = PropertiesService.getScriptProperties();
    var settings = sheetsyncResolveSettings_(options || {}, props.getProperties());
    var values = {
      SERVICE_URL: settings.serviceUrl,
      WEBHOOK_SECRET: settings.secret,
      AUDIENCE: settings.audience
    };
    if (settings.watchedSheet) {
      values.WATCHED_SHEET = settings.watchedSheet;
    }
    props.setProperties(values);
    if (!settings.watchedSheet) {
      props.deleteProperty('WATCHED_SHEET');
    }
    var triggers = sheetsyncInstallTriggers_();
    var summary = {
      serviceUrl: settings.serviceUrl,
      audience: settings.audience,
      watchedSheet: settings.watchedSheet || sheetsyncFirstTabName_(),
      watchedSheetIsFirstTab: !settings.watchedSheet,
      spreadsheetId: SpreadsheetApp.getActive().getId(),
      triggersCreated: triggers.created,
      triggersRemoved: triggers.removed
    };
    console.log('sheetsync setup: notifications go to ' + summary.serviceUrl +
      SHEETSYNC_WEBHOOK_PATH + ' for tab "' + summary.watchedSheet + '"' +
      (summary.watchedSheetIsFirstTab ? ' (the first tab)' : '') +
      ', audience "' + summary.audience + '", spreadsheet ' + summary.spreadsheetId +
      '; triggers: ' + triggers.created + ' created, ' + triggers.removed +
      ' duplicate(s) removed. Use the sheetsync menu → Check setup to test.');
    return summary;
  } finally {
    lock.releaseLock();
  }
}

/**
 * Removes the triggers setup() installed (for the user who runs it).
 * teardown({forgetSettings: true}) also deletes the Script Properties.
 * Returns the number of triggers removed.
 */
function teardown(options) {
  var lock = LockService.getScriptLock();
  lock.waitLock(30000);
  try {
    var removed = 0;
    var triggers = ScriptApp.getProjectTriggers();
    for (var i = 0; i < triggers.length; i++) {
      var handler = triggers[i].getHandlerFunction();
      if (handler === SHEETSYNC_EDIT_HANDLER || handler === SHEETSYNC_CHANGE_HANDLER) {
        ScriptApp.deleteTrigger(triggers[i]);
        removed++;
      }
    }
    var forget = !!(options && typeof options === 'object' && options.forgetSettings === true);
    if (forget) {
      var props = PropertiesService.getScriptProperties();
      for (var k = 0; k < SHEETSYNC_PROPERTY_KEYS.length; k++) {
        props.deleteProperty(SHEETSYNC_PROPERTY_KEYS[k]);
      }
    }
    console.log('sheetsync teardown: ' + removed + ' trigger(s) removed' +
      (forget ? ', settings deleted' : ''));
    return removed;
  } finally {
    lock.releaseLock();
  }
}

/* ------------------------------------------------------------------------- *
 * Trigger handlers (installable triggers: they run as the user who ran setup)
 * ------------------------------------------------------------------------- */

/** Installable edit trigger: one notification per edit of the watched tab. */
function onSheetEdit(e) {
  if (!e || !e.range) {
    console.warn('sheetsync: onSheetEdit runs from its edit trigger (run setup() to install it)');
    return null;
  }
  var settings = sheetsyncReadSettings_();
  if (!settings) {
    return null;
  }
  var sheet = e.range.getSheet();
  if (!sheetsyncIsWatched_(settings, sheet)) {
    return null;
  }
  return sheetsyncNotify_(settings, {
    sheet: sheet.getName(),
    event: 'edit',
    range: e.range.getA1Notation()
  });
}

/** Installable change trigger: structural changes make the service pull the whole tab. */
function onSheetChange(e) {
  if (!e || !e.changeType) {
    console.warn('sheetsync: onSheetChange runs from its change trigger (run setup() to install it)');
    return null;
  }
  var changeType = String(e.changeType);
  if (changeType === 'EDIT' || changeType === 'FORMAT') {
    return null; // edits come through onSheetEdit; formatting changes no value
  }
  if (SHEETSYNC_CHANGE_TYPES.indexOf(changeType) < 0) {
    console.warn('sheetsync: unknown changeType ' + changeType + ', sent as OTHER');
    changeType = 'OTHER';
  }
  var settings = sheetsyncReadSettings_();
  if (!settings) {
    return null;
  }
  // A change event carries no range or tab, so every structural change is
  // sent: at worst the service pulls the watched tab once more.
  return sheetsyncNotify_(settings, {
    sheet: sheetsyncWatchedName_(settings),
    event: 'change',
    change_type: changeType
  });
}

/* ------------------------------------------------------------------------- *
 * The menu
 * ------------------------------------------------------------------------- */

/**
 * Simple trigger: adds the sheetsync menu. If the spreadsheet already has an
 * onOpen in another file, delete this one and call sheetsyncAddMenu() there.
 */
function onOpen(e) {
  sheetsyncAddMenu();
}

/** Adds the "sheetsync" menu to the spreadsheet's UI. */
function sheetsyncAddMenu() {
  try {
    SpreadsheetApp.getUi()
      .createMenu('sheetsync')
      .addItem('Sync now', 'syncNow')
      .addItem('Check setup', 'checkSetup')
      .addToUi();
  } catch (err) {
    // No UI in this context (run from the editor or by a trigger).
  }
}

/**
 * Menu → Sync now: asks the service for a pull of the whole tab (a `change`
 * notification with change_type OTHER). Returns the outcome.
 */
function syncNow() {
  var settings = sheetsyncReadSettings_();
  if (!settings) {
    sheetsyncShow_('sheetsync', 'sheetsync is not set up yet: run setup() from Extensions → Apps Script.');
    return { ok: false, status: 0, attempts: 0, message: 'not set up' };
  }
  var result = sheetsyncNotify_(settings, {
    sheet: sheetsyncWatchedName_(settings),
    event: 'change',
    change_type: 'OTHER'
  });
  sheetsyncShow_('sheetsync: Sync now', result.ok ?
    'The service accepted the request (HTTP ' + result.status + ') and will pull the whole tab "' +
      sheetsyncWatchedName_(settings) + '" shortly.' :
    'The service did not accept the request: ' + result.message);
  return result;
}

/**
 * Menu → Check setup: reports the settings (never the secret itself), the
 * triggers of the current user, and pings SERVICE_URL/healthz.
 * Returns {ok, lines, text}.
 */
function checkSetup() {
  var lines = [];
  var ok = true;
  var props = PropertiesService.getScriptProperties().getProperties();
  var ss = SpreadsheetApp.getActive();
  lines.push('Spreadsheet id: ' + ss.getId() + ' (the service\'s SHEETSYNC_SPREADSHEET_ID must be this)');

  var url = props.SERVICE_URL ? String(props.SERVICE_URL) : '';
  if (url) {
    lines.push('SERVICE_URL: ' + url);
  } else {
    lines.push('SERVICE_URL: MISSING (run setup)');
    ok = false;
  }
  var secretBytes = props.WEBHOOK_SECRET ? sheetsyncUtf8Length_(String(props.WEBHOOK_SECRET)) : 0;
  if (!props.WEBHOOK_SECRET) {
    lines.push('WEBHOOK_SECRET: MISSING (run setup)');
    ok = false;
  } else if (secretBytes < SHEETSYNC_MIN_SECRET_BYTES) {
    lines.push('WEBHOOK_SECRET: TOO SHORT (' + secretBytes + ' bytes; at least ' +
      SHEETSYNC_MIN_SECRET_BYTES + ' needed)');
    ok = false;
  } else {
    lines.push('WEBHOOK_SECRET: set (' + secretBytes + ' bytes)');
  }
  lines.push('AUDIENCE: ' + (props.AUDIENCE || SHEETSYNC_DEFAULT_AUDIENCE));
  if (props.WATCHED_SHEET) {
    if (ss.getSheetByName(String(props.WATCHED_SHEET))) {
      lines.push('WATCHED_SHEET: "' + props.WATCHED_SHEET + '"');
    } else {
      lines.push('WATCHED_SHEET: "' + props.WATCHED_SHEET + '" — NO SUCH TAB (renamed? run setup again)');
      ok = false;
    }
  } else {
    lines.push('WATCHED_SHEET: the first tab, now "' + sheetsyncFirstTabName_() + '"');
  }

  var counts = sheetsyncCountTriggers_();
  var editLine = 'Edit trigger (onSheetEdit): ' + sheetsyncTriggerWord_(counts.edit);
  var changeLine = 'Change trigger (onSheetChange): ' + sheetsyncTriggerWord_(counts.change);
  lines.push(editLine);
  lines.push(changeLine);
  if (counts.edit !== 1 || counts.change !== 1) {
    ok = false;
  }

  if (url) {
    var health = sheetsyncPing_(url + SHEETSYNC_HEALTH_PATH);
    lines.push('GET ' + url + SHEETSYNC_HEALTH_PATH + ': ' + health.message);
    if (!health.ok) {
      ok = false;
    }
  }
  lines.push(ok ? 'All good. Use "Sync now" to test the secret (the service answers 401 when it differs).'
    : 'Something needs fixing (see above).');
  var text = lines.join('\n');
  console.log('sheetsync check setup:\n' + text);
  sheetsyncShow_('sheetsync: Check setup', text);
  return { ok: ok, lines: lines, text: text };
}

/* ------------------------------------------------------------------------- *
 * Notification: token, POST, retries
 * ------------------------------------------------------------------------- */

/**
 * Sends one notification; retries 429, 5xx and fetch exceptions with growing
 * pauses and a fresh token (new jti) each time. Returns
 * {ok, status, attempts, message}. Never logs the secret or a token.
 */
function sheetsyncNotify_(settings, fields) {
  var url = settings.serviceUrl + SHEETSYNC_WEBHOOK_PATH;
  var spreadsheetId = SpreadsheetApp.getActive().getId();
  var what = fields.event + ' ' + (fields.range || fields.change_type) + ' on "' + fields.sheet + '"';
  var started = Date.now();
  for (var attempt = 1; ; attempt++) {
    var token = sheetsyncMakeToken_(settings, spreadsheetId, fields);
    var status = 0;
    var headers = {};
    var body = '';
    var failure = null;
    try {
      var response = UrlFetchApp.fetch(url, {
        method: 'post',
        contentType: 'application/jwt',
        payload: token,
        headers: { Accept: 'application/json' },
        muteHttpExceptions: true,
        followRedirects: false
      });
      status = response.getResponseCode();
      headers = response.getHeaders() || {};
      body = sheetsyncSafeText_(response);
    } catch (err) {
      failure = sheetsyncScrub_(err && err.message ? err.message : String(err), settings.secret, token);
    }
    token = null;

    if (!failure && status >= 200 && status < 300) {
      if (attempt > 1) {
        console.log('sheetsync: ' + what + ' accepted (HTTP ' + status + ') at attempt ' + attempt);
      }
      return { ok: true, status: status, attempts: attempt, message: 'HTTP ' + status };
    }
    var message = failure ? 'no answer (' + failure + ')' :
      'HTTP ' + status + sheetsyncDescribeBody_(body, settings.secret);
    if (!failure && status >= 300 && status < 400) {
      message += ' — redirected to ' + sheetsyncHeader_(headers, 'Location') +
        '; set SERVICE_URL to the final https:// address';
    }
    var retryable = failure ? !/too many times|Invalid argument|Bad request/i.test(failure) :
      (status === 429 || status >= 500);
    if (!retryable) {
      console.warn('sheetsync: the service refused ' + what + ': ' + message + ' (not retried)');
      return { ok: false, status: status, attempts: attempt, message: message };
    }
    var pause = sheetsyncPause_(attempt, headers);
    if (attempt > SHEETSYNC_MAX_RETRIES || Date.now() - started + pause > SHEETSYNC_RETRY_BUDGET_MS) {
      console.error('sheetsync: giving up on ' + what + ' after ' + attempt + ' attempts: ' + message +
        ' (the periodic reconcile will catch up)');
      return { ok: false, status: status, attempts: attempt, message: message };
    }
    console.info('sheetsync: ' + what + ': ' + message + '; retry ' + attempt + ' of ' +
      SHEETSYNC_MAX_RETRIES + ' in ' + pause + ' ms');
    Utilities.sleep(pause);
  }
}

/** The signed token (contract §6): header.payload.signature, base64url, no padding. */
function sheetsyncMakeToken_(settings, spreadsheetId, fields) {
  var now = Math.floor(Date.now() / 1000);
  var claims = {
    aud: settings.audience,
    iat: now,
    exp: now + SHEETSYNC_TOKEN_LIFETIME_S,
    jti: Utilities.getUuid(),
    spreadsheet_id: spreadsheetId,
    sheet: fields.sheet,
    event: fields.event
  };
  if (fields.event === 'edit') {
    claims.range = fields.range;
  } else {
    claims.change_type = fields.change_type;
  }
  var signingInput = sheetsyncB64Url_(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' +
    sheetsyncB64Url_(JSON.stringify(claims));
  // Signed bytes (-128..127), which base64EncodeWebSafe takes as they are.
  var signature = Utilities.computeHmacSha256Signature(signingInput, settings.secret,
    Utilities.Charset.UTF_8);
  return signingInput + '.' + sheetsyncStripPadding_(Utilities.base64EncodeWebSafe(signature));
}

function sheetsyncB64Url_(text) {
  return sheetsyncStripPadding_(Utilities.base64EncodeWebSafe(text, Utilities.Charset.UTF_8));
}

/** base64EncodeWebSafe keeps '=' padding; a JWT must not have it. */
function sheetsyncStripPadding_(s) {
  return String(s).replace(/=+$/, '');
}

/** Pause before retry n (1-based): 1 s, 2 s, 4 s, 8 s... plus jitter; Retry-After wins when longer. */
function sheetsyncPause_(attempt, headers) {
  var pause = SHEETSYNC_FIRST_PAUSE_MS * Math.pow(2, attempt - 1);
  var retryAfter = Number(sheetsyncHeader_(headers, 'Retry-After'));
  if (isFinite(retryAfter) && retryAfter > 0) {
    pause = Math.max(pause, retryAfter * 1000);
  }
  pause = Math.min(pause, SHEETSYNC_MAX_PAUSE_MS);
  return pause + Math.floor(Math.random() * SHEETSYNC_JITTER_MS);
}

/* ------------------------------------------------------------------------- *
 * Settings
 * ------------------------------------------------------------------------- */

/** The settings for a trigger run, from Script Properties; null (logged) when not set up. */
function sheetsyncReadSettings_() {
  var props = PropertiesService.getScriptProperties().getProperties();
  if (!props.SERVICE_URL || !props.WEBHOOK_SECRET) {
    console.warn('sheetsync: not set up (SERVICE_URL or WEBHOOK_SECRET missing in Script ' +
      'Properties): run setup() from the editor');
    return null;
  }
  return {
    serviceUrl: String(props.SERVICE_URL),
    secret: String(props.WEBHOOK_SECRET),
    audience: props.AUDIENCE ? String(props.AUDIENCE) : SHEETSYNC_DEFAULT_AUDIENCE,
    watchedSheet: props.WATCHED_SHEET ? String(props.WATCHED_SHEET) : ''
  };
}

/** Merges options > SHEETSYNC_CONFIG > stored properties > defaults, and validates. */
function sheetsyncResolveSettings_(options, stored) {
  var aliases = {
    SERVICE_URL: 'serviceUrl',
    WEBHOOK_SECRET: 'webhookSecret',
    AUDIENCE: 'audience',
    WATCHED_SHEET: 'watchedSheet'
  };
  var config = (typeof SHEETSYNC_CONFIG === 'object' && SHEETSYNC_CONFIG) || {};
  function pick(key) {
    var v = options[key];
    if (v === undefined || v === null) {
      v = options[aliases[key]];
    }
    if (v !== undefined && v !== null) {
      return String(v);
    }
    if (config[key] !== undefined && config[key] !== null && String(config[key]) !== '') {
      return String(config[key]);
    }
    if (stored && stored[key] !== undefined && stored[key] !== null) {
      return String(stored[key]);
    }
    return '';
  }

  var serviceUrl = pick('SERVICE_URL').trim();
  if (!serviceUrl) {
    throw new Error('sheetsync setup: SERVICE_URL is missing (the base URL of the sheetsync service)');
  }
  if (!/^https?:\/\/[^\s\/?#]+(\/[^\s?#]*)?$/i.test(serviceUrl)) {
    throw new Error('sheetsync setup: SERVICE_URL must be an http(s) URL without query or fragment, ' +
      'e.g. https://sheetsync.example.com');
  }
  serviceUrl = serviceUrl.replace(/\/+$/, '');
  if (serviceUrl.slice(-SHEETSYNC_WEBHOOK_PATH.length) === SHEETSYNC_WEBHOOK_PATH) {
    serviceUrl = serviceUrl.slice(0, -SHEETSYNC_WEBHOOK_PATH.length); // the base, not the endpoint
  }
  if (/^http:/i.test(serviceUrl) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/i.test(serviceUrl)) {
    console.warn('sheetsync setup: SERVICE_URL is plain http; use https so notifications ' +
      'cannot be read on the way');
  }

  var secret = pick('WEBHOOK_SECRET');
  if (!secret) {
    throw new Error('sheetsync setup: WEBHOOK_SECRET is missing (the service\'s ' +
      'SHEETSYNC_WEBHOOK_SECRET, at least ' + SHEETSYNC_MIN_SECRET_BYTES + ' bytes)');
  }
  var secretBytes = sheetsyncUtf8Length_(secret);
  if (secretBytes < SHEETSYNC_MIN_SECRET_BYTES) {
    throw new Error('sheetsync setup: WEBHOOK_SECRET is too short: ' + secretBytes +
      ' bytes, at least ' + SHEETSYNC_MIN_SECRET_BYTES + ' needed (e.g. openssl rand -hex 32)');
  }
  if (secretBytes > SHEETSYNC_MAX_SECRET_BYTES) {
    throw new Error('sheetsync setup: WEBHOOK_SECRET is too long: at most ' +
      SHEETSYNC_MAX_SECRET_BYTES + ' bytes');
  }
  if (secret !== secret.trim()) {
    throw new Error('sheetsync setup: WEBHOOK_SECRET starts or ends with whitespace ' +
      '(a copy-paste slip?); give it exactly as the service has it');
  }

  var audience = pick('AUDIENCE').trim() || SHEETSYNC_DEFAULT_AUDIENCE;

  var watched = pick('WATCHED_SHEET');
  if (watched) {
    var ss = SpreadsheetApp.getActive();
    if (!ss.getSheetByName(watched)) {
      var names = ss.getSheets().map(function (s) { return '"' + s.getName() + '"'; });
      throw new Error('sheetsync setup: WATCHED_SHEET "' + watched + '" is not a tab of this ' +
        'spreadsheet (tabs: ' + names.join(', ') + ')');
    }
  }
  return { serviceUrl: serviceUrl, secret: secret, audience: audience, watchedSheet: watched };
}

function sheetsyncIsWatched_(settings, sheet) {
  if (settings.watchedSheet) {
    return sheet.getName() === settings.watchedSheet;
  }
  return sheet.getIndex() === 1; // 1-based position: the first tab
}

function sheetsyncWatchedName_(settings) {
  return settings.watchedSheet || sheetsyncFirstTabName_();
}

function sheetsyncFirstTabName_() {
  return SpreadsheetApp.getActive().getSheets()[0].getName();
}

/* ------------------------------------------------------------------------- *
 * Triggers
 * ------------------------------------------------------------------------- */

/** Keeps exactly one edit and one change trigger for this spreadsheet. */
function sheetsyncInstallTriggers_() {
  var ss = SpreadsheetApp.getActive();
  var wanted = [
    { handler: SHEETSYNC_EDIT_HANDLER, type: ScriptApp.EventType.ON_EDIT },
    { handler: SHEETSYNC_CHANGE_HANDLER, type: ScriptApp.EventType.ON_CHANGE }
  ];
  var existing = ScriptApp.getProjectTriggers();
  var created = 0;
  var removed = 0;
  for (var w = 0; w < wanted.length; w++) {
    var keep = null;
    for (var i = 0; i < existing.length; i++) {
      var t = existing[i];
      if (t.getHandlerFunction() !== wanted[w].handler) {
        continue;
      }
      var right = String(t.getEventType()) === String(wanted[w].type) &&
        (!t.getTriggerSourceId || t.getTriggerSourceId() === ss.getId());
      if (right && !keep) {
        keep = t;
      } else {
        ScriptApp.deleteTrigger(t);
        removed++;
      }
    }
    if (!keep) {
      var builder = ScriptApp.newTrigger(wanted[w].handler).forSpreadsheet(ss);
      if (wanted[w].handler === SHEETSYNC_EDIT_HANDLER) {
        builder.onEdit().create();
      } else {
        builder.onChange().create();
      }
      created++;
    }
  }
  return { created: created, removed: removed };
}

function sheetsyncCountTriggers_() {
  var counts = { edit: 0, change: 0 };
  var triggers = ScriptApp.getProjectTriggers();
  for (var i = 0; i < triggers.length; i++) {
    var handler = triggers[i].getHandlerFunction();
    var type = String(triggers[i].getEventType());
    if (handler === SHEETSYNC_EDIT_HANDLER && type === String(ScriptApp.EventType.ON_EDIT)) {
      counts.edit++;
    } else if (handler === SHEETSYNC_CHANGE_HANDLER && type === String(ScriptApp.EventType.ON_CHANGE)) {
      counts.change++;
    }
  }
  return counts;
}

function sheetsyncTriggerWord_(n) {
  if (n === 1) {
    return 'installed';
  }
  if (n === 0) {
    return 'MISSING (run setup; triggers belong to the user who ran it)';
  }
  return n + ' INSTALLED (duplicates: run setup again to remove them)';
}

/* ------------------------------------------------------------------------- *
 * Small helpers
 * ------------------------------------------------------------------------- */

function sheetsyncPing_(url) {
  try {
    var response = UrlFetchApp.fetch(url, {
      method: 'get',
      muteHttpExceptions: true,
      followRedirects: false
    });
    var status = response.getResponseCode();
    var body = sheetsyncSafeText_(response);
    if (status === 200) {
      return { ok: true, message: 'HTTP 200 ' + body.slice(0, 100) };
    }
    var message = 'HTTP ' + status + sheetsyncDescribeBody_(body, '');
    if (status >= 300 && status < 400) {
      message += ' — redirected to ' + sheetsyncHeader_(response.getHeaders() || {}, 'Location');
    }
    return { ok: false, message: message };
  } catch (err) {
    return { ok: false, message: 'no answer (' + (err && err.message ? err.message : String(err)) + ')' };
  }
}

function sheetsyncSafeText_(response) {
  try {
    return String(response.getContentText() || '');
  } catch (err) {
    return '';
  }
}

/** ": title — detail" of a problem+json body, else its first 200 characters. */
function sheetsyncDescribeBody_(body, secret) {
  if (!body) {
    return '';
  }
  var text = body;
  try {
    var problem = JSON.parse(body);
    if (problem && typeof problem === 'object' && (problem.title || problem.detail)) {
      text = [problem.title, problem.detail].filter(function (x) { return !!x; }).join(' — ');
    }
  } catch (err) {
    // not JSON: keep the text
  }
  text = String(text).replace(/\s+/g, ' ').trim();
  if (text.length > 200) {
    text = text.slice(0, 200) + '…';
  }
  return ': ' + sheetsyncScrub_(text, secret, null);
}

/** Removes the secret and the token from a message before it is logged. */
function sheetsyncScrub_(message, secret, token) {
  var out = String(message);
  if (secret) {
    out = out.split(secret).join('[secret]');
  }
  if (token) {
    out = out.split(token).join('[token]');
  }
  return out;
}

function sheetsyncHeader_(headers, name) {
  var lower = name.toLowerCase();
  for (var key in headers) {
    if (Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === lower) {
      var v = headers[key];
      return Array.isArray(v) ? String(v[0]) : String(v);
    }
  }
  return '';
}

function sheetsyncUtf8Length_(s) {
  var n = 0;
  for (var i = 0; i < s.length; i++) {
    var c = s.charCodeAt(i);
    if (c < 0x80) {
      n += 1;
    } else if (c < 0x800) {
      n += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length &&
      s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      n += 4;
      i++;
    } else {
      n += 3;
    }
  }
  return n;
}

/** An alert when the spreadsheet's UI is there, else the execution log. */
function sheetsyncShow_(title, text) {
  try {
    var ui = SpreadsheetApp.getUi();
    ui.alert(title, text, ui.ButtonSet.OK);
  } catch (err) {
    console.log(title + ': ' + text);
  }
}

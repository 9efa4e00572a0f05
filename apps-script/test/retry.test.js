'use strict';
// Retries: 429, 5xx and no answer are retried with growing pauses and a fresh
// token each time; other refusals are logged once.
const test = require('node:test');
const assert = require('node:assert/strict');
const { setUpHarness, verifyToken, decodeClaims, SECRET } = require('./harness');

const problem = (status, title, detail) => ({
  status,
  body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  headers: { 'Content-Type': 'application/problem+json' },
});

function assertGrowing(sleeps) {
  assert.ok(sleeps[0] >= 1000, `first pause ${sleeps[0]} ms`);
  for (let i = 1; i < sleeps.length; i++) assert.ok(sleeps[i] > sleeps[i - 1], `pauses ${sleeps}`);
}

test('429, 503 and an exception are retried with growing pauses and fresh tokens', async () => {
  const h = setUpHarness();
  h.answers(
    problem(429, 'Too Many Requests', 'slow down'),
    problem(503, 'Service Unavailable', 'busy'),
    { throw: 'Exception: Address unavailable: https://sheetsync.example.com/webhooks/sheets' },
  );
  const result = h.edit('Issues', 'B7:D9');
  assert.equal(result.ok, true);
  assert.equal(result.status, 202);
  assert.equal(result.attempts, 4);
  assert.equal(h.requests.length, 4);
  assert.equal(h.sleeps.length, 3);
  assertGrowing(h.sleeps);
  const tokens = h.tokens();
  assert.equal(new Set(tokens).size, 4);
  const claims = await Promise.all(tokens.map(async (t) => (await verifyToken(t)).payload));
  assert.equal(new Set(claims.map((c) => c.jti)).size, 4, 'a fresh jti each attempt (else 409 replay)');
  for (const c of claims) {
    assert.equal(c.range, 'B7:D9');
    assert.equal(c.exp - c.iat, 300);
  }
  // Tokens are made when sent: after a pause, iat has moved on with the clock.
  assert.ok(claims[3].iat >= claims[0].iat + Math.floor((h.sleeps[0] + h.sleeps[1] + h.sleeps[2]) / 1000) - 1);
  assert.equal(h.logs.filter((l) => l.level === 'error' || l.level === 'warn').length, 0);
});

test('a service that stays down gets 5 attempts, then one error in the log', () => {
  const h = setUpHarness();
  h.respond(() => problem(500, 'Internal Server Error', 'database is locked'));
  const result = h.change('INSERT_ROW');
  assert.equal(result.ok, false);
  assert.equal(result.status, 500);
  assert.equal(h.requests.length, 5);
  assert.equal(h.sleeps.length, 4);
  assertGrowing(h.sleeps);
  const total = h.sleeps.reduce((a, b) => a + b, 0);
  assert.ok(total >= 15000 && total < 20000, `total pause ${total} ms`);
  assert.ok(total < 6 * 60 * 1000);
  const errors = h.logs.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /giving up .* after 5 attempts: HTTP 500: Internal Server Error — database is locked/);
  assert.equal(new Set(h.tokens().map((t) => decodeClaims(t).jti)).size, 5);
});

test('exceptions only (no answer at all) are retried too', () => {
  const h = setUpHarness();
  h.respond(() => ({ throw: 'Exception: Timeout: https://sheetsync.example.com/webhooks/sheets' }));
  const result = h.edit('Issues', 'A2');
  assert.equal(result.ok, false);
  assert.equal(h.requests.length, 5);
  assertGrowing(h.sleeps);
  assert.match(h.logText(), /no answer \(Exception: Timeout/);
});

for (const [status, title] of [[400, 'Bad Request'], [401, 'Unauthorized'], [404, 'Not Found'], [409, 'Conflict'], [413, 'Content Too Large'], [415, 'Unsupported Media Type']]) {
  test(`${status} is logged once and not retried`, () => {
    const h = setUpHarness();
    h.respond(() => problem(status, title, `refused with ${status}`));
    const result = h.edit('Issues', 'B7');
    assert.equal(result.ok, false);
    assert.equal(result.status, status);
    assert.equal(result.attempts, 1);
    assert.equal(h.requests.length, 1);
    assert.deepEqual(h.sleeps, []);
    const warnings = h.logs.filter((l) => l.level === 'warn' || l.level === 'error');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].message, new RegExp(`HTTP ${status}: ${title} — refused with ${status}`));
    assert.match(warnings[0].message, /not retried/);
  });
}

test('202 at once: no pause, nothing logged', () => {
  const h = setUpHarness();
  const result = h.edit('Issues', 'B7');
  assert.deepEqual({ ...result }, { ok: true, status: 202, attempts: 1, message: 'HTTP 202' });
  assert.deepEqual(h.sleeps, []);
  assert.deepEqual(h.logs, []);
});

test('Retry-After is honoured when longer than the backoff', () => {
  const h = setUpHarness();
  h.answers({ status: 429, body: '', headers: { 'retry-after': '7' } });
  h.edit('Issues', 'B7');
  assert.equal(h.sleeps.length, 1);
  assert.ok(h.sleeps[0] >= 7000 && h.sleeps[0] < 7000 + 250, `${h.sleeps[0]}`);
});

test('a redirect is not followed, not retried, and the log names where it points', () => {
  const h = setUpHarness();
  h.answers({ status: 301, body: '', headers: { Location: 'https://new.example.com/webhooks/sheets' } });
  const result = h.edit('Issues', 'B7');
  assert.equal(result.ok, false);
  assert.equal(h.requests[0].followRedirects, false);
  assert.equal(h.requests.length, 1);
  assert.match(h.logText(), /redirected to https:\/\/new\.example\.com/);
});

test('a daily UrlFetch quota error is not retried', () => {
  const h = setUpHarness();
  h.respond(() => ({ throw: 'Exception: Service invoked too many times for one day: urlfetch.' }));
  const result = h.edit('Issues', 'B7');
  assert.equal(result.ok, false);
  assert.equal(h.requests.length, 1);
  assert.deepEqual(h.sleeps, []);
});

test('neither the secret nor a token reaches the log, even when errors echo them', () => {
  const h = setUpHarness();
  let n = 0;
  h.respond((req) => {
    n++;
    if (n === 1) return { status: 500, body: `echo ${req.payload} and ${SECRET}` };
    if (n === 2) return { throw: `Exception: failed to send ${req.payload} (${SECRET})` };
    return problem(400, 'Bad Request', `token ${req.payload} is malformed`);
  });
  h.edit('Issues', 'B7');
  assert.equal(h.requests.length, 3);
  const text = h.visibleText();
  assert.ok(text.length > 0);
  assert.equal(text.includes(SECRET), false);
  for (const token of h.tokens()) {
    assert.equal(text.includes(token), false);
    assert.equal(text.includes(token.split('.')[2]), false, 'not even the signature');
  }
  assert.match(text, /\[token\]|\[secret\]/);
});

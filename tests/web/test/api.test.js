// Every endpoint of contract §5 against a real `sheetsync serve` on the demo
// data, each live response validated against openapi.yaml; /metrics parsed
// strictly (and by promtool when it is installed) and its counters watched
// while requests and syncs happen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ADMIN_TOKEN, ROOT, SPREADSHEET_ID, startStack, waitFor, waitIdle, webhookToken } from './harness.js';
import { checkResponse, documentedOperations } from './openapi.js';
import { metricValue, parseMetrics } from './prom.js';

const called = new Set();
let stack;

/* One request; validates the answer against the operation `template`. */
async function call(method, template, url, init = {}) {
  called.add(method + ' ' + template);
  const res = await fetch(stack.url + url, { method, redirect: 'manual', ...init });
  const body = await checkResponse(method, template, res);
  return { res, body, status: res.status, headers: res.headers };
}

async function metrics() {
  const res = await fetch(stack.url + '/metrics');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  return { text, parsed: parseMetrics(text) };
}

function assertProblem(r, status, parameter) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  assert.match(r.body.type, /^urn:sheetsync:problem:[a-z0-9-]+$/);
  if (parameter) assert.equal(r.body.parameter, parameter);
}

before(async () => { stack = await startStack(); });
after(async () => { if (stack) await stack.stop(); });

describe('probes', () => {
  test('GET /healthz', async () => {
    const r = await call('GET', '/healthz', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok' });
  });
  test('GET /readyz names the source and its last good sync', async () => {
    const r = await call('GET', '/readyz', '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.body.sources[0].name, 'default');
    assert.ok(r.body.sources[0].last_sync_ok_at);
  });
});

describe('GET /trends/weekly', () => {
  test('JSON by default, every row of the model', async () => {
    const r = await call('GET', '/trends/weekly', '/trends/weekly');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.match(r.headers.get('etag'), /^W\/"\d+-[0-9a-f]{16}"$/);
    assert.equal(r.body.source, 'default');
    assert.equal(r.body.timezone, 'America/Chicago');
    assert.ok(r.body.weeks.length > 50);
    assert.ok(r.body.weeks.every((w) => w.group === 'all'));
    assert.equal(r.body.weeks[0].week_start, r.body.from);
    assert.equal(r.body.weeks.at(-1).week_start, r.body.to);
  });
  test('group_by=priority has all five priorities every week', async () => {
    const r = await call('GET', '/trends/weekly', '/trends/weekly?group_by=priority&from=2024-03-06&to=2024-03-20');
    assert.equal(r.body.from, '2024-03-04');
    assert.equal(r.body.to, '2024-03-18');
    assert.deepEqual(r.body.weeks.map((w) => w.group),
      ['critical', 'high', 'low', 'medium', 'none', 'critical', 'high', 'low', 'medium', 'none',
        'critical', 'high', 'low', 'medium', 'none']);
  });
  test('group= keeps one group', async () => {
    const all = await call('GET', '/trends/weekly', '/trends/weekly?group_by=vehicle');
    const key = all.body.weeks[0].group;
    const one = await call('GET', '/trends/weekly', '/trends/weekly?group_by=vehicle&group=' + encodeURIComponent(key));
    assert.deepEqual(one.body.weeks, all.body.weeks.filter((w) => w.group === key));
  });
  test('CSV by format=csv and by Accept, same bytes', async () => {
    const a = await call('GET', '/trends/weekly', '/trends/weekly?format=csv');
    const b = await call('GET', '/trends/weekly', '/trends/weekly', { headers: { Accept: 'text/csv' } });
    assert.equal(a.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(a.body, b.body);
    const lines = a.body.trim().split('\n');
    assert.equal(lines[0], 'week_start,week_end,group,opened,resolved,open_at_end,overdue_at_end,' +
      'mean_days_to_resolve,median_days_to_resolve,opened_prev,opened_wow_delta,opened_wow_pct,' +
      'resolved_prev,resolved_wow_delta,resolved_wow_pct,open_at_end_prev,open_at_end_wow_delta,open_at_end_wow_pct');
    const json = (await call('GET', '/trends/weekly', '/trends/weekly')).body;
    assert.equal(lines.length - 1, json.weeks.length);
  });
  test('If-None-Match with the current tag answers 304 without a body', async () => {
    const a = await call('GET', '/trends/weekly', '/trends/weekly');
    const b = await call('GET', '/trends/weekly', '/trends/weekly', { headers: { 'If-None-Match': a.headers.get('etag') } });
    assert.equal(b.status, 304);
    assert.equal(b.body, null);
  });
  test('bad parameters name themselves; an unknown source is 404', async () => {
    assertProblem(await call('GET', '/trends/weekly', '/trends/weekly?from=2024-02-30'), 400, 'from');
    assertProblem(await call('GET', '/trends/weekly', '/trends/weekly?group_by=week'), 400, 'group_by');
    assertProblem(await call('GET', '/trends/weekly', '/trends/weekly?source=nope'), 404, 'source');
  });
});

describe('GET /issues and /issues/{number}', () => {
  test('pages walk every issue once, in (reported_at, issue_number) order', async () => {
    const seen = [];
    let cursor = null, pages = 0;
    do {
      const r = await call('GET', '/issues', '/issues?limit=1000' + (cursor ? '&cursor=' + cursor : ''));
      assert.equal(r.status, 200);
      seen.push(...r.body.items);
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 2);
    const keys = seen.map((i) => i.reported_at + '\u001f' + i.issue_number);
    assert.deepEqual(keys, [...keys].sort());
    assert.equal(new Set(seen.map((i) => i.issue_number)).size, seen.length);
  });
  test('filters', async () => {
    const r = await call('GET', '/issues', '/issues?status=open&priority=high&limit=1000');
    assert.ok(r.body.items.length > 0);
    assert.ok(r.body.items.every((i) => i.status === 'open' && i.priority === 'high'));
    const v = await call('GET', '/issues', '/issues?vehicle=van-14&reported_from=2024-06-01&reported_to=2024-06-30');
    assert.ok(v.body.items.every((i) => i.vehicle_key === 'VAN14' && i.reported_at.startsWith('2024-06')));
    assertProblem(await call('GET', '/issues', '/issues?limit=0'), 400, 'limit');
    assertProblem(await call('GET', '/issues', '/issues?cursor=%21'), 400, 'cursor');
  });
  test('CSV: labels joined with ";", a Link to the next page', async () => {
    const r = await call('GET', '/issues', '/issues?format=csv&limit=5');
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    const lines = r.body.trim().split('\n');
    assert.equal(lines[0], 'issue_number,vehicle,vehicle_key,summary,description,priority,status,reported_at,' +
      'reported_by,assigned_to,due_date,resolved_at,resolved_effective,odometer,labels,source,row');
    assert.equal(lines.length, 6);
    assert.match(r.headers.get('link'), /^<\/issues\?limit=5&format=csv&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    assert.ok(lines.some((l) => l.includes('maintenance;pm')), 'labels joined with ;');
    const all = await call('GET', '/issues', '/issues', { headers: { Accept: 'text/csv' } });
    const json = await call('GET', '/issues', '/issues?limit=1000');
    assert.ok(all.body.trim().split('\n').length - 1 > json.body.items.length, 'CSV pages hold up to 10,000');
  });
  test('one issue with its history; unknown numbers are 404', async () => {
    const list = await call('GET', '/issues', '/issues?limit=1');
    const n = list.body.items[0].issue_number;
    const r = await call('GET', '/issues/{number}', '/issues/' + encodeURIComponent(n));
    assert.equal(r.status, 200);
    assert.equal(r.body.state, 'current');
    assert.ok(r.body.history.length >= 1);
    assertProblem(await call('GET', '/issues/{number}', '/issues/no-such-issue'), 404);
  });
});

describe('reference data', () => {
  test('GET /vehicles', async () => {
    const r = await call('GET', '/vehicles', '/vehicles');
    assert.equal(r.status, 200);
    assert.ok(r.body.items.length > 10);
    assert.ok(r.body.items.some((v) => v.open > 0));
  });
  test('GET /quality: exact cells, two pages', async () => {
    const a = await call('GET', '/quality', '/quality?limit=5');
    assert.equal(a.body.items.length, 5);
    for (const q of a.body.items) if (q.column) assert.match(q.cell, /^[^!]+![A-Z]+[0-9]+$/);
    const b = await call('GET', '/quality', '/quality?limit=5&cursor=' + a.body.next_cursor);
    assert.ok(b.body.items[0].row >= a.body.items.at(-1).row);
    const e = await call('GET', '/quality', '/quality?severity=error&limit=1000');
    assert.ok(e.body.items.every((q) => q.severity === 'error'));
  });
});

describe('the service files', () => {
  test('GET /openapi.yaml is this description', async () => {
    const r = await call('GET', '/openapi.yaml', '/openapi.yaml');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/yaml');
    assert.equal(r.body, readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8'));
    assert.equal(YAML.parse(r.body).openapi, '3.1.0');
  });
  test('GET / and its assets, with ETags and a CSP', async () => {
    const page = await call('GET', '/', '/');
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
    assert.match(page.body, /<title>Fleet issues/);
    const again = await call('GET', '/', '/', { headers: { 'If-None-Match': page.headers.get('etag') } });
    assert.equal(again.status, 304);
    for (const [name, type] of [['app.js', 'text/javascript'], ['style.css', 'text/css'], ['chart.min.js', 'text/javascript']]) {
      const a = await call('GET', '/assets/{name}', '/assets/' + name);
      assert.equal(a.status, 200, name);
      assert.equal(a.headers.get('content-type'), type + '; charset=utf-8');
    }
    const gz = await fetch(stack.url + '/assets/chart.min.js', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assertProblem(await call('GET', '/assets/{name}', '/assets/nope.js'), 404);
  });
  test('unknown paths 404, wrong methods 405 with Allow', async () => {
    const a = await fetch(stack.url + '/nope');
    assert.equal(a.status, 404);
    assert.equal(a.headers.get('content-type'), 'application/problem+json');
    const b = await fetch(stack.url + '/metrics', { method: 'DELETE' });
    assert.equal(b.status, 405);
    assert.equal(b.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });
});

describe('sync runs, webhooks and metrics', () => {
  test('GET /syncs: newest first, filters, cursor', async () => {
    const r = await call('GET', '/syncs', '/syncs');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const ids = r.body.items.map((s) => s.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.ok(r.body.items.some((s) => s.trigger === 'import' && s.status === 'ok'));
    assert.ok(r.body.items.some((s) => s.trigger === 'startup' && s.status === 'ok'));
    const one = await call('GET', '/syncs', '/syncs?limit=1&source=default');
    assert.equal(one.body.items.length, 1);
    const next = await call('GET', '/syncs', '/syncs?limit=1&cursor=' + one.body.next_cursor);
    assert.ok(next.body.items[0].id < one.body.items[0].id);
    const imp = await call('GET', '/syncs', '/syncs?trigger=import');
    assert.ok(imp.body.items.every((s) => s.trigger === 'import'));
    assertProblem(await call('GET', '/syncs', '/syncs?status=done'), 400, 'status');
    assertProblem(await call('GET', '/syncs', '/syncs?source=nope'), 404, 'source');
  });

  test('POST /syncs needs the admin token and queues a full sync', async () => {
    const before = await metrics();
    const manualBefore = metricValue(before.parsed, 'sheetsync_sync_runs_total', { trigger: 'manual', status: 'ok' });
    const googleBefore = metricValue(before.parsed, 'sheetsync_google_api_calls_total', { status: '2xx' });

    assertProblem(await call('POST', '/syncs', '/syncs'), 401);
    assertProblem(await call('POST', '/syncs', '/syncs', { headers: { Authorization: 'Bearer wrong' } }), 401);
    const auth = { Authorization: 'Bearer ' + ADMIN_TOKEN };
    assertProblem(await call('POST', '/syncs', '/syncs', { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"source":' }), 400);
    assertProblem(await call('POST', '/syncs', '/syncs', { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"source":"nope"}' }), 404, 'source');

    const last = (await call('GET', '/syncs', '/syncs?limit=1')).body.items[0].id;
    const r = await call('POST', '/syncs', '/syncs', { headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"source":"default"}' });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { status: 'accepted', source: 'default', trigger: 'manual', full: true });
    const run = await waitIdle(stack, last + 1);
    assert.equal(run.trigger, 'manual');
    assert.equal(run.status, 'ok');
    assert.equal(run.range, null);
    assert.ok(run.rows_fetched > 1000);

    const bare = await call('POST', '/syncs', '/syncs', { headers: auth });
    assert.equal(bare.status, 202);
    assert.equal(bare.body.source, null);
    await waitIdle(stack, run.id + 1);

    const afterM = await metrics();
    assert.equal(metricValue(afterM.parsed, 'sheetsync_sync_runs_total', { trigger: 'manual', status: 'ok' }), manualBefore + 2);
    assert.ok(metricValue(afterM.parsed, 'sheetsync_google_api_calls_total', { status: '2xx' }) > googleBefore);
    assert.ok(metricValue(afterM.parsed, 'sheetsync_sync_rows_fetched_total', { trigger: 'manual', status: 'ok' }) >= 2 * 1497);
  });

  test('POST /webhooks/sheets: 202 pulls the edited rows; refusals are problems', async () => {
    const jwt = { 'Content-Type': 'application/jwt' };
    const last = (await call('GET', '/syncs', '/syncs?limit=1')).body.items[0].id;
    const token = webhookToken({ range: 'B7:C9' });
    const ok = await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: token });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.status, 'accepted');
    assert.equal(ok.body.pull, 'range');
    assert.equal(ok.body.rows, '7:9');
    const run = await waitIdle(stack, last + 1);
    assert.equal(run.trigger, 'webhook');

    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: token }), 409);
    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: { 'Content-Type': 'text/plain' }, body: webhookToken() }), 415);
    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: 'not.a.token' }), 400);
    const forged = webhookToken().replace(/\.[^.]+$/, '.AAAA');
    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: forged }), 401);
    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: webhookToken({ spreadsheet_id: 'other-' + SPREADSHEET_ID }) }), 404);
    assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: jwt, body: 'x'.repeat(20000) }), 413);

    const m = await metrics();
    assert.ok(metricValue(m.parsed, 'sheetsync_webhook_notifications_total', { outcome: 'accepted' }) >= 1);
    assert.ok(metricValue(m.parsed, 'sheetsync_webhook_notifications_total', { outcome: 'replay' }) >= 1);
    assert.ok(metricValue(m.parsed, 'sheetsync_sync_runs_total', { trigger: 'webhook', status: 'ok' }) >= 1);
  });

  test('GET /metrics: valid exposition; request counters move one by one', async () => {
    const r = await call('GET', '/metrics', '/metrics');
    assert.equal(r.status, 200);
    const a = parseMetrics(r.body);
    for (const name of ['sheetsync_http_requests_total', 'sheetsync_http_request_duration_seconds',
      'sheetsync_sync_runs_total', 'sheetsync_sync_rows_fetched_total', 'sheetsync_sync_rows_changed_total',
      'sheetsync_google_api_calls_total', 'sheetsync_webhook_notifications_total',
      'sheetsync_last_sync_success_age_seconds', 'sheetsync_database_up', 'sheetsync_queue_depth']) {
      assert.ok(a.families.has(name), name + ' is exposed');
      assert.ok(a.families.get(name).help, name + ' has HELP');
    }
    const age = metricValue(a, 'sheetsync_last_sync_success_age_seconds', { source: 'default' });
    assert.ok(age >= 0 && age < 600, 'age ' + age);
    const sel = { route: '/healthz', method: 'GET', code: '200' };
    const n0 = metricValue(a, 'sheetsync_http_requests_total', sel);
    const h0 = metricValue(a, 'sheetsync_http_request_duration_seconds_count', { route: '/healthz', method: 'GET' });
    for (let i = 0; i < 7; i++) await fetch(stack.url + '/healthz');
    await fetch(stack.url + '/nope');
    const b = (await metrics()).parsed;
    assert.equal(metricValue(b, 'sheetsync_http_requests_total', sel), n0 + 7);
    assert.equal(metricValue(b, 'sheetsync_http_request_duration_seconds_count', { route: '/healthz', method: 'GET' }), h0 + 7);
    assert.ok(metricValue(b, 'sheetsync_http_requests_total', { route: 'none', code: '404' }, true) >= 1);
  });

  test('promtool check metrics (when installed)', async (t) => {
    const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
    if (which.status !== 0) { t.skip('promtool is not installed (apt-get install prometheus)'); return; }
    const { text } = await metrics();
    const p = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stdout + p.stderr);
  });

  test('the access log is JSON with the request id', async () => {
    const r = await fetch(stack.url + '/vehicles', { headers: { 'X-Request-Id': 'web-test-4711' } });
    assert.equal(r.headers.get('x-request-id'), 'web-test-4711');
    const line = await waitFor('the access log line', () =>
      stack.logs().split('\n').find((l) => l.includes('"request_id":"web-test-4711"')));
    const o = JSON.parse(line);
    assert.equal(o.method, 'GET');
    assert.equal(o.path, '/vehicles');
    assert.equal(o.status, '200');
    assert.ok(o.ts && o.level && o.msg && o.duration_ms);
  });
});

describe('without Google sources or an admin token', () => {
  let bare;
  before(async () => {
    bare = await startStack({ withGoogle: false, env: { SHEETSYNC_ADMIN_TOKEN: null, SHEETSYNC_WEBHOOK_SECRET: null } });
  });
  after(async () => { if (bare) await bare.stop(); });
  test('POST /syncs is 403, webhooks 503', async () => {
    const saved = stack;
    stack = bare;
    try {
      assertProblem(await call('POST', '/syncs', '/syncs', { headers: { Authorization: 'Bearer x' } }), 403);
      assertProblem(await call('POST', '/webhooks/sheets', '/webhooks/sheets', { headers: { 'Content-Type': 'application/jwt' }, body: webhookToken() }), 503);
    } finally {
      stack = saved;
    }
  });
  test('POST /syncs with the admin token but no Google source is 503', async () => {
    const only = await startStack({ withGoogle: false });
    const saved = stack;
    stack = only;
    try {
      assertProblem(await call('POST', '/syncs', '/syncs', { headers: { Authorization: 'Bearer ' + ADMIN_TOKEN } }), 503);
    } finally {
      stack = saved;
      await only.stop();
    }
  });
});

test('every operation of openapi.yaml was called', () => {
  const missing = documentedOperations().filter((op) => !called.has(op));
  assert.deepEqual(missing, []);
  for (const op of ['GET /healthz', 'GET /readyz', 'POST /webhooks/sheets', 'GET /trends/weekly', 'GET /issues',
    'GET /issues/{number}', 'GET /vehicles', 'GET /quality', 'GET /syncs', 'POST /syncs', 'GET /metrics',
    'GET /openapi.yaml', 'GET /']) {
    assert.ok(called.has(op), op + ' (contract §5) was called');
  }
});

/* sheetsync dashboard: plain JavaScript, no framework, no build step.
 *
 * State lives in the URL (?source=&from=&to=&priority=&vehicle=): every
 * filter change pushes a history entry, so a link reproduces the view and
 * the back button goes back. The weekly numbers come from /trends/weekly;
 * a priority or vehicle filter reads one group of group_by=priority or
 * group_by=vehicle (the model groups by one dimension at a time). Every
 * 5 s the page asks /trends/weekly again with If-None-Match: a 304 means
 * nothing changed; anything else reloads the view. */
'use strict';

(function () {
  const POLL_MS = 5000;
  const FRESHNESS_EVERY = 6; /* polls between /syncs checks (a failed sync changes no data) */
  const PRIORITIES = ['critical', 'high', 'medium', 'low', 'none'];
  const PRIORITY_COLORS = {
    critical: '#8e1b1b', high: '#d9480f', medium: '#e8a317', low: '#4a90c2', none: '#a7adb4',
  };
  const BLUE = '#2962a8', GREEN = '#2e7d46', RED = '#b3261e', GREY = '#5f6b76';

  /* Which direction is good news for each card. */
  const CARDS = {
    opened: { upIsGood: false, prevField: 'opened_prev', digits: 0 },
    resolved: { upIsGood: true, prevField: 'resolved_prev', digits: 0 },
    open_at_end: { upIsGood: false, prevField: 'open_at_end_prev', digits: 0 },
    overdue_at_end: { upIsGood: false, prevField: null, digits: 0 },
    mean_days_to_resolve: { upIsGood: false, prevField: null, digits: 2 },
  };

  const $ = (sel) => document.querySelector(sel);
  const state = { source: '', from: '', to: '', priority: '', vehicle: '' };
  const charts = {};
  let mainEtag = null, mainUrl = null, pollCount = 0;
  let lastSyncOk = null, lastRun = null, qualityCursor = null;
  let loading = 0;

  /* ---- fetching ------------------------------------------------------- */

  function token() {
    try { return sessionStorage.getItem('sheetsync-token') || ''; } catch (e) { return ''; }
  }

  function askToken() {
    const dlg = $('#token-dialog');
    if (!dlg || dlg.open || typeof dlg.showModal !== 'function') return;
    dlg.showModal();
    $('#token-form').addEventListener('submit', () => {
      try { sessionStorage.setItem('sheetsync-token', $('#token-input').value.trim()); } catch (e) { /* private mode */ }
      load(false);
    }, { once: true });
  }

  class HttpError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  /* GET a JSON resource. `etag`: send If-None-Match and return null on 304. */
  async function getJSON(url, etag) {
    const headers = { Accept: 'application/json' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    if (etag) headers['If-None-Match'] = etag;
    const res = await fetch(url, { headers, cache: etag ? 'no-store' : 'no-cache' });
    if (res.status === 304) return null;
    if (res.status === 401) askToken();
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = (await res.json()).detail || detail; } catch (e) { /* not JSON */ }
      throw new HttpError(res.status, detail);
    }
    const body = await res.json();
    return { body, etag: res.headers.get('ETag') };
  }

  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
    const s = u.toString();
    return s ? '?' + s : '';
  }

  /* ---- URL state ------------------------------------------------------ */

  function readState() {
    const u = new URLSearchParams(location.search);
    for (const k of Object.keys(state)) state[k] = u.get(k) || '';
    if (state.priority && state.vehicle) state.priority = ''; /* one dimension at a time */
  }

  function writeState() {
    const url = location.pathname + qs(state);
    if (url !== location.pathname + location.search) history.pushState(null, '', url);
  }

  function syncForm() {
    $('#f-source').value = state.source;
    $('#f-from').value = state.from;
    $('#f-to').value = state.to;
    $('#f-priority').value = state.priority;
    const vsel = $('#f-vehicle');
    if (state.vehicle && !Array.from(vsel.options).some((o) => o.value === state.vehicle)) {
      vsel.add(new Option(state.vehicle, state.vehicle));
    }
    vsel.value = state.vehicle;
  }

  /* ---- formatting ----------------------------------------------------- */

  const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const fullFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

  function utcDate(ymd) { return new Date(ymd + 'T00:00:00Z'); }
  function addDays(ymd, n) {
    const d = utcDate(ymd);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function weekLabel(row) {
    return dayFmt.format(utcDate(row.week_start)) + ' – ' + fullFmt.format(utcDate(row.week_end));
  }
  function num(v, digits) {
    if (v === null || v === undefined) return '–';
    return Number(v).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function ago(iso) {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 60) return 'just now';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400 * 2) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' days ago';
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* ---- rendering ------------------------------------------------------ */

  function renderCards(weeks) {
    const last = weeks[weeks.length - 1];
    const before = weeks.length > 1 ? weeks[weeks.length - 2] : null;
    $('#cards-title').textContent = last ? 'Week of ' + weekLabel(last) : 'No issues yet';
    $('#cards-sub').textContent = last
      ? 'The last week of the range, compared with the week before.' + filterNote()
      : 'Nothing to show for this selection.';
    for (const [metric, cfg] of Object.entries(CARDS)) {
      const card = document.querySelector('[data-metric="' + metric + '"]');
      const valueEl = card.querySelector('[data-value]');
      const deltaEl = card.querySelector('[data-delta]');
      const value = last ? last[metric] : null;
      valueEl.textContent = num(value, cfg.digits);
      valueEl.dataset.raw = value === null || value === undefined ? '' : String(value);
      const prev = !last ? null : cfg.prevField ? last[cfg.prevField] : before ? before[metric] : null;
      deltaEl.className = 'delta';
      deltaEl.textContent = '';
      if (value === null || value === undefined || prev === null || prev === undefined) {
        deltaEl.textContent = last ? 'no week before to compare' : '';
        continue;
      }
      const diff = Math.round((value - prev) * 100) / 100;
      if (diff === 0) {
        deltaEl.classList.add('flat');
        deltaEl.append(el('span', { 'aria-hidden': 'true' }, '● '), 'same as the week before (' + num(prev, cfg.digits) + ')');
        continue;
      }
      const up = diff > 0;
      const good = up === cfg.upIsGood;
      deltaEl.classList.add(good ? 'good' : 'bad');
      const pct = prev ? ' (' + (up ? '+' : '−') + num(Math.abs((100 * diff) / prev), 1) + '%)' : '';
      deltaEl.append(
        el('span', { 'aria-hidden': 'true' }, up ? '▲ ' : '▼ '),
        (up ? 'up ' : 'down ') + num(Math.abs(diff), cfg.digits) + pct + ' from ' + num(prev, cfg.digits),
        el('span', { class: 'visually-hidden' }, good ? ', better' : ', worse'));
    }
  }

  function filterNote() {
    if (state.priority) return ' Only ' + state.priority + '-priority issues.';
    if (state.vehicle) {
      const opt = $('#f-vehicle').selectedOptions[0];
      return ' Only vehicle ' + (opt ? opt.textContent : state.vehicle) + '.';
    }
    return '';
  }

  function chartOrNull(id, config) {
    if (typeof window.Chart !== 'function') {
      $('#charts-missing').hidden = false;
      return null;
    }
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].options = config.options;
      charts[id].update('none');
      return charts[id];
    }
    charts[id] = new window.Chart(document.getElementById(id), config);
    return charts[id];
  }

  function baseOptions(stacked) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
      scales: {
        x: { stacked, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 }, grid: { display: false } },
        y: { stacked, beginAtZero: true, ticks: { precision: 0 } },
      },
    };
  }

  function renderCharts(weeks, prioWeeks) {
    const labels = weeks.map((w) => dayFmt.format(utcDate(w.week_start)));
    chartOrNull('chart-flow', {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { label: 'Opened', data: weeks.map((w) => w.opened), backgroundColor: BLUE },
          { label: 'Resolved', data: weeks.map((w) => w.resolved), backgroundColor: GREEN },
        ],
      },
      options: baseOptions(false),
    });
    chartOrNull('chart-backlog', {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'Open at week end', data: weeks.map((w) => w.open_at_end), borderColor: BLUE, backgroundColor: 'rgba(41,98,168,0.12)', fill: true, pointRadius: 0, tension: 0.2 },
          { label: 'Overdue', data: weeks.map((w) => w.overdue_at_end), borderColor: RED, borderDash: [6, 4], pointRadius: 0, tension: 0.2 },
        ],
      },
      options: baseOptions(false),
    });
    const starts = [...new Set(prioWeeks.map((w) => w.week_start))];
    const byKey = new Map(prioWeeks.map((w) => [w.week_start + '|' + w.group, w.opened]));
    chartOrNull('chart-priority', {
      type: 'bar',
      data: {
        labels: starts.map((s) => dayFmt.format(utcDate(s))),
        datasets: PRIORITIES.map((p) => ({
          label: p === 'none' ? 'No priority' : p[0].toUpperCase() + p.slice(1),
          data: starts.map((s) => byKey.get(s + '|' + p) || 0),
          backgroundColor: PRIORITY_COLORS[p],
          hidden: Boolean(state.priority) && state.priority !== p,
        })),
      },
      options: baseOptions(true),
    });
    $('#prio-note').textContent = state.vehicle ? '(all vehicles)' : state.priority ? '(others hidden; click the legend to show them)' : '';
    const first = weeks[0], last = weeks[weeks.length - 1];
    if (first) {
      $('#chart-flow').setAttribute('aria-label', 'Bar chart of issues opened and resolved each week from ' +
        fullFmt.format(utcDate(first.week_start)) + ' to ' + fullFmt.format(utcDate(last.week_start)) +
        '; last week ' + last.opened + ' opened and ' + last.resolved + ' resolved.');
      $('#chart-backlog').setAttribute('aria-label', 'Line chart of open issues at the end of each week; ' +
        last.open_at_end + ' open and ' + last.overdue_at_end + ' overdue at the end of the last week.');
    }
  }

  function renderVehicles(vehicles, recent) {
    const acc = new Map();
    for (const w of recent) {
      const a = acc.get(w.group) || { opened: 0, resolved: 0 };
      a.opened += w.opened;
      a.resolved += w.resolved;
      acc.set(w.group, a);
    }
    const rows = vehicles.map((v) => Object.assign({}, v, acc.get(v.vehicle_key) || { opened: 0, resolved: 0 }));
    rows.sort((a, b) => b.open - a.open || b.opened - a.opened || a.vehicle_key.localeCompare(b.vehicle_key));
    const tbody = $('#vehicles tbody');
    tbody.replaceChildren();
    for (const v of rows.slice(0, 10)) {
      const tr = el('tr');
      if (v.vehicle_key === state.vehicle) tr.className = 'selected';
      const th = el('th', { scope: 'row', 'data-label': 'Vehicle' });
      const a = el('a', { href: qs(Object.assign({}, state, { vehicle: v.vehicle_key, priority: '' })) || '?' }, v.name);
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        state.vehicle = v.vehicle_key;
        state.priority = '';
        writeState();
        syncForm();
        load(false);
      });
      th.append(a);
      tr.append(th,
        el('td', { class: 'num', 'data-label': 'Open now' }, num(v.open, 0)),
        el('td', { class: 'num', 'data-label': 'Opened, 4 weeks' }, num(v.opened, 0)),
        el('td', { class: 'num', 'data-label': 'Resolved, 4 weeks' }, num(v.resolved, 0)),
        el('td', { class: 'num', 'data-label': 'All time' }, num(v.total, 0)));
      tbody.append(tr);
    }
    if (!rows.length) tbody.append(emptyRow(5, 'No vehicles yet.'));
  }

  function emptyRow(span, text) {
    const tr = el('tr');
    tr.append(el('td', { colspan: String(span), class: 'empty' }, text));
    return tr;
  }

  function renderQuality(items, append) {
    const tbody = $('#quality tbody');
    if (!append) tbody.replaceChildren();
    for (const q of items) {
      const tr = el('tr', { class: 'sev-' + q.severity });
      tr.append(
        el('td', { 'data-label': 'Cell' }),
        el('td', { 'data-label': 'Column' }, q.column || '(whole row)'),
        el('td', { 'data-label': 'Value' }),
        el('td', { 'data-label': 'Problem' }, q.message),
        el('td', { 'data-label': 'Effect' }));
      tr.children[0].append(el('code', {}, q.cell || 'row ' + q.row));
      const val = tr.children[2];
      if (q.value === null || q.value === '') val.append(el('span', { class: 'muted' }, '(empty)'));
      else val.append(el('code', {}, q.value));
      tr.children[4].append(el('span', { class: 'badge badge-' + q.severity },
        q.severity === 'error' ? 'Row left out' : 'Row kept'));
      tbody.append(tr);
    }
    if (!append && !items.length) tbody.append(emptyRow(5, 'No problems: every row of the sheet was read as typed.'));
    $('#quality-more').hidden = !qualityCursor;
  }

  function renderFreshness() {
    const p = $('#freshness');
    p.classList.remove('fresh', 'stale');
    if (lastRun && lastRun.status === 'failed') {
      p.classList.add('stale');
      p.textContent = 'Last sync failed ' + ago(lastRun.finished_at || lastRun.started_at) +
        (lastRun.error ? ': ' + lastRun.error : '') +
        (lastSyncOk ? '. Showing data from ' + ago(lastSyncOk) + '.' : '.');
      return;
    }
    if (lastRun && lastRun.status === 'running') {
      p.classList.add('fresh');
      p.textContent = 'Syncing now…' + (lastSyncOk ? ' Last synced ' + ago(lastSyncOk) + '.' : '');
      return;
    }
    if (lastSyncOk) {
      p.classList.add('fresh');
      p.textContent = 'Last synced ' + ago(lastSyncOk);
      p.title = new Date(lastSyncOk).toLocaleString();
    } else {
      p.classList.add('stale');
      p.textContent = 'Not synced yet';
    }
  }

  function showError(err) {
    const b = $('#error');
    if (!err) { b.hidden = true; return; }
    b.hidden = false;
    b.textContent = err.status === 401 ? 'This server needs an API token to show its data.'
      : 'Could not load the data: ' + err.message + '. Retrying…';
  }

  /* ---- loading -------------------------------------------------------- */

  function mainQuery() {
    const base = { source: state.source, from: state.from, to: state.to };
    if (state.priority) return Object.assign(base, { group_by: 'priority', group: state.priority });
    if (state.vehicle) return Object.assign(base, { group_by: 'vehicle', group: state.vehicle });
    return base;
  }

  async function loadFreshness() {
    const src = state.source;
    const [ready, runs] = await Promise.all([
      getJSON('/readyz').catch(() => null),
      getJSON('/syncs' + qs({ source: src, limit: '1' })).catch(() => null),
    ]);
    if (ready) {
      const sources = ready.body.sources || [];
      const s = sources.find((x) => x.name === src) || sources[0];
      lastSyncOk = s ? s.last_sync_ok_at : null;
      const sel = $('#f-source');
      if (sources.length > 1 && sel.options.length !== sources.length) {
        sel.replaceChildren(...sources.map((x) => new Option(x.name, x.name)));
        $('#source-field').hidden = false;
        sel.value = state.source || sources[0].name;
      }
    }
    lastRun = runs && runs.body.items.length ? runs.body.items[0] : null;
    renderFreshness();
  }

  /* Loads everything the view shows. `quiet`: a background refresh. */
  async function load(quiet) {
    const my = ++loading;
    document.body.setAttribute('aria-busy', 'true');
    const src = { source: state.source };
    mainUrl = '/trends/weekly' + qs(mainQuery());
    try {
      const [main, prio, vehicles, quality] = await Promise.all([
        getJSON(mainUrl),
        getJSON('/trends/weekly' + qs(Object.assign({ group_by: 'priority', from: state.from, to: state.to }, src))),
        getJSON('/vehicles' + qs(src)),
        getJSON('/quality' + qs(Object.assign({ limit: '25' }, src))),
        loadFreshness(),
      ]);
      if (my !== loading) return; /* a newer load started */
      mainEtag = main.etag;
      const weeks = main.body.weeks;
      fillVehicleOptions(vehicles.body.items);
      renderCards(weeks);
      renderCharts(weeks, prio.body.weeks);
      qualityCursor = quality.body.next_cursor;
      renderQuality(quality.body.items, false);
      $('#csv-link').href = '/trends/weekly' + qs(Object.assign({ format: 'csv' }, mainQuery()));
      /* The headline numbers and charts are on screen: the first render. */
      if (!quiet && performance.mark && !performance.getEntriesByName('sheetsync-rendered').length) {
        performance.mark('sheetsync-rendered');
      }
      /* Recent activity per vehicle: the last four weeks of the range. */
      const to = main.body.to;
      let recent = [];
      if (to) {
        const r = await getJSON('/trends/weekly' + qs(Object.assign({ group_by: 'vehicle', from: addDays(to, -21), to }, src)));
        recent = r.body.weeks;
        $('#vehicles-sub').textContent = 'Open now, and what happened in the four weeks to ' + fullFmt.format(utcDate(addDays(to, 6))) + '.';
      }
      if (my !== loading) return;
      renderVehicles(vehicles.body.items, recent);
      showError(null);
      document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
    } catch (err) {
      if (my === loading) showError(err);
    } finally {
      if (my === loading) document.body.removeAttribute('aria-busy');
    }
  }

  function fillVehicleOptions(items) {
    const sel = $('#f-vehicle');
    const want = ['', ...items.map((v) => v.vehicle_key)].join('|');
    if (sel.dataset.keys === want) return;
    const sorted = items.slice().sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    sel.replaceChildren(new Option('All vehicles', ''), ...sorted.map((v) => new Option(v.name, v.vehicle_key)));
    sel.dataset.keys = want;
    sel.value = state.vehicle;
  }

  async function moreQuality() {
    if (!qualityCursor) return;
    const r = await getJSON('/quality' + qs({ source: state.source, limit: '50', cursor: qualityCursor }));
    qualityCursor = r.body.next_cursor;
    renderQuality(r.body.items, true);
  }

  /* Every POLL_MS: has the data changed? The ETag answers without a body. */
  async function poll() {
    pollCount++;
    try {
      const r = await getJSON(mainUrl, mainEtag);
      if (r !== null) await load(true);
      else if (pollCount % FRESHNESS_EVERY === 0) await loadFreshness();
      else renderFreshness();
    } catch (err) {
      showError(err);
    }
    setTimeout(poll, POLL_MS);
  }

  /* ---- wiring --------------------------------------------------------- */

  function onFilterChange(ev) {
    const name = ev.target.name;
    state[name] = ev.target.value;
    if (name === 'priority' && state.priority) state.vehicle = '';
    if (name === 'vehicle' && state.vehicle) state.priority = '';
    if (name === 'source') { state.vehicle = ''; }
    writeState();
    syncForm();
    load(false);
  }

  function start() {
    readState();
    syncForm();
    const form = $('#filters');
    form.addEventListener('change', onFilterChange);
    form.addEventListener('submit', (ev) => ev.preventDefault());
    $('#reset').addEventListener('click', (ev) => {
      ev.preventDefault();
      for (const k of Object.keys(state)) if (k !== 'source') state[k] = '';
      writeState();
      syncForm();
      load(false);
    });
    $('#quality-more').addEventListener('click', () => moreQuality().catch(showError));
    window.addEventListener('popstate', () => { readState(); syncForm(); load(false); });
    load(false).then(() => { setTimeout(poll, POLL_MS); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

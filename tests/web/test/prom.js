// A strict parser of the Prometheus text exposition format 0.0.4, as a test
// oracle for GET /metrics: it throws on anything a Prometheus server would
// refuse or that breaks the format's rules (names, escapes, values, HELP and
// TYPE before the samples of their family, one TYPE per family, families not
// interleaved, no duplicate series, histogram buckets cumulative and ending
// with +Inf equal to _count, counters not negative).
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s, where) {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value '${s}'`);
  return Number(s);
}

function parseLabels(s, where) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq).trim();
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name '${name}'`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2, v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`${where}: bad escape '\\${n}'`);
      } else if (s[j] === '\n') {
        throw new Error(`${where}: raw newline in a label value`);
      } else {
        v += s[j];
      }
    }
    if (j >= s.length) throw new Error(`${where}: unterminated label value`);
    if (name in labels) throw new Error(`${where}: label '${name}' repeated`);
    labels[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`${where}: expected ',' between labels`);
  }
  return labels;
}

/* Returns { families: Map(name → {type, help, samples: [{name, labels, value}]}) }. */
export function parseMetrics(text) {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map();
  const seenSeries = new Set();
  let current = null;
  const closed = new Set();
  const familyOf = (sample) => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      if (sample.endsWith(suffix)) {
        const base = sample.slice(0, sample.length - suffix.length);
        const f = families.get(base);
        if (f && (suffix === '' || f.type === 'histogram' || f.type === 'summary')) return base;
      }
    }
    return sample;
  };
  text.split('\n').slice(0, -1).forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; /* a plain comment */
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name '${name}'`);
      if (closed.has(name)) throw new Error(`${where}: family ${name} appears twice`);
      let f = families.get(name);
      if (!f) { f = { type: 'untyped', help: null, samples: [], typed: false }; families.set(name, f); }
      if (current && current !== name) closed.add(current);
      current = name;
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^n\\]/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest;
      } else {
        if (f.typed) throw new Error(`${where}: second TYPE for ${name}`);
        if (f.samples.length) throw new Error(`${where}: TYPE after samples of ${name}`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type '${rest}'`);
        f.type = rest;
        f.typed = true;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${line}`);
    const [, name, , labelText, valueText] = m;
    const labels = labelText ? parseLabels(labelText, where) : {};
    const value = parseValue(valueText, where);
    const fam = familyOf(name);
    if (closed.has(fam)) throw new Error(`${where}: samples of ${fam} are not together`);
    if (current && current !== fam) closed.add(current);
    current = fam;
    let f = families.get(fam);
    if (!f) { f = { type: 'untyped', help: null, samples: [], typed: false }; families.set(fam, f); }
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seenSeries.has(key)) throw new Error(`${where}: duplicate series ${name}${labelText ? '{' + labelText + '}' : ''}`);
    seenSeries.add(key);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${value}`);
    if (f.type === 'counter' && !name.endsWith('_total')) throw new Error(`${where}: counter ${name} lacks _total`);
    f.samples.push({ name, labels, value });
  });
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue;
    const groups = new Map();
    for (const s of f.samples) {
      const { le, ...rest } = s.labels;
      const k = JSON.stringify(Object.entries(rest).sort());
      if (!groups.has(k)) groups.set(k, { buckets: [], count: null, sum: null });
      const g = groups.get(k);
      if (s.name === name + '_bucket') {
        if (le === undefined) throw new Error(`${name}: bucket without le`);
        g.buckets.push([parseValue(le, name), s.value]);
      } else if (s.name === name + '_count') g.count = s.value;
      else if (s.name === name + '_sum') g.sum = s.value;
      else throw new Error(`${name}: unexpected sample ${s.name}`);
    }
    for (const [k, g] of groups) {
      if (g.count === null || g.sum === null) throw new Error(`${name}${k}: _count or _sum missing`);
      const last = g.buckets[g.buckets.length - 1];
      if (!last || last[0] !== Infinity) throw new Error(`${name}${k}: no +Inf bucket last`);
      for (let i = 1; i < g.buckets.length; i++) {
        if (!(g.buckets[i][0] > g.buckets[i - 1][0])) throw new Error(`${name}${k}: le not increasing`);
        if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${name}${k}: buckets not cumulative`);
      }
      if (last[1] !== g.count) throw new Error(`${name}${k}: +Inf bucket ${last[1]} != count ${g.count}`);
    }
  }
  return { families };
}

/* The value of one series (labels matched exactly on the given subset), or
 * 0 when absent; sums every matching series when `sum` is true. */
export function metricValue(parsed, sample, labels = {}, sum = false) {
  let total = 0, found = false;
  for (const f of parsed.families.values()) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) {
        if (!sum && found) throw new Error(`several series of ${sample} match ${JSON.stringify(labels)}`);
        total += s.value;
        found = true;
      }
    }
  }
  return total;
}

// Validates live responses against openapi.yaml with ajv (JSON Schema
// 2020-12, the dialect of OpenAPI 3.1) and ajv-formats.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { ROOT } from './harness.js';

export const spec = YAML.parse(readFileSync(path.join(ROOT, 'openapi.yaml'), 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
ajv.addVocabulary(['example']); /* OpenAPI annotation */

/* Component refs ("#/components/schemas/X") point into one schema
 * registered as "sheetsync", whose $defs are the components. */
function rewrite(node) {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node && typeof node === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
        ? 'sheetsync#/$defs/' + v.slice('#/components/schemas/'.length)
        : rewrite(v);
    }
    return out;
  }
  return node;
}
ajv.addSchema({ $id: 'sheetsync', $defs: rewrite(spec.components.schemas) });

function deref(obj) {
  while (obj && obj.$ref) {
    const parts = obj.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    obj = parts.reduce((o, p) => o[p], spec);
  }
  return obj;
}

/* The operation for (method, path template), or throws. */
export function operation(method, template) {
  const op = spec.paths[template] && spec.paths[template][method.toLowerCase()];
  if (!op) throw new Error(`openapi.yaml has no ${method} ${template}`);
  return op;
}

const cache = new Map();

/* The validator of the documented response, or throws when the status or
 * media type is not documented. */
export function responseValidator(method, template, status, mediaType) {
  const key = [method, template, status, mediaType].join(' ');
  if (cache.has(key)) return cache.get(key);
  const op = operation(method, template);
  const resp = deref(op.responses[String(status)]);
  if (!resp) throw new Error(`${method} ${template}: status ${status} is not documented`);
  if (!mediaType) { cache.set(key, null); return null; }
  const content = resp.content && resp.content[mediaType];
  if (!content) throw new Error(`${method} ${template} ${status}: ${mediaType} is not documented`);
  const v = ajv.compile(rewrite(content.schema));
  cache.set(key, v);
  return v;
}

/* Asserts that `res` (a fetch Response) with its parsed body matches the
 * description; returns the body. JSON bodies are validated against the
 * schema; other media types only by their documented presence. */
export async function checkResponse(method, template, res) {
  const ct = (res.headers.get('content-type') || '').split(';')[0].trim();
  const text = await res.text();
  const validate = responseValidator(method, template, res.status, text.length ? ct : null);
  if (!text.length) return null;
  if (!ct.endsWith('json')) return text;
  const body = JSON.parse(text);
  if (validate && !validate(body)) {
    throw new Error(`${method} ${template} ${res.status} does not match openapi.yaml: ` +
      ajv.errorsText(validate.errors, { separator: '\n  ' }) + '\nbody: ' + text.slice(0, 500));
  }
  return body;
}

/* Every (method, path template) the description lists. */
export function documentedOperations() {
  const out = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of ['get', 'post', 'put', 'delete', 'patch']) if (item[m]) out.push(m.toUpperCase() + ' ' + p);
  }
  return out;
}

// The live setup of the web tests: the demo data (data/issues.csv) imported
// into a temporary database with `sheetsync import-csv`, the sheets-emulator
// serving the same CSV as the Google sheet "demo-sheet", and a real
// `sheetsync serve` on a free port with admin token, webhook secret and JSON
// debug logs. Binaries come from SHEETSYNC_BIN / SHEETS_EMULATOR_BIN
// (default: build/release/ of the repository).
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const BIN = path.resolve(process.env.SHEETSYNC_BIN || path.join(ROOT, 'build/release/sheetsync'));
export const EMU = path.resolve(process.env.SHEETS_EMULATOR_BIN || path.join(path.dirname(BIN), 'sheets-emulator'));
export const DEMO_CSV = path.join(ROOT, 'data/issues.csv');
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef';
export const SPREADSHEET_ID = 'demo-sheet';

async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}

/* Starts everything; returns { url, stop(), logs(), emuUrl, dir }. */
export async function startStack({ withGoogle = true, env = {} } = {}) {
  for (const b of withGoogle ? [BIN, EMU] : [BIN]) {
    if (!existsSync(b)) throw new Error(b + ' is missing: build it (tests/web/run.sh does)');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'sheetsync-web-'));
  const db = path.join(dir, 'sheetsync.db');
  const imp = spawnSync(BIN, ['--db', db, 'import-csv', DEMO_CSV, '--timezone', 'America/Chicago'],
    { encoding: 'utf8', env: { ...process.env, SHEETSYNC_LOG_LEVEL: 'warn' } });
  if (imp.status !== 0) throw new Error('import-csv failed: ' + imp.stderr);

  const procs = [];
  let emuUrl = null;
  const baseEnv = {
    ...process.env,
    SHEETSYNC_DB: db,
    SHEETSYNC_BIND: '127.0.0.1',
    SHEETSYNC_PORT: '0',
    SHEETSYNC_ADMIN_TOKEN: ADMIN_TOKEN,
    SHEETSYNC_WEBHOOK_SECRET: WEBHOOK_SECRET,
    SHEETSYNC_RECONCILE_SECONDS: '0',
    SHEETSYNC_DEBOUNCE_MS: '20',
    SHEETSYNC_LOG_LEVEL: 'debug',
    SHEETSYNC_LOG_FORMAT: 'json',
  };
  delete baseEnv.SHEETSYNC_CONFIG;
  delete baseEnv.SHEETSYNC_API_TOKEN;
  if (withGoogle) {
    const portFile = path.join(dir, 'emu.port');
    const key = path.join(dir, 'emu-key.json');
    const emu = spawn(EMU, ['--csv', DEMO_CSV, '--port', '0', '--port-file', portFile, '--key-out', key,
      '--spreadsheet-id', SPREADSHEET_ID, '--timezone', 'America/Chicago', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
    procs.push(emu);
    const port = await waitFor('the emulator port', () => existsSync(portFile) && readFileSync(portFile, 'utf8').trim());
    emuUrl = 'http://127.0.0.1:' + port;
    Object.assign(baseEnv, {
      SHEETSYNC_SPREADSHEET_ID: SPREADSHEET_ID,
      GOOGLE_APPLICATION_CREDENTIALS: key,
      SHEETSYNC_SHEETS_API_URL: emuUrl,
    });
  } else {
    delete baseEnv.SHEETSYNC_SPREADSHEET_ID;
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete baseEnv[k];
    else baseEnv[k] = v;
  }

  let log = '';
  const srv = spawn(BIN, ['serve'], { env: baseEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(srv);
  srv.stderr.setEncoding('utf8');
  srv.stderr.on('data', (d) => { log += d; });
  const url = await waitFor('sheetsync to listen', () => {
    const m = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(log);
    return m && m[1];
  });
  const stack = {
    url,
    emuUrl,
    dir,
    logs: () => log,
    async stop() {
      for (const p of procs.reverse()) {
        if (p.exitCode === null) {
          p.kill('SIGTERM');
          await Promise.race([new Promise((r) => p.once('exit', r)), sleep(5000)]);
          if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (withGoogle) await waitIdle(stack); /* the startup sync */
  return stack;
}

/* Waits until the newest sync run is finished (not running) and, when
 * `minId` is given, at least that id. */
export async function waitIdle(stack, minId = 0, ms = 20000) {
  return waitFor('the sync worker', async () => {
    const r = await fetch(stack.url + '/syncs?limit=1');
    const body = await r.json();
    const run = body.items[0];
    return run && run.status !== 'running' && run.id >= minId ? run : null;
  }, ms);
}

/* A signed notification (contract §6) for the demo sheet. */
export function webhookToken(claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({
    aud: 'sheetsync', iat: now, exp: now + 300, jti: randomUUID(),
    spreadsheet_id: SPREADSHEET_ID, sheet: 'Issues', event: 'edit', range: 'B7', ...claims,
  });
  const sig = createHmac('sha256', WEBHOOK_SECRET).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}

export { sleep, waitFor };

// Browser test harness: a real Rejoinder server on a free port and Debian's chromium driven by
// playwright-core. Every wait here is bounded and the server is killed (with its whole process
// group) however the test run ends, so `node --test tests/e2e/` always stops by itself.
//
// In a test file (README.md has a complete example):
//
//   const env = useRejoinder('my-suite-sqlite', { database: 'sqlite' }); // before/after hooks
//   test('...', async () => {
//     const context = await env.newContext();  // cookies of its own; relative URLs hit the server
//     const page = await context.newPage();
//     await register(page, 'alice');           // the browser now holds alice's session cookie
//     await page.goto('/d?url=https://example.com/a');
//     await screenshot(page, 'my-suite-01');   // test-results/screenshots/my-suite-01.png
//   });

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_DIR = join(ROOT, 'test-results');
export const SCREENSHOTS_DIR = join(RESULTS_DIR, 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery';

const REJOINDER = join(ROOT, '.venv', 'bin', 'rejoinder');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const PGDB = join(ROOT, 'tests', 'e2e', 'pgdb.py');
const IN_CI = (process.env.CI ?? '').toLowerCase() === 'true';
// The same server the API tests use; each server gets a database of its own beside it.
const PG_ADMIN_URL = (
  process.env.REJOINDER_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
).replace('postgresql+asyncpg://', 'postgresql://');
const PG_TIMEOUT_MS = 20_000;
const MIGRATE_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
// Per action and per navigation: generous for a 2-core machine, still short enough that a
// missing element fails the test in seconds instead of hanging it.
export const ACTION_TIMEOUT_MS = 10_000;

// The flags CI and developers share: no sandbox (containers run as root), no GPU, and
// nothing that phones home or updates itself during a test.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

let playwright;
try {
  playwright = await import('playwright-core');
} catch (error) {
  throw new Error(
    'playwright-core is not installed: run scripts/ensure-browser.sh (or `make test`).',
    { cause: error },
  );
}

// Everything this test process writes to disk goes under one directory: the servers' data
// directories, and (through TMPDIR, which playwright reads for every launch) chromium's
// temporary profiles and artifacts. It is removed on the way out however the process ends.
const RUN_DIR = mkdtempSync(join(tmpdir(), 'rejoinder-e2e-'));
process.env.TMPDIR = RUN_DIR;

// Servers still running when this process ends are killed synchronously on the way out, so
// a crash, an uncaught error or Ctrl-C never leaves a uvicorn behind; their PostgreSQL
// databases are dropped the same way.
const running = new Set();
const pgDatabases = new Set();

function killGroup(child, signal) {
  try {
    // Negative pid: the whole process group the server was started in (detached: true).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
  for (const name of pgDatabases) {
    spawnSync(PYTHON, [PGDB, 'drop', PG_ADMIN_URL, name], { timeout: PG_TIMEOUT_MS });
  }
  rmSync(RUN_DIR, { recursive: true, force: true });
});
// A signal would otherwise end the process without 'exit' handlers; exit() runs them.
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.once(signal, () => process.exit(128 + number));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * The databases each browser test runs on: `REJOINDER_E2E_DATABASES` (comma-separated),
 * by default both, like the API tests.
 */
export const DATABASES = (process.env.REJOINDER_E2E_DATABASES ?? 'sqlite,postgres')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
for (const name of DATABASES) {
  if (name !== 'sqlite' && name !== 'postgres') {
    throw new Error(`REJOINDER_E2E_DATABASES: unknown database ${JSON.stringify(name)}`);
  }
}

function pgdb(args) {
  return new Promise((resolveRun) => {
    const child = spawn(PYTHON, [PGDB, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: PG_TIMEOUT_MS,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => resolveRun({ code: -1, stderr: String(error) }));
    child.on('close', (code, signal) => {
      resolveRun({ code: code ?? -1, stderr: stderr.trim() || `pgdb.py ended by ${signal}` });
    });
  });
}

let postgresProbe;

/**
 * For `describe(..., { skip })`: why tests on `database` cannot run here, or false. An
 * unreachable PostgreSQL skips them and says so, except with CI=true, where the server start
 * fails the run instead (as in the API tests).
 */
export async function skipReason(database) {
  if (database !== 'postgres' || IN_CI) return false;
  postgresProbe ??= pgdb(['probe', PG_ADMIN_URL]);
  const { code, stderr } = await postgresProbe;
  return code === 0 ? false : `PostgreSQL is not reachable (${stderr})`;
}

async function createPostgresDatabase() {
  const name = `rejoinder_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
  const { code, stderr } = await pgdb(['create', PG_ADMIN_URL, name]);
  if (code !== 0) throw new Error(`could not create PostgreSQL database ${name}: ${stderr}`);
  pgDatabases.add(name);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropPostgresDatabase(name) {
  const { code, stderr } = await pgdb(['drop', PG_ADMIN_URL, name]);
  if (code !== 0) throw new Error(`could not drop PostgreSQL database ${name}: ${stderr}`);
  pgDatabases.delete(name);
}

function serverEnv(dataDir, port) {
  // Nothing from the developer's own REJOINDER_* settings may leak in: a test must never
  // write into their database or depend on their configuration.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('REJOINDER_')),
  );
  return {
    ...env,
    REJOINDER_DATA_DIR: dataDir,
    REJOINDER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    // Tests register and sign in many accounts from one IP within seconds.
    REJOINDER_LOGIN_RATE: '1000/60',
    REJOINDER_REGISTER_RATE: '1000/60',
    PYTHONUNBUFFERED: '1',
  };
}

function tail(path, lines = 40) {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function waitForExit(child, timeoutMs) {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveExit(true);
      return;
    }
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

function spawnLogged(args, env, logPath) {
  const log = createWriteStream(logPath, { flags: 'a' });
  const child = spawn(REJOINDER, args, {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  child.once('exit', () => {
    running.delete(child);
    // Let the pipes drain into the log before closing it.
    setImmediate(() => log.end());
  });
  return child;
}

async function migrate(env, logPath) {
  const child = spawnLogged(['migrate'], env, logPath);
  const exited = await waitForExit(child, MIGRATE_TIMEOUT_MS);
  if (!exited) {
    killGroup(child, 'SIGKILL');
    const output = tail(logPath);
    throw new Error(`rejoinder migrate did not finish in ${MIGRATE_TIMEOUT_MS} ms:\n${output}`);
  }
  if (child.exitCode !== 0) {
    throw new Error(`rejoinder migrate failed (exit ${child.exitCode}):\n${tail(logPath)}`);
  }
}

async function waitUntilServing(child, baseURL, logPath) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const status = child.exitCode ?? child.signalCode;
      throw new Error(`rejoinder serve exited early (${status}):\n${tail(logPath)}`);
    }
    try {
      const response = await fetch(`${baseURL}/api/openapi.json`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (response.ok) {
        await response.arrayBuffer();
        return;
      }
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error.cause?.code ?? error.message;
    }
    // Polling interval, not a timing assumption: the loop is bounded by the deadline.
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  }
  throw new Error(
    `rejoinder serve did not answer ${baseURL}/api/openapi.json within ${START_TIMEOUT_MS} ms ` +
      `(${lastError}):\n${tail(logPath)}`,
  );
}

/**
 * Migrate a fresh database and serve it on a free port: SQLite in a new temporary data
 * directory, or (`database: 'postgres'`) a new PostgreSQL database beside
 * `REJOINDER_TEST_DATABASE_URL`'s. Returns `{ url, port, database, dataDir, logPath, stop() }`;
 * `stop()` kills the server and its children and removes its data directory and database.
 * The server's output goes to test-results/server-<name>.log (replaced on each run), kept
 * for reading after a failure.
 */
export async function startServer(name = 'e2e', { database = 'sqlite', env: extraEnv = {} } = {}) {
  if (!existsSync(REJOINDER)) {
    throw new Error(`${REJOINDER} is missing: run \`make test\` once to build the virtualenv.`);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const dataDir = mkdtempSync(join(RUN_DIR, 'data-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logPath = join(RESULTS_DIR, `server-${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.log`);
  rmSync(logPath, { force: true });
  // extraEnv: a suite's own REJOINDER_* settings (e.g. REJOINDER_EMBED_ORIGINS).
  const env = { ...serverEnv(dataDir, port), ...extraEnv };
  let child;
  let postgres;
  const stop = async () => {
    if (child) {
      killGroup(child, 'SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        killGroup(child, 'SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (postgres) await dropPostgresDatabase(postgres.name);
  };
  try {
    if (database === 'postgres') {
      postgres = await createPostgresDatabase();
      env.REJOINDER_DATABASE_URL = postgres.url;
    }
    await migrate(env, logPath);
    child = spawnLogged(['serve', '--host', '127.0.0.1', '--port', String(port)], env, logPath);
    await waitUntilServing(child, url, logPath);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, database, dataDir, logPath, stop, env };
}

/**
 * Run a `rejoinder` command against a running test server's database (e.g.
 * `['user', 'role', 'mod', 'moderator']`); throws with the command's output when it fails.
 */
export async function rejoinderCommand(server, args) {
  const child = spawnLogged(args, server.env, server.logPath);
  if (!(await waitForExit(child, MIGRATE_TIMEOUT_MS))) {
    killGroup(child, 'SIGKILL');
    throw new Error(`rejoinder ${args.join(' ')} did not finish:\n${tail(server.logPath)}`);
  }
  if (child.exitCode !== 0) {
    throw new Error(`rejoinder ${args.join(' ')} failed (${child.exitCode}):\n${tail(server.logPath)}`);
  }
}

/**
 * Debian's chromium, headless. playwright's `launch()` starts it with a new, empty
 * `--user-data-dir` of its own (a fresh temporary profile, deleted on close); passing that
 * flag ourselves is refused by playwright, which reserves it for persistent contexts.
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/ensure-browser.sh as root to install it.`);
  }
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: START_TIMEOUT_MS,
  });
}

/** A fresh browser profile (cookies, storage) pointed at `server`; relative URLs resolve there. */
export async function newContext(browser, server, options = {}) {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    ...options,
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  // Hermetic: a page may only talk to the server under test. Anything else (Swagger UI's
  // CDN, a favicon host) fails at once instead of hanging a test on a network that CI lacks.
  const origin = new URL(server.url).origin;
  await context.route(
    (url) => url.origin !== origin && (url.protocol === 'http:' || url.protocol === 'https:'),
    (route) => route.abort('blockedbyclient'),
  );
  return context;
}

async function expectStatus(response, status, what) {
  if (response.status() !== status) {
    const body = await response.text();
    throw new Error(`${what}: expected HTTP ${status}, got ${response.status()}: ${body}`);
  }
  return response.json();
}

/**
 * Register `username` through the API and sign in from the page's browser context, so the
 * browser holds the session cookie (page.request shares the context's cookie jar).
 * Returns `{ account, token }`.
 */
export async function register(page, username, password = PASSWORD) {
  const created = await page.request.post('/api/v1/accounts', {
    data: { username, password },
    timeout: ACTION_TIMEOUT_MS,
  });
  await expectStatus(created, 201, `register ${username}`);
  const session = await page.request.post('/api/v1/sessions', {
    data: { username, password },
    timeout: ACTION_TIMEOUT_MS,
  });
  return expectStatus(session, 201, `sign in ${username}`);
}

/** A full-page PNG at test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, '-');
  const path = join(SCREENSHOTS_DIR, `${safe}.png`);
  await page.screenshot({ path, fullPage: true, timeout: ACTION_TIMEOUT_MS });
  return path;
}

/**
 * Register node:test hooks that start a server on `database` and a browser before the
 * suite's tests and stop both after them. The returned object is filled in by the `before`
 * hook; `name` names the server log (test-results/server-<name>.log).
 */
export function useRejoinder(name, { database = 'sqlite' } = {}) {
  const env = {
    server: undefined,
    browser: undefined,
    newContext: (options) => newContext(env.browser, env.server, options),
  };
  before(async () => {
    env.server = await startServer(name, { database });
    env.browser = await launchBrowser();
  });
  after(async () => {
    try {
      await env.browser?.close();
    } finally {
      await env.server?.stop();
    }
  });
  return env;
}

/**
 * Collect what goes wrong inside a page: uncaught exceptions and console errors. Tests
 * assert `errors.uncaught` is empty; console errors are kept for the failure message.
 */
export function watchErrors(page) {
  const errors = { uncaught: [], console: [] };
  page.on('pageerror', (error) => errors.uncaught.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.console.push(message.text());
  });
  return errors;
}

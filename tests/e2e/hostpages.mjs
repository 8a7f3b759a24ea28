// Pages of "other sites" for the embed and extension tests: a tiny HTTP server on 127.0.0.1
// serving whatever HTML a test builds, on a port (and so an origin) of its own.
//
//   const host = await startHostPages((path) => path === '/article' ? html : null);
//   host.url('/article')   // http://127.0.0.1:<port>/article, or pass { hostname: 'localhost' }
//   await host.close();

import { createServer } from 'node:http';

export async function startHostPages(pageFor, { hostname = '127.0.0.1' } = {}) {
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://host.invalid').pathname;
    const body = pageFor(path);
    if (body === null || body === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not here');
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    response.end(body);
  });
  await new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolveListen);
  });
  const { port } = server.address();
  const origin = `http://${hostname}:${port}`;
  return {
    port,
    origin,
    url: (path) => origin + path,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** Poll `check` until it returns a truthy value (returned), or fail after `timeoutMs`. */
export async function eventually(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    // A polling interval, bounded by the deadline; not a timing assumption.
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 100));
  }
  throw new Error(`${what}: not true within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

/** The JSON API from node: `api(server, 'POST', '/api/v1/comments', body, token)`. */
export async function api(server, method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(server.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Register `username` and sign in: returns the session token. */
export async function account(server, username, password) {
  await api(server, 'POST', '/api/v1/accounts', { username, password });
  const session = await api(server, 'POST', '/api/v1/sessions', { username, password });
  return session.token;
}

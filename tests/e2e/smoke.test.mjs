// Proves the harness end to end: a migrated server answers chromium, the browser holds a
// session cookie after `register`, and a comment posted by the page's own JavaScript (with
// the Origin header a real browser sends) reads back through the threads API.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';

import { DATABASES, register, screenshot, skipReason, useRejoinder } from './harness.mjs';

const ARTICLE = 'https://example.com/e2e/smoke-article?utm_source=newsletter';

for (const database of DATABASES) {
  const options = { timeout: 120_000, skip: await skipReason(database) };
  describe(`harness smoke test [${database}]`, options, () => {
    const env = useRejoinder(`smoke-${database}`, { database });

    test('the API docs page is served to chromium', async () => {
      const context = await env.newContext();
      try {
        const page = await context.newPage();
        // The reference is rendered by the server: no request may leave for another host.
        const foreign = [];
        page.on('request', (request) => {
          if (new URL(request.url()).host !== new URL(env.server.url).host) {
            foreign.push(request.url());
          }
        });
        const response = await page.goto('/api/docs', { waitUntil: 'load' });
        assert.equal(response.status(), 200);
        assert.equal(await page.title(), 'API reference · Rejoinder');
        await page.locator('h1', { hasText: 'Rejoinder API' }).waitFor();
        await page.locator('#schema-CommentCreate').waitFor();
        assert.equal(await page.locator('a[href="/api/openapi.json"]').count(), 1);
        assert.deepEqual(foreign, []);
        const spec = await page.evaluate(async () => {
          const answer = await fetch('/api/openapi.json');
          return { status: answer.status, body: await answer.json() };
        });
        assert.equal(spec.status, 200);
        assert.equal(spec.body.info.title, 'Rejoinder');
        assert.ok(spec.body.paths['/api/v1/comments'], 'the comments endpoint is documented');
        assert.ok(existsSync(await screenshot(page, `smoke-${database}-01-api-docs`)));
      } finally {
        await context.close();
      }
    });

    test('a signed-in browser posts a comment and reads it back', async () => {
      const context = await env.newContext();
      try {
        const page = await context.newPage();
        const { account } = await register(page, 'smoke_alice');
        assert.equal(account.username, 'smoke_alice');
        const cookies = await context.cookies();
        assert.ok(
          cookies.some((cookie) => cookie.name === 'rejoinder_session' && cookie.httpOnly),
          'sign-in left an httpOnly session cookie in the browser',
        );

        // fetch() from a page of the instance: the cookie rides along and the browser adds
        // its Origin header, which the server's same-origin check must accept.
        await page.goto('/api/docs', { waitUntil: 'domcontentloaded' });
        const posted = await page.evaluate(async (url) => {
          const answer = await fetch('/api/v1/comments', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ url, body: 'Hello from **chromium**.' }),
          });
          return { status: answer.status, body: await answer.json() };
        }, ARTICLE);
        assert.equal(posted.status, 201, JSON.stringify(posted.body));
        assert.equal(posted.body.author.name, 'smoke_alice');

        // Another form of the same URL (tracking parameter dropped) finds the same thread.
        const thread = await page.request.get('/api/v1/threads', {
          params: { url: 'http://example.com/e2e/smoke-article' },
        });
        assert.equal(thread.status(), 200);
        const body = await thread.json();
        assert.equal(body.page.comment_count, 1);
        assert.deepEqual(
          body.comments.map((comment) => [comment.id, comment.author.name, comment.body_html]),
          [[posted.body.id, 'smoke_alice', '<p>Hello from <strong>chromium</strong>.</p>\n']],
        );

        await page.goto(`/api/v1/threads?url=${encodeURIComponent(ARTICLE)}`);
        assert.match(await page.locator('body').innerText(), /Hello from/);
        await screenshot(page, `smoke-${database}-02-thread-json`);
      } finally {
        await context.close();
      }
    });

    test('a signed-out browser cannot post', async () => {
      const context = await env.newContext();
      try {
        const page = await context.newPage();
        await page.goto('/api/docs', { waitUntil: 'domcontentloaded' });
        const answer = await page.evaluate(async (url) => {
          const response = await fetch('/api/v1/comments', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ url, body: 'Nobody signed in.' }),
          });
          return { status: response.status, type: response.headers.get('content-type') };
        }, ARTICLE);
        assert.equal(answer.status, 401);
        assert.equal(answer.type, 'application/problem+json');
      } finally {
        await context.close();
      }
    });
  });
}

// A long discussion through the web page: the first page shows whole top-level comments up
// to the page's comment budget (REJOINDER_THREAD_PAGE_COMMENTS, set low here), and "Load more
// comments" brings the rest, each comment once, until the button goes away.
// Screenshots: test-results/screenshots/long-thread-*.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DATABASES,
  launchBrowser,
  newContext,
  register,
  screenshot,
  skipReason,
  startServer,
  watchErrors,
} from './harness.mjs';

const ARTICLE = 'https://opinions.example.net/2026/11/the-comment-section-is-dead';
const BUDGET = 8;
// Three top-level comments, each with three replies: the first page holds two (eight
// comments), the second the last one.
const TOP_LEVEL = 3;
const REPLIES = 3;

async function post(page, token, body, extra) {
  const response = await page.request.post('/api/v1/comments', {
    data: { body, ...extra },
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(response.status(), 201, await response.text());
  return (await response.json()).id;
}

for (const database of DATABASES) {
  const options = { timeout: 120_000, skip: await skipReason(database) };
  describe(`a long discussion, page by page [${database}]`, options, () => {
    let server;
    let browser;
    before(async () => {
      server = await startServer(`long-thread-${database}`, {
        database,
        // Twelve comments from one reader in a few seconds: more than the default limit.
        env: { REJOINDER_THREAD_PAGE_COMMENTS: String(BUDGET), REJOINDER_COMMENT_RATE: '100/60' },
      });
      browser = await launchBrowser();
    });
    after(async () => {
      try {
        await browser?.close();
      } finally {
        await server?.stop();
      }
    });

    test('the first page stops at the budget; "Load more comments" brings the rest', async () => {
      const context = await newContext(browser, server);
      try {
        const page = await context.newPage();
        const errors = watchErrors(page);
        const { token } = await register(page, 'reader');
        const ids = [];
        for (let n = 0; n < TOP_LEVEL; n += 1) {
          let parent = await post(page, token, `Top-level comment ${n + 1}.`, { url: ARTICLE });
          ids.push(parent);
          for (let r = 0; r < REPLIES; r += 1) {
            parent = await post(page, token, `Reply ${r + 1} under comment ${n + 1}.`, {
              parent_id: parent,
            });
            ids.push(parent);
          }
        }
        const thread = await page.request.get('/api/v1/threads', { params: { url: ARTICLE } });
        const pageId = (await thread.json()).page.id;

        await page.goto(`/p/${pageId}`);
        const comments = page.locator('[data-comment-id]');
        assert.equal(await comments.count(), BUDGET);
        const more = page.getByRole('link', { name: 'Load more comments' });
        assert.equal(await more.isVisible(), true);
        await screenshot(page, `long-thread-${database}-01-first-page`);

        await more.click();
        await page.getByText('All comments are shown.').waitFor();
        const shown = await comments.evaluateAll((nodes) =>
          nodes.map((node) => Number(node.getAttribute('data-comment-id'))),
        );
        assert.deepEqual([...shown].sort((a, b) => a - b), [...ids].sort((a, b) => a - b));
        assert.equal(await more.count(), 0);
        await screenshot(page, `long-thread-${database}-02-all-loaded`);
        assert.deepEqual(errors.uncaught, []);
      } finally {
        await context.close();
      }
    });
  });
}

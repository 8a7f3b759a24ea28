// A discussion as two people live it, through the web pages: Alice registers on the register
// page, opens a discussion by pasting a URL into the "discuss" box and comments; Bob, in
// another browser, replies; Alice's open page announces the reply live and reveals it; she
// upvotes it (Bob's page follows live), collapses the conversation, and finds it again by
// reloading and by searching. Screenshots of every step: test-results/screenshots/discussion-*.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DATABASES,
  PASSWORD,
  register,
  screenshot,
  skipReason,
  useRejoinder,
  watchErrors,
} from './harness.mjs';

const ARTICLE = 'https://news.example.org/2026/11/23/tidal-power?utm_campaign=e2e';
const ARTICLE_KEY = 'news.example.org/2026/11/23/tidal-power';
const FIRST = 'Tidal power is **predictable**, unlike wind: the moon keeps a schedule.';
const REPLY = 'Predictable, yes, but the turbines corrode quickly in salt water.';

// Runs one step of the story; on failure, screenshots every page involved and names the step.
async function runStep(prefix, name, pages, action) {
  try {
    return await action();
  } catch (error) {
    for (const [who, page] of Object.entries(pages)) {
      await screenshot(page, `${prefix}-FAILED-${name}-${who}`).catch(() => {});
    }
    error.message = `step "${name}": ${error.message}`;
    throw error;
  }
}

function comment(page, id) {
  return page.locator(`#c${id}`);
}

// The comment's own parts, not those of its replies nested inside it.
function own(page, id, selector) {
  return page.locator(`#c${id} > details > .comment__main ${selector}`);
}

async function apiComment(page, id) {
  const response = await page.request.get(`/api/v1/comments/${id}`);
  assert.equal(response.status(), 200, await response.text());
  return response.json();
}

for (const database of DATABASES) {
  const options = { timeout: 180_000, skip: await skipReason(database) };
  describe(`a discussion in two browsers [${database}]`, options, () => {
    const env = useRejoinder(`discussion-${database}`, { database });
    const shot = (page, name) => screenshot(page, `discussion-${database}-${name}`);
    const step = (name, pages, action) => runStep(`discussion-${database}`, name, pages, action);
    // Filled in by the first test; the search test reads them.
    const state = { discussionPath: null, firstId: null, replyId: null };

    test('register, discuss a URL, comment, live reply, vote, collapse', async () => {
      const aliceContext = await env.newContext();
      const bobContext = await env.newContext();
      try {
        const alice = await aliceContext.newPage();
        const bob = await bobContext.newPage();
        const aliceErrors = watchErrors(alice);
        const bobErrors = watchErrors(bob);
        const both = { alice, bob };

        await step('register', { alice }, async () => {
          await alice.goto('/register');
          await alice.locator('#f-username').fill('alice');
          await alice.locator('#f-password').fill(PASSWORD);
          await alice.locator('#f-password_again').fill(PASSWORD);
          await shot(alice, '01-register-form');
          const [landing] = await Promise.all([
            alice.waitForNavigation({ url: (url) => url.pathname !== '/register' }),
            alice.getByRole('button', { name: 'Create account' }).click(),
          ]);
          assert.equal(landing.status(), 200, `registration landed on ${landing.url()}`);
          await alice.locator('.site-nav__me', { hasText: 'alice' }).waitFor();
          await shot(alice, '02-registered');
        });

        await step('discuss-url', { alice }, async () => {
          await alice.locator('#discuss-url').fill(ARTICLE);
          await Promise.all([
            alice.waitForURL(/\/p\/\d+\/[^/?#]+$/),
            alice.locator('form.discuss-box button[type=submit]').click(),
          ]);
          state.discussionPath = new URL(alice.url()).pathname;
          await alice.locator('h1', { hasText: ARTICLE_KEY }).waitFor();
          await alice.getByText('No comments yet').waitFor();
          // Nothing is replayed to late subscribers: the page must be listening before anyone
          // posts, or it would not hear her own comment (checked below) nor Bob's reply.
          await alice.locator('[data-live-status]', { hasText: 'Live' }).waitFor();
          await shot(alice, '03-empty-discussion');
        });

        await step('comment', { alice }, async () => {
          const composer = alice.locator('form[data-composer]').first();
          await composer.locator('textarea[name=body]').fill(FIRST);
          await composer.locator('[data-action=post]').click();
          const posted = alice.locator('#thread > li.comment', { hasText: 'unlike wind' });
          await posted.waitFor();
          state.firstId = Number((await posted.getAttribute('id')).slice(1));
          assert.ok(state.firstId > 0);
          assert.equal(
            await own(alice, state.firstId, '.comment__body strong').innerText(),
            'predictable',
            'the Markdown was rendered',
          );
          assert.equal(await composer.locator('textarea[name=body]').inputValue(), '');
          // Her own comment is already on the page: it is not announced as new.
          assert.equal(
            await alice.locator('.new-comments').isVisible(),
            false,
            'her own comment, already shown, is announced as a new comment',
          );
          await alice.locator('[data-comment-count]', { hasText: '1 comment' }).waitFor();
          await shot(alice, '04-commented');
        });

        await step('reply-from-second-browser', both, async () => {
          await register(bob, 'bob');
          await bob.goto(state.discussionPath);
          await bob.locator('.site-nav__me', { hasText: 'bob' }).waitFor();
          await comment(bob, state.firstId).waitFor();
          await bob.locator('[data-live-status]', { hasText: 'Live' }).waitFor();
          await own(bob, state.firstId, '[data-action=reply]').click();
          const form = own(bob, state.firstId, '[data-reply-slot] form');
          await form.locator('textarea[name=body]').fill(REPLY);
          await shot(bob, '05-bob-writing-reply');
          await form.locator('[data-action=post]').click();
          const reply = bob.locator(`#c${state.firstId} ol.replies > li.comment`, {
            hasText: 'corrode',
          });
          await reply.waitFor();
          state.replyId = Number((await reply.getAttribute('id')).slice(1));
          await form.waitFor({ state: 'detached' });
          assert.equal(
            await bob.locator('.new-comments').isVisible(),
            false,
            'his own reply, already shown, is announced as a new comment',
          );
          await shot(bob, '06-bob-replied');
        });

        await step('live-new-comments', both, async () => {
          const announce = alice.locator('.new-comments');
          await announce.waitFor({ state: 'visible' });
          assert.equal((await announce.innerText()).trim(), '1 new comment');
          await alice.locator('[data-comment-count]', { hasText: '2 comments' }).waitFor();
          assert.equal(await comment(alice, state.replyId).count(), 0, 'not shown until asked');
          await shot(alice, '07-alice-sees-new-comment');
          await announce.click();
          const reply = alice.locator(`#c${state.firstId} ol.replies > #c${state.replyId}`);
          await reply.waitFor();
          assert.match(await reply.innerText(), /bob/);
          assert.match(await reply.innerText(), /corrode quickly/);
          await announce.waitFor({ state: 'hidden' });
          // What was shown is said beside the live indicator, not instead of it.
          await alice.locator('[data-reveal-status]', { hasText: '1 new comment shown' }).waitFor();
          assert.match(await alice.locator('[data-live-status]').innerText(), /Live/);
          await shot(alice, '08-alice-revealed-reply');
        });

        await step('vote', both, async () => {
          // Alice may not vote on her own comment, only on Bob's.
          assert.equal(await own(alice, state.firstId, '[data-action=vote-up]').count(), 0);
          const up = own(alice, state.replyId, '[data-action=vote-up]');
          await up.click();
          // applyVote() sets the pressed state and the score together.
          await own(alice, state.replyId, '[data-action=vote-up][aria-pressed=true]').waitFor();
          assert.equal((await own(alice, state.replyId, '[data-score]').innerText()).trim(), '1');
          const stored = await apiComment(alice, state.replyId);
          assert.deepEqual([stored.score, stored.upvotes, stored.my_vote], [1, 1, 1]);
          // Bob's page follows the score live, and the word agrees with the number.
          await bob.waitForFunction(
            (id) => document.querySelector(`#c${id} [data-score]`)?.textContent.trim() === '1',
            state.replyId,
          );
          assert.equal(
            (await own(bob, state.replyId, '.votes').innerText()).replace(/\s+/g, ' ').trim(),
            '1 point',
          );
          await shot(alice, '09-alice-voted');
          await shot(bob, '10-bob-sees-vote');
        });

        const details = alice.locator(`#c${state.firstId} > details`);
        const toggle = details.locator(':scope > summary[data-action=collapse]');
        const folded = details.locator(':scope > summary .comment__folded');

        await step('collapse', { alice }, async () => {
          assert.equal(await details.getAttribute('open'), '');
          await toggle.click();
          await comment(alice, state.replyId).waitFor({ state: 'hidden' });
          assert.equal(await details.getAttribute('open'), null);
          assert.equal(await own(alice, state.firstId, '.comment__body').isVisible(), false);
          // The reply arrived live; the folded line still counts it.
          assert.equal((await folded.innerText()).trim(), 'alice · 1 reply hidden');
          await shot(alice, '11-collapsed');
          await toggle.click();
          await comment(alice, state.replyId).waitFor({ state: 'visible' });
        });

        await step('reload', { alice }, async () => {
          await alice.reload();
          const reply = alice.locator(`#c${state.firstId} ol.replies > #c${state.replyId}`);
          await reply.waitFor();
          await own(alice, state.replyId, '[data-action=vote-up][aria-pressed=true]').waitFor();
          assert.equal((await own(alice, state.replyId, '[data-score]').innerText()).trim(), '1');
          await alice.locator('[data-comment-count]', { hasText: '2 comments' }).waitFor();
          await shot(alice, '12-after-reload');
          // Server-rendered, the folded line counts the replies it hides.
          await toggle.click();
          await comment(alice, state.replyId).waitFor({ state: 'hidden' });
          assert.equal((await folded.innerText()).trim(), 'alice · 1 reply hidden');
          await shot(alice, '13-collapsed-after-reload');
        });

        assert.deepEqual(aliceErrors.uncaught, [], `alice's page: ${aliceErrors.console}`);
        assert.deepEqual(bobErrors.uncaught, [], `bob's page: ${bobErrors.console}`);
      } finally {
        await aliceContext.close();
        await bobContext.close();
      }
    });

    test('search finds the conversation', async (t) => {
      if (!state.replyId) {
        t.skip('the conversation test above failed; nothing to search for');
        return;
      }
      const context = await env.newContext();
      try {
        const page = await context.newPage();
        const response = await page.goto('/search');
        if (response.status() === 404) {
          t.skip('there is no /search page');
          return;
        }
        assert.equal(response.status(), 200);
        await page.locator('#search-q').fill('corrode');
        await Promise.all([
          page.waitForURL(/\/search\?q=corrode/),
          page.locator('form.search-form button[type=submit]').click(),
        ]);
        const result = page.locator('.results > li', { hasText: 'quickly in salt water' });
        await result.waitFor();
        assert.match(await result.innerText(), new RegExp(`bob on ${ARTICLE_KEY}`));
        await shot(page, '14-search');
        // The result's permalink opens the conversation with the reply highlighted.
        await Promise.all([
          page.waitForURL(new RegExp(`/c/${state.replyId}#c${state.replyId}$`)),
          result.locator(`a[href^="/c/${state.replyId}"]`).click(),
        ]);
        await page.locator(`#c${state.replyId}.comment--highlight`).waitFor();
        await page.locator(`#c${state.firstId}`, { hasText: 'unlike wind' }).waitFor();
        await shot(page, '15-search-result-opened');
      } finally {
        await context.close();
      }
    });
  });
}

// Moderation as people live it, through the web pages: Bob posts, Carol answers him, Alice
// (reading the discussion) reports Bob's comment with the inline form; a moderator opens
// /mod, sees the report with its context and removes the comment; Alice's open page shows
// "removed by a moderator" live, Carol's reply keeps its place, and a reload agrees.
// Screenshots: test-results/screenshots/moderation-* (the queue in light, dark and 360 px).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  DATABASES,
  PASSWORD,
  register,
  rejoinderCommand,
  screenshot,
  skipReason,
  useRejoinder,
  watchErrors,
} from './harness.mjs';

const ARTICLE = 'https://news.example.org/2026/11/23/harbour-seals';
const SPAM = 'Cheap watches at best-watches.example, 90% off today only!';
const ANSWER = 'Please take this elsewhere; we are talking about seals.';

async function signIn(page, username) {
  const response = await page.request.post('/api/v1/sessions', {
    data: { username, password: PASSWORD },
  });
  assert.equal(response.status(), 201, await response.text());
}

async function postComment(page, body, extra) {
  const response = await page.request.post('/api/v1/comments', { data: { body, ...extra } });
  assert.equal(response.status(), 201, await response.text());
  return response.json();
}

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

for (const database of DATABASES) {
  const options = { timeout: 180_000, skip: await skipReason(database) };
  describe(`reporting and removing a comment [${database}]`, options, () => {
    const env = useRejoinder(`moderation-${database}`, { database });
    const shot = (page, name) => screenshot(page, `moderation-${database}-${name}`);
    const step = (name, pages, action) => runStep(`moderation-${database}`, name, pages, action);

    test('a reader reports, a moderator removes, the reader sees it removed', async () => {
      const contexts = [];
      const open = async (options) => {
        const context = await env.newContext(options);
        contexts.push(context);
        return context.newPage();
      };
      try {
        const alice = await open();
        const bob = await open();
        const carol = await open();
        const mod = await open();
        const aliceErrors = watchErrors(alice);
        const modErrors = watchErrors(mod);
        const state = {};

        await step('setup', { alice }, async () => {
          await register(bob, 'bob');
          await register(carol, 'carol');
          await register(alice, 'alice');
          await register(mod, 'mod');
          await rejoinderCommand(env.server, ['user', 'role', 'mod', 'moderator']);
          state.spam = await postComment(bob, SPAM, { url: ARTICLE });
          state.answer = await postComment(carol, ANSWER, { parent_id: state.spam.id });
        });

        await step('report', { alice }, async () => {
          await alice.goto(`/d?url=${encodeURIComponent(ARTICLE)}`);
          state.discussion = new URL(alice.url()).pathname;
          await alice.locator('[data-live-status]', { hasText: 'Live' }).waitFor();
          const spam = alice.locator(`#c${state.spam.id} > details > .comment__main`);
          await spam.locator('[data-action=report]').click();
          const form = spam.locator('[data-report-slot] form');
          await form.locator('input[name=reason][value=spam]').check();
          await form.locator('textarea[name=text]').fill('Advertising, nothing about seals.');
          await shot(alice, '01-reader-reporting');
          await form.locator('[data-action=send-report]').click();
          await spam.locator('[data-report-done]', { hasText: 'Thank you' }).waitFor();
          // The comment stays for now: one report is below the hiding threshold.
          assert.match(await spam.locator('.comment__body').innerText(), /Cheap watches/);
          await shot(alice, '02-reader-reported');
        });

        await step('queue', { mod }, async () => {
          await mod.goto('/mod');
          const item = mod.locator(`[data-queue-item="${state.spam.id}"]`);
          await item.waitFor();
          assert.match(await item.innerText(), /Spam × 1/);
          assert.match(await item.innerText(), /Advertising, nothing about seals\./);
          assert.match(await item.innerText(), /by alice/);
          assert.match(await item.innerText(), /news\.example\.org\/2026\/11\/23\/harbour-seals/);
          await shot(mod, '03-queue-light');
          for (const [name, options] of [
            ['04-queue-dark', { colorScheme: 'dark' }],
            ['05-queue-360px', { viewport: { width: 360, height: 740 } }],
          ]) {
            const other = await open(options);
            await signIn(other, 'mod');
            await other.goto('/mod');
            await other.locator(`[data-queue-item="${state.spam.id}"]`).waitFor();
            await shot(other, name);
          }
        });

        await step('remove', { mod }, async () => {
          const item = mod.locator(`[data-queue-item="${state.spam.id}"]`);
          await item.locator('input[name=reason]').fill('Advertising');
          await Promise.all([
            mod.waitForURL(/\/mod\?done=remove&n=1$/),
            item.locator('[data-action=remove]').click(),
          ]);
          await mod.locator('[role=status]', { hasText: '1 comment removed.' }).waitFor();
          assert.equal(await item.count(), 0);
          await shot(mod, '06-queue-after-remove');
          await mod.goto('/mod/log');
          const entry = mod.locator('[data-log-entry]').first();
          assert.match(await entry.innerText(), /mod\s+.*remove.*comment #\d+\s+Advertising/s);
          await shot(mod, '07-log');
        });

        await step('reader-sees-removal', { alice }, async () => {
          const body = alice.locator(`#c${state.spam.id} > details > .comment__main .comment__body`);
          await alice.waitForFunction(
            (id) =>
              document
                .querySelector(`#c${id} > details > .comment__main .comment__body`)
                ?.textContent.includes('removed by a moderator'),
            state.spam.id,
          );
          assert.doesNotMatch(await body.innerText(), /Cheap watches/);
          const head = alice.locator(`#c${state.spam.id} > details > .comment__main .comment__head`);
          assert.doesNotMatch(await head.innerText(), /bob/, 'the placeholder names no author');
          assert.equal(
            await alice.locator(`#c${state.spam.id} > details > .comment__main .comment__actions`).count(),
            0,
            'a removed comment keeps no actions',
          );
          await alice.locator(`#c${state.answer.id}`, { hasText: 'talking about seals' }).waitFor();
          await shot(alice, '08-reader-sees-removed-live');
          await alice.reload();
          await alice
            .locator(`#c${state.spam.id}.comment--placeholder`, { hasText: '[removed by a moderator]' })
            .waitFor();
          assert.doesNotMatch(await alice.locator('#thread').innerText(), /Cheap watches/);
          await shot(alice, '09-reader-after-reload');
        });

        assert.deepEqual(aliceErrors.uncaught, [], `alice's page: ${aliceErrors.console}`);
        assert.deepEqual(modErrors.uncaught, [], `the moderator's page: ${modErrors.console}`);
      } finally {
        for (const context of contexts) await context.close();
      }
    });
  });
}

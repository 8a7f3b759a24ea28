// The embed widget on another site's page: a host page on its own origin (http://localhost:<port>,
// a different site from the instance on 127.0.0.1, so the session cookie cannot reach the
// iframe) whose stylesheet attacks every element. The widget must still render, size itself,
// show counts on marked links, take a guest comment, sign in through the popup, post, vote
// and follow live updates.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DATABASES,
  PASSWORD,
  launchBrowser,
  newContext,
  screenshot,
  skipReason,
  startServer,
  watchErrors,
} from './harness.mjs';
import { account, api, startHostPages } from './hostpages.mjs';

const HOSTILE_CSS = `
  * { all: unset; font-size: 40px !important; color: red !important }
  head { display: none !important }
  iframe { border: 30px solid lime }
  div { display: none !important }
  h1, p { display: block; margin: 20px }
`;

function hostilePage(instance, host) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A hostile blog</title><style>${HOSTILE_CSS}</style></head>
<body>
<h1>Why everything is red</h1>
<p>An article whose stylesheet resets every element.
  <a href="/article" data-rejoinder-count id="count-self">comments</a> ·
  <a href="/elsewhere#comments" data-rejoinder-count id="count-other">comments</a> ·
  <span data-rejoinder-count data-url="${host.url('/article')}" id="count-span"></span></p>
<div>A div the host hides with display: none !important.</div>
<script src="${instance.url}/embed.js" data-rejoinder data-accent="#c2410c" data-theme="light" async></script>
</body>
</html>`;
}

for (const database of DATABASES) {
  const options = { timeout: 180_000, skip: await skipReason(database) };
  describe(`embed widget on a hostile page [${database}]`, options, () => {
    let host;
    let server;
    let browser;
    let context;
    let page;
    let errors;
    let bob;
    let seeded;

    before(async () => {
      host = await startHostPages((path) => (path === '/article' ? hostilePage(server, host) : null), {
        hostname: 'localhost',
      });
      server = await startServer(`embed-${database}`, {
        database,
        env: { REJOINDER_EMBED_ORIGINS: host.origin, REJOINDER_ALLOW_GUESTS: 'true' },
      });
      browser = await launchBrowser();
      bob = await account(server, 'embed_bob', PASSWORD);
      await account(server, 'embed_alice', PASSWORD);
      seeded = await api(server, 'POST', '/api/v1/comments', {
        url: host.url('/article'),
        body: 'First! The **red** is a bit much.',
      }, bob);
      context = await newContext(browser, server);
      // The harness blocks every origin but the instance's; the host page is ours too.
      // Routes registered later are tried first.
      await context.route((url) => url.origin === host.origin, (route) => route.continue());
      page = await context.newPage();
      errors = watchErrors(page);
    });

    after(async () => {
      await context?.close();
      await browser?.close();
      await server?.stop();
      await host?.close();
    });

    test('renders the thread in an iframe the host CSS cannot break', async () => {
      await page.goto(host.url('/article'));
      const frame = page.frameLocator('iframe[data-rejoinder-frame]');
      await frame.locator(`#c${seeded.id}`).waitFor();
      assert.equal(await frame.locator('[data-count]').textContent(), '1 comment');
      assert.match(await frame.locator(`#c${seeded.id} .rj-body`).innerHTML(), /<strong>red<\/strong>/);
      const inside = await frame.locator(`#c${seeded.id} .rj-body`).evaluate((body) => {
        const style = getComputedStyle(body);
        return { size: style.fontSize, color: style.color, display: style.display };
      });
      assert.deepEqual(inside, { size: '16px', color: 'rgb(29, 31, 35)', display: 'block' });
      const box = await page.locator('iframe[data-rejoinder-frame]').evaluate((iframe) => {
        const style = getComputedStyle(iframe);
        return { border: style.borderTopWidth, display: style.display, height: iframe.offsetHeight };
      });
      assert.equal(box.border, '0px');
      assert.equal(box.display, 'block');
      // Resized from the frame's own size report: taller than the 240px it starts at.
      await page.waitForFunction(() => document.querySelector('iframe').offsetHeight > 240);
      const accent = await frame.locator('html').evaluate(
        (html) => getComputedStyle(html).getPropertyValue('--rj-accent').trim(),
      );
      assert.equal(accent, '#c2410c');
    });

    test('shows comment counts on marked links in one request', async () => {
      const requests = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/api/v1/counts') && request.method() === 'POST') requests.push(request);
      });
      await page.reload();
      await page.locator('#count-self[data-rejoinder-count-value="1"]').waitFor({ state: 'attached' });
      assert.equal(await page.locator('#count-self').textContent(), '1 comment');
      assert.equal(await page.locator('#count-other').textContent(), '0 comments');
      assert.equal(await page.locator('#count-span').textContent(), '1 comment');
      assert.equal(requests.length, 1);
      assert.deepEqual(JSON.parse(requests[0].postData()).urls.sort(), [
        host.url('/article'),
        host.url('/elsewhere'),
      ]);
    });

    test('a guest comments with a name', async () => {
      const frame = page.frameLocator('iframe[data-rejoinder-frame]');
      await frame.locator('input[name=author_name]').fill('Passer-by');
      await frame.locator('#rj-body-new').fill('A guest says hello.');
      await frame.locator('[data-action=post]').click();
      const mine = frame.locator('li.rj-comment', { hasText: 'A guest says hello.' });
      await mine.waitFor();
      assert.equal(await mine.locator('.rj-author').first().textContent(), 'Passer-by');
      assert.equal(await frame.locator('[data-count]').textContent(), '2 comments');
    });

    test('signs in through the popup, posts, votes and sees live updates', async () => {
      const frame = page.frameLocator('iframe[data-rejoinder-frame]');
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        frame.locator('[data-account] [data-action=login]').click(),
      ]);
      await popup.waitForLoadState('domcontentloaded');
      assert.match(popup.url(), /\/login\?next=%2Fembed%2Fdone$|\/login\?next=\/embed\/done$/);
      await popup.locator('#f-username').fill('embed_alice');
      await popup.locator('#f-password').fill(PASSWORD);
      await Promise.all([popup.waitForEvent('close'), popup.locator('form.form-stack button[type=submit]').click()]);
      await frame.locator('[data-account]', { hasText: 'Signed in as embed_alice' }).waitFor();
      // Cross-site: the session cookie the popup set never reaches the frame (SameSite=Lax,
      // and chromium blocks third-party cookies); the token the popup posted does the work.
      const seen = await frame.locator('html').evaluate(async () => {
        const cookie = await fetch('/api/v1/me', { credentials: 'same-origin' });
        let storage;
        try {
          storage = localStorage.getItem('rejoinder.embed.token') ? 'kept' : 'missing';
        } catch {
          storage = 'blocked'; // third-party storage blocked: the token lives in memory
        }
        return { cookieStatus: cookie.status, storage };
      });
      assert.equal(seen.cookieStatus, 401);
      assert.notEqual(seen.storage, 'missing');
      assert.equal(await frame.locator('input[name=author_name]').count(), 0);

      await frame.locator('#rj-body-new').fill('Signed in and *embedded*.');
      await frame.locator('[data-action=post]').click();
      const mine = frame.locator('li.rj-comment', { hasText: 'Signed in and embedded.' });
      await mine.waitFor();
      assert.equal(await mine.locator('.rj-author').first().textContent(), 'embed_alice');

      const seededItem = frame.locator(`#c${seeded.id}`);
      const before = Number(await seededItem.locator('[data-score]').first().textContent());
      await seededItem.locator('[data-action=vote-up]').first().click();
      await seededItem.locator('[data-action=vote-up][aria-pressed=true]').first().waitFor();
      assert.equal(Number(await seededItem.locator('[data-score]').first().textContent()), before + 1);

      // Someone else replies, elsewhere: the reply appears under the comment, live.
      await api(server, 'POST', '/api/v1/comments', { parent_id: seeded.id, body: 'Live from bob.' }, bob);
      await seededItem.locator('.rj-replies li', { hasText: 'Live from bob.' }).waitFor();
      await frame.locator('[data-live]', { hasText: 'Live' }).waitFor();

      await screenshot(page, `embed-${database}-hostile-page`);
      assert.deepEqual(errors.uncaught, []);
    });
  });
}

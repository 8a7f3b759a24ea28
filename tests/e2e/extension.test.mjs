// The browser extension, loaded unpacked into chromium: the options page signs in, the
// toolbar badge shows a page's count through the k-anonymous prefix lookup, the side panel
// (opened as a tab of the same window) posts a comment, and a second browser reading the same
// article through the embed widget sees it appear live.
//
// Host permissions: the extension only has optional_host_permissions and asks for the
// instance's origin from the options page; a headless browser cannot show that prompt, so
// the test loads a copy whose manifest grants http://127.0.0.1/* up front (any port).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

import { buildManifest, extensionFiles, SOURCE } from '../../scripts/build-extension.mjs';
import {
  ACTION_TIMEOUT_MS,
  CHROMIUM,
  CHROMIUM_ARGS,
  DATABASES,
  PASSWORD,
  launchBrowser,
  newContext,
  screenshot,
  skipReason,
  startServer,
  watchErrors,
} from './harness.mjs';
import { account, api, eventually, startHostPages } from './hostpages.mjs';

function articlePage(instance) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>An article worth discussing</title></head>
<body>
<h1>An article worth discussing</h1>
<p>Readers with the extension discuss it in the side panel; everyone else below.</p>
<script src="${instance.url}/embed.js" data-rejoinder async></script>
</body>
</html>`;
}

/** The chromium build of the extension, unpacked, with the test's host permission added. */
function unpackedExtension() {
  const dir = mkdtempSync(join(tmpdir(), 'rejoinder-extension-'));
  for (const path of extensionFiles()) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), readFileSync(join(SOURCE, path)));
  }
  const manifest = buildManifest('chromium');
  manifest.host_permissions = ['http://127.0.0.1/*'];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

for (const database of DATABASES) {
  const options = { timeout: 180_000, skip: await skipReason(database) };
  describe(`browser extension [${database}]`, options, () => {
    let host;
    let server;
    let extensionContext;
    let worker;
    let extensionId;
    let readerBrowser;
    let bob;
    let seeded;
    let article;

    before(async () => {
      host = await startHostPages((path) => (path === '/article' ? articlePage(server) : null));
      article = host.url('/article');
      server = await startServer(`extension-${database}`, {
        database,
        env: { REJOINDER_EMBED_ORIGINS: host.origin },
      });
      await account(server, 'ext_alice', PASSWORD);
      bob = await account(server, 'ext_bob', PASSWORD);
      seeded = await api(server, 'POST', '/api/v1/comments', { url: article, body: 'Bob was here first.' }, bob);

      // TMPDIR points into the harness's run directory, removed when the run ends.
      const profile = mkdtempSync(join(tmpdir(), 'profile-'));
      const dir = unpackedExtension();
      extensionContext = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        // playwright passes --disable-extensions by default; extensions need it gone.
        ignoreDefaultArgs: ['--disable-extensions'],
        args: [...CHROMIUM_ARGS, `--disable-extensions-except=${dir}`, `--load-extension=${dir}`],
        viewport: { width: 1000, height: 800 },
        timeout: 30_000,
      });
      extensionContext.setDefaultTimeout(ACTION_TIMEOUT_MS);
      // Hermetic, as in the harness: only the instance and the article's host.
      const allowed = new Set([new URL(server.url).origin, host.origin]);
      await extensionContext.route(
        (url) => !allowed.has(url.origin) && (url.protocol === 'http:' || url.protocol === 'https:'),
        (route) => route.abort('blockedbyclient'),
      );
      worker = extensionContext.serviceWorkers()[0]
        ?? (await extensionContext.waitForEvent('serviceworker', { timeout: ACTION_TIMEOUT_MS }));
      extensionId = new URL(worker.url()).host;
      readerBrowser = await launchBrowser();
    });

    after(async () => {
      await extensionContext?.close();
      await readerBrowser?.close();
      await server?.stop();
      await host?.close();
    });

    test('signs in from the options page', async () => {
      const options = await extensionContext.newPage();
      await options.goto(`chrome-extension://${extensionId}/options/options.html`);
      await options.locator('#instance').fill(server.url);
      await options.locator('#instance-form button[type=submit]').click();
      await options.locator('#status', { hasText: `Using ${server.url}` }).waitFor();
      await options.locator('#username').fill('ext_alice');
      await options.locator('#password').fill(PASSWORD);
      await options.locator('#login-form button[type=submit]').click();
      await options.locator('#status', { hasText: 'Signed in as ext_alice' }).waitFor();
      await options.close();
    });

    test('the panel posts a comment that an embed reader sees live; the badge counts', async () => {
      // The embed reader: another browser, on the article itself.
      const readerContext = await newContext(readerBrowser, server);
      await readerContext.route((url) => url.origin === host.origin, (route) => route.continue());
      const reader = await readerContext.newPage();
      const readerErrors = watchErrors(reader);
      await reader.goto(article);
      const frame = reader.frameLocator('iframe[data-rejoinder-frame]');
      await frame.locator(`#c${seeded.id}`).waitFor();
      await frame.locator('[data-live]', { hasText: 'Live' }).waitFor();

      // The panel learns its tab as the active tab of its window: open the panel, then make
      // the article the active tab of that same window.
      const panel = await extensionContext.newPage();
      const panelErrors = watchErrors(panel);
      await panel.goto(`chrome-extension://${extensionId}/panel/panel.html`);
      await panel.locator('#status', { hasText: 'Signed in as ext_alice' }).waitFor();
      const [articleTab] = await Promise.all([
        extensionContext.waitForEvent('page'),
        panel.evaluate(async (url) => {
          const current = await chrome.windows.getCurrent();
          await chrome.tabs.create({ url, windowId: current.id, active: true });
        }, article),
      ]);
      await articleTab.waitForLoadState('load');
      await panel.locator(`#c${seeded.id}`).waitFor();

      // The badge: the count of bob's comment, found by the 4-hex-digit prefix of the key's hash.
      const badge = await eventually('the badge shows 1', () =>
        worker.evaluate(async (url) => {
          const [tab] = await chrome.tabs.query({ url });
          return tab ? chrome.action.getBadgeText({ tabId: tab.id }) : null;
        }, article).then((text) => (text === '1' ? text : null)),
      );
      assert.equal(badge, '1');

      await panel.locator('#composer-body').fill('Posted from the side panel.');
      await panel.locator('#composer button[type=submit]').click();
      await panel.locator('article.comment', { hasText: 'Posted from the side panel.' }).waitFor();

      const live = frame.locator('li.rj-comment', { hasText: 'Posted from the side panel.' });
      await live.waitFor();
      assert.equal(await live.locator('.rj-author').first().textContent(), 'ext_alice');
      assert.equal(await frame.locator('[data-count]').textContent(), '2 comments');

      await screenshot(panel, `extension-${database}-panel`);
      await screenshot(reader, `extension-${database}-embed-reader`);
      assert.deepEqual(panelErrors.uncaught, []);
      assert.deepEqual(readerErrors.uncaught, []);
      await readerContext.close();
    });
  });
}

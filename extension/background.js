/**
 * The background of the extension: the toolbar badge, the panel button and the
 * "Quote in Rejoinder" menu item.
 *
 * Privacy first: for the badge, the address of a tab never leaves the browser. The key is
 * computed here (lib/urlkey.js), hashed, and only the first four hex digits of the hash are
 * sent; the count is picked out of the bucket's answer (lib/counts.js). The full address is
 * sent only by the panel, which the reader opens. Private-window tabs get no badge at all.
 */

import { ApiError, apiFetch, hasInstancePermission, loadSettings } from "./lib/api.js";
import { ext, hasSidePanel } from "./lib/browser.js";
import { PrefixCache, badgeText, digestPrefix, pickCount, ttlSeconds } from "./lib/counts.js";
import { MAX_QUOTE_LENGTH, PENDING_QUOTE_KEY } from "./lib/quote.js";
import { UrlRejected, keyDigest, urlKey } from "./lib/urlkey.js";

const QUOTE_MENU_ID = "rejoinder-quote";

const cache = new PrefixCache();

async function countFor(settings, url) {
  let key;
  try {
    key = urlKey(url);
  } catch (error) {
    if (error instanceof UrlRejected) return null; // about:, file:, chrome: ... have no discussion
    throw error;
  }
  const digest = await keyDigest(key);
  const prefix = digestPrefix(digest);
  let answer = cache.get(prefix, Date.now());
  if (answer === undefined) {
    const { data, response } = await apiFetch(settings, `/api/v1/counts/by-prefix/${prefix}`, { token: null });
    answer = data;
    cache.set(prefix, answer, ttlSeconds(response.headers.get("cache-control")), Date.now());
  }
  return pickCount(digest, answer);
}

async function updateBadge(tab) {
  if (!tab || tab.id === undefined || tab.id < 0) return;
  let text = "";
  if (tab.url && !tab.incognito) {
    const settings = await loadSettings();
    // Without access to the instance nothing is asked; the options page asks for it.
    if (await hasInstancePermission(settings.instance)) {
      try {
        text = badgeText(await countFor(settings, tab.url));
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }
  }
  try {
    await ext.action.setBadgeText({ tabId: tab.id, text });
  } catch {
    // The tab closed while we were counting.
  }
}

async function updateActiveTabs() {
  const tabs = await ext.tabs.query({ active: true });
  await Promise.all(tabs.map(updateBadge));
}

ext.tabs.onActivated.addListener(({ tabId }) => {
  ext.tabs.get(tabId).then(updateBadge, () => {});
});
ext.tabs.onUpdated.addListener((_tabId, change, tab) => {
  if (change.url !== undefined || change.status === "complete") updateBadge(tab);
});
ext.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.instance) {
    cache.clear();
    updateActiveTabs();
  }
});
ext.permissions.onAdded?.addListener(() => updateActiveTabs());

ext.runtime.onInstalled.addListener(({ reason }) => {
  ext.contextMenus.create({ id: QUOTE_MENU_ID, title: "Quote in Rejoinder", contexts: ["selection"] });
  ext.action.setBadgeBackgroundColor({ color: "#3b5bdb" });
  if (reason === "install") ext.runtime.openOptionsPage();
});

if (hasSidePanel) {
  // Chromium: the toolbar button opens the side panel itself.
  ext.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch(() => {});
} else {
  // Firefox: the toolbar button toggles the sidebar (a user action, as sidebarAction requires).
  ext.action.onClicked.addListener(() => ext.sidebarAction.toggle());
}

ext.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId !== QUOTE_MENU_ID || !tab) return;
  // Open first, while the click still counts as a user action, then hand over the quote.
  const opening = hasSidePanel ? ext.sidePanel.open({ windowId: tab.windowId }) : ext.sidebarAction.open();
  const quote = {
    text: String(info.selectionText ?? "").slice(0, MAX_QUOTE_LENGTH),
    url: tab.url ?? "",
    tabId: tab.id,
  };
  Promise.all([opening, ext.storage.session.set({ [PENDING_QUOTE_KEY]: quote })]).catch(() => {});
});

updateActiveTabs();

/**
 * The WebExtension API under one name: Firefox's promise-based `browser`, else Chromium's
 * `chrome` (whose MV3 APIs return promises too). Every other module imports `ext` from here.
 */

export const ext = globalThis.browser ?? globalThis.chrome;

/** Whether this browser has Chromium's side panel (Firefox has a sidebar instead). */
export const hasSidePanel = Boolean(globalThis.chrome?.sidePanel) && !globalThis.browser?.sidebarAction;

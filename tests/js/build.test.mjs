// The extension build: one manifest source, two browsers, deterministic archives.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { inflateRawSync } from "node:zlib";

import { BROWSERS, SOURCE, buildArchive, buildManifest, extensionFiles, merge } from "../../scripts/build-extension.mjs";

function entries(archive) {
  // Walk the local file headers: name -> inflated bytes.
  const found = new Map();
  let offset = 0;
  while (archive.readUInt32LE(offset) === 0x04034b50) {
    const size = archive.readUInt32LE(offset + 18);
    const nameLength = archive.readUInt16LE(offset + 26);
    const name = archive.subarray(offset + 30, offset + 30 + nameLength).toString("utf8");
    const start = offset + 30 + nameLength;
    found.set(name, inflateRawSync(archive.subarray(start, start + size)));
    offset = start + size;
  }
  return found;
}

describe("manifests", () => {
  for (const browser of BROWSERS) {
    test(`${browser}: Manifest V3 with the required keys`, () => {
      const manifest = buildManifest(browser);
      assert.equal(manifest.manifest_version, 3);
      for (const key of ["name", "version", "description", "icons", "action", "permissions", "background"]) {
        assert.ok(key in manifest, key);
      }
      assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
      assert.deepEqual(manifest.optional_host_permissions, ["http://*/*", "https://*/*"]);
      assert.equal(manifest.host_permissions, undefined, "instance access is asked for at runtime");
      assert.equal(manifest.content_scripts, undefined, "no script runs in web pages");
      assert.equal(manifest.web_accessible_resources, undefined);
      const csp = manifest.content_security_policy.extension_pages;
      assert.match(csp, /script-src 'self';/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/[a-z]/);
      for (const path of [...Object.values(manifest.icons), manifest.options_ui.page]) {
        assert.ok(extensionFiles().includes(path), path);
      }
    });
  }

  test("chromium has a side panel and a module service worker", () => {
    const manifest = buildManifest("chromium");
    assert.equal(manifest.side_panel.default_path, "panel/panel.html");
    assert.ok(manifest.permissions.includes("sidePanel"));
    assert.deepEqual(manifest.background, { service_worker: "background.js", type: "module" });
    assert.equal(manifest.sidebar_action, undefined);
    assert.equal(manifest.browser_specific_settings, undefined);
  });

  test("firefox has a sidebar, background scripts and a gecko id", () => {
    const manifest = buildManifest("firefox");
    assert.match(manifest.browser_specific_settings.gecko.id, /^[^@]+@[a-z0-9.-]+$/);
    assert.equal(manifest.sidebar_action.default_panel, "panel/panel.html");
    assert.deepEqual(manifest.background, { scripts: ["background.js"], type: "module" });
    assert.equal(manifest.side_panel, undefined);
    assert.ok(!manifest.permissions.includes("sidePanel"), "Firefox warns about unknown permissions");
  });

  test("permissions stay minimal", () => {
    const allowed = new Set(["storage", "tabs", "contextMenus", "sidePanel"]);
    for (const browser of BROWSERS) {
      for (const permission of buildManifest(browser).permissions) assert.ok(allowed.has(permission), permission);
    }
  });

  test("overrides merge objects and replace arrays", () => {
    assert.deepEqual(merge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: 2 }), { a: { b: 1, c: [2] }, d: 1, e: 2 });
  });

  test("an unknown browser is an error", () => {
    assert.throws(() => buildManifest("netscape"), /unknown browser/);
  });
});

describe("archives", () => {
  for (const browser of BROWSERS) {
    test(`${browser}: deterministic, with its own manifest and every file`, () => {
      const first = buildArchive(browser);
      assert.ok(first.equals(buildArchive(browser)), "same tree, same bytes");
      const files = entries(first);
      assert.deepEqual(JSON.parse(files.get("manifest.json").toString("utf8")), buildManifest(browser));
      assert.deepEqual([...files.keys()], [...files.keys()].sort());
      for (const path of extensionFiles()) assert.ok(files.get(path).equals(readFileSync(join(SOURCE, path))), path);
      for (const name of files.keys()) {
        assert.doesNotMatch(name, /^(tools\/|README\.md$|manifest\.(base|chromium|firefox)\.json$)/);
      }
    });
  }

  test("every page's scripts are files of the extension, none inline", () => {
    for (const page of ["panel/panel.html", "options/options.html"]) {
      const html = readFileSync(join(SOURCE, page), "utf8");
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      assert.ok(scripts.length > 0, page);
      for (const [, attributes, body] of scripts) {
        assert.equal(body.trim(), "", `${page}: inline script`);
        assert.match(attributes, /src="[^":]+\.js"/);
      }
      assert.doesNotMatch(html, /\son[a-z]+=/i, `${page}: inline event handler`);
    }
  });
});

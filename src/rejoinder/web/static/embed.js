/*
 * Rejoinder's embed script, for other sites' pages:
 *
 *   <script src="https://INSTANCE/embed.js" data-rejoinder async></script>
 *
 * It stays tiny and does three things on the host page; the discussion itself lives in an
 * iframe served by the instance (its own origin, CSP and script), so the host's CSS and
 * scripts cannot reach it, and it cannot reach them.
 *
 * 1. With `data-rejoinder`, an iframe of INSTANCE/embed/thread right after this tag, for
 *    `data-url` or this page's address. The iframe's look follows `data-theme`
 *    (auto|light|dark; auto follows the host page) and `data-accent`, `data-background`,
 *    `data-text`, `data-font`, which the instance validates.
 * 2. The iframe's height, from its size reports: messages from the iframe's window and the
 *    instance's origin only, anything else is ignored.
 * 3. Comment counts for every `[data-rejoinder-count]` element (its `data-url` or `href`),
 *    in one `POST /api/v1/counts` for up to 200 addresses, without cookies.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var instance = new URL(script.src, document.baseURI).origin;
  var MAX_HEIGHT = 100000;
  var COUNT_BATCH = 200;

  function data(name) {
    var value = script.getAttribute("data-" + name);
    return value === null ? "" : value.trim();
  }

  function pageUrl(raw) {
    var url;
    try {
      url = new URL(raw || window.location.href, document.baseURI);
    } catch (error) {
      return null;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    url.hash = "";
    return url.href;
  }

  // ---- Light or dark: the host's declared scheme, else its background, else the OS ----
  function hostScheme() {
    var declared = getComputedStyle(document.documentElement).colorScheme || "";
    var dark = /\bdark\b/.test(declared);
    var light = /\blight\b/.test(declared);
    if (dark !== light) return dark ? "dark" : "light";
    var elements = [document.body, document.documentElement];
    for (var i = 0; i < elements.length; i += 1) {
      if (!elements[i]) continue;
      var rgb = getComputedStyle(elements[i]).backgroundColor.match(/[\d.]+/g);
      if (rgb && rgb.length >= 3 && (rgb.length < 4 || parseFloat(rgb[3]) > 0.5)) {
        var luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        return luma < 128 ? "dark" : "light";
      }
    }
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  // ---- The discussion iframe ----------------------------------------------------------
  function mount() {
    var url = pageUrl(data("url"));
    if (!url) return;
    var requested = data("theme") || "auto";
    var params = new URLSearchParams({ url: url, origin: window.location.origin });
    params.set("theme", requested === "auto" ? hostScheme() : requested);
    ["accent", "background", "text", "font"].forEach(function (name) {
      if (data(name)) params.set(name, data(name));
    });
    var frame = document.createElement("iframe");
    frame.src = instance + "/embed/thread?" + params.toString();
    frame.title = "Comments";
    frame.setAttribute("scrolling", "no");
    frame.setAttribute("data-rejoinder-frame", "");
    // Inline and !important: the host's own stylesheet must not hide, border or squash it.
    var style = {
      display: "block", visibility: "visible", opacity: "1", position: "static",
      width: "100%", "min-width": "280px", "max-width": "100%", height: "240px",
      border: "0", margin: "1em 0", padding: "0", background: "transparent",
      "color-scheme": "normal", transform: "none", filter: "none", overflow: "hidden",
    };
    Object.keys(style).forEach(function (name) {
      frame.style.setProperty(name, style[name], "important");
    });
    script.parentNode.insertBefore(frame, script.nextSibling);

    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || event.origin !== instance) return;
      var message = event.data;
      if (!message || message.type !== "rejoinder:size") return;
      var height = Math.ceil(Number(message.height));
      if (!isFinite(height) || height < 0) return;
      frame.style.setProperty("height", Math.min(height, MAX_HEIGHT) + "px", "important");
    });

    if (requested !== "auto") return;
    var current = params.get("theme");
    var follow = function () {
      var scheme = hostScheme();
      if (scheme === current || !frame.contentWindow) return;
      current = scheme;
      frame.contentWindow.postMessage({ type: "rejoinder:theme", theme: scheme }, instance);
    };
    // Sites switch themes by class or attribute on <html>/<body>, or follow the OS.
    var watcher = new MutationObserver(follow);
    var options = { attributes: true, attributeFilter: ["class", "style", "data-theme"] };
    watcher.observe(document.documentElement, options);
    if (document.body) watcher.observe(document.body, options);
    if (window.matchMedia) {
      var media = matchMedia("(prefers-color-scheme: dark)");
      if (media.addEventListener) media.addEventListener("change", follow);
    }
  }

  // ---- Counts on links ----------------------------------------------------------------
  function counts() {
    var byUrl = {};
    var urls = [];
    document.querySelectorAll("[data-rejoinder-count]").forEach(function (element) {
      if (element.hasAttribute("data-rejoinder-counted")) return; // another copy of this script
      element.setAttribute("data-rejoinder-counted", "");
      var url = pageUrl(element.getAttribute("data-url") || element.getAttribute("href"));
      if (!url) return;
      if (!byUrl[url]) {
        byUrl[url] = [];
        urls.push(url);
      }
      byUrl[url].push(element);
    });
    for (var start = 0; start < urls.length; start += COUNT_BATCH) {
      requestCounts(urls.slice(start, start + COUNT_BATCH), byUrl);
    }
  }

  function requestCounts(batch, byUrl) {
    fetch(instance + "/api/v1/counts", {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ urls: batch }),
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer || !answer.counts) return;
      batch.forEach(function (url) {
        var count = answer.counts[url];
        if (typeof count !== "number") return;
        byUrl[url].forEach(function (element) {
          element.textContent = count + (count === 1 ? " comment" : " comments");
          element.setAttribute("data-rejoinder-count-value", String(count));
        });
      });
    }).catch(function () {
      // Counts are decoration: a page whose origin is not allowed simply shows none.
    });
  }

  if (script.hasAttribute("data-rejoinder")) mount();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", counts);
  else counts();
})();

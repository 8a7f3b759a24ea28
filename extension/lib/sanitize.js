/**
 * A second, local allowlist for comment HTML before the panel shows it.
 *
 * The server already sanitizes `body_html` (comments/render.py, the same tags as below).
 * The panel is an extension page that can read the reader's token, so it does not rely on
 * that alone: the HTML is parsed in an inert document (DOMParser runs no scripts and loads
 * nothing) and rebuilt from allowlisted elements, attributes and link schemes only. The
 * extension's CSP (no inline script) is the third layer.
 */

const ALLOWED_TAGS = new Set([
  "P", "BR", "HR", "STRONG", "EM", "DEL", "S", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI",
  "A", "H3", "H4", "H5", "H6", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "SUP", "SUB",
]);
const ALLOWED_ATTRIBUTES = { A: ["href"], OL: ["start"], CODE: ["class"], TH: ["align"], TD: ["align"] };
const LINK_SCHEMES = new Set(["http:", "https:", "mailto:"]);
// Elements whose content is not text a reader should see.
const DROPPED_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT", "SVG", "MATH"]);

function safeHref(value) {
  try {
    const url = new URL(value);
    return LINK_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null; // relative links point into the extension: drop them
  }
}

function copyInto(target, source, doc) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.append(doc.createTextNode(node.data));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      if (DROPPED_TAGS.has(node.tagName.toUpperCase())) continue;
      if (!ALLOWED_TAGS.has(node.tagName)) {
        copyInto(target, node, doc); // keep the text of unknown elements, not the element
        continue;
      }
      const element = doc.createElement(node.tagName.toLowerCase());
      for (const name of ALLOWED_ATTRIBUTES[node.tagName] ?? []) {
        const value = node.getAttribute(name);
        if (value === null) continue;
        if (name === "href") {
          const href = safeHref(value);
          if (href === null) continue;
          element.setAttribute("href", href);
          element.setAttribute("rel", "nofollow ugc noopener noreferrer");
          element.setAttribute("target", "_blank");
        } else {
          element.setAttribute(name, value.slice(0, 100));
        }
      }
      copyInto(element, node, doc);
      target.append(element);
    }
  }
}

/** A fragment of `doc` holding the allowlisted rendering of `html`. */
export function sanitizedFragment(html, doc = document) {
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  const fragment = doc.createDocumentFragment();
  copyInto(fragment, parsed.body, doc);
  return fragment;
}

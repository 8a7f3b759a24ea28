// The Article section: select a passage of the article's text, press "Quote in reply", and
// the composer's quote fields hold it as a TextQuoteSelector (the passage, and up to 200
// characters before and after it so the passage can be found again). Without JavaScript the
// composer's quote field takes a pasted passage.
"use strict";

(function () {
  var MAX_EXACT = 2000;
  var MAX_CONTEXT = 200;
  var article = document.querySelector("[data-article]");
  var button = document.querySelector("[data-action=quote-selection]");
  var form = document.querySelector("form[data-composer]:not([data-parent-id])");
  if (!article || !button || !form || !form.querySelector("[data-quote-exact]")) return;

  // The article's text as the server stored it: one paragraph per line.
  function articleText() {
    return Array.prototype.map.call(article.querySelectorAll("p"), function (p) {
      return p.textContent;
    }).join("\n");
  }

  // Characters of the article's text before a point of the selection: the text of the
  // paragraphs before it, one line break between paragraphs.
  function offsetOf(node, offset) {
    var range = document.createRange();
    range.selectNodeContents(article);
    range.setEnd(node, offset);
    var before = range.cloneContents();
    var breaks = Math.max(before.querySelectorAll("p").length - 1, 0);
    return (before.textContent || "").length + breaks;
  }

  function currentSelection() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
    var range = selection.getRangeAt(0);
    if (!article.contains(range.commonAncestorContainer)) return null;
    var text = articleText();
    var start = offsetOf(range.startContainer, range.startOffset);
    // Browsers put one or two line breaks between selected paragraphs; the text has one.
    var exact = selection.toString().replace(/\r\n?/g, "\n").replace(/\n\s*\n/g, "\n").trim();
    if (!exact) return null;
    // Find the passage near where the selection starts: the offset arithmetic above can be
    // off by a paragraph break, never by more.
    var at = text.indexOf(exact, Math.max(0, start - 2));
    if (at < 0) at = text.indexOf(exact);
    exact = exact.slice(0, MAX_EXACT);
    if (at < 0) return { exact: exact, prefix: "", suffix: "" };
    return {
      exact: exact,
      prefix: text.slice(Math.max(0, at - MAX_CONTEXT), at),
      suffix: text.slice(at + exact.length, at + exact.length + MAX_CONTEXT),
    };
  }

  var pending = null;
  document.addEventListener("selectionchange", function () {
    pending = currentSelection();
    button.hidden = !pending;
  });

  button.addEventListener("click", function () {
    var quote = pending || currentSelection();
    if (!quote) return;
    form.querySelector("[data-quote-exact]").value = quote.exact;
    form.querySelector("[data-quote-prefix]").value = quote.prefix;
    form.querySelector("[data-quote-suffix]").value = quote.suffix;
    var details = form.querySelector("[data-quote-fields]");
    if (details) details.open = true;
    button.hidden = true;
    var body = form.querySelector("textarea[name=body]");
    body.scrollIntoView({ block: "center" });
    body.focus();
  });
})();

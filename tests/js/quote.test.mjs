// "Quote in Rejoinder": the selected passage becomes a markdown blockquote.
import assert from "node:assert/strict";
import { test } from "node:test";

import { MAX_QUOTE_LENGTH, addQuote, quoteMarkdown } from "../../extension/lib/quote.js";

test("each line is quoted and a blank line follows", () => {
  assert.equal(quoteMarkdown("first\r\nsecond"), "> first\n> second\n\n");
});

test("paragraph breaks stay, runs of empty lines collapse", () => {
  assert.equal(quoteMarkdown("a\n\n\n\nb"), "> a\n>\n> b\n\n");
});

test("empty and control-only selections quote nothing", () => {
  assert.equal(quoteMarkdown("  \n "), "");
  assert.equal(quoteMarkdown("\u0000\u0007"), "");
  assert.equal(addQuote("draft", " "), "draft");
});

test("long passages are cut and marked", () => {
  const quote = quoteMarkdown("x".repeat(MAX_QUOTE_LENGTH + 10));
  assert.ok(quote.endsWith(" …\n\n"));
  assert.equal(quote.length, "> ".length + MAX_QUOTE_LENGTH + " …\n\n".length);
});

test("a quote is added after what the composer holds", () => {
  assert.equal(addQuote("", "passage"), "> passage\n\n");
  assert.equal(addQuote("my draft\n", "passage"), "my draft\n\n> passage\n\n");
});

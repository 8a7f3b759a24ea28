/**
 * Quoting a passage of the page: the selection becomes a markdown blockquote in the
 * composer. Pure functions, shared by the background (which receives the selection from the
 * context menu) and the panel (which puts it into the composer).
 *
 * The API will later accept a W3C TextQuoteSelector (`quote: {exact, prefix, suffix}`)
 * anchoring the passage in the page; until it does, the quote travels as markdown only.
 */

// storage.session key under which a quote waits for the panel (never written to disk).
export const PENDING_QUOTE_KEY = "pendingQuote";
// A passage longer than this is cut: a comment quotes, it does not copy the article.
export const MAX_QUOTE_LENGTH = 2000;

/** The passage as a markdown blockquote followed by an empty line for the reply. */
export function quoteMarkdown(text) {
  const normalized = String(text)
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
    .trim();
  if (!normalized) return "";
  const clipped = Array.from(normalized).slice(0, MAX_QUOTE_LENGTH).join("");
  const cut = clipped.length < normalized.length ? " …" : "";
  const lines = (clipped + cut).split("\n").map((line) => line.trimEnd());
  // Collapse runs of empty lines into one quoted paragraph break.
  const quoted = lines
    .filter((line, i) => line !== "" || (i > 0 && lines[i - 1] !== ""))
    .map((line) => (line ? `> ${line}` : ">"));
  return `${quoted.join("\n")}\n\n`;
}

/** The composer's text with a quote added: after what is there, separated by a blank line. */
export function addQuote(current, text) {
  const quote = quoteMarkdown(text);
  if (!quote) return current;
  const before = current.trimEnd();
  return before ? `${before}\n\n${quote}` : quote;
}

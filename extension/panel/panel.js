/**
 * The discussion panel (Chromium side panel, Firefox sidebar): the thread of the current
 * tab, the composer, replies, votes, sorting and live updates.
 *
 * This is the only part of the extension that sends a page's address to the server, and
 * only the cleaned address (tracking parameters and fragments removed), only while the
 * reader has the panel open. Comment HTML is re-sanitized locally (lib/sanitize.js) and
 * lives in this extension document, never in the web page.
 *
 * Stable hooks for browser tests: comments are `id="c{id}"`, buttons carry
 * `data-action="reply|vote-up|vote-down"`, text areas are `name="body"`, sign-in state is
 * `#status`.
 */

import { ApiError, apiFetch, hasInstancePermission, loadSettings } from "../lib/api.js";
import { ext } from "../lib/browser.js";
import { PENDING_QUOTE_KEY, addQuote } from "../lib/quote.js";
import { sanitizedFragment } from "../lib/sanitize.js";
import { UrlRejected, cleanUrl, urlKey } from "../lib/urlkey.js";

const $ = (id) => document.getElementById(id);

const state = {
  settings: null,
  windowId: null,
  tabId: null,
  url: null, // the cleaned address of the tab, or null when it has no discussion
  nextCursor: null,
  stream: null,
  generation: 0, // bumped on every tab change so late answers for the old tab are ignored
};

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function failure(error) {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong. Try again.";
}

// --- Rendering ---------------------------------------------------------------------------

function timeElement(iso) {
  const time = document.createElement("time");
  time.dateTime = iso;
  const date = new Date(iso);
  time.textContent = Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
  return time;
}

function button(action, label, text) {
  const element = document.createElement("button");
  element.type = "button";
  element.dataset.action = action;
  element.setAttribute("aria-label", label);
  element.textContent = text;
  return element;
}

function setVoteState(article, comment) {
  article.querySelector(".score").textContent = String(comment.score);
  const up = article.querySelector('[data-action="vote-up"]');
  const down = article.querySelector('[data-action="vote-down"]');
  if (comment.my_vote !== undefined && up && down) {
    article.dataset.myVote = String(comment.my_vote);
    up.setAttribute("aria-pressed", String(comment.my_vote === 1));
    down.setAttribute("aria-pressed", String(comment.my_vote === -1));
  }
}

function fillBody(article, comment) {
  const body = article.querySelector(".body");
  const isPlaceholder = comment.status === "deleted" || comment.status === "removed";
  article.classList.toggle("placeholder", isPlaceholder);
  if (isPlaceholder) {
    body.textContent = comment.status === "deleted" ? "[deleted]" : "[removed by a moderator]";
  } else {
    body.replaceChildren(sanitizedFragment(comment.body_html));
  }
}

function renderComment(comment) {
  const item = document.createElement("li");
  const article = document.createElement("article");
  article.className = "comment";
  article.id = `c${comment.id}`;
  article.dataset.id = String(comment.id);
  article.setAttribute("aria-label", `Comment by ${comment.author?.name ?? "unknown"}`);

  const header = document.createElement("header");
  const author = document.createElement("span");
  author.className = "author";
  author.textContent = comment.author?.name ?? "";
  header.append(author, " · ", timeElement(comment.created_at));
  if (comment.edited_at) header.append(" · edited");

  const body = document.createElement("div");
  body.className = "body";

  const footer = document.createElement("footer");
  const score = document.createElement("span");
  score.className = "score";
  footer.append(
    button("vote-up", "Vote up", "▲"),
    score,
    button("vote-down", "Vote down", "▼"),
    button("reply", "Reply", "Reply"),
  );

  const slot = document.createElement("div");
  slot.className = "reply-slot";
  const replies = document.createElement("ol");
  replies.className = "replies";
  for (const reply of comment.replies ?? []) replies.append(renderComment(reply));

  article.append(header, body, footer, slot, replies);
  fillBody(article, comment);
  setVoteState(article, comment);
  item.append(article);
  return item;
}

function updateEmpty() {
  $("empty").hidden = $("thread").children.length > 0;
}

function insertComment(comment) {
  if (document.getElementById(`c${comment.id}`)) return; // our own post, already shown
  const parent = comment.parent_id === null ? null : document.getElementById(`c${comment.parent_id}`);
  if (comment.parent_id !== null && !parent) return; // under a comment not loaded yet
  const list = parent ? parent.querySelector(":scope > ol.replies") : $("thread");
  const item = renderComment({ ...comment, replies: [] });
  // New top-level comments go first under "new", last otherwise; replies read in order.
  if (!parent && $("sort").value === "new") list.prepend(item);
  else list.append(item);
  updateEmpty();
}

// --- Loading -------------------------------------------------------------------------------

async function currentTab() {
  const [tab] = await ext.tabs.query({ active: true, windowId: state.windowId });
  return tab ?? null;
}

async function loadThread({ append = false } = {}) {
  const generation = state.generation;
  const params = new URLSearchParams({ url: state.url, sort: $("sort").value });
  if (append && state.nextCursor) params.set("cursor", state.nextCursor);
  const { data } = await apiFetch(state.settings, `/api/v1/threads?${params}`);
  if (generation !== state.generation) return;
  $("page-title").textContent = data.page.title || "Discussion";
  $("page-key").textContent = data.page.key;
  if (!append) $("thread").replaceChildren();
  for (const comment of data.comments) $("thread").append(renderComment(comment));
  state.nextCursor = data.next_cursor;
  $("more").hidden = !state.nextCursor;
  updateEmpty();
}

async function refresh() {
  showMessage("");
  try {
    await loadThread();
  } catch (error) {
    showMessage(failure(error));
  }
}

// --- Live updates ----------------------------------------------------------------------------

function closeStream() {
  state.stream?.close();
  state.stream = null;
  $("live").textContent = "";
}

function parseEvent(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}

function openStream() {
  closeStream();
  if (typeof EventSource === "undefined" || !state.url) return;
  const source = new EventSource(
    `${state.settings.instance}/api/v1/stream?${new URLSearchParams({ url: state.url })}`,
  );
  let hadError = false;
  source.addEventListener("open", () => {
    $("live").textContent = "Live";
    // Nothing is replayed after a reconnection: re-read what may have been missed.
    if (hadError) refresh();
    hadError = false;
  });
  source.addEventListener("error", () => {
    hadError = true;
    $("live").textContent = source.readyState === EventSource.CLOSED ? "Live updates off: use Refresh" : "Reconnecting…";
  });
  source.addEventListener("comment.created", (event) => {
    const data = parseEvent(event);
    if (data?.comment) insertComment(data.comment);
  });
  source.addEventListener("comment.edited", (event) => {
    const data = parseEvent(event);
    const article = data?.comment && document.getElementById(`c${data.comment.id}`);
    if (article) fillBody(article, data.comment);
  });
  source.addEventListener("comment.removed", (event) => {
    const data = parseEvent(event);
    const article = data && document.getElementById(`c${data.id}`);
    if (article) fillBody(article, { status: "removed" });
  });
  source.addEventListener("vote.changed", (event) => {
    const data = parseEvent(event);
    const article = data && document.getElementById(`c${data.comment_id}`);
    // The event is everyone's tally; the reader's own vote (my_vote) stays as it was.
    if (article && Number.isSafeInteger(data.score)) setVoteState(article, { score: data.score });
  });
  source.addEventListener("reconnect", () => {
    openStream();
    refresh();
  });
  state.stream = source;
}

// --- The tab and the reader ----------------------------------------------------------------

async function showLoginState() {
  const signedIn = Boolean(state.settings.token);
  $("status").textContent = signedIn
    ? `Signed in as ${state.settings.username ?? "you"} on ${state.settings.instance}`
    : `Not signed in (${state.settings.instance}). Sign in from Options to post and vote.`;
  $("composer").hidden = false;
  $("composer").querySelector('button[type="submit"]').disabled = !signedIn;
}

async function showTab() {
  state.generation += 1;
  closeStream();
  showMessage("");
  $("thread").replaceChildren();
  $("more").hidden = true;
  $("empty").hidden = true;
  const tab = await currentTab();
  state.tabId = tab?.id ?? null;
  state.url = null;
  try {
    state.url = tab?.url ? cleanUrl(tab.url) : null;
    $("page-key").textContent = state.url ? urlKey(state.url) : "";
  } catch (error) {
    if (!(error instanceof UrlRejected)) throw error;
  }
  if (!state.url) {
    $("page-title").textContent = "Rejoinder";
    $("page-key").textContent = "";
    showMessage("This tab has no discussion: only http and https pages can be discussed.");
    return;
  }
  if (!(await hasInstancePermission(state.settings.instance))) {
    showMessage(`Allow access to ${state.settings.instance} in Options first.`);
    return;
  }
  await refresh();
  openStream();
}

async function takePendingQuote() {
  const stored = await ext.storage.session.get(PENDING_QUOTE_KEY);
  const quote = stored[PENDING_QUOTE_KEY];
  if (!quote || typeof quote.text !== "string") return;
  await ext.storage.session.remove(PENDING_QUOTE_KEY);
  const textarea = $("composer-body");
  textarea.value = addQuote(textarea.value, quote.text);
  textarea.focus();
  textarea.setSelectionRange(textarea.value.length, textarea.value.length);
}

// --- Actions -------------------------------------------------------------------------------

async function post(form, payload) {
  const submit = form.querySelector('button[type="submit"]');
  submit.disabled = true;
  showMessage("");
  try {
    const { data } = await apiFetch(state.settings, "/api/v1/comments", { method: "POST", body: payload });
    form.reset();
    insertComment(data);
    document.getElementById(`c${data.id}`)?.scrollIntoView({ block: "nearest" });
    return true;
  } catch (error) {
    showMessage(failure(error));
    return false;
  } finally {
    submit.disabled = !state.settings.token;
  }
}

function openReplyForm(article) {
  const slot = article.querySelector(":scope > .reply-slot");
  if (slot.firstChild) {
    slot.querySelector("textarea").focus();
    return;
  }
  const form = document.createElement("form");
  form.className = "composer";
  const id = `reply-${article.dataset.id}`;
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "Your reply";
  const textarea = document.createElement("textarea");
  textarea.id = id;
  textarea.name = "body";
  textarea.maxLength = 10000;
  textarea.required = true;
  const row = document.createElement("div");
  row.className = "row";
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  cancel.addEventListener("click", () => form.remove());
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.className = "primary";
  submit.textContent = "Reply";
  submit.disabled = !state.settings.token;
  row.append(cancel, submit);
  form.append(label, textarea, row);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const parentId = Number(article.dataset.id);
    if (await post(form, { parent_id: parentId, body: textarea.value })) form.remove();
  });
  slot.append(form);
  textarea.focus();
}

async function vote(article, direction) {
  if (!state.settings.token) {
    showMessage("Sign in from Options to vote.");
    return;
  }
  const current = Number(article.dataset.myVote ?? 0);
  const value = current === direction ? 0 : direction; // pressing again withdraws the vote
  try {
    const { data } = await apiFetch(state.settings, `/api/v1/comments/${article.dataset.id}/vote`, {
      method: "PUT",
      body: { value },
    });
    setVoteState(article, data);
  } catch (error) {
    showMessage(failure(error));
  }
}

$("thread").addEventListener("click", (event) => {
  const target = event.target.closest("button[data-action]");
  const article = target?.closest("article.comment");
  if (!target || !article) return;
  if (target.dataset.action === "reply") openReplyForm(article);
  else if (target.dataset.action === "vote-up") vote(article, 1);
  else if (target.dataset.action === "vote-down") vote(article, -1);
});

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  if (state.url) post($("composer"), { url: state.url, body: $("composer-body").value });
});
$("sort").addEventListener("change", refresh);
$("refresh").addEventListener("click", refresh);
$("more").addEventListener("click", () => loadThread({ append: true }).catch((e) => showMessage(failure(e))));
$("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());

async function start() {
  state.settings = await loadSettings();
  state.windowId = (await ext.windows.getCurrent()).id;
  await showLoginState();
  await showTab();
  await takePendingQuote();

  ext.tabs.onActivated.addListener(({ windowId }) => {
    if (windowId === state.windowId) showTab();
  });
  ext.tabs.onUpdated.addListener((tabId, change) => {
    if (tabId === state.tabId && change.url !== undefined) showTab();
  });
  ext.storage.onChanged.addListener(async (changes, area) => {
    if (area === "session" && changes[PENDING_QUOTE_KEY]?.newValue) takePendingQuote();
    if (area === "local") {
      state.settings = await loadSettings();
      await showLoginState();
      if (changes.instance || changes.token) showTab();
    }
  });
  ext.permissions.onAdded?.addListener(() => showTab());
}

start().catch(() => showMessage("The panel could not start. Close and open it again."));

// The embed widget's iframe: one page's discussion on another site, through the JSON API of
// this instance (same-origin). Thread, composer, replies, votes, sort, live updates, sign-in.
//
// Who the reader is, in order: a token from an earlier popup sign-in, kept in this frame's
// own storage (browsers partition it by the embedding site); else our session cookie, which
// only reaches the frame when the host page is on the same site as the instance; else
// nobody (guests may still comment where the operator allows it). Signing in opens /login
// in a popup; its last page (/embed/done) posts a token to this window, addressed to this
// origin only, and we accept it only from that popup. docs/embed.md explains why.
//
// Comment HTML comes from the server's one sanitizer (body_html, sanitized when written);
// everything else is inserted as text.
"use strict";

(function () {
  var root = document.getElementById("rj");
  if (!root) return;
  var pageUrl = root.getAttribute("data-url");
  var hostOrigin = root.getAttribute("data-host-origin");
  var guests = root.getAttribute("data-guests") === "true";
  var maxLength = parseInt(root.getAttribute("data-max-length"), 10) || 10000;
  var TOKEN_KEY = "rejoinder.embed.token";
  var USER_KEY = "rejoinder.embed.username";
  var GUEST_KEY = "rejoinder.embed.guest";

  var $ = function (name) { return root.querySelector("[data-" + name + "]"); };
  var state = { token: null, username: null, viewerByCookie: false, cursor: null, stream: null, popup: null };

  // ---- Look: theme and the host's custom properties (validated by the server) ----------
  Array.prototype.forEach.call(root.attributes, function (attribute) {
    if (attribute.name.indexOf("data-css-") === 0) {
      document.documentElement.style.setProperty("--rj-" + attribute.name.slice(9), attribute.value);
    }
  });
  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.origin === hostOrigin) {
      var theme = event.data && event.data.theme;
      if (event.data && event.data.type === "rejoinder:theme" && (theme === "light" || theme === "dark")) {
        document.documentElement.setAttribute("data-theme", theme);
      }
      return;
    }
    if (event.source && event.source === state.popup && event.origin === window.location.origin) {
      signedIn(event.data);
    }
  });

  // ---- Size reports to the host page ------------------------------------------------------
  var lastHeight = -1;
  function reportSize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight || window.parent === window) return;
    lastHeight = height;
    window.parent.postMessage({ type: "rejoinder:size", height: height }, hostOrigin);
  }
  if (window.ResizeObserver) new ResizeObserver(reportSize).observe(document.documentElement);
  else window.addEventListener("load", reportSize);

  // ---- Storage: this frame's own, and any of it may be refused -----------------------------
  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }
  function store(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (error) { /* storage blocked: the sign-in lasts as long as this page */ }
  }

  // ---- The API ---------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      // With a token, no cookie: the two must not mix into one identity.
      credentials: state.token ? "omit" : "same-origin",
    });
  }

  function problemText(response, fallback) {
    return response.json().then(function (problem) {
      if (response.status === 429 && problem.retry_after) {
        return "Slow down: try again in " + problem.retry_after + " seconds.";
      }
      var field = problem.errors && problem.errors[0] && problem.errors[0].message;
      return problem.detail || field || problem.title || fallback;
    }, function () { return fallback; });
  }

  function say(text) {
    var message = $("message");
    message.textContent = text || "";
    message.hidden = !text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(text, action, className) {
    var node = el("button", className || "rj-secondary", text);
    node.type = "button";
    if (action) node.setAttribute("data-action", action);
    return node;
  }

  // ---- Rendering -------------------------------------------------------------------------
  function ago(iso) {
    var seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    var units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
    for (var i = 0; i < units.length; i += 1) {
      var count = Math.floor(seconds / units[i][1]);
      if (count >= 1) return count + " " + units[i][0] + (count === 1 ? "" : "s") + " ago";
    }
    return "just now";
  }

  function fillBody(node, comment) {
    var body = node.querySelector(":scope > .rj-main > .rj-body");
    var placeholder = comment.status === "deleted" || comment.status === "removed";
    node.classList.toggle("rj-placeholder", placeholder);
    if (placeholder) {
      body.textContent = comment.status === "deleted" ? "[deleted]" : "[removed by a moderator]";
      var actions = node.querySelector(":scope > .rj-main > .rj-actions");
      if (actions) actions.remove();
      return;
    }
    body.innerHTML = comment.body_html; // sanitized by the server when it was written
    body.querySelectorAll("a[href]").forEach(function (link) {
      link.target = "_blank"; // never navigate the frame away from the discussion
      link.rel = "nofollow noopener ugc";
    });
    if (comment.nsfw || comment.muted) {
      body.hidden = true;
      var reveal = button(comment.nsfw ? "Show NSFW comment" : "Show comment (muted author)", "reveal");
      reveal.addEventListener("click", function () { body.hidden = false; reveal.remove(); });
      body.parentNode.insertBefore(reveal, body);
    }
  }

  function setScore(node, result) {
    var score = node.querySelector(":scope > .rj-main [data-score]");
    if (!score) return;
    score.textContent = String(result.score);
    if (result.upvotes !== undefined) score.title = result.upvotes + " up, " + result.downvotes + " down";
    if (result.my_vote === undefined) return;
    node.setAttribute("data-my-vote", String(result.my_vote));
    node.querySelector(":scope > .rj-main [data-action=vote-up]").setAttribute("aria-pressed", String(result.my_vote === 1));
    node.querySelector(":scope > .rj-main [data-action=vote-down]").setAttribute("aria-pressed", String(result.my_vote === -1));
  }

  function renderComment(comment) {
    var item = el("li", "rj-comment");
    item.id = "c" + comment.id;
    item.setAttribute("data-comment-id", String(comment.id));
    var main = el("article", "rj-main");
    var head = el("header", "rj-meta");
    head.appendChild(el("strong", "rj-author", comment.author ? comment.author.name : "[gone]"));
    var time = el("a", "rj-time", ago(comment.created_at));
    time.href = "/c/" + comment.id;
    time.target = "_blank";
    time.rel = "noopener";
    time.title = comment.created_at;
    head.appendChild(time);
    if (comment.edited_at) head.appendChild(el("span", "rj-muted", "edited"));
    if (comment.pinned) head.appendChild(el("span", "rj-badge", "pinned"));
    if (comment.status === "pending") head.appendChild(el("span", "rj-badge", "pending review"));
    main.appendChild(head);
    main.appendChild(el("div", "rj-body"));
    var actions = el("div", "rj-actions");
    var up = button("▲", "vote-up", "rj-vote");
    up.setAttribute("aria-label", "Upvote");
    var score = el("span", "rj-score", "");
    score.setAttribute("data-score", "");
    var down = button("▼", "vote-down", "rj-vote");
    down.setAttribute("aria-label", "Downvote");
    actions.appendChild(up);
    actions.appendChild(score);
    actions.appendChild(down);
    if (comment.status === "visible") actions.appendChild(button("Reply", "reply", "rj-link"));
    main.appendChild(actions);
    main.appendChild(el("div", "rj-reply-slot"));
    item.appendChild(main);
    var replies = el("ol", "rj-replies");
    (comment.replies || []).forEach(function (reply) { replies.appendChild(renderComment(reply)); });
    item.appendChild(replies);
    fillBody(item, comment);
    setScore(item, comment);
    return item;
  }

  function setCount(count) {
    var heading = $("count");
    heading.setAttribute("data-total", String(count));
    heading.textContent = count === 1 ? "1 comment" : count.toLocaleString("en") + " comments";
  }

  function bumpCount(delta) {
    var now = parseInt($("count").getAttribute("data-total"), 10) || 0;
    setCount(Math.max(0, now + delta));
  }

  function updateEmpty() {
    $("empty").hidden = $("thread").children.length > 0;
  }

  function insertComment(comment) {
    if (document.getElementById("c" + comment.id)) return null;
    var list = $("thread");
    if (comment.parent_id) {
      var parent = document.getElementById("c" + comment.parent_id);
      if (!parent) return null; // under a comment not loaded here
      list = parent.querySelector(":scope > .rj-replies");
    }
    var node = renderComment(Object.assign({}, comment, { replies: [] }));
    node.classList.add("rj-new");
    if (!comment.parent_id && $("sort").value !== "old") list.insertBefore(node, list.firstChild);
    else list.appendChild(node);
    if (comment.status === "visible") bumpCount(1);
    updateEmpty();
    return node;
  }

  // ---- Loading the thread -----------------------------------------------------------------
  function load(append) {
    var params = new URLSearchParams({ url: pageUrl, sort: $("sort").value });
    if (append && state.cursor) params.set("cursor", state.cursor);
    return api("GET", "/api/v1/threads?" + params.toString()).then(function (response) {
      if (response.status === 401 && state.token) {
        forgetToken(); // revoked or expired elsewhere: read as a guest instead
        return load(append);
      }
      if (!response.ok) {
        return problemText(response, "Could not load the comments.").then(function (text) { say(text); });
      }
      return response.json().then(function (thread) {
        if (!append) $("thread").replaceChildren();
        thread.comments.forEach(function (comment) { $("thread").appendChild(renderComment(comment)); });
        setCount(thread.page.comment_count);
        state.cursor = thread.next_cursor;
        $("more").hidden = !state.cursor;
        updateEmpty();
      });
    }).catch(function () { say("Could not reach the comment server."); });
  }

  // ---- The reader ----------------------------------------------------------------------------
  function forgetToken() {
    state.token = null;
    state.username = null;
    store(TOKEN_KEY, null);
    store(USER_KEY, null);
  }

  function whoAmI() {
    state.token = stored(TOKEN_KEY);
    state.username = stored(USER_KEY);
    return api("GET", "/api/v1/me").then(function (response) {
      if (response.ok) {
        return response.json().then(function (me) {
          state.username = me.username;
          state.viewerByCookie = !state.token;
        });
      }
      if (state.token) {
        forgetToken();
        return whoAmI();
      }
      state.viewerByCookie = false;
      return null;
    }).catch(function () { /* offline: the thread load says so */ });
  }

  function isSignedIn() { return Boolean(state.token || state.viewerByCookie); }

  function signedIn(message) {
    if (!message || message.type !== "rejoinder:signed-in") return;
    if (typeof message.token !== "string" || message.token.length > 300) return;
    if (typeof message.username !== "string" || message.username.length > 64) return;
    state.popup = null;
    state.token = message.token;
    state.username = message.username;
    store(TOKEN_KEY, state.token);
    store(USER_KEY, state.username);
    say("");
    showAccount();
    renderComposer();
    load(false);
  }

  function logIn() {
    var path = "/login?next=" + encodeURIComponent("/embed/done");
    state.popup = window.open(path, "rejoinder-login", "popup,width=520,height=680");
    if (!state.popup) say("Your browser blocked the sign-in window: allow pop-ups for this page and try again.");
  }

  function logOut() {
    api("DELETE", "/api/v1/sessions/current").catch(function () {}).then(function () {
      forgetToken();
      state.viewerByCookie = false;
      showAccount();
      renderComposer();
      load(false);
    });
  }

  function showAccount() {
    var box = $("account");
    box.replaceChildren();
    if (isSignedIn()) {
      box.appendChild(el("span", "rj-muted", "Signed in as " + (state.username || "you")));
      var out = button("Sign out", "logout", "rj-link");
      out.addEventListener("click", logOut);
      box.appendChild(out);
    } else {
      var login = button("Log in", "login", "rj-link");
      login.addEventListener("click", logIn);
      box.appendChild(login);
    }
  }

  // ---- Composers ------------------------------------------------------------------------------
  function composer(label, parentId, onDone) {
    var form = el("form", "rj-composer");
    var id = "rj-body-" + (parentId || "new");
    var caption = el("label", "", label);
    caption.htmlFor = id;
    var textarea = el("textarea");
    textarea.id = id;
    textarea.name = "body";
    textarea.required = true;
    textarea.maxLength = maxLength;
    textarea.placeholder = "Be kind. Markdown works.";
    form.appendChild(caption);
    form.appendChild(textarea);
    var nameInput = null;
    if (!isSignedIn()) {
      nameInput = el("input");
      nameInput.name = "author_name";
      nameInput.maxLength = 64;
      nameInput.required = true;
      nameInput.placeholder = "Your name";
      nameInput.setAttribute("aria-label", "Your name");
      nameInput.value = stored(GUEST_KEY) || "";
      form.appendChild(nameInput);
    }
    var row = el("div", "rj-row");
    var submit = el("button", "rj-primary", parentId ? "Post reply" : "Post comment");
    submit.type = "submit";
    submit.setAttribute("data-action", "post");
    row.appendChild(submit);
    if (!isSignedIn()) {
      row.appendChild(el("span", "rj-muted", "Posting as a guest, or"));
      var login = button("log in", "login", "rj-link");
      login.addEventListener("click", logIn);
      row.appendChild(login);
    }
    var status = el("span", "rj-status");
    status.setAttribute("role", "status");
    row.appendChild(status);
    form.appendChild(row);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!textarea.value.trim()) {
        status.textContent = "Write something first.";
        return;
      }
      var payload = { body: textarea.value };
      if (parentId) payload.parent_id = parentId;
      else payload.url = pageUrl;
      if (nameInput) {
        payload.author_name = nameInput.value.trim();
        store(GUEST_KEY, payload.author_name);
      }
      submit.disabled = true;
      status.textContent = "Posting…";
      api("POST", "/api/v1/comments", payload).then(function (response) {
        if (response.status === 401) {
          status.textContent = "";
          if (state.token) forgetToken();
          showAccount();
          logIn();
          return null;
        }
        if (!response.ok) {
          return problemText(response, "Could not post.").then(function (text) { status.textContent = text; });
        }
        return response.json().then(function (comment) {
          textarea.value = "";
          status.textContent = comment.status === "pending" ? "Posted; it shows once a moderator approves it." : "Posted.";
          var node = insertComment(comment) || document.getElementById("c" + comment.id);
          if (onDone) onDone();
          if (node) node.scrollIntoView({ block: "nearest" });
        });
      }).catch(function () {
        status.textContent = "Could not reach the server; your text is still here.";
      }).then(function () { submit.disabled = false; });
    });
    return form;
  }

  function renderComposer() {
    var slot = $("composer-slot");
    slot.replaceChildren();
    if (isSignedIn() || guests) {
      slot.appendChild(composer("Add to the discussion", null, null));
      return;
    }
    var invite = el("p", "rj-invite");
    var login = button("Log in", "login", "rj-primary");
    login.addEventListener("click", logIn);
    invite.appendChild(login);
    invite.appendChild(el("span", "rj-muted", " to join the discussion."));
    slot.appendChild(invite);
  }

  function openReply(item) {
    var slot = item.querySelector(":scope > .rj-main > .rj-reply-slot");
    if (slot.firstChild) {
      slot.querySelector("textarea").focus();
      return;
    }
    if (!isSignedIn() && !guests) {
      logIn();
      return;
    }
    var id = parseInt(item.getAttribute("data-comment-id"), 10);
    var form = composer("Your reply", id, function () { form.remove(); });
    var cancel = button("Cancel", "cancel");
    cancel.addEventListener("click", function () { form.remove(); });
    form.querySelector(".rj-row").appendChild(cancel);
    slot.appendChild(form);
    form.querySelector("textarea").focus();
  }

  function vote(item, direction) {
    if (!isSignedIn()) {
      logIn();
      return;
    }
    var current = parseInt(item.getAttribute("data-my-vote") || "0", 10);
    var value = current === direction ? 0 : direction; // pressing again withdraws the vote
    api("PUT", "/api/v1/comments/" + item.getAttribute("data-comment-id") + "/vote", { value: value })
      .then(function (response) {
        if (!response.ok) return problemText(response, "Could not vote.").then(say);
        return response.json().then(function (result) { setScore(item, result); });
      })
      .catch(function () { say("Could not reach the server."); });
  }

  $("thread").addEventListener("click", function (event) {
    var target = event.target.closest("button[data-action]");
    var item = target && target.closest("li.rj-comment");
    if (!item) return;
    var action = target.getAttribute("data-action");
    if (action === "reply") openReply(item);
    else if (action === "vote-up") vote(item, 1);
    else if (action === "vote-down") vote(item, -1);
  });
  $("sort").addEventListener("change", function () { load(false); });
  $("more").addEventListener("click", function () { load(true); });

  // ---- Live updates -------------------------------------------------------------------------
  function parse(event) {
    try { return JSON.parse(event.data); } catch (error) { return null; }
  }

  function connect() {
    if (!window.EventSource) return;
    var source = new EventSource("/api/v1/stream?" + new URLSearchParams({ url: pageUrl }).toString());
    var broken = false;
    state.stream = source;
    source.addEventListener("open", function () {
      $("live").textContent = "● Live";
      if (broken) load(false); // nothing is replayed after a reconnection
      broken = false;
    });
    source.addEventListener("error", function () {
      broken = true;
      $("live").textContent = source.readyState === EventSource.CLOSED ? "" : "Reconnecting…";
    });
    source.addEventListener("comment.created", function (event) {
      var data = parse(event);
      if (data && data.comment) insertComment(data.comment);
    });
    source.addEventListener("comment.edited", function (event) {
      var data = parse(event);
      var node = data && data.comment && document.getElementById("c" + data.comment.id);
      if (!node) return;
      node.querySelectorAll(":scope > .rj-main > [data-action=reveal]").forEach(function (b) { b.remove(); });
      fillBody(node, data.comment);
    });
    source.addEventListener("comment.removed", function (event) {
      var data = parse(event);
      var node = data && document.getElementById("c" + data.id);
      if (!node) return;
      fillBody(node, { status: "removed" });
      bumpCount(-1);
    });
    source.addEventListener("vote.changed", function (event) {
      var data = parse(event);
      var node = data && document.getElementById("c" + data.comment_id);
      // Everyone's tally; the reader's own vote stays as it was.
      if (node) setScore(node, { score: data.score, upvotes: data.upvotes, downvotes: data.downvotes });
    });
    source.addEventListener("reconnect", function () {
      source.close();
      connect();
      load(false);
    });
  }

  whoAmI().then(function () {
    showAccount();
    renderComposer();
    return load(false);
  }).then(connect);
})();

// Discussion pages: inline replies, previews, votes, "load more" and live updates.
// Every feature here has a no-JavaScript fallback in the HTML (forms and links); this file
// only makes them quicker. Comment HTML always comes from the server: body_html is sanitized
// when written, and new comments are fetched as server-rendered fragments.
"use strict";

(function () {
  var root = document.querySelector("[data-discussion]");
  var pageUrl = root ? root.getAttribute("data-page-url") : null;
  var pagePath = root ? root.getAttribute("data-page-path") : null;
  var signedIn = root ? root.getAttribute("data-signed-in") === "true" : false;
  var guests = root ? root.getAttribute("data-guests") === "true" : false;
  var focusMode = root ? root.hasAttribute("data-focus") : false;
  var thread = document.getElementById("thread");

  function problemText(response, fallback) {
    return response.json().then(
      function (problem) {
        if (response.status === 429 && problem.retry_after) {
          return "Slow down: try again in " + problem.retry_after + " seconds.";
        }
        return problem.detail || problem.title || fallback;
      },
      function () { return fallback; }
    );
  }

  function api(method, path, body) {
    return fetch(path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function setBusy(button, busy) {
    if (!button) return;
    button.disabled = busy;
    if (busy) button.setAttribute("aria-busy", "true");
    else button.removeAttribute("aria-busy");
  }

  function setStatus(el, text, isError) {
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("composer__status--error", !!isError);
  }

  function fragmentNodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.filter.call(template.content.children, function (node) {
      return node.matches("li.comment");
    });
  }

  function fetchComment(id) {
    return fetch("/c/" + id + "/fragment", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) return null;
      return r.text().then(function (html) { return fragmentNodes(html)[0] || null; });
    });
  }

  // ---- Markdown preview -------------------------------------------------------------
  function enhancePreview(form) {
    var button = form.querySelector("[data-action=preview]");
    var textarea = form.querySelector("textarea[name=body]");
    var panel = form.querySelector("[data-preview]");
    var status = form.querySelector("[data-status]");
    if (!button || !textarea || !panel) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!panel.hidden) {
        panel.hidden = true;
        textarea.hidden = false;
        button.textContent = "Preview";
        textarea.focus();
        return;
      }
      if (!textarea.value.trim()) {
        setStatus(status, "Write something to preview.", true);
        return;
      }
      setBusy(button, true);
      setStatus(status, "Rendering preview…");
      api("POST", "/api/v1/preview", { body: textarea.value }).then(function (response) {
        if (!response.ok) {
          return problemText(response, "Could not preview.").then(function (text) {
            setStatus(status, text, true);
          });
        }
        return response.json().then(function (data) {
          panel.innerHTML = data.html; // sanitized by the server's one sanitizer
          panel.hidden = false;
          textarea.hidden = true;
          button.textContent = "Edit";
          setStatus(status, "");
        });
      }).catch(function () {
        setStatus(status, "Could not reach the server.", true);
      }).then(function () { setBusy(button, false); });
    });
  }

  // ---- Posting comments and replies ---------------------------------------------------
  function insertComment(node, parentId) {
    if (document.getElementById(node.id)) return document.getElementById(node.id);
    if (parentId) {
      var parent = document.getElementById("c" + parentId);
      if (!parent) return null;
      var replies = parent.querySelector(":scope > details > ol.replies");
      replies.hidden = false;
      replies.appendChild(node);
      updateFolded(parent);
    } else {
      thread.insertBefore(node, thread.firstChild);
      var empty = document.querySelector("[data-empty]");
      if (empty) empty.remove();
    }
    enhanceComments(node);
    forget(parseInt(node.getAttribute("data-comment-id"), 10));
    return node;
  }

  // The line a collapsed comment shows: "alice · 2 replies hidden", as the server renders it.
  function updateFolded(comment) {
    var folded = comment.querySelector(":scope > details > summary .comment__folded");
    if (!folded || !folded.hasAttribute("data-name")) return;
    var n = comment.querySelectorAll(":scope > details > ol.replies > li.comment").length;
    var text = folded.getAttribute("data-name") + (folded.hasAttribute("data-muted") ? " (muted)" : "");
    if (n) text += " · " + n.toLocaleString() + (n === 1 ? " reply" : " replies") + " hidden";
    folded.textContent = text;
  }

  function enhanceComposer(form) {
    enhancePreview(form);
    if (!root || !thread) return; // the standalone reply and edit pages post normally
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var textarea = form.querySelector("textarea[name=body]");
      var nsfw = form.querySelector("input[name=nsfw]");
      var button = form.querySelector("[data-action=post]");
      var status = form.querySelector("[data-status]");
      var parentId = form.getAttribute("data-parent-id");
      if (!textarea.value.trim()) {
        setStatus(status, "Write something first.", true);
        textarea.focus();
        return;
      }
      var payload = { body: textarea.value, nsfw: !!(nsfw && nsfw.checked) };
      var guestName = form.querySelector("input[name=author_name]");
      if (guestName) {
        if (!guestName.value.trim()) {
          setStatus(status, "Give a name to comment as a guest.", true);
          guestName.focus();
          return;
        }
        payload.author_name = guestName.value;
      }
      if (parentId) payload.parent_id = parseInt(parentId, 10);
      else payload.url = pageUrl;
      // The article passage answered (article.js fills these from a selection).
      var quoteExact = form.querySelector("[data-quote-exact]");
      if (quoteExact && quoteExact.value.trim()) {
        payload.quote = {
          type: "TextQuoteSelector",
          exact: quoteExact.value,
          prefix: form.querySelector("[data-quote-prefix]").value,
          suffix: form.querySelector("[data-quote-suffix]").value,
        };
      }
      setBusy(button, true);
      setStatus(status, "Posting…");
      api("POST", "/api/v1/comments", payload).then(function (response) {
        if (response.status === 401) {
          window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
          return null;
        }
        if (!response.ok) {
          return problemText(response, "Could not post.").then(function (text) {
            setStatus(status, text, true);
          });
        }
        return response.json().then(function (comment) {
          return fetchComment(comment.id).then(function (node) {
            if (!node) {
              window.location.href = "/c/" + comment.id + "#c" + comment.id;
              return;
            }
            var inserted = insertComment(node, parentId);
            if (comment.status === "visible") countOnce(comment.id);
            textarea.value = "";
            form.querySelectorAll("[data-quote-exact], [data-quote-prefix], [data-quote-suffix]")
              .forEach(function (field) { field.value = ""; });
            setStatus(status, "Posted.");
            if (parentId) closeReply(form);
            if (inserted) {
              inserted.classList.add("comment--new");
              inserted.querySelector(".comment__main").setAttribute("tabindex", "-1");
              inserted.querySelector(".comment__main").focus();
            }
          });
        });
      }).catch(function () {
        setStatus(status, "Could not reach the server; your text is still here.", true);
      }).then(function () { setBusy(button, false); });
    });
  }

  // ---- Inline replies -----------------------------------------------------------------
  var replyTemplate = document.getElementById("reply-template");

  function closeReply(form) {
    var slot = form.parentNode;
    var comment = slot.closest("li.comment");
    form.remove();
    var link = comment && comment.querySelector(":scope > details > .comment__main [data-action=reply]");
    if (link) link.focus();
  }

  function openReply(link) {
    var comment = link.closest("li.comment");
    var slot = comment.querySelector(":scope > details > .comment__main [data-reply-slot]");
    var existing = slot.querySelector("form");
    if (existing) {
      existing.querySelector("textarea").focus();
      return;
    }
    var id = comment.getAttribute("data-comment-id");
    var fragment = replyTemplate.content.cloneNode(true);
    var form = fragment.querySelector("form");
    form.setAttribute("action", "/c/" + id + "/reply");
    form.setAttribute("data-parent-id", id);
    // Unique ids per open form, so labels point at the right textarea.
    form.querySelectorAll("[id]").forEach(function (el) { el.id = el.id + "-" + id; });
    form.querySelectorAll("label[for]").forEach(function (el) {
      el.setAttribute("for", el.getAttribute("for") + "-" + id);
    });
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () { closeReply(form); });
    form.querySelector(".composer__actions").appendChild(cancel);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !form.querySelector("textarea").value.trim()) closeReply(form);
    });
    slot.appendChild(form);
    enhanceComposer(form);
    form.querySelector("textarea").focus();
  }

  // ---- Reports --------------------------------------------------------------------------
  var reportTemplate = document.getElementById("report-template");

  function openReport(link) {
    var comment = link.closest("li.comment");
    var slot = comment.querySelector(":scope > details > .comment__main [data-report-slot]");
    var existing = slot.querySelector("form");
    if (existing) {
      existing.querySelector("input[name=reason]").focus();
      return;
    }
    var id = comment.getAttribute("data-comment-id");
    var form = reportTemplate.content.cloneNode(true).querySelector("form");
    form.setAttribute("action", "/c/" + id + "/report");
    form.querySelectorAll("[id]").forEach(function (el) { el.id = el.id + "-" + id; });
    form.querySelectorAll("label[for]").forEach(function (el) {
      el.setAttribute("for", el.getAttribute("for") + "-" + id);
    });
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    cancel.addEventListener("click", function () {
      form.remove();
      link.focus();
    });
    form.querySelector(".composer__actions").appendChild(cancel);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input[name=reason]:checked");
      var text = form.querySelector("textarea[name=text]");
      var status = form.querySelector("[data-status]");
      var button = form.querySelector("[data-action=send-report]");
      if (!chosen) {
        setStatus(status, "Choose a reason.", true);
        return;
      }
      var payload = { reason: chosen.value };
      if (text.value.trim()) payload.text = text.value;
      setBusy(button, true);
      setStatus(status, "Sending…");
      api("POST", "/api/v1/comments/" + id + "/reports", payload).then(function (response) {
        if (!response.ok) {
          return problemText(response, "Could not send the report.").then(function (message) {
            setStatus(status, message, true);
          });
        }
        var done = document.createElement("p");
        done.className = "notice notice--ok";
        done.setAttribute("role", "status");
        done.setAttribute("data-report-done", "");
        done.textContent = "Thank you: the moderators will look at this comment.";
        form.replaceWith(done);
        link.remove();
      }).catch(function () {
        setStatus(status, "Could not reach the server.", true);
      }).then(function () { setBusy(button, false); });
    });
    slot.appendChild(form);
    form.querySelector("input[name=reason]").focus();
  }

  // ---- Votes ----------------------------------------------------------------------------
  function applyVote(comment, result) {
    var score = comment.querySelector(":scope > details > .comment__main [data-score]");
    if (score) {
      score.textContent = result.score;
      score.title = result.upvotes + " up, " + result.downvotes + " down";
    }
    var word = comment.querySelector(":scope > details > .comment__main [data-score-word]");
    if (word) word.textContent = result.score === 1 || result.score === -1 ? "point" : "points";
    if (result.my_vote === undefined) return;
    var up = comment.querySelector(":scope > details > .comment__main [data-action=vote-up]");
    var down = comment.querySelector(":scope > details > .comment__main [data-action=vote-down]");
    if (up) {
      up.setAttribute("aria-pressed", result.my_vote === 1 ? "true" : "false");
      up.value = result.my_vote === 1 ? "0" : "1";
    }
    if (down) {
      down.setAttribute("aria-pressed", result.my_vote === -1 ? "true" : "false");
      down.value = result.my_vote === -1 ? "0" : "-1";
    }
  }

  function enhanceVotes(form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.value) return;
      event.preventDefault();
      if (!signedIn) {
        window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        return;
      }
      var comment = form.closest("li.comment");
      var id = comment.getAttribute("data-comment-id");
      setBusy(button, true);
      api("PUT", "/api/v1/comments/" + id + "/vote", { value: parseInt(button.value, 10) })
        .then(function (response) {
          if (!response.ok) {
            return problemText(response, "Could not vote.").then(function (text) {
              button.title = text;
            });
          }
          return response.json().then(function (result) { applyVote(comment, result); });
        })
        .catch(function () { button.title = "Could not reach the server."; })
        .then(function () { setBusy(button, false); });
    });
  }

  // ---- NSFW: blurred until revealed -------------------------------------------------------
  function enhanceNsfw(details) {
    if (details.classList.contains("nsfw-wrap")) return;
    details.open = true;
    details.classList.add("nsfw-wrap");
    var summary = details.querySelector("summary");
    if (summary) summary.hidden = true;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "nsfw-reveal secondary";
    button.setAttribute("data-action", "reveal");
    button.textContent = "Show NSFW comment";
    button.addEventListener("click", function () {
      details.classList.add("is-revealed");
      button.remove();
    });
    details.appendChild(button);
  }

  function enhanceComments(scope) {
    scope.querySelectorAll("form[data-vote-form]").forEach(enhanceVotes);
    scope.querySelectorAll("details[data-nsfw]").forEach(enhanceNsfw);
    if (scope.matches && scope.matches("form[data-vote-form]")) enhanceVotes(scope);
  }

  // ---- Load more ------------------------------------------------------------------------
  function enhanceLoadMore(box) {
    var link = box.querySelector("[data-action=load-more]");
    var progress = box.querySelector("[data-progress]");
    var status = box.querySelector("[data-status]");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      progress.hidden = false;
      setStatus(status, "Loading more comments…");
      var sort = root.getAttribute("data-sort");
      var url = pagePath + "/more?sort=" + encodeURIComponent(sort) +
        "&cursor=" + encodeURIComponent(link.getAttribute("data-cursor"));
      fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        var next = response.headers.get("X-Next-Cursor");
        return response.text().then(function (html) {
          var added = 0;
          fragmentNodes(html).forEach(function (node) {
            if (document.getElementById(node.id)) return;
            thread.appendChild(node);
            enhanceComments(node);
            added += 1;
          });
          setStatus(status, added + " more comments loaded.");
          if (next) {
            link.setAttribute("data-cursor", next);
            link.href = pagePath + "?sort=" + encodeURIComponent(sort) + "&cursor=" + encodeURIComponent(next);
          } else {
            link.remove();
            setStatus(status, "All comments are shown.");
          }
        });
      }).catch(function () {
        setStatus(status, "Could not load more comments; try again.", true);
      }).then(function () {
        link.removeAttribute("aria-busy");
        progress.hidden = true;
      });
    });
  }

  // ---- Live updates -----------------------------------------------------------------------
  var pending = [];
  var counted = {}; // comment ids already added to the visible count

  function forget(id) {
    // A comment shown some other way (posted here, loaded) no longer waits to be revealed.
    var before = pending.length;
    pending = pending.filter(function (item) { return item.id !== id; });
    if (pending.length !== before) updateNewButton();
  }

  function countOnce(id) {
    if (counted[id]) return;
    counted[id] = true;
    adjustCount(1);
  }
  var newButton = document.querySelector(".new-comments");
  var liveStatus = document.querySelector("[data-live-status]");
  // Separate from the live indicator, so "N new comments shown" never hides "● Live".
  var revealStatus = document.querySelector("[data-reveal-status]");
  var countEl = document.querySelector("[data-comment-count]");

  function adjustCount(delta) {
    if (!countEl) return;
    var n = parseInt(countEl.textContent.replace(/[^0-9]/g, ""), 10) || 0;
    n = Math.max(0, n + delta);
    countEl.textContent = n.toLocaleString() + (n === 1 ? " comment" : " comments");
  }

  function updateNewButton() {
    if (!newButton) return;
    newButton.hidden = pending.length === 0;
    newButton.textContent = pending.length === 1 ? "1 new comment" : pending.length + " new comments";
  }

  function revealPending() {
    var queue = pending.slice();
    pending = [];
    newButton.textContent = "Loading…";
    setBusy(newButton, true);
    var chain = Promise.resolve();
    queue.forEach(function (item) {
      chain = chain.then(function () {
        if (document.getElementById("c" + item.id)) return;
        return fetchComment(item.id).then(function (node) {
          if (!node) return;
          var inserted = insertComment(node, item.parentId);
          if (inserted) inserted.classList.add("comment--new");
        });
      });
    });
    chain.catch(function () {}).then(function () {
      setBusy(newButton, false);
      updateNewButton();
      setStatus(revealStatus, queue.length === 1 ? "1 new comment shown" : queue.length + " new comments shown");
    });
  }

  function onCreated(comment) {
    if (document.getElementById("c" + comment.id)) return;
    if (pending.some(function (item) { return item.id === comment.id; })) return;
    if (comment.parent_id && !document.getElementById("c" + comment.parent_id)) return;
    if (!comment.parent_id && focusMode) return;
    pending.push({ id: comment.id, parentId: comment.parent_id });
    if (comment.status === "visible") countOnce(comment.id);
    updateNewButton();
  }

  function onEdited(comment) {
    var el = document.getElementById("c" + comment.id);
    if (!el) return;
    var body = el.querySelector(":scope > details > .comment__main .comment__body");
    if (body) body.innerHTML = comment.body_html; // sanitized when it was written
    var head = el.querySelector(":scope > details > .comment__main .comment__head");
    if (head && !head.querySelector("[data-edited]")) {
      var mark = document.createElement("span");
      mark.setAttribute("data-edited", "");
      mark.textContent = "edited";
      head.appendChild(mark);
    }
  }

  function onRemoved(id) {
    var el = document.getElementById("c" + id);
    if (!el) return;
    adjustCount(-1);
    fetchComment(id).then(function (node) {
      var main = el.querySelector(":scope > details > .comment__main");
      var hasReplies = el.querySelector(":scope > details > ol.replies > li");
      var writing = main.querySelector("[data-reply-slot] textarea");
      if (!node && !hasReplies && !(writing && writing.value.trim())) {
        var parentComment = el.parentNode && el.parentNode.closest("li.comment");
        el.remove();
        if (parentComment) updateFolded(parentComment);
        return;
      }
      var body = main.querySelector(".comment__body, details[data-nsfw]");
      var placeholder = node && node.querySelector(".comment__main .comment__body");
      var fresh = placeholder ? placeholder.cloneNode(true) : document.createElement("div");
      if (!placeholder) {
        fresh.className = "comment__body";
        fresh.textContent = "[removed by a moderator]";
      }
      if (body) body.replaceWith(fresh);
      // The placeholder names no author: take the server's header and folded line too.
      var freshHead = node && node.querySelector(".comment__main .comment__head");
      var head = main.querySelector(".comment__head");
      if (freshHead && head) head.replaceWith(freshHead.cloneNode(true));
      var freshFolded = node && node.querySelector("summary .comment__folded");
      var folded = el.querySelector(":scope > details > summary .comment__folded");
      if (freshFolded && folded) folded.replaceWith(freshFolded.cloneNode(true));
      el.classList.add("comment--placeholder");
      var actions = main.querySelector(".comment__actions");
      if (actions) actions.remove();
    });
  }

  function onVote(data) {
    var el = document.getElementById("c" + data.comment_id);
    if (el) applyVote(el, { score: data.score, upvotes: data.upvotes, downvotes: data.downvotes });
  }

  function connect() {
    if (!window.EventSource || !pageUrl) return;
    var source = new EventSource("/api/v1/stream?url=" + encodeURIComponent(pageUrl));
    function handle(name, fn) {
      source.addEventListener(name, function (event) {
        try { fn(JSON.parse(event.data)); } catch (error) { /* a malformed event is skipped */ }
      });
    }
    handle("comment.created", function (data) { onCreated(data.comment); });
    handle("comment.edited", function (data) { onEdited(data.comment); });
    handle("comment.removed", function (data) { onRemoved(data.id); });
    handle("vote.changed", onVote);
    source.addEventListener("reconnect", function () {
      source.close();
      connect();
    });
    source.onopen = function () { setStatus(liveStatus, "● Live"); };
    source.onerror = function () {
      setStatus(liveStatus, source.readyState === EventSource.CLOSED ? "Live updates stopped" : "Reconnecting…");
    };
  }

  // ---- Wire up ------------------------------------------------------------------------------
  document.querySelectorAll("form[data-composer]").forEach(function (form) {
    if (!form.closest("template")) enhanceComposer(form);
  });
  if (!root || !thread) return;
  enhanceComments(document);
  document.querySelectorAll("[data-load-more]").forEach(enhanceLoadMore);
  if (newButton) newButton.addEventListener("click", revealPending);
  thread.addEventListener("click", function (event) {
    var report = event.target.closest("[data-action=report]");
    if (report && signedIn && reportTemplate) {
      event.preventDefault();
      openReport(report);
      return;
    }
    var link = event.target.closest("[data-action=reply]");
    if (!link || !(signedIn || guests) || !replyTemplate) return;
    event.preventDefault();
    openReply(link);
  });
  var focusId = root.getAttribute("data-focus");
  if (focusId) {
    var focused = document.getElementById("c" + focusId);
    if (focused) focused.scrollIntoView({ block: "center" });
  }
  connect();
})();

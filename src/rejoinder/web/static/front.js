// Front page and submit form enhancements; both pages work without this file.
"use strict";

(function () {
  // Votes on links go through the JSON API, so the page does not reload.
  function setPressed(form, mine) {
    form.querySelectorAll("button[data-vote]").forEach(function (button) {
      var value = Number(button.getAttribute("data-vote"));
      var pressed = value === mine;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.value = String(pressed ? 0 : value);
    });
  }

  document.querySelectorAll("form[data-submission-vote]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !window.fetch) return;
      event.preventDefault();
      var id = form.getAttribute("data-submission-vote");
      button.setAttribute("aria-busy", "true");
      fetch("/api/v1/submissions/" + encodeURIComponent(id) + "/vote", {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ value: Number(button.value) }),
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (result) {
          var points = form.querySelector("[data-points]");
          points.textContent = String(result.points);
          points.title = result.upvotes + " up, " + result.downvotes + " down";
          setPressed(form, result.my_vote);
        })
        .catch(function () {
          form.submit(); // the plain form shows what went wrong
        })
        .finally(function () {
          button.removeAttribute("aria-busy");
        });
    });
  });

  // The submit form fills an empty title with the page's known title.
  var submitForm = document.querySelector("form[data-submit-form]");
  if (submitForm && window.fetch) {
    var url = submitForm.querySelector("input[name=url]");
    var title = submitForm.querySelector("input[name=title]");
    url.addEventListener("change", function () {
      if (title.value.trim() || !url.value.trim()) return;
      fetch("/api/v1/pages?url=" + encodeURIComponent(url.value.trim()), {
        headers: { "Accept": "application/json" },
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (page) {
          if (page && page.title && !title.value.trim()) {
            title.value = page.title.slice(0, Number(title.maxLength) || 300);
          }
        })
        .catch(function () { /* the reader types a title instead */ });
    });
  }
})();

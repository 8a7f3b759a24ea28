// Site-wide enhancements. Pages work without this file; it only makes them quicker to use.
"use strict";

(function () {
  // Forms marked data-confirm ask before submitting (delete buttons on pages that do
  // not already have a confirmation step).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // Slow actions show progress: the submit button is disabled and marked busy.
    if (event.defaultPrevented) return; // a script handles this form itself
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      }, 0);
    }
  });
})();

// The last page of the embed widget's popup sign-in: mint a token for the widget that
// opened this window and hand it over. postMessage is addressed to this instance's origin,
// so only our own iframe can receive it: a page of another site that opened the popup
// gets nothing, and no token is minted without an opener to receive it.
"use strict";

(function () {
  var box = document.querySelector("[data-embed-done]");
  if (!box) return;
  var status = box.querySelector("[data-status]");
  var opener = window.opener;
  if (!opener || opener.closed) {
    status.textContent = "You are signed in. Close this window and go back to the page.";
    return;
  }
  fetch("/embed/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") },
  }).then(function (response) {
    if (!response.ok) throw new Error("status " + response.status);
    return response.json();
  }).then(function (data) {
    opener.postMessage(
      { type: "rejoinder:signed-in", token: data.token, username: data.username },
      window.location.origin
    );
    status.textContent = "Done. You can close this window.";
    window.close();
  }).catch(function () {
    status.textContent = "The comments could not be connected to your account. Close this window and try again.";
  });
})();

/**
 * The options page: which instance to talk to (with the host permission for exactly that
 * origin), signing in (the password becomes a long-lived, revocable token) and out.
 */

import {
  ApiError,
  DEFAULT_INSTANCE,
  hasInstancePermission,
  loadSettings,
  logIn,
  logOut,
  normalizeInstance,
  originPattern,
  saveSettings,
} from "../lib/api.js";
import { ext } from "../lib/browser.js";

const $ = (id) => document.getElementById(id);

function say(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

async function render() {
  const settings = await loadSettings();
  $("instance").value = settings.instance;
  const allowed = await hasInstancePermission(settings.instance);
  const signedIn = Boolean(settings.token);
  $("status").textContent = signedIn
    ? `Signed in as ${settings.username ?? "you"} on ${settings.instance}.`
    : allowed
      ? `Not signed in. Using ${settings.instance}.`
      : `Access to ${settings.instance} is not allowed yet: save the instance to allow it.`;
  $("login-form").hidden = signedIn;
  $("logout-section").hidden = !signedIn;
}

$("instance-form").addEventListener("submit", (event) => {
  event.preventDefault();
  say("instance-message", "");
  let instance;
  try {
    instance = normalizeInstance($("instance").value || DEFAULT_INSTANCE);
  } catch (error) {
    say("instance-message", error.message);
    return;
  }
  // permissions.request must be called straight from the click, before anything awaits.
  ext.permissions.request({ origins: [originPattern(instance)] }).then(async (granted) => {
    if (!granted) {
      say("instance-message", "Without access to the instance the extension can't show comments.");
      return;
    }
    const previous = await loadSettings();
    if (previous.instance !== instance) {
      // A token belongs to one instance; and access to the old one is no longer needed.
      if (previous.token) await logOut(previous);
      if (originPattern(previous.instance) !== originPattern(instance)) {
        await ext.permissions.remove({ origins: [originPattern(previous.instance)] }).catch(() => {});
      }
    }
    await saveSettings({ instance });
    await render();
  }, (error) => say("instance-message", error.message));
});

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  say("login-message", "");
  const settings = await loadSettings();
  if (!(await hasInstancePermission(settings.instance))) {
    say("login-message", "Save the instance and allow access first.");
    return;
  }
  try {
    await logIn(settings, $("username").value.trim(), $("password").value);
    $("login-form").reset();
  } catch (error) {
    say("login-message", error instanceof ApiError ? error.message : "Signing in failed. Try again.");
  }
  await render();
});

$("logout").addEventListener("click", async () => {
  const revoked = await logOut(await loadSettings());
  say(
    "login-message",
    revoked ? "" : "Signed out here, but the server could not be told: revoke the token from your account.",
  );
  await render();
});

render();

/**
 * Talking to the configured Rejoinder instance, and the settings that say which one.
 *
 * Everything the extension sends goes through `apiFetch`, which only ever builds URLs on
 * the instance the reader configured. The token lives in the extension's own storage
 * (`storage.local`): extension pages and the background read it; no content script
 * exists, so no web page can. Cookies are never sent (`credentials: "omit"`): the
 * extension signs its requests with its bearer token alone.
 */

import { ext } from "./browser.js";

export const DEFAULT_INSTANCE = "http://127.0.0.1:8000";
export const TOKEN_LABEL = "browser extension";

const SETTINGS_KEYS = ["instance", "token", "tokenId", "username"];

/** A failed request, with the server's problem+json title and detail when it sent one. */
export class ApiError extends Error {
  constructor(status, message, problem = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

/** The instance's base URL from what a reader typed, or an Error saying what is wrong. */
export function normalizeInstance(text) {
  let url;
  try {
    url = new URL(String(text).trim());
  } catch {
    throw new Error("Enter the address of a Rejoinder instance, such as https://comments.example.org.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("The instance address must start with http:// or https://.");
  }
  if (url.username || url.password) throw new Error("Leave the user name and password out of the address.");
  if (url.search || url.hash) throw new Error("The instance address takes no ? or # part.");
  return url.origin + url.pathname.replace(/\/+$/, "");
}

/** The host permission pattern that lets the extension reach an instance. */
export function originPattern(instance) {
  return `${new URL(instance).origin}/*`;
}

export async function loadSettings() {
  const stored = await ext.storage.local.get(SETTINGS_KEYS);
  return {
    instance: typeof stored.instance === "string" ? stored.instance : DEFAULT_INSTANCE,
    token: typeof stored.token === "string" ? stored.token : null,
    tokenId: Number.isSafeInteger(stored.tokenId) ? stored.tokenId : null,
    username: typeof stored.username === "string" ? stored.username : null,
  };
}

export async function saveSettings(changes) {
  await ext.storage.local.set(changes);
}

export async function forgetLogin() {
  await ext.storage.local.remove(["token", "tokenId", "username"]);
}

/** Whether the reader has granted access to the instance's origin. */
export async function hasInstancePermission(instance) {
  return ext.permissions.contains({ origins: [originPattern(instance)] });
}

async function problemOf(response) {
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function describe(status, problem) {
  const errors = Array.isArray(problem?.errors) ? problem.errors : [];
  const detail = typeof problem?.detail === "string" ? problem.detail : "";
  const fieldMessage = errors.map((e) => (typeof e?.message === "string" ? e.message : "")).find(Boolean);
  if (detail) return detail;
  if (fieldMessage) return fieldMessage;
  if (typeof problem?.title === "string") return problem.title;
  return `The server answered ${status}.`;
}

/**
 * Call the API: `path` starts with "/api/v1/". Returns the parsed JSON (null for 204) and
 * the response, or throws ApiError.
 */
export async function apiFetch(settings, path, { method = "GET", body, token = settings.token } = {}) {
  if (!path.startsWith("/api/v1/")) throw new TypeError("only API paths are requested");
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(settings.instance + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      redirect: "error", // a redirect could carry the token elsewhere
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, `Can't reach ${settings.instance}. Is the instance address right, and is access allowed?`);
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    throw new ApiError(response.status, describe(response.status, problem), problem);
  }
  if (response.status === 204) return { data: null, response };
  return { data: await response.json(), response };
}

/** Sign in with a password and keep only a long-lived, revocable token labelled for us. */
export async function logIn(settings, username, password) {
  const { data: session } = await apiFetch(settings, "/api/v1/sessions", {
    method: "POST",
    body: { username, password },
    token: null,
  });
  const { data: created } = await apiFetch(settings, "/api/v1/tokens", {
    method: "POST",
    body: { label: TOKEN_LABEL },
    token: session.token,
  });
  // The password session was only a step to the token: end it rather than leave it valid.
  await apiFetch(settings, "/api/v1/sessions/current", { method: "DELETE", token: session.token }).catch(() => {});
  await saveSettings({ token: created.token, tokenId: created.id, username: session.account.username });
}

/** Revoke the extension's token on the server and forget it here. */
export async function logOut(settings) {
  let revoked = true;
  if (settings.token && settings.tokenId !== null) {
    try {
      await apiFetch(settings, `/api/v1/tokens/${settings.tokenId}`, { method: "DELETE" });
    } catch (error) {
      // 401/404: the token is already dead. Anything else: say the server may still hold it.
      revoked = error instanceof ApiError && (error.status === 401 || error.status === 404);
    }
  }
  await forgetLogin();
  return revoked;
}

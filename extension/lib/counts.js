/**
 * The k-anonymous comment count behind the toolbar badge: pure functions, no browser APIs.
 *
 * The server is asked for every page whose sha256(key) starts with the same 4 hex digits
 * (one of 65,536 buckets), so it learns a bucket, never the page; the extension finds its
 * own digest in the answer. Answers are the same for every reader, cached per prefix for
 * as long as the server's Cache-Control allows (capped: counts should not look stale).
 */

export const PREFIX_LENGTH = 4;
export const DEFAULT_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 300;
const DIGEST = /^[0-9a-f]{64}$/;

/** The bucket to ask about: the first four hex digits of the key's digest. */
export function digestPrefix(digest) {
  if (!DIGEST.test(digest)) throw new TypeError("expected a lowercase sha256 hex digest");
  return digest.slice(0, PREFIX_LENGTH);
}

/**
 * The count for `digest` in a by-prefix answer: 0 when the page has no comments, null when
 * the answer is not one for this digest's prefix (a confused or hostile server).
 */
export function pickCount(digest, answer) {
  const prefix = digestPrefix(digest);
  if (answer === null || typeof answer !== "object" || answer.prefix !== prefix) return null;
  const counts = answer.counts;
  if (counts === null || typeof counts !== "object" || Array.isArray(counts)) return null;
  if (!Object.hasOwn(counts, digest)) return 0;
  const count = counts[digest];
  return Number.isSafeInteger(count) && count >= 0 ? count : null;
}

/** The badge text for a count: nothing for none or unknown, "999+" past three digits. */
export function badgeText(count) {
  if (count === null || count <= 0) return "";
  return count > 999 ? "999+" : String(count);
}

/** Seconds an answer may be reused, from its Cache-Control header. */
export function ttlSeconds(cacheControl) {
  const directives = (cacheControl ?? "").toLowerCase().split(",").map((d) => d.trim());
  if (directives.includes("no-store") || directives.includes("no-cache")) return 0;
  const maxAge = directives.find((d) => d.startsWith("max-age="));
  const seconds = maxAge ? Number(maxAge.slice("max-age=".length)) : DEFAULT_TTL_SECONDS;
  if (!Number.isFinite(seconds) || seconds < 0) return DEFAULT_TTL_SECONDS;
  return Math.min(Math.floor(seconds), MAX_TTL_SECONDS);
}

/** An in-memory cache of prefix answers; `now` is injected so tests need no clock. */
export class PrefixCache {
  constructor(maxEntries = 256) {
    this.maxEntries = maxEntries;
    this.entries = new Map();
  }

  get(prefix, now) {
    const entry = this.entries.get(prefix);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(prefix);
      return undefined;
    }
    return entry.answer;
  }

  set(prefix, answer, ttl, now) {
    if (ttl <= 0) return;
    this.entries.delete(prefix);
    this.entries.set(prefix, { answer, expires: now + ttl * 1000 });
    // Maps iterate in insertion order: the first key is the oldest entry.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value);
  }

  clear() {
    this.entries.clear();
  }
}

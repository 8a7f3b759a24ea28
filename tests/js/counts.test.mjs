// The badge's k-anonymous lookup: picking a page's count out of a prefix answer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PrefixCache, badgeText, digestPrefix, pickCount, ttlSeconds } from "../../extension/lib/counts.js";

const DIGEST = "58c468698d47861679492320d4d50452010193b957e1a161576f5a95fcdb2038";
const NEIGHBOUR = "58c4" + "0".repeat(60);

describe("pickCount", () => {
  test("finds the page's own digest among the bucket's", () => {
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: { [NEIGHBOUR]: 7, [DIGEST]: 3 } }), 3);
  });

  test("is 0 when the page is not in the bucket", () => {
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: { [NEIGHBOUR]: 7 } }), 0);
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: {} }), 0);
  });

  test("distrusts an answer for another prefix or of another shape", () => {
    assert.equal(pickCount(DIGEST, { prefix: "0000", counts: { [DIGEST]: 3 } }), null);
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: [] }), null);
    assert.equal(pickCount(DIGEST, { prefix: "58c4" }), null);
    assert.equal(pickCount(DIGEST, null), null);
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: { [DIGEST]: -1 } }), null);
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: { [DIGEST]: "3" } }), null);
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts: { [DIGEST]: 1.5 } }), null);
  });

  test("does not read inherited properties", () => {
    const counts = Object.create({ [DIGEST]: 9 });
    assert.equal(pickCount(DIGEST, { prefix: "58c4", counts }), 0);
  });
});

describe("digestPrefix", () => {
  test("is the first four hex digits", () => {
    assert.equal(digestPrefix(DIGEST), "58c4");
  });

  test("refuses anything but a lowercase sha256 hex digest", () => {
    assert.throws(() => digestPrefix("58C4" + DIGEST.slice(4)), TypeError);
    assert.throws(() => digestPrefix("58c4"), TypeError);
  });
});

test("badgeText", () => {
  assert.equal(badgeText(null), "");
  assert.equal(badgeText(0), "");
  assert.equal(badgeText(1), "1");
  assert.equal(badgeText(999), "999");
  assert.equal(badgeText(1000), "999+");
});

test("ttlSeconds follows Cache-Control within bounds", () => {
  assert.equal(ttlSeconds("public, max-age=60"), 60);
  assert.equal(ttlSeconds("max-age=86400"), 300);
  assert.equal(ttlSeconds("no-store"), 0);
  assert.equal(ttlSeconds("private, no-cache"), 0);
  assert.equal(ttlSeconds(null), 60);
  assert.equal(ttlSeconds("max-age=soon"), 60);
});

describe("PrefixCache", () => {
  test("answers until the entry expires", () => {
    const cache = new PrefixCache();
    const answer = { prefix: "58c4", counts: {} };
    cache.set("58c4", answer, 60, 1_000);
    assert.equal(cache.get("58c4", 60_999), answer);
    assert.equal(cache.get("58c4", 61_000), undefined);
  });

  test("keeps nothing with a zero lifetime", () => {
    const cache = new PrefixCache();
    cache.set("58c4", {}, 0, 0);
    assert.equal(cache.get("58c4", 0), undefined);
  });

  test("drops the oldest entry when full", () => {
    const cache = new PrefixCache(2);
    cache.set("0001", 1, 60, 0);
    cache.set("0002", 2, 60, 0);
    cache.set("0003", 3, 60, 0);
    assert.equal(cache.get("0001", 0), undefined);
    assert.equal(cache.get("0003", 0), 3);
  });
});

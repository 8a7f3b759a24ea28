// The JavaScript URL key (extension/lib/urlkey.js) against the vectors the Python tests use.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { isValidAlabel, isValidUlabel, punycodeDecode, punycodeEncode } from "../../extension/lib/idna.js";
import { MAX_URL_LENGTH, UrlRejected, cleanUrl, keyDigest, urlKey } from "../../extension/lib/urlkey.js";

const VECTORS = JSON.parse(readFileSync(new URL("../vectors/url_keys.json", import.meta.url), "utf8"));
const REASONS = ["empty", "too_long", "bad_scheme", "credentials", "no_host", "bad_host", "bad_port", "malformed"];

function rejection(fn) {
  try {
    fn();
  } catch (error) {
    if (error instanceof UrlRejected) return error.reason;
    throw error;
  }
  return null;
}

describe("shared vectors", () => {
  test("are all here and cover every reason", () => {
    assert.ok(VECTORS.length >= 150);
    assert.deepEqual([...new Set(VECTORS.filter((v) => v.error).map((v) => v.error))].sort(), [...REASONS].sort());
  });

  for (const vector of VECTORS) {
    test(vector.note, () => {
      if ("error" in vector) {
        assert.equal(rejection(() => urlKey(vector.input)), vector.error);
        assert.equal(rejection(() => cleanUrl(vector.input)), vector.error);
      } else {
        assert.equal(urlKey(vector.input), vector.key);
        assert.equal(urlKey(vector.key), vector.key, "a key is its own key");
        assert.equal(urlKey(cleanUrl(vector.input)), vector.key, "the clean link has the same key");
      }
    });
  }
});

describe("cleanUrl", () => {
  // The same table as tests/unit/pages/test_urlnorm.py::test_clean_url.
  const CASES = [
    ["example.com", "http://example.com/"],
    ["//example.com/a", "http://example.com/a"],
    ["HTTPS://WWW.Example.COM/a/?utm_source=x&id=5#top", "https://www.example.com/a/?id=5"],
    ["https://example.com:443/a", "https://example.com/a"],
    ["http://example.com:443/a", "http://example.com:443/a"],
    ["https://example.com/index.html", "https://example.com/index.html"],
    ["https://m.example.com/story/amp", "https://m.example.com/story/amp"],
    ["https://bücher.example/café", "https://xn--bcher-kva.example/caf%C3%A9"],
    ["https://example.com/#!/post/3", "https://example.com/#!/post/3"],
    ["https://example.com/a;jsessionid=1?PHPSESSID=2&b=1", "https://example.com/a?b=1"],
    ["https://example.com/?b=2&a=1&&", "https://example.com/?b=2&a=1"],
    ["https://example.com/?q=a b&r='", "https://example.com/?q=a%20b&r=%27"],
    ["https://example.com/?q=%zz", "https://example.com/?q=%zz"],
    ["https://www.google.com/amp/s/example.com/a?x=1", "https://example.com/a?x=1"],
    ["https://youtu.be/dQw4w9WgXcQ?si=abc&t=30", "https://youtu.be/dQw4w9WgXcQ?t=30"],
    [
      "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&list=PL1",
      "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1",
    ],
    ["http://[::FFFF:1.2.3.4]:8080/", "http://[::ffff:102:304]:8080/"],
  ];
  for (const [raw, expected] of CASES) {
    test(raw, () => {
      assert.equal(cleanUrl(raw), expected);
      assert.equal(cleanUrl(expected), expected);
    });
  }
});

describe("rejections", () => {
  test("carry the reason and the server's sentence", () => {
    assert.throws(
      () => urlKey("javascript:alert(1)"),
      (error) =>
        error instanceof UrlRejected &&
        error instanceof Error &&
        error.reason === "bad_scheme" &&
        error.message === "Only http and https addresses can be discussed.",
    );
  });

  test("a key that grows past the limit is too long", () => {
    assert.equal(rejection(() => urlKey("example.com/" + "é".repeat(1000))), "too_long");
  });

  test("input length counts code points, not UTF-16 units", () => {
    // The fragment is dropped, so only the input limit applies: 2048 code points pass
    // although they are 4091 UTF-16 units; one more code point is too long.
    const raw = "a.b/#" + "😀".repeat(MAX_URL_LENGTH - 5);
    assert.equal(urlKey(raw), "a.b/");
    assert.equal(rejection(() => urlKey(raw + "😀")), "too_long");
  });

  test("huge input is refused quickly", () => {
    assert.equal(rejection(() => urlKey("http://example.com/" + "a/".repeat(1_000_000))), "too_long");
  });
});

describe("keyDigest", () => {
  // Computed once with rejoinder.pages.urlnorm.key_digest.
  const PYTHON_DIGESTS = {
    "example.com/news/story?id=5": "58c468698d47861679492320d4d50452010193b957e1a161576f5a95fcdb2038",
    "xn--bcher-kva.example/": "386dade969207c9598e2694a57632d8f9eb0c4d48c7275851adb5313e8b00050",
    "youtube.com/watch?v=dQw4w9WgXcQ": "f2cfa0ba2bc2a630b6a8ca40b26fe61d46d1506334d5f6d2b1593753bee71d3b",
    "example.com/": "73d986e009065f182c10bcb6a45db3d6eda9498f8930654af2653f8a938cd801",
  };
  for (const [key, digest] of Object.entries(PYTHON_DIGESTS)) {
    test(key, async () => {
      assert.equal(await keyDigest(key), digest);
    });
  }

  test("of a URL's key", async () => {
    const key = urlKey("https://www.example.com/news/story/?utm_source=twitter&id=5#comments");
    assert.equal(await keyDigest(key), PYTHON_DIGESTS["example.com/news/story?id=5"]);
  });
});

describe("IDNA 2008 label checks the server makes", () => {
  test("punycode round-trips", () => {
    assert.equal(punycodeEncode("bücher"), "bcher-kva");
    assert.equal(punycodeDecode("bcher-kva"), "bücher");
    assert.equal(punycodeDecode("e1afmkfd"), "пример");
    assert.equal(punycodeDecode("a!"), null);
  });

  test("labels browsers accept but the server refuses", () => {
    assert.equal(isValidUlabel("💩"), false, "emoji are not PVALID");
    assert.equal(isValidUlabel("-bü"), false, "leading hyphen");
    assert.equal(isValidUlabel("a_ü"), false, "underscore in an IDN label");
    assert.equal(isValidUlabel("1ש"), false, "Bidi Rule: an RTL label starts with a digit");
    assert.equal(isValidUlabel("a·b"), false, "middle dot outside l·l");
    assert.equal(isValidUlabel("l·l"), true, "middle dot between two l");
    assert.equal(isValidAlabel("xn--ls8h"), false);
    assert.equal(isValidAlabel("xn--bcher-kva"), true);
    assert.equal(rejection(() => urlKey("http://💩.la/")), "bad_host");
    assert.equal(rejection(() => urlKey("http://١٢.рф/")), "bad_host");
  });
});

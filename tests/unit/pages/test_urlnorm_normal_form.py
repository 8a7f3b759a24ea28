"""The normal-form fast path of `urlnorm` gives exactly what the full parse gives.

`_parse_normal_form` either returns None (take the full parse) or the very address
`_parse_any` returns: compared field by field over the shared vectors and over generated
URLs built to sit on the edge of the normal form (alias hosts, AMP wrappers, punycode,
numeric hosts, dot segments, index files, escapes, odd characters, over-long labels).
`plain_key` (batch counts' shortcut to the key) is held to the full parse's key the same way.
"""

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rejoinder.errors import InvalidUrl
from rejoinder.pages import urlnorm
from rejoinder.pages.service import resolve, url_digests
from rejoinder.pages.urlnorm import UrlRejected, clean_url, key_and_url, url_key

VECTORS_PATH = Path(__file__).parents[2] / "vectors" / "url_keys.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


def full_parse(raw: str) -> urlnorm._Address | str:
    """The full parse's address, or the reason it refuses the URL."""
    try:
        return urlnorm._parse_any(raw, depth=0)
    except UrlRejected as exc:
        return exc.reason


def assert_same_as_full_parse(raw: str) -> bool:
    """Check the fast path against the full parse; return whether it took the URL."""
    fast = urlnorm._parse_normal_form(raw)
    if fast is not None:
        assert fast == full_parse(raw)
    return fast is not None


def outcome(function: Any, raw: str) -> tuple[str, Any]:
    try:
        return ("ok", function(raw))
    except UrlRejected as exc:
        return ("rejected", exc.reason)


# --- Vectors and chosen examples ----------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
def test_vector_input(vector: dict[str, Any]) -> None:
    assert_same_as_full_parse(vector["input"])


@pytest.mark.parametrize("vector", [v for v in VECTORS if "key" in v], ids=lambda v: v["note"])
@pytest.mark.parametrize("scheme", ["http://", "https://"])
def test_vector_key_as_url(vector: dict[str, Any], scheme: str) -> None:
    # Keys are mostly in normal form once given a scheme: the fast path's home ground.
    assert_same_as_full_parse(scheme + vector["key"])


TAKEN = [
    "https://bulk.example/articles/12345",
    "http://example.com",
    "https://example.com/",
    "https://news.example.co.uk/2024/05/a-story.html",
    "https://example.com/a//b/",
    "https://example.com/News/Index.HTML",
    "https://www.example.com/story/amp",
    "https://m.example.com/x.amp.html",
    "https://example.com/~user/it's(1)!$&*+,=:@",
    "https://a_b-c.example/...",
    "https://localhost/x",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    "https://www.google.com/amp/",
    "https://example.com/amp/s/example.org/a",
]

NOT_TAKEN = [
    "HTTPS://example.com/a",
    "https://Example.com/a",
    "https://example.com:443/a",
    "https://user@example.com/a",
    "https://example.com/a?b=1",
    "https://example.com/a#top",
    "https://example.com/a/../b",
    "https://example.com/a/./b",
    "https://example.com/a/..",
    "https://example.com/a%2Fb",
    "https://example.com/a;jsessionid=1",
    "https://example.com\\a",
    "https://example.com/a b",
    " https://example.com/a",
    "https://example.com/a\n",
    "https://example.com/é",
    "https://bücher.example/",
    "https://xn--bcher-kva.example/",
    "https://127.0.0.1/a",
    "https://example.0x7f/a",
    "https://example.com./a",
    "//example.com/a",
    "example.com/a",
    "ftp://example.com/a",
    "https://" + "a" * 64 + ".example/",
    "https://" + "a." * 130 + "example/",
    "https://www.google.com/amp/s/example.com/a",
    "https://example-com.cdn.ampproject.org/c/s/example.com/a",
    "https://example.com/" + "a" * 2048,
]


@pytest.mark.parametrize("raw", TAKEN)
def test_normal_form_takes_the_fast_path(raw: str) -> None:
    assert assert_same_as_full_parse(raw)


@pytest.mark.parametrize("raw", NOT_TAKEN)
def test_anything_else_takes_the_full_parse(raw: str) -> None:
    assert not assert_same_as_full_parse(raw)


# --- Generated URLs -----------------------------------------------------------------------

CHECKS = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

schemes = st.sampled_from(["https://", "http://", "HTTP://", "https:/", "https:///", "", "//"])
labels = st.text(alphabet="abz09-_xX.é%", min_size=1, max_size=6) | st.sampled_from(
    [
        "www",
        "m",
        "mobile",
        "amp",
        "google",
        "youtu",
        "be",
        "youtube",
        "youtube-nocookie",
        "cdn",
        "ampproject",
        "bing-amp",
        "xn--bcher-kva",
        "xn--",
        "0x7f",
        "0",
        "08",
        "1",
        "com",
        "co",
        "uk",
        "a" * 63,
        "a" * 64,
    ]
)
hosts = st.lists(labels, min_size=1, max_size=5).map(".".join)
ports = st.sampled_from(["", "", "", ":", ":443", ":80", ":8080"])
segments = st.text(alphabet="aZ09.-_~!$&'()*+,;=:@%2eE/\\ é", max_size=6) | st.sampled_from(
    [
        "",
        ".",
        "..",
        "...",
        ".a",
        "%2e",
        "index.html",
        "Index.HTML",
        "amp",
        "AMP",
        "x.amp.html",
        ".amp.html",
        "s",
        "c",
        "v",
        "amp",
        "shorts",
        "embed",
        "live",
        "watch",
        "dQw4w9WgXcQ",
        "videoseries",
        "example.com",
        ";jsessionid=1",
        "a;b=c",
    ]
)
paths = st.lists(segments, max_size=6).map(lambda parts: "".join("/" + p for p in parts))
tails = st.sampled_from(["", "", "", "?", "?a=1", "#", "#!/x", "\n", "\t", " ", "\\"])
urls = st.builds(lambda *parts: "".join(parts), schemes, hosts, ports, paths, tails)

# The same rules with only characters of the normal form, so that most of these take the
# fast path and the rest miss it by one detail: a dot segment, an escape, a session
# parameter, an uppercase letter, a numeric or punycode label.
normal_labels = st.text(alphabet="abz09-_xX", min_size=1, max_size=6) | labels.filter(
    lambda label: set(label) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
)
normal_segments = st.text(alphabet="aZ09.-_~!$&'()*+,=:@", max_size=6) | segments.filter(
    lambda segment: not set(segment) & set("/\\ é")
)
rule_hosts = st.sampled_from(
    [
        "www.google.com",
        "google.co.uk",
        "www.google.com.au",
        "google",
        "m.youtube.com",
        "youtu.be",
        "www.youtube-nocookie.com",
        "example-com.cdn.ampproject.org",
        "x.bing-amp.com",
        "www.m.example.com",
        "amp.mobile.example",
        "www.com",
        "m.co",
        "open.spotify.com",
    ]
)
normal_urls = st.builds(
    lambda scheme, host, segments: scheme + host + "".join("/" + s for s in segments),
    st.sampled_from(["https://", "http://"]),
    rule_hosts | st.lists(normal_labels, min_size=1, max_size=5).map(".".join),
    st.lists(normal_segments, max_size=6),
)


@CHECKS
@given(normal_urls | urls)
@example("https://www.google.com/amp/s/example.com/a")
@example("https://www.youtube.com/embed/dQw4w9WgXcQ")
@example("https://a.b/c/..")
def test_fast_path_is_the_full_parse(raw: str) -> None:
    assert_same_as_full_parse(raw)


# --- Plain keys ---------------------------------------------------------------------------


def assert_plain_key_is_the_key(raw: str) -> bool:
    """Check `plain_key` against the full parse; return whether it took the URL."""
    key = urlnorm.plain_key(raw)
    if key is not None:
        address = full_parse(raw)
        assert not isinstance(address, str), f"plain key for a refused URL: {address}"
        assert key == urlnorm._key(address)
        assert outcome(key_and_url, raw) == ("ok", (key, urlnorm._link(address)))
    return key is not None


PLAIN = [
    "https://bulk.example/articles/12345",
    "http://example.com",
    "https://example.com/",
    "https://www.example.com/news/story",
    "https://www.m.example.com/a//b",
    "https://news.example.co.uk/2024/05/a-story.html",
    "https://example.com/News/Index.HTML.bak",
    "https://example.com/~user/it's(1)!$&*+,=:@",
    "https://google/amp/s/example.com/a",  # one label: not Google's viewer
    "https://youtube.example/embed/dQw4w9WgXcQ",
]

NOT_PLAIN = [
    "https://example.com/a/",  # a trailing slash to drop
    "https://example.com//",
    "https://example.com/News/Index.HTML",
    "https://www.example.com/story/amp",
    "https://www.example.com/story/AMP",
    "https://m.example.com/x.amp.html",
    "https://example.com/.amp.html",
    "https://youtu.be/dQw4w9WgXcQ",
    "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    "https://youtube.com/about",
    "https://www.google.com/amp/",
    "https://google.co.uk/search",
    "https://example-com.cdn.ampproject.org/x",
]


@pytest.mark.parametrize("raw", PLAIN)
def test_plain_urls_have_a_plain_key(raw: str) -> None:
    assert assert_plain_key_is_the_key(raw)


@pytest.mark.parametrize("raw", NOT_PLAIN + NOT_TAKEN)
def test_other_urls_have_no_plain_key(raw: str) -> None:
    assert not assert_plain_key_is_the_key(raw)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
def test_vector_plain_key(vector: dict[str, Any]) -> None:
    assert_plain_key_is_the_key(vector["input"])
    if "key" in vector:
        assert_plain_key_is_the_key("https://" + vector["key"])


@CHECKS
@given(normal_urls | urls)
@example("https://www.google.com/amp/s/example.com/a")
@example("https://www.m.example.com/index.php")
def test_plain_key_is_the_full_parse(raw: str) -> None:
    assert_plain_key_is_the_key(raw)


@CHECKS
@given(st.lists(normal_urls | urls, max_size=6), st.sampled_from([24, 40, 2048]))
@example(["https://example.com/" + "a" * 30, "https://example.com/a", " https://example.com/a"], 24)
def test_batch_digests_are_those_of_resolve(raws: list[str], max_length: int) -> None:
    # Batch counts take plain keys first; what they count must not change.
    expected: dict[str, str] = {}
    for raw in raws:
        with contextlib.suppress(InvalidUrl):
            expected.setdefault(raw, resolve(raw, max_length).digest)
    assert list(url_digests(raws, max_length).items()) == list(expected.items())


def test_a_remembered_digest_still_obeys_the_length_limit() -> None:
    # Batch digests are remembered by URL alone; a shorter limit must still refuse it.
    raw = "https://example.com/" + "b" * 30
    assert url_digests([raw], 2048) == {raw: resolve(raw, 2048).digest}
    assert url_digests([raw], 40) == {}


@CHECKS
@given(normal_urls | urls | st.text(max_size=40))
@example("www.example.com/" + "a" * 2020 + "/index.html")  # the key fits, the link does not
def test_key_and_url_is_url_key_and_clean_url(raw: str) -> None:
    key = outcome(url_key, raw)
    link = outcome(clean_url, raw)
    if key[0] == "ok" and link[0] == "ok":
        assert outcome(key_and_url, raw) == ("ok", (key[1], link[1]))
    else:
        # url_key is checked first: its refusal is the one the callers of both saw.
        assert outcome(key_and_url, raw) == (key if key[0] == "rejected" else link)


# --- Shortcuts of the full parse ----------------------------------------------------------

url_text = st.text(alphabet=st.characters(max_codepoint=0x7F) | st.sampled_from("é€\ufeff"))


@CHECKS
@given(url_text)
@example("a%2Eb")
@example("a+b")
@example("it's")
def test_plain_text_shortcuts_change_nothing(text: str) -> None:
    # Each shortcut returns text unchanged where its pattern matches: the long way must too.
    for safe, pattern in urlnorm._ONLY.items():
        if pattern.fullmatch(text):
            assert urlnorm._normalize_each_escape(text, safe) == text
    if urlnorm._FORM_PLAIN.fullmatch(text):
        assert urlnorm._requote(text) == text
    if urlnorm._QUERY_PLAIN.fullmatch(text):
        assert urlnorm._encode_each(text) == text


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        (urlnorm._ONLY[urlnorm._PATH_SAFE], "a-b_c~d;e=f:@!$&'()*+,", ["a/b", "%41", "a b", "é"]),
        (urlnorm._FORM_PLAIN, "a-b_c~d;e:@!$'()*,/?", ["a+b", "%41", "a=b", "a&b", "é"]),
        (urlnorm._QUERY_PLAIN, "a=b&c=%41+d/?;[]", ["a b", "a'b", 'a"b', "a<b", "é"]),
    ],
)
def test_plain_text_patterns(pattern: Any, matches: str, misses: list[str]) -> None:
    assert pattern.fullmatch(matches)
    assert not any(pattern.fullmatch(text) for text in misses)

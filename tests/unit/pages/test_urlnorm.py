"""URL normalization: the shared vectors, tables of same/different pages, and properties."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rejoinder.pages.urlnorm import (
    MAX_URL_LENGTH,
    UrlRejected,
    clean_url,
    key_digest,
    url_key,
)

VECTORS_PATH = Path(__file__).parents[2] / "vectors" / "url_keys.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
REASONS = {
    "empty",
    "too_long",
    "bad_scheme",
    "credentials",
    "no_host",
    "bad_host",
    "bad_port",
    "malformed",
}


class TestVectors:
    """The vectors are the contract with the browser extension's JavaScript port."""

    @pytest.mark.parametrize("vector", VECTORS, ids=[v["note"] for v in VECTORS])
    def test_vector(self, vector: dict[str, Any]) -> None:
        if "error" in vector:
            with pytest.raises(UrlRejected) as info:
                url_key(vector["input"])
            assert info.value.reason == vector["error"]
        else:
            assert url_key(vector["input"]) == vector["key"]

    def test_vectors_are_many_and_well_formed(self) -> None:
        assert len(VECTORS) >= 150
        for vector in VECTORS:
            assert set(vector) in ({"input", "key", "note"}, {"input", "error", "note"})
            assert vector["note"]

    def test_vectors_cover_every_reason(self) -> None:
        assert {v["error"] for v in VECTORS if "error" in v} == REASONS

    def test_vector_inputs_are_unique(self) -> None:
        inputs = [v["input"] for v in VECTORS]
        assert len(inputs) == len(set(inputs))

    @pytest.mark.parametrize("vector", [v for v in VECTORS if "key" in v], ids=lambda v: v["note"])
    def test_vector_key_is_a_fixed_point(self, vector: dict[str, Any]) -> None:
        assert url_key(vector["key"]) == vector["key"]


SAME_PAGE = [
    (
        "https://www.example.com/news/story/?utm_source=twitter&id=5#comments",
        "http://m.example.com/news/story/index.html?id=5&fbclid=abc",
        "example.com/news/./story/amp?id=5",
        "https://www.google.com/amp/s/example.com/news/story?id=5",
        "https://example-com.cdn.ampproject.org/c/s/example.com/news/story?id=5",
        "  HTTPS://EXAMPLE.COM:443/news/story?id=5&  ",
    ),
    (
        "https://bücher.example/",
        "http://xn--bcher-kva.example",
        "https://www.BÜCHER.example./index.html",
    ),
    (
        "https://youtu.be/dQw4w9WgXcQ?t=30",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&t=30&si=x",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
    ),
    ("http://example.com/?q=a+b", "http://example.com/?q=a%20b", "http://example.com/?q=a b"),
    ("http://example.com/?a=%7e", "http://example.com/?a=~", "http://example.com/?a=%7E"),
    ("http://example.com/?a=1&b=2", "http://example.com/?b=2&a=1"),
    ("http://127.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/"),
    ("http://[::1]/", "http://[0:0:0:0:0:0:0:1]:80/"),
]

DIFFERENT_PAGES = [
    ("http://example.com/watch?v=1", "http://example.com/watch?v=2"),
    ("http://example.com/a?id=1", "http://example.com/a?id=2"),
    ("http://example.com/a?p=1", "http://example.com/a?p=2"),
    ("http://example.com/a?page=1", "http://example.com/a?page=2"),
    ("http://example.com/a?q=x", "http://example.com/a?q=y"),
    ("http://example.com/a?custom=1", "http://example.com/a?custom=2"),
    ("http://example.com/a", "http://example.com/A"),
    ("http://example.com/", "http://news.example.com/"),
    ("http://example.com:8080/", "http://example.com:8081/"),
    ("http://example.com/?q=a+b", "http://example.com/?q=a%2Bb"),
    ("http://example.com/a/b", "http://example.com/a//b"),
    ("http://example.com/a%2Fb", "http://example.com/a/b"),
    ("http://example.com/#!/a", "http://example.com/#!/b"),
    ("https://youtu.be/dQw4w9WgXcQ", "https://youtu.be/aaaaaaaaaaa"),
    ("http://example.com/a?ref=main", "http://example.com/a?ref=dev"),
]


@pytest.mark.parametrize("urls", SAME_PAGE, ids=lambda urls: urls[0])
def test_same_page_same_key(urls: tuple[str, ...]) -> None:
    assert len({url_key(url) for url in urls}) == 1


@pytest.mark.parametrize("pair", DIFFERENT_PAGES, ids=lambda pair: f"{pair[0]} vs {pair[1]}")
def test_different_pages_different_keys(pair: tuple[str, str]) -> None:
    assert url_key(pair[0]) != url_key(pair[1])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "http://example.com/"),
        ("//example.com/a", "http://example.com/a"),
        ("HTTPS://WWW.Example.COM/a/?utm_source=x&id=5#top", "https://www.example.com/a/?id=5"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com/index.html", "https://example.com/index.html"),
        ("https://m.example.com/story/amp", "https://m.example.com/story/amp"),
        ("https://bücher.example/café", "https://xn--bcher-kva.example/caf%C3%A9"),
        ("https://example.com/#!/post/3", "https://example.com/#!/post/3"),
        ("https://example.com/a;jsessionid=1?PHPSESSID=2&b=1", "https://example.com/a?b=1"),
        ("https://example.com/?b=2&a=1&&", "https://example.com/?b=2&a=1"),
        ("https://example.com/?q=a b&r='", "https://example.com/?q=a%20b&r=%27"),
        ("https://example.com/?q=%zz", "https://example.com/?q=%zz"),
        ("https://www.google.com/amp/s/example.com/a?x=1", "https://example.com/a?x=1"),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc&t=30", "https://youtu.be/dQw4w9WgXcQ?t=30"),
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&list=PL1",
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1",
        ),
        ("http://[::FFFF:1.2.3.4]:8080/", "http://[::ffff:102:304]:8080/"),
    ],
)
def test_clean_url(raw: str, expected: str) -> None:
    assert clean_url(raw) == expected
    assert url_key(expected) == url_key(raw)


def test_key_digest_is_sha256_of_utf8() -> None:
    key = "example.com/news/story?id=5"
    assert key_digest(key) == hashlib.sha256(key.encode()).hexdigest()
    assert len(key_digest(key)) == 64


def test_rejection_has_reason_and_sentence() -> None:
    with pytest.raises(UrlRejected) as info:
        url_key("javascript:alert(1)")
    assert info.value.reason == "bad_scheme"
    assert str(info.value) == "Only http and https addresses can be discussed."
    assert isinstance(info.value, ValueError)


def test_clean_url_rejects_like_url_key() -> None:
    with pytest.raises(UrlRejected) as info:
        clean_url("http://user:pw@example.com/")
    assert info.value.reason == "credentials"


def test_key_longer_than_limit_is_rejected() -> None:
    # Within the input limit, but every character becomes a 9-character escape.
    raw = "example.com/" + "é" * 1000
    with pytest.raises(UrlRejected) as info:
        url_key(raw)
    assert info.value.reason == "too_long"


def test_huge_input_is_rejected_quickly() -> None:
    with pytest.raises(UrlRejected) as info:
        url_key("http://example.com/" + "a/" * 1_000_000)
    assert info.value.reason == "too_long"


# --- Properties -------------------------------------------------------------------------

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

schemes = st.sampled_from(["http://", "https://", "", "//", "HTTPS:", "http:\\\\", "ftp://"])
labels = st.text(alphabet="abcXYZ019-_éü%.", min_size=1, max_size=8) | st.sampled_from(
    ["www", "m", "amp", "mobile", "xn--bcher-kva", "google", "youtu", "0x7f"]
)
hosts = st.lists(labels, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["[::1]", "127.0.0.1", "youtu.be", "www.youtube.com", "www.google.com", "a.cdn.ampproject.org"]
)
ports = st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"])
segments = st.text(alphabet="aZ09.%2eE;=~ /\\#é\t'\"<{", max_size=6) | st.sampled_from(
    [".", "..", "%2e", "index.html", "amp", "x.amp.html", ";jsessionid=1", "s", "c", "@"]
)
paths = st.lists(segments, max_size=5).map(lambda parts: "/" + "/".join(parts))
names = st.text(alphabet="abvU_%7e+", max_size=4) | st.sampled_from(
    ["utm_source", "fbclid", "id", "v", "amp", "outputType", "si", "t", "PHPSESSID", "list"]
)
values = st.text(alphabet="a1+ %2B=é#&'~", max_size=5)
queries = st.lists(st.tuples(names, values).map("=".join), max_size=4).map(
    lambda pairs: "?" + "&".join(pairs) if pairs else ""
)
fragments = st.sampled_from(["", "#", "#top", "#!", "#!/a/b", "#!/a b#c"])
url_like = st.builds(
    lambda *parts: "".join(parts), schemes, hosts, ports, paths, queries, fragments
)
anything = url_like | st.text(max_size=80)


def key_or_none(raw: str) -> str | None:
    try:
        return url_key(raw)
    except UrlRejected:
        return None


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_only_raises_url_rejected(raw: str) -> None:
    reasons = set()
    for function in (url_key, clean_url):
        try:
            function(raw)
        except UrlRejected as exc:  # anything else fails the test
            reasons.add(exc.reason)
    assert reasons <= REASONS


@FAST
@given(anything)
def test_key_is_a_fixed_point(raw: str) -> None:
    key = key_or_none(raw)
    if key is not None:
        assert url_key(key) == key


@FAST
@given(anything)
def test_clean_url_has_the_same_key(raw: str) -> None:
    try:
        cleaned = clean_url(raw)
    except UrlRejected:
        return
    assert url_key(cleaned) == url_key(raw)
    assert clean_url(cleaned) == cleaned


@FAST
@given(anything)
def test_key_is_printable_ascii_without_fragment(raw: str) -> None:
    key = key_or_none(raw)
    if key is None:
        return
    assert key.isascii()
    assert all("!" <= char <= "~" for char in key)
    assert len(key) <= MAX_URL_LENGTH
    head, _, fragment = key.partition("#")
    assert fragment == "" or fragment.startswith("!")
    assert "#" not in fragment
    assert "/" in head

"""Metadata extraction from hostile HTML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rejoinder.pages.metadata import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    clean_line,
    clean_url,
    extract,
    parse_date,
)

ARTICLE_TEXT = "The council voted on Tuesday to rebuild the old bridge. " * 20

FULL = f"""<!doctype html>
<html lang="en-GB"><head>
<meta charset="utf-8">
<title>Bridge vote | The Paper</title>
<meta property="og:title" content="Council votes to rebuild the bridge">
<meta property="og:site_name" content="The Paper">
<meta property="og:url" content="https://paper.example/news/bridge">
<meta property="og:image" content="/img/bridge.jpg">
<meta property="og:description" content="A long-awaited decision.">
<meta name="author" content="Ana Lopez">
<meta property="article:published_time" content="2026-11-20T09:30:00+01:00">
<meta name="citation_doi" content="doi:10.5555/bridge.2026.1">
<link rel="canonical" href="/news/bridge">
<link rel="amphtml" href="https://paper.example/amp/news/bridge">
</head><body><nav>Home | News</nav><article><h1>Council votes</h1><p>{ARTICLE_TEXT}</p>
</article><footer>Copyright</footer></body></html>"""


def test_full_head_is_read():
    meta = extract(FULL, "https://www.paper.example/news/bridge?utm_source=x")
    assert meta.title == "Council votes to rebuild the bridge"
    assert meta.site_name == "The Paper"
    assert meta.author == "Ana Lopez"
    assert meta.description == "A long-awaited decision."
    assert meta.published_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert meta.image_url == "https://www.paper.example/img/bridge.jpg"
    assert meta.language == "en-GB"
    assert meta.canonical_url == "https://www.paper.example/news/bridge"
    assert meta.og_url == "https://paper.example/news/bridge"
    assert meta.amphtml_url == "https://paper.example/amp/news/bridge"
    assert meta.doi == "10.5555/bridge.2026.1"
    assert "rebuild the old bridge" in meta.text
    assert "Copyright" not in meta.text
    assert len(meta.text_sha256) == 64


def test_plain_title_and_dublin_core_identifier():
    html = (
        "<html><head><title> Just a\n title </title>"
        '<meta name="DC.identifier" content="https://doi.org/10.1000/xyz123">'
        "</head><body><p>short</p></body></html>"
    )
    meta = extract(html, "https://example.com/a")
    assert meta.title == "Just a title"
    assert meta.doi == "10.1000/xyz123"


def test_hostile_title_is_cleaned_and_capped():
    evil = "A\x00B\x1b[31mC\u202eD\u2066E\r\n" + "x" * 5000
    html = f"<html><head><title>{evil}</title><meta name=description content='{'y' * 9000}'>"
    meta = extract(html, "https://example.com/")
    assert meta.title is not None
    # The HTML parser turns NUL into U+FFFD; ESC and CR/LF become spaces, bidi controls go.
    assert meta.title.startswith("A\ufffdB [31mCDE x")
    assert len(meta.title) == MAX_TITLE
    assert not any(ord(c) < 32 or c in "\u202e\u2066" for c in meta.title)
    assert meta.description is not None
    assert len(meta.description) == MAX_DESCRIPTION


def test_markup_in_title_stays_text():
    html = "<html><head><meta property=og:title content='<script>alert(1)</script>'></head>"
    assert extract(html, "https://example.com/").title == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "image", ["javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://x.example/a.png", ""]
)
def test_only_http_urls_are_kept(image):
    html = f"<html><head><meta property=og:image content='{image}'></head>"
    assert extract(html, "https://example.com/").image_url is None


@pytest.mark.parametrize(
    "html",
    [
        "",
        "\x00\x00\x00",
        "<<<<>>>>" * 1000,
        "<html>" + "<div>" * 5000 + "deep" + "</div>" * 5000,
        "<html><head><title>unterminated",
        "<meta property=og:title content=>",
        "\ufffd" * 1000,
    ],
)
def test_garbage_does_not_crash(html):
    meta = extract(html, "https://example.com/")
    assert meta.title is None or len(meta.title) <= MAX_TITLE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=UTC)),
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T10:00:00-05:00", datetime(2026, 11, 20, 15, tzinfo=UTC)),
        ("1970-01-01", None),  # before the web
        ("2999-01-01", None),  # the future
        ("yesterday", None),
        ("", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_language_must_look_like_a_language_tag():
    assert extract("<html lang='de_AT'>", "https://e.example/").language == "de-AT"
    assert extract("<html lang='<script>'>", "https://e.example/").language is None


def test_clean_helpers():
    assert clean_line("  a \t b  ", 10) == "a b"
    assert clean_line("\x00\x01", 10) is None
    assert clean_line("abcdef", 4) == "abc…"
    assert clean_url("/x", "https://e.example/a/b") == "https://e.example/x"
    assert clean_url("//evil.example/", "https://e.example/") == "https://evil.example/"
    assert clean_url("javascript:1", "https://e.example/") is None


def test_host_name_is_not_a_site_name():
    html = "<html><head><title>t</title></head><body><p>text</p></body></html>"
    assert extract(html, "https://www.news.example/a").site_name is None

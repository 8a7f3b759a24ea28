"""Titles and sites as the front page shows them: one clean line, the bare host."""

from __future__ import annotations

import pytest

from rejoinder.errors import InvalidInput
from rejoinder.submissions.service import check_title, clean_title, site_of


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Plain title", "Plain title"),
        ("  padded  ", "padded"),
        ("two\nlines\r\nand\ttabs", "two lines and tabs"),
        ("nul\x00byte and \x1bescape", "nulbyte and escape"),
        ("gnp.\u202eexe", "gnp.exe"),
        ("isolate\u2066d\u2069", "isolated"),
        ("non\u00a0breaking   spaces", "non breaking spaces"),
        ("emoji 🚀 and ümlauts", "emoji 🚀 and ümlauts"),
        ("<b>markup</b> stays text", "<b>markup</b> stays text"),
    ],
)
def test_clean_title(raw, clean):
    assert clean_title(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "\u202e\u202c", "\x00\x01"])
def test_empty_titles_are_refused(raw):
    with pytest.raises(InvalidInput) as caught:
        check_title(raw)
    assert caught.value.errors[0]["reason"] == "empty"


def test_long_titles_are_refused_after_cleaning():
    assert check_title("x" * 300 + "\n\n\n") == "x" * 300
    with pytest.raises(InvalidInput) as caught:
        check_title("x" * 301)
    assert caught.value.errors[0]["reason"] == "too_long"


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.example.com/a", "example.com"),
        ("https://Example.COM:8443/a?b#c", "example.com"),
        ("http://news.example.co.uk/", "news.example.co.uk"),
        ("https://user:pw@www.example.org/", "example.org"),
        ("https://[2001:db8::1]/x", "2001:db8::1"),
        ("https://xn--bcher-kva.example/", "xn--bcher-kva.example"),
    ],
)
def test_site_of(url, site):
    assert site_of(url) == site

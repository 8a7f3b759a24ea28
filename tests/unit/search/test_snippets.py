"""Snippets: escaped text around the first match, matches in <mark>, nothing else as markup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rejoinder.search.snippets import snippet_html


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("The cat sat", ["cat"], "The <mark>cat</mark> sat"),
        ("The CAT sat", ["cat"], "The <mark>CAT</mark> sat"),
        ("concatenate cat", ["cat"], "concatenate <mark>cat</mark>"),
        (
            "<script>alert(1)</script>",
            ["script"],
            "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;",
        ),
        ("a \"quoted\" & 'x'", ["quoted"], "a &quot;<mark>quoted</mark>&quot; &amp; &#x27;x&#x27;"),
        ("no match here", ["zebra"], "no match here"),
        ("no words", [], "no words"),
        ("async asyncio", ["async", "asyncio"], "<mark>async</mark> <mark>asyncio</mark>"),
        ("a.b*c", [".*", "b"], "a.<mark>b</mark>*c"),
        ("line\nbreaks\tand  spaces", ["breaks"], "line <mark>breaks</mark> and spaces"),
    ],
)
def test_snippet(text, words, expected):
    assert snippet_html(text, words) == expected


def test_long_text_is_cut_around_the_first_match():
    text = "start " + "lorem " * 200 + "needle " + "ipsum " * 200 + "end"
    snippet = snippet_html(text, ["needle"], size=100)
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet) < 130


def test_match_at_the_start_keeps_the_start():
    snippet = snippet_html("needle " + "x " * 500, ["needle"], size=50)
    assert snippet.startswith("<mark>needle</mark>")
    assert snippet.endswith("…")


_TAG = re.compile(r"<[^>]*>")


@given(st.text(max_size=400), st.lists(st.text(min_size=1, max_size=10), max_size=5))
def test_only_mark_tags_ever_appear(text, words):
    snippet = snippet_html(text, words)
    assert set(_TAG.findall(snippet)) <= {"<mark>", "</mark>"}
    assert "<" not in _TAG.sub("", snippet)

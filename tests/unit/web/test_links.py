"""Slugs of discussion permalinks and the ``next`` targets allowed after signing in."""

from __future__ import annotations

import pytest

from rejoinder.web.links import MAX_SLUG, safe_next, slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello, Wörld!", "hello-world"),
        ("example.com/2024/11/story?id=1", "example-com-2024-11-story-id-1"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("日本語のタイトル", "page"),
        ("", "page"),
        ("---", "page"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_long_slugs_are_cut_at_a_word():
    slug = slugify("word " * 40)
    assert len(slug) <= MAX_SLUG
    assert slug.endswith("word")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/p/1/x?sort=new", "/p/1/x?sort=new"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("relative/path", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected

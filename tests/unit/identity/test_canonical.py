"""The canonical-link policy as a pure function: which claims are trusted, ignored, checked."""

from __future__ import annotations

import pytest

from rejoinder.identity.canonical import Verdict, confirms, decide, is_home_page, site
from rejoinder.pages.metadata import PageMetadata

PAGE = "https://www.example.com/news/story-print"
KEY = "example.com/news/story-print"


def meta(canonical: str | None = None, og: str | None = None, amp: str | None = None):
    return PageMetadata(canonical_url=canonical, og_url=og, amphtml_url=amp)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("example.com/a", "example.com:"),
        ("news.example.co.uk/a", "example.co.uk:"),
        ("alice.github.io/post", "alice.github.io:"),
        ("example.com:8080/a", "example.com:8080"),
        ("127.0.0.1:8001/a", "127.0.0.1:8001"),
        ("localhost/a", "localhost:"),
    ],
)
def test_site_is_registrable_domain_and_port(key, expected):
    assert site(key) == expected


def test_private_suffix_subdomains_are_different_sites():
    assert site("alice.github.io/x") != site("bob.github.io/x")
    assert site("news.example.com/x") == site("example.com/y")


@pytest.mark.parametrize(
    ("key", "home"),
    [("example.com/", True), ("example.com/a", False), ("example.com/?p=5", False)],
)
def test_home_page(key, home):
    assert is_home_page(key) is home


class TestDecide:
    def test_no_canonical(self):
        assert decide(KEY, PAGE, meta()).verdict is Verdict.NONE

    def test_own_key_is_nothing_to_do(self):
        decision = decide(KEY, PAGE, meta("http://example.com/news/story-print/?utm_source=x"))
        assert decision.verdict is Verdict.NONE

    def test_same_site_subdomain(self):
        decision = decide(KEY, PAGE, meta("https://news.example.com/story"))
        assert decision.verdict is Verdict.SAME_SITE
        assert decision.claim is not None
        assert decision.claim.key == "news.example.com/story"

    def test_same_canonical_and_og_url_agree(self):
        decision = decide(
            KEY, PAGE, meta("https://example.com/news/story", "http://www.example.com/news/story/")
        )
        assert decision.verdict is Verdict.SAME_SITE

    def test_conflicting_canonical_and_og_url_trust_neither(self):
        decision = decide(
            KEY, PAGE, meta("https://example.com/news/story", "https://example.com/news/other")
        )
        assert decision.verdict is Verdict.CONFLICT
        assert decision.claim is None

    def test_home_page_canonical_from_an_article_is_ignored(self):
        decision = decide(KEY, PAGE, meta("https://www.example.com/"))
        assert decision.verdict is Verdict.HOME_PAGE

    def test_home_page_may_name_its_own_other_form(self):
        decision = decide("example.com/", "https://example.com/", meta("https://example.com/"))
        assert decision.verdict is Verdict.NONE

    def test_other_site_needs_confirmation(self):
        decision = decide(KEY, PAGE, meta("https://victim.org/article"))
        assert decision.verdict is Verdict.CROSS_SITE
        assert decision.needs_confirmation

    def test_private_suffix_neighbour_is_another_site(self):
        decision = decide(
            "alice.github.io/post", "https://alice.github.io/post", meta("https://bob.github.io/x")
        )
        assert decision.verdict is Verdict.CROSS_SITE

    def test_redirect_to_another_site_cannot_vouch_for_it(self):
        # The page's key is on example.com, the fetch ended on victim.org, whose canonical
        # is on victim.org: not the same site as the discussion.
        decision = decide(KEY, "https://victim.org/a", meta("https://victim.org/article"))
        assert decision.verdict is Verdict.CROSS_SITE

    def test_unkeyable_canonical_is_invalid(self):
        decision = decide(KEY, PAGE, meta("https://user:pw@example.com/x"))
        assert decision.verdict is Verdict.INVALID

    def test_same_site_amp_rendering_is_an_extra_key(self):
        decision = decide(KEY, PAGE, meta(amp="https://amp-cdn.example.com/news/story-print"))
        assert [claim.key for claim in decision.extra_keys] == [
            "amp-cdn.example.com/news/story-print"
        ]

    def test_cross_site_amp_rendering_is_not_a_key(self):
        decision = decide(KEY, PAGE, meta(amp="https://evil.example.net/amp/story"))
        assert decision.extra_keys == ()


class TestConfirms:
    def test_target_naming_itself(self):
        target = meta("https://victim.org/article", "https://victim.org/article")
        assert confirms("victim.org/article", "https://victim.org/article", target)

    def test_target_naming_another_page(self):
        target = meta("https://victim.org/original")
        assert not confirms("victim.org/article", "https://victim.org/article", target)

    def test_target_without_canonical_does_not_confirm(self):
        assert not confirms("victim.org/article", "https://victim.org/article", meta())

    def test_target_that_redirected_elsewhere_does_not_confirm(self):
        target = meta("https://victim.org/article")
        assert not confirms("victim.org/article", "https://victim.org/login", target)

"""Blocked words and patterns, and the validation of their settings."""

from __future__ import annotations

import pytest

from rejoinder.moderation.filters import compile_filter, validate_setting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Best CASINO online", "blocked word 'casino'"),
        ("casinos and casino-like", "blocked word 'casino'"),
        ("casinos only", None),
        ("buy v1agra", "blocked pattern 'v[i1]agra'"),
        ("an ordinary comment", None),
    ],
)
def test_first_match(text, expected):
    rules = compile_filter(("casino", "free money"), (r"v[i1]agra",))
    assert rules.first_match(text) == expected


def test_words_are_literal_not_regex():
    rules = compile_filter(("a.c", "(x"), ())
    assert rules.first_match("abc") is None
    assert rules.first_match("a.c here") == "blocked word 'a.c'"


def test_catastrophic_pattern_times_out_as_a_match():
    rules = compile_filter((), (r"^(a|a)*$",))
    assert rules.first_match("a" * 3000 + "!").endswith("(timed out)")
    assert rules.first_match("aaa!") is None


def test_empty_rules_match_nothing():
    assert compile_filter((), ()).first_match("anything at all") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("blocked_patterns", ["(unclosed"]),
        ("blocked_patterns", ["x" * 301]),
        ("blocked_words", ["   "]),
        ("blocked_words", ["w" * 101]),
        ("blocked_words", ["w"] * 501),
        ("classifier", "cloud"),
    ],
)
def test_bad_settings(name, value):
    with pytest.raises(ValueError):
        validate_setting(name, value)


def test_good_settings():
    validate_setting("blocked_patterns", [r"\bspam+\b"])
    validate_setting("blocked_words", ["casino"])
    validate_setting("classifier", "none")

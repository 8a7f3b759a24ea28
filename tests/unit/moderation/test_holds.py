"""Text normalization for flood detection, and the classifier the holds use."""

from __future__ import annotations

import pytest

from rejoinder.moderation.classifier import get_classifier
from rejoinder.moderation.holds import FLOOD_MIN_CHARS, normalize, text_digest


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Buy NOW!!! cheap stuff here", "buy now cheap stuff here"),
        ("Visit   my\n\nprofile, friends", "visit my profile friends"),
        ("Ünïcode Straße text example", "ünïcode strasse text example"),
    ],
)
def test_same_text_same_digest(a, b):
    assert normalize(a) == normalize(b)
    assert text_digest(a) == text_digest(b) is not None


def test_different_texts_differ():
    assert text_digest("the first long enough text") != text_digest("another long enough text")


def test_short_texts_have_no_digest():
    assert text_digest("Thanks!") is None
    assert text_digest("x" * (FLOOD_MIN_CHARS - 1)) is None
    assert text_digest("x" * FLOOD_MIN_CHARS) is not None


def test_bundled_classifier_scores_offline():
    classifier = get_classifier("profanity-check")
    assert classifier is not None
    assert classifier.score("you are a fucking idiot") > 0.95
    assert classifier.score("Thanks for the thoughtful article.") < 0.5
    assert 0.0 <= classifier.score("") <= 1.0
    assert get_classifier("profanity-check") is classifier


def test_no_classifier():
    assert get_classifier("none") is None
    with pytest.raises(ValueError):
        get_classifier("remote")

"""Text fingerprints: near-duplicate texts share LSH buckets, unrelated texts do not."""

from __future__ import annotations

import random

from rejoinder.identity import fingerprints

# A small vocabulary: texts drawn from it share words but not runs of five.
WORDS = [f"{stem}{n}" for stem in ("harbour", "storm", "ferry", "council") for n in range(6)]


def text(seed: int, words: int = 400) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def test_same_article_with_other_boilerplate_is_similar():
    body = text(1)
    a = fingerprints.signature("Home News Sport Menu Subscribe " + body + " Copyright Coast News")
    b = fingerprints.signature("Skip to content Log in " + body + " Share Related stories Footer")
    assert a is not None
    assert b is not None
    assert fingerprints.similarity(a, b) >= fingerprints.THRESHOLD
    assert set(fingerprints.bands(a)) & set(fingerprints.bands(b))


def test_unrelated_texts_are_not_similar_and_share_no_bucket():
    a, b = fingerprints.signature(text(1)), fingerprints.signature(text(2))
    assert a is not None
    assert b is not None
    assert fingerprints.similarity(a, b) < 0.2
    assert not set(fingerprints.bands(a)) & set(fingerprints.bands(b))


def test_short_texts_are_not_fingerprinted():
    assert fingerprints.signature("Subscribe to continue reading this article.") is None
    assert fingerprints.signature("") is None


def test_signature_is_stable_and_sized():
    sig = fingerprints.signature(text(3))
    assert sig == fingerprints.signature(text(3))
    assert sig is not None
    assert len(sig) == fingerprints.NUM_PERM * 4
    bands = fingerprints.bands(sig)
    assert [band for band, _ in bands] == list(range(fingerprints.BANDS))
    assert all(0 <= bucket < 2**63 for _, bucket in bands)


def test_best_matches_filters_and_orders():
    base = fingerprints.signature(text(4))
    near = fingerprints.signature(text(4) + " " + text(6, words=40))
    far = fingerprints.signature(text(5))
    assert base
    assert near
    assert far
    matches = fingerprints.best_matches(base, [(9, far), (7, near), (8, base)])
    assert [page_id for page_id, _ in matches] == [8, 7]
    assert matches[0][1] == 1.0

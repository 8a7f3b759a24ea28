"""Fingerprints of article text: MinHash signatures and their LSH bands.

Two copies of one article differ in their boilerplate (navigation, footers, "related
stories") but share most of their sentences. The text is cut into overlapping runs of
``SHINGLE_WORDS`` words (lowercased, punctuation ignored); the Jaccard similarity of two
texts' shingle sets is estimated by the share of equal values in their MinHash signatures
(``NUM_PERM`` of them, from ``datasketch`` with a fixed seed, so signatures stay comparable
across processes and releases of this code).

Finding candidates without comparing against every page: the signature is cut into
``BANDS`` bands of ``ROWS`` values and each band hashed to a 63-bit bucket. Pages sharing a
bucket in any band are candidates (one indexed query on ``(band, bucket_hash)``); only they
are compared. With 16 bands of 8 rows, pairs at similarity 0.8 share a bucket with
probability 1 - (1 - 0.8^8)^16 ≈ 0.94, pairs at 0.5 with probability ≈ 0.06, and pairs
below 0.3 almost never: the candidate list stays short and the threshold does the rest.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Sequence

NUM_PERM = 128
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 5
# Texts this short are menus, error pages or paywalls ("Subscribe to continue"): they
# would match each other across unrelated sites.
MIN_WORDS = 60
# Estimated Jaccard similarity from which two texts count as one article published twice.
THRESHOLD = 0.7
# The seed of datasketch's permutations: changing it makes every stored signature stale.
_SEED = 1
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    """The text's overlapping ``SHINGLE_WORDS``-word runs, lowercased, as UTF-8."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {
        " ".join(words[i : i + SHINGLE_WORDS]).encode()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    }


def signature(text: str) -> bytes | None:
    """The MinHash signature of ``text`` as bytes, or None when the text is too short."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    # Imported here, not at the top: datasketch pulls in numpy and scipy (~90 MB per
    # process), which only a worker that fingerprints fetched pages needs.
    # datasketch ships no type information.
    from datasketch import MinHash  # type: ignore[import-untyped]

    minhash = MinHash(num_perm=NUM_PERM, seed=_SEED)
    minhash.update_batch(list(shingles(text)))
    return array("I", (int(value) for value in minhash.hashvalues)).tobytes()


def _values(sig: bytes) -> array[int]:
    values = array("I")
    values.frombytes(sig)
    return values


def bands(sig: bytes) -> list[tuple[int, int]]:
    """(band number, bucket hash) for each LSH band; the hash fits a signed 64-bit column."""
    values = _values(sig)
    out = []
    for band in range(BANDS):
        chunk = values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=b"rj-lsh").digest()
        out.append((band, int.from_bytes(digest, "big") >> 1))
    return out


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts behind these signatures."""
    left, right = _values(a), _values(b)
    if len(left) != len(right) or not left:
        return 0.0
    return sum(x == y for x, y in zip(left, right, strict=True)) / len(left)


def best_matches(
    sig: bytes, candidates: Sequence[tuple[int, bytes]], threshold: float = THRESHOLD
) -> list[tuple[int, float]]:
    """(page id, similarity) of the candidates at or above ``threshold``, most similar first."""
    scored = [(page_id, similarity(sig, other)) for page_id, other in candidates]
    return sorted(
        ((page_id, score) for page_id, score in scored if score >= threshold),
        key=lambda item: (-item[1], item[0]),
    )

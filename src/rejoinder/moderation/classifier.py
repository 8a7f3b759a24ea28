"""Abuse classifiers: anything with ``score(text) -> float`` in [0, 1], run offline.

The baseline is ``alt-profanity-check``, a linear SVM over word n-grams whose trained model
ships inside the package: no download, no outside service, about a millisecond per comment.
It recognises insults and profanity ("you are a f***ing idiot" scores ~1.0, "nice article"
~0.01); it is a first filter that sends comments to a human, not a judge. Another model only
needs to satisfy ``Classifier``.
"""

from __future__ import annotations

import threading
from typing import Protocol

# A long comment is scored on its start: abuse is rarely buried after 5,000 characters, and
# the cost of scoring stays bounded.
MAX_SCORED_CHARS = 5000


class Classifier(Protocol):
    def score(self, text: str) -> float:
        """How likely the text is abusive, from 0.0 to 1.0."""
        ...


class ProfanityCheckClassifier:
    """alt-profanity-check's bundled model, loaded on first use (it takes about a second)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._predict: object | None = None

    def _model(self) -> object:
        with self._lock:
            if self._predict is None:
                # The package ships no type information; score() checks what it returns.
                from profanity_check import predict_prob  # type: ignore[import-untyped]

                self._predict = predict_prob
            return self._predict

    def score(self, text: str) -> float:
        predict = self._model()
        assert callable(predict)
        return float(predict([text[:MAX_SCORED_CHARS]])[0])


_loaded: dict[str, Classifier] = {}


def get_classifier(name: str) -> Classifier | None:
    """The named classifier, one instance per process; None for ``"none"``."""
    if name == "none":
        return None
    if name not in _loaded:
        if name != "profanity-check":
            raise ValueError(f"unknown classifier {name!r}")
        _loaded[name] = ProfanityCheckClassifier()
    return _loaded[name]

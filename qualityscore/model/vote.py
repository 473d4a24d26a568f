"""How the two branches' probabilities become one: a linear vote, or confident evidence.

``p_low = 1 - (1 - lin) * (1 - p_signals ** signal_power)`` with
``lin = text_weight * p_text + (1 - text_weight) * p_signals``.

* Most pages are decided by ``lin``, mostly by the words (``text_weight`` 0.9): the word
  model learns what real low-quality pages say (Sondhi's unreliable pages, the project's
  labeled spam), which signals alone do not capture.
* Strong signal evidence (spun medical terms, stuffed promotion, unsupported claims) is
  enough on its own: ``p_signals ** signal_power`` is near 0 until the signal branch is
  near certain (0.9 ** 16 = 0.19, 0.97 ** 16 = 0.61, 0.99 ** 16 = 0.85), and then words
  that read like a clean NIH page cannot outvote it. The result is smooth and increasing in
  both inputs, so a higher branch probability never lowers the score.
* The word branch learns from real pages only (``fit(..., text_rows=...)``): trained on the
  project's own simulated spam, it learned the simulator's substitution vocabulary, which
  no other spinner shares (README, "Model"; evaluation/vote_grid.py compares the designs).

The class is a small scikit-learn meta-estimator so that cross-validation, ablation and
the skops file handle it like any other; skops rebuilds it from its attributes (it is on
the bundle's allow-list) and runs none of its code while loading.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from .pipeline import SIGNAL_POWER, TEXT_WEIGHT


def combine(p_text: np.ndarray, p_signals: np.ndarray, text_weight: float = TEXT_WEIGHT,
            signal_power: float = SIGNAL_POWER) -> np.ndarray:
    """P(low quality) from the branches' P(low quality)."""
    p_text = np.asarray(p_text, dtype=np.float64)
    p_signals = np.asarray(p_signals, dtype=np.float64)
    lin = text_weight * p_text + (1.0 - text_weight) * p_signals
    return 1.0 - (1.0 - lin) * (1.0 - p_signals**signal_power)


class EvidenceVote(ClassifierMixin, BaseEstimator):
    """Fit a word branch and a signal branch; combine their probabilities (see module)."""

    def __init__(self, text=None, signals=None, text_weight: float = TEXT_WEIGHT,  # type: ignore[no-untyped-def]
                 signal_power: float = SIGNAL_POWER) -> None:
        self.text = text
        self.signals = signals
        self.text_weight = text_weight
        self.signal_power = signal_power

    def fit(self, X, y, text_rows=None):  # type: ignore[no-untyped-def]
        """``text_rows``: boolean mask of the rows the word branch learns from (all if None)."""
        y = np.asarray(y)
        rows = np.ones(len(y), dtype=bool) if text_rows is None else np.asarray(text_rows, dtype=bool)
        if rows.shape != y.shape:
            raise ValueError("text_rows must be a boolean mask with one entry per row")
        if len(np.unique(y[rows])) < 2:
            raise ValueError("the word branch needs both classes among text_rows")
        self.text_ = clone(self.text).fit(X[rows], y[rows])
        self.signals_ = clone(self.signals).fit(X, y)
        self.classes_ = self.signals_.classes_
        return self

    def branch_probabilities(self, X) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
        """Each branch's P(class 1), the rows of ``X`` in order."""
        return self.text_.predict_proba(X)[:, 1], self.signals_.predict_proba(X)[:, 1]

    def predict_proba(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        p = combine(*self.branch_probabilities(X), self.text_weight, self.signal_power)
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

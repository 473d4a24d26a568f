"""Decision thresholds from out-of-fold scores: what each cut promises, and pooling over
repetitions of the CV (``train.repeated_thresholds``)."""

from __future__ import annotations

import numpy as np
import pytest

from qualityscore.model import train
from qualityscore.model.train import LOW, choose_thresholds, repeated_thresholds


def _run(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Out-of-fold p(low) of a decent classifier: low pages mostly high, a few overlapping."""
    p = np.where(y == LOW, rng.beta(6, 2, len(y)), rng.beta(2, 6, len(y)))
    return np.clip(p, 0.0, 1.0)


def _precision_below(scores: np.ndarray, y: np.ndarray, cut: float) -> float:
    flagged = scores < cut
    return float((y[flagged] == LOW).mean())


def test_reject_cut_keeps_the_precision_and_review_cut_the_recall() -> None:
    rng = np.random.default_rng(0)
    y = np.array([LOW] * 150 + [1 - LOW] * 150)
    p = _run(rng, y)
    th = choose_thresholds(p, y, reject_precision=0.95, review_recall=0.97)
    scores = 100.0 * (1.0 - p)
    assert _precision_below(scores, y, th["reject_below"]) >= 0.95
    # The next cut up (any score above it) would break the precision: it is the highest.
    above = np.sort(np.unique(np.round(scores, 1)))
    above = above[above > th["reject_below"]]
    assert all(_precision_below(scores, y, c) < 0.95 for c in above if (scores < c).sum() >= 5)
    assert (scores[y == LOW] < th["review_below"]).mean() >= 0.97
    assert th["review_below"] >= max(50.0, th["reject_below"])


def test_thresholds_are_chosen_on_the_pooled_repetitions(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    y = np.array([LOW] * 120 + [1 - LOW] * 120)
    runs = [_run(rng, y) for _ in range(3)]
    seeds_asked: list[int] = []

    def fake_cv(ts, X, yy, *, seed=0, **_):  # type: ignore[no-untyped-def]
        seeds_asked.append(seed)
        return {"oof_probability": runs[seed - 10].tolist(), "y_true": y.tolist()}

    monkeypatch.setattr(train, "sondhi_cv", fake_cv)
    first = {"oof_probability": runs[0].tolist(), "y_true": y.tolist()}
    th = repeated_thresholds(None, None, None, first, seed=10, repeats=3)  # type: ignore[arg-type]
    assert seeds_asked == [11, 12], "the first repetition is reused, the others get new seeds"
    pooled = choose_thresholds(np.concatenate(runs), np.tile(y, 3))
    assert th["reject_below"] == pooled["reject_below"]
    assert th["review_below"] == pooled["review_below"]
    assert th["cv_repetitions"] == 3
    alone = [choose_thresholds(r, y) for r in runs]
    assert th["per_repetition"] == [{"reject_below": a["reject_below"], "review_below": a["review_below"]}
                                    for a in alone]
    # These draws disagree alone; the pooled cut lies within their range.
    rejects = [a["reject_below"] for a in alone]
    assert len(set(rejects)) > 1
    assert min(rejects) <= th["reject_below"] <= max(rejects)


def test_repetitions_must_score_the_same_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    y = np.array([LOW, 1 - LOW] * 10)
    monkeypatch.setattr(train, "sondhi_cv",
                        lambda *a, **k: {"oof_probability": [0.5] * 20, "y_true": y[::-1].tolist()})
    with pytest.raises(RuntimeError, match="page order"):
        repeated_thresholds(None, None, None, {"oof_probability": [0.5] * 20, "y_true": y.tolist()},  # type: ignore[arg-type]
                            repeats=2)

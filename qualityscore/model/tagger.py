"""Train the per-token spin tagger on simulated spin (see signals/spin_model.py).

Clean NIH text is spun with the substitution lexicon; tokens inside a substituted span
are positives, every other candidate token (in the spun and in the untouched copy) a
negative. The decision threshold is set on clean documents the tagger did not train on,
to a false-alarm budget in flagged tokens per 2,000 words.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..signals.spin import Lexicon
from ..signals.spin_model import HealthStats, candidate_positions, token_features
from ..text import Doc
from .spinner import Spinner


@dataclass
class TaggerData:
    X: np.ndarray
    y: np.ndarray
    words: int


def tagger_rows(
    texts: Sequence[str],
    lexicon: Lexicon,
    stats: HealthStats,
    anchors: frozenset[str],
    *,
    seed: int = 0,
    include_clean: bool = True,
    spin: bool = True,
) -> TaggerData:
    """Feature rows and labels from spun (and clean) versions of ``texts``; with
    ``spin=False`` the clean versions only (negatives from another register)."""
    rng = random.Random(seed)
    spinner = Spinner(lexicon)
    xs, ys = [], []
    words = 0
    for text in texts:
        versions = []
        if spin:
            spun = spinner.spin(text, rng, medical_rate=rng.uniform(0.3, 0.9), everyday_rate=0.0)
            versions.append((spun.text, spun.substitutions))
        if include_clean or not spin:
            versions.append((text, ()))
        for body, subs in versions:
            doc = Doc(body)
            pos = candidate_positions(doc)
            if not pos:
                continue
            xs.append(token_features(doc, pos, stats, anchors))
            ys.append(np.asarray([_changed(doc, k, subs) for k in pos], dtype=int))
            words += doc.word_count
    X = np.vstack(xs) if xs else np.zeros((0, 1))
    y = np.concatenate(ys) if ys else np.zeros(0, dtype=int)
    return TaggerData(X, y, words)


def _changed(doc: Doc, k: int, subs) -> bool:  # type: ignore[no-untyped-def]
    """Inside a substituted span *and* not a word of the original term ("blood" in
    "blood strain" for "blood pressure" is not spin)."""
    tok = doc.tokens[k]
    for s, e, canonical in subs:
        if s <= tok.start < e:
            return tok.lower not in canonical.split()
    return False


def fit_tagger(data: TaggerData, *, seed: int = 0):  # type: ignore[no-untyped-def]
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(
        learning_rate=0.08, max_iter=200, max_leaf_nodes=31, min_samples_leaf=40,
        l2_regularization=1.0, random_state=seed,
    )
    model.fit(data.X, data.y)
    return model


def clean_threshold(
    model, texts: Sequence[str], stats: HealthStats, anchors: frozenset[str], *,  # type: ignore[no-untyped-def]
    flags_per_2000_words: float = 0.4,
    floor: float = 0.5,
) -> float:
    """The lowest probability cut that keeps flags on clean text within the budget."""
    rows, words = [], 0
    for text in texts:
        doc = Doc(text)
        pos = candidate_positions(doc)
        words += doc.word_count
        if pos:
            rows.append(token_features(doc, pos, stats, anchors))
    if not rows:
        return floor
    p = np.sort(model.predict_proba(np.vstack(rows))[:, 1])[::-1]
    allowed = int(flags_per_2000_words * words / 2000)
    cut = p[allowed] if allowed < len(p) else 0.0
    return float(max(floor, cut + 1e-6))

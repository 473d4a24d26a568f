"""Training-set pieces that need no corpus: spam from spinners whose vocabulary the
detector lacks, and the features computed for it."""

from __future__ import annotations

import numpy as np

from qualityscore.model.corpora import Sample
from qualityscore.model.train import (
    BLIND_FOLDS,
    NOT_FOR_WORDS,
    TrainingSet,
    matrices,
    text_rows,
    unknown_vocabulary_spam,
)
from qualityscore.page import Page
from qualityscore.signals import SpinResources, feature_names
from qualityscore.signals.spin import load_lexicon

TEXT = (
    "Depression is a common condition that affects mood, sleep and appetite. People with "
    "depression may lose interest in daily activities. Treatment often combines therapy and "
    "medicine, and a doctor can explain the side effects. High blood pressure and heart "
    "disease are more common in people with long-term depression, so regular check-ups "
    "help. A clinical trial compared the treatment with a placebo in adults and children."
)


def _sources(n: int = 24) -> list[Sample]:
    return [Sample(id=f"s{i}", corpus="medquad", content=TEXT, is_html=False, label=0, group=f"g{i}")
            for i in range(n)]


def test_each_spun_page_uses_only_the_terms_withheld_from_its_detector() -> None:
    lexicon = load_lexicon()
    spam = unknown_vocabulary_spam(_sources(), lexicon, seed=0)
    assert spam, "the source text has lexicon terms: some pages must be spun"
    parts = {w for _, _, w in spam}
    assert 1 < len(parts) <= BLIND_FOLDS
    everything = {e.canonical for e in lexicon.entries}
    assert set().union(*parts) <= everything
    for a in parts:  # the folds do not overlap
        for b in parts - {a}:
            assert not a & b
    variants = {e.variant: e.canonical for e in lexicon.entries}
    for page, _, withheld in spam:
        used = {variants[v] for v in variants if f" {v} " in f" {page.text.lower()} "}
        # Every substitution the spinner made comes from the withheld fold.
        assert used & everything, page.text[:80]
        assert any(c in withheld for c in used)


def test_withheld_rows_get_signals_from_a_detector_without_those_terms() -> None:
    lexicon = load_lexicon()
    spam = unknown_vocabulary_spam(_sources(8), lexicon, seed=0)
    ts = TrainingSet(resources=SpinResources())
    clean = Page(text=TEXT, is_html=False, source="clean")
    ts.add(clean, 0, "medquad", "c")
    for page, group, withheld in spam:
        ts.add(page, 1, "synthetic_spun_unknown", group, withheld)
        ts.add(page, 1, "synthetic_spun", group)  # the same page, detector knowing every term
    X, _ = matrices(ts)
    col = 1 + feature_names().index("spin.substitutions_per_100w")
    blind = X[1::2, col].astype(float)
    seeing = X[2::2, col].astype(float)
    assert np.all(seeing > 0), "with the whole lexicon, the swaps are found"
    assert np.all(blind < seeing), "without the withheld terms, fewer are"
    assert not text_rows(np.asarray(ts.corpus))[1:].any()
    assert "synthetic_spun_unknown" in NOT_FOR_WORDS

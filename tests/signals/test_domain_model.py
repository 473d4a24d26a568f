"""The domain model of words (health vocabulary or general English) and the page signal
``spin.unseen_word_domain`` built on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qualityscore.page import Page
from qualityscore.signals.domain_model import DomainModel
from qualityscore.signals.spin import SpinResources, SpinSignals
from qualityscore.signals.spin_model import HealthStats
from qualityscore.text import Doc
from qualityscore.wordvectors import WordVectors

# Two clusters of toy vectors: medical terms along one axis, everyday words along another.
MEDICAL = ["diagnosis", "symptoms", "therapy", "cytokine", "receptor", "antibody"]
EVERYDAY = ["ticker", "hale", "bosom", "gore", "mug", "despair", "weather", "shopping"]


def _vectors() -> WordVectors:
    rng = np.random.default_rng(0)
    rows = []
    for w in MEDICAL + EVERYDAY:
        base = np.array([1.0, 0.0, 0.0, 0.0]) if w in MEDICAL else np.array([0.0, 1.0, 0.0, 0.0])
        v = base + 0.2 * rng.standard_normal(4)
        rows.append(v / np.linalg.norm(v))
    return WordVectors(MEDICAL + EVERYDAY, np.array(rows, dtype=np.float32), "toyvectors")


def _model(vectors: WordVectors) -> DomainModel:
    # The direction of the medical cluster, as a learned model would find it.
    return DomainModel(np.array([4.0, -4.0, 0.0, 0.0]), 0.0, vectors)


def test_learn_separates_health_vocabulary_from_general_english() -> None:
    """Trained on clean text that uses the medical terms far more than English does, the
    model scores held-back terms of the same cluster above 0 and everyday words below."""
    from wordfreq import zipf_frequency

    vectors = _vectors()
    seen = ["diagnosis", "symptoms", "therapy"]
    text = " ".join(seen * 40 + ["the", "and"] * 10)
    stats = HealthStats.learn([text])
    assert all(stats.zipf(w) > zipf_frequency(w, "en") + 1 for w in seen)
    model = DomainModel.learn(stats, vectors, general_top=5000)
    assert model is not None
    s = dict(zip(MEDICAL + EVERYDAY, model.scores(MEDICAL + EVERYDAY), strict=True))
    # cytokine, receptor, antibody: never in the clean text, yet health vocabulary.
    assert min(s[w] for w in MEDICAL) > 0 > max(s[w] for w in EVERYDAY)


def test_learn_needs_both_word_lists() -> None:
    assert DomainModel.learn(HealthStats(), _vectors(), general_top=5000) is None


def test_scores_are_nan_without_a_vector_and_cached() -> None:
    model = _model(_vectors())
    out = model.scores(["cytokine", "unheardofword", "cytokine", "hale"])
    assert out[0] > 0 > out[3] and math.isnan(out[1]) and out[0] == out[2]
    assert set(model._cache) == {"cytokine", "unheardofword", "hale"}


def test_plain_round_trip_and_vector_check() -> None:
    vectors = _vectors()
    model = _model(vectors)
    back = DomainModel.from_plain(model.to_plain(), vectors)
    assert back is not None
    np.testing.assert_array_equal(back.scores(MEDICAL + EVERYDAY), model.scores(MEDICAL + EVERYDAY))
    assert DomainModel.from_plain({}, vectors) is None
    other = WordVectors(MEDICAL + EVERYDAY, vectors.unit, "othervectors")
    with pytest.raises(ValueError, match="word vectors"):
        DomainModel.from_plain(model.to_plain(), other)


def _signal(text: str, stats: HealthStats) -> float:
    signals = SpinSignals(spin_resources=SpinResources(stats=stats))
    return signals.analyze(Doc(text), Page(text=text, is_html=False)).features["unseen_word_domain"]


def test_page_signal_averages_words_clean_health_text_never_uses() -> None:
    vectors = _vectors()
    stats = HealthStats.learn(["diagnosis symptoms therapy " * 5])
    stats.domain = _model(vectors)
    spun = "The ticker and the hale bosom gave despair to the diagnosis."
    paper = "The cytokine bound the receptor and the antibody in therapy and diagnosis."
    assert _signal(spun, stats) < 0 < _signal(paper, stats)
    # Words the clean text uses (diagnosis, therapy) are left out: the mean is over the
    # unseen ones alone, one per occurrence.
    expect = float(np.mean(stats.domain.scores(["cytokine", "receptor", "antibody"])))
    assert _signal(paper, stats) == pytest.approx(expect)


def test_page_signal_is_missing_with_too_few_unseen_words_or_no_model() -> None:
    vectors = _vectors()
    stats = HealthStats.learn(["diagnosis symptoms therapy " * 5])
    stats.domain = _model(vectors)
    # Two unseen words with vectors (and numbers, stopwords, short words that never count).
    assert math.isnan(_signal("The 42 mg ox: ticker and hale, in diagnosis.", stats))
    stats.domain = None
    assert math.isnan(_signal("The ticker and the hale bosom gave despair.", stats))


def test_a_cache_cleared_by_another_thread_loses_no_word(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Scoring is shared between threads: a cache emptied while one call is under way
    must not lose that call's words."""
    import qualityscore.signals.domain_model as dm

    model = _model(_vectors())
    monkeypatch.setattr(dm, "CACHE_WORDS", 1)
    model.scores(["cytokine", "receptor"])  # fills the cache past its size
    out = model.scores(["hale", "cytokine", "ticker"])  # clears it, keeps the answer whole
    assert out[1] > 0 > out[0] and out[2] < 0
    assert set(model._cache) == {"hale", "ticker"}

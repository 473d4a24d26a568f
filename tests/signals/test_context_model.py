"""The context model: its hand-written gradients, what training learns, storage, features."""

from __future__ import annotations

import numpy as np
import pytest

from qualityscore.model.context_training import (
    DENSE,
    Params,
    batch_gradients,
    exact_log_z,
    train_context_model,
    training_examples,
)
from qualityscore.signals.context_model import CONTEXT_FEATURES, OFFSETS, ContextModel
from qualityscore.signals.spin_model import (
    TOKEN_FEATURES,
    HealthStats,
    candidate_positions,
    token_features,
)
from qualityscore.text import Doc
from qualityscore.wordvectors import WordVectors

LOGP = TOKEN_FEATURES.index("context_logp")


def _toy_params(rng: np.random.Generator, V: int = 40, dim_in: int = 6, hidden: int = 7, dim: int = 5) -> Params:
    r_row = np.full(V, -1)
    with_r = rng.choice(V, size=V // 2, replace=False)
    r_row[with_r] = np.arange(len(with_r))
    return Params(
        glove=rng.standard_normal((V, dim_in)), special=rng.standard_normal((3, dim_in)),
        W1=rng.standard_normal((len(OFFSETS) * dim_in, hidden)) * 0.3, b1=rng.standard_normal(hidden) * 0.1,
        W2=rng.standard_normal((hidden, dim)) * 0.3, b2=rng.standard_normal(dim) * 0.1,
        A=rng.standard_normal((dim_in, dim)) * 0.3, R=rng.standard_normal((len(with_r), dim)) * 0.3,
        r_row=r_row, bias=rng.standard_normal(V) * 0.5,
    )


def test_batch_gradients_match_finite_differences() -> None:
    """Every parameter the trainer updates: the analytic gradient against a central
    difference of the loss, in float64 (contexts with the special rows, a sampled word
    that is also a target, words with and without a correction)."""
    rng = np.random.default_rng(1)
    p = _toy_params(rng)
    V = p.glove.shape[0]
    xb = rng.integers(0, V + 3, size=(6, len(OFFSETS)))
    yb = rng.integers(0, V, size=6)
    neg = np.concatenate([rng.integers(0, V, size=9), yb[:1]])
    log_kq = rng.standard_normal(V) * 0.3
    _, grads = batch_gradients(p, xb, yb, neg, log_kq, 0.3)

    def loss() -> float:
        return batch_gradients(p, xb, yb, neg, log_kq, 0.3)[0]

    def numeric(arr: np.ndarray, i: tuple[int, ...]) -> float:
        old = arr[i]
        arr[i] = old + 1e-6
        up = loss()
        arr[i] = old - 1e-6
        down = loss()
        arr[i] = old
        return (up - down) / 2e-6

    checked = 0
    for name in DENSE:
        arr, g = getattr(p, name), grads[name]
        for flat in rng.choice(arr.size, size=min(arr.size, 12), replace=False):
            i = np.unravel_index(flat, arr.shape)
            assert g[i] == pytest.approx(numeric(arr, i), abs=1e-6, rel=1e-4), (name, i)
            checked += 1
    for name, arr in (("R", p.R), ("bias", p.bias)):
        rows, sums = grads[name]
        dense = np.zeros_like(arr)
        dense[rows] = sums
        for row in rng.choice(arr.shape[0], size=8, replace=False):
            i = (row, 0) if arr.ndim == 2 else (row,)
            assert dense[i] == pytest.approx(numeric(arr, i), abs=1e-6, rel=1e-4), (name, i)
            checked += 1
    assert checked >= 70


HEALTH = [
    "Ask your doctor about high blood pressure before you take this medicine.",
    "High blood pressure can damage the heart and the kidneys over many years.",
    "Your doctor will check your blood pressure at every visit to the clinic.",
    "People with high blood pressure should eat less salt and exercise more often.",
    "A nurse measures blood pressure with a cuff around the upper arm.",
    "Tell your doctor about any side effects of the medicine you take.",
    "Common side effects include headache, nausea and feeling tired.",
    "Most side effects go away after a few days of treatment.",
]


@pytest.fixture(scope="module")
def toy_model(wv: WordVectors) -> ContextModel:
    return train_context_model(HEALTH * 8, wv, epochs=40, hidden=48, dim=24, batch=64, negatives=256, seed=0)


def _logp(model: ContextModel, text: str, word: str) -> float:
    doc = Doc(text)
    k = next(i for i, t in enumerate(doc.tokens) if t.lower == word)
    lower = [t.lower for t in doc.tokens]
    return float(model.columns(lower, np.zeros(len(lower), dtype=np.int64), np.asarray([k]))[0, 0])


def test_training_learns_which_word_fills_a_context(toy_model: ContextModel) -> None:
    """After training on text where "blood pressure" and "side effects" recur, the
    original word is far more probable in its slot than the spinner's synonym."""
    assert _logp(toy_model, "Check your blood pressure every year.", "pressure") > \
        _logp(toy_model, "Check your blood strain every year.", "strain") + 3.0
    assert _logp(toy_model, "Some side effects of this medicine are rare.", "effects") > \
        _logp(toy_model, "Some side impacts of this medicine are rare.", "impacts") + 3.0


def test_the_fitted_normaliser_is_unbiased_on_training_contexts(toy_model: ContextModel, wv: WordVectors) -> None:
    X, _ = training_examples(HEALTH, wv)
    x = toy_model.inputs(X).reshape(len(X), -1)
    h = np.maximum(x @ toy_model.W1 + toy_model.b1, 0) @ toy_model.W2 + toy_model.b2
    fitted = h @ toy_model.log_z[:-1] + toy_model.log_z[-1]
    assert abs(float(np.mean(exact_log_z(toy_model, h) - fitted))) < 0.25


def test_a_model_for_other_word_vectors_is_refused(toy_model: ContextModel, wv: WordVectors) -> None:
    other = WordVectors(wv.vocab, wv.unit, "0" * 16)
    with pytest.raises(ValueError, match="trained on word vectors"):
        ContextModel.from_plain(toy_model.to_plain(), other)


def test_features_without_a_model_are_constant_and_with_one_nan_only_without_a_vector(
    toy_model: ContextModel,
) -> None:
    doc = Doc("Ask your doctor about the zqxvbn before you take this medicine.")
    pos = candidate_positions(doc)
    cols = slice(LOGP, LOGP + len(CONTEXT_FEATURES))
    without = token_features(doc, pos, HealthStats.learn(HEALTH), frozenset())[:, cols]
    assert (without == 0.0).all()
    stats = HealthStats.learn(HEALTH)
    stats.context = toy_model
    with_model = token_features(doc, pos, stats, frozenset())[:, cols]
    words = [doc.tokens[k].lower for k in pos]
    missing = np.isnan(with_model).all(axis=1)
    assert [w for w, m in zip(words, missing, strict=True) if m] == ["zqxvbn"]
    # The relative columns are the absolute ones minus their median over the page.
    known = with_model[~missing]
    np.testing.assert_allclose(known[:, 2], known[:, 0] - np.median(known[:, 0]), rtol=1e-6)


def test_the_best_alternative_gap_finds_a_word_where_clean_text_puts_another(toy_model: ContextModel) -> None:
    """"blood strain": clean text puts "pressure" after "blood", and the model expects it
    there far more than "strain"; in an original the word itself fits best."""
    stats = HealthStats.learn(HEALTH * 3)
    stats.context = toy_model
    gap = TOKEN_FEATURES.index("context_best_gap")

    def gap_of(text: str, word: str) -> float:
        doc = Doc(text)
        pos = candidate_positions(doc)
        k = next(k for k in pos if doc.tokens[k].lower == word)
        return float(token_features(doc, pos, stats, frozenset())[pos.index(k), gap])

    assert gap_of("Your doctor will check your blood strain at every visit.", "strain") > 3.0
    # Here "pressure" is the only word clean text puts in the slot: no alternative, no evidence.
    assert np.isnan(gap_of("Your doctor will check your blood pressure at every visit.", "pressure"))
    assert gap_of("Tell your doctor about any side effects.", "doctor") < 0.5


def test_page_medians_are_missing_without_a_model_and_read_the_model_with_one(toy_model: ContextModel) -> None:
    from qualityscore.signals.spin_model import page_context_medians

    doc = Doc("Ask your doctor about high blood pressure before you take this medicine.")
    pos = candidate_positions(doc)
    stats = HealthStats.learn(HEALTH)
    X = token_features(doc, pos, stats, frozenset())
    assert all(np.isnan(page_context_medians(doc, pos, X, stats)))
    stats.context = toy_model
    X = token_features(doc, pos, stats, frozenset())
    content, function = page_context_medians(doc, pos, X, stats)
    assert content == pytest.approx(float(np.median(X[:, LOGP])))
    assert np.isfinite(function) and function != content


def test_input_rows_are_the_word_vectors_then_the_special_rows(toy_model: ContextModel) -> None:
    """``inputs`` gathers rows without stacking a copy of the vectors: ids below the
    vocabulary size are word vectors, the three past it the learned special rows
    (unknown word, number, padding), in that order."""
    V = toy_model.V
    ids = np.array([[0, V - 1, V, V + 1, V + 2, 1 % V, V + 2, 0]])
    x = toy_model.inputs(ids)
    stacked = np.vstack([toy_model.vectors.unit, toy_model.special.astype(np.float32)])
    assert x.shape == (1, 8, stacked.shape[1])
    assert np.array_equal(x, stacked[ids])
    assert np.array_equal(x[0, 2:5], toy_model.special.astype(np.float32))


# A page of this project's own sentences, long enough to be scored in several blocks.
_LONG = " ".join([
    "Ask your doctor about high blood pressure before you take this medicine.",
    "Some side effects of the treatment are rare, but tell your nurse about any of them.",
    "Regular exercise and a healthy diet lower the risk of heart disease and stroke.",
    "The study found that patients who slept well had fewer infections during the winter.",
] * 40)


def test_a_huge_page_is_scored_in_blocks_with_the_same_features_and_page_medians(
    spin_stats: HealthStats, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks change only the last float32 bits of a row (BLAS), never which rows the page
    medians read: the relative columns are still each row minus the whole page's median."""
    from qualityscore.signals import context_model

    doc = Doc(_LONG)
    pos = candidate_positions(doc)
    cols = slice(LOGP, LOGP + len(CONTEXT_FEATURES))
    whole = token_features(doc, pos, spin_stats, frozenset())[:, cols]
    monkeypatch.setattr(context_model, "ROWS_PER_BLOCK", 37)
    assert len(pos) > 10 * 37
    blocks = token_features(Doc(_LONG), pos, spin_stats, frozenset())[:, cols]
    np.testing.assert_allclose(blocks, whole, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(blocks[:, 2], blocks[:, 0] - np.median(blocks[:, 0]), rtol=1e-6)


def test_a_huge_page_takes_memory_in_proportion_to_a_block_not_to_the_page(spin_stats: HealthStats) -> None:
    """The best-alternative gap reads 64 output vectors of 128 floats a word: 32 KB a word
    if a whole page were scored at once (over 6 GB for a page of 200,000 words, which the
    size limit lets through). Scored a block at a time, a page of 36,000 words peaks at about
    110 MB of arrays (660 MB at once): the per-word arrays are all that grows."""
    import tracemalloc

    doc = Doc(" ".join([_LONG] * 16))
    pos = candidate_positions(doc)
    assert len(pos) > 19_000
    tracemalloc.start()
    try:
        token_features(doc, pos, spin_stats, frozenset())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 250 * 2**20, f"{peak / 2**20:.0f} MB"

"""The runtime model file: the compiled model must score as the skops model does, and its
file must be as safe to load."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from qualityscore.errors import ModelError
from qualityscore.model import corpora
from qualityscore.model.bundle import default_model_path, default_training_output, load_bundle
from qualityscore.model.features import page_of, signal_matrix
from qualityscore.model.pipeline import build_pipeline, design_matrix
from qualityscore.model.runtime import (
    CompiledTrees,
    CompiledVote,
    compile_model,
    compile_text,
    compile_trees,
    load_runtime,
    save_runtime,
)
from qualityscore.model.train import RUNTIME_TOLERANCE, fit_model


@pytest.fixture(scope="module")
def pair():  # type: ignore[no-untyped-def]
    return load_bundle(default_training_output()), load_bundle(default_model_path())


@pytest.fixture(scope="module")
def labeled_rows(pair):  # type: ignore[no-untyped-def]
    """Design-matrix rows of the project's labeled pages, as HTML/text and as plain text."""
    skops, _ = pair
    pages = []
    for s in corpora.labeled_pages():
        pages += [page_of(s), page_of(s, text_only=True)]
    feats = signal_matrix(pages, skops.resources())
    return design_matrix([p.text for p in pages], feats), pages


def test_shipped_runtime_file_scores_as_the_skops_file(pair, labeled_rows) -> None:  # type: ignore[no-untyped-def]
    skops, runtime = pair
    X, _ = labeled_rows
    assert isinstance(runtime.model, CompiledVote)
    ref = skops.model.predict_proba(X)[:, 1]
    got = runtime.model.predict_proba(X)[:, 1]
    assert len(X) >= 100
    assert np.abs(ref - got).max() <= RUNTIME_TOLERANCE
    # Both branches, not just their vote.
    for a, b in zip(skops.model.branch_probabilities(X), runtime.model.branch_probabilities(X), strict=True):
        assert np.abs(a - b).max() <= RUNTIME_TOLERANCE
    assert runtime.metadata["compiled_from"]["file"] == default_training_output().name


def test_shipped_runtime_file_is_the_compiled_shipped_skops_file(pair) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    recorded = pair[1].metadata["compiled_from"]["sha256"]
    assert recorded == hashlib.sha256(default_training_output().read_bytes()).hexdigest(), (
        "models/*.npz was not compiled from models/*.skops: retrain (qualityscore train)"
    )
    skops_meta = {k: v for k, v in pair[0].metadata.items()}
    runtime_meta = {k: v for k, v in pair[1].metadata.items() if k not in ("compiled_from", "runtime_check")}
    assert runtime_meta == skops_meta


def test_spin_tagger_compiles_exactly(pair, labeled_rows) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.signals.spin_model import token_features
    from qualityscore.text import Doc

    skops, runtime = pair
    res = skops.resources()
    assert isinstance(runtime.spin_tagger, CompiledTrees)
    rows = []
    for page in labeled_rows[1][:40]:
        doc = Doc(page.text)
        positions = list(range(len(doc.tokens)))
        if positions:
            rows.append(token_features(doc, positions, res.stats, res.anchors))
    M = np.vstack(rows)
    assert len(M) > 1000
    # The tree sums are bit-identical; scipy's expit and ours may differ in the last bit.
    np.testing.assert_allclose(
        skops.spin_tagger.predict_proba(M), runtime.spin_tagger.predict_proba(M), rtol=0, atol=1e-12
    )


def test_spin_tagger_walks_long_pages_in_blocks_with_the_same_sums(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A page of 10^5 candidate words is walked a block of rows at a time (bounded memory);
    the sums are those of one walk over every row, to the bit, NaN rows included."""
    import qualityscore.model.runtime as runtime_module

    tagger = pair[1].spin_tagger
    X = np.random.default_rng(0).normal(size=(1000, tagger.n_features))
    X[::7, 3] = np.nan
    whole = tagger.raw(X)
    monkeypatch.setattr(runtime_module, "ROWS_PER_BLOCK", 64)
    blocks = tagger.raw(X)
    np.testing.assert_array_equal(blocks, whole)
    assert tagger.raw(X[:0]).shape == (0,)


def test_scorer_results_agree_between_the_two_files(pair) -> None:  # type: ignore[no-untyped-def]
    from qs_testkit import EXAMPLES

    from qualityscore import Scorer

    a, b = Scorer(pair[0]), Scorer(pair[1])
    for path in sorted(EXAMPLES.iterdir()):
        ra, rb = a.score_path(path), b.score_path(path)
        assert ra.decision == rb.decision, path
        assert ra.score == pytest.approx(rb.score, abs=100 * RUNTIME_TOLERANCE), path
        assert [f.rule for f in ra.findings] == [f.rule for f in rb.findings]


def _toy(n: int = 240, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    good = ["reviewed evidence trial", "doctor advice dose", "study results risk", "naïve café"]
    bad = ["buy now miracle", "order today cure", "secret remedy offer", "ÉNORME PROMO"]
    texts = [" ".join(rng.choice(bad if t else good, 4)) + " " + str(i % 7) for i, t in enumerate(y)]
    feats = rng.normal(size=(n, 6)) + y[:, None] * 0.7
    feats[rng.random(feats.shape) < 0.15] = np.nan  # missing HTML evidence
    feats[0, 0] = np.inf
    return design_matrix(texts, feats), y


def test_compiled_toy_model_matches_scikit_learn() -> None:
    X, y = _toy()
    corpus = np.where(np.arange(len(y)) % 4 == 0, "synthetic_spun", "page").astype(object)
    model = fit_model(build_pipeline(X.shape[1] - 1), X[:200], y[:200], corpus[:200])
    compiled = compile_model(model)
    tests = X[200:].copy()
    tests[0, 0] = ""  # no token at all
    tests[1, 0] = "zzz qqq"  # no known term
    tests[2, 1:] = np.nan  # every signal missing
    np.testing.assert_allclose(compiled.predict_proba(tests), model.predict_proba(tests), rtol=0, atol=1e-6)
    np.testing.assert_allclose(compiled.text.predict_proba(tests), model.text_.predict_proba(tests), rtol=0, atol=1e-6)


def test_unsupported_models_are_refused_not_miscompiled() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _toy()
    Xf = np.nan_to_num(np.asarray(X[:, 1:], dtype=float), posinf=0.0)
    Xf[:, 0] = np.abs(np.round(Xf[:, 0])) % 4
    cat = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(Xf, y)
    with pytest.raises(ValueError, match="categorical"):
        compile_trees(cat)
    three = HistGradientBoostingClassifier(max_iter=5).fit(Xf, np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match="binary"):
        compile_trees(three)
    text = build_pipeline(X.shape[1] - 1, signal_branch=False)
    text.named_steps["select"].transformers[0][1].set_params(analyzer="char")
    text.fit(X, y)
    with pytest.raises(ValueError, match="analyzer"):
        compile_text(text)


def _small_runtime(tmp_path: Path) -> tuple[Path, dict, CompiledVote]:
    X, y = _toy()
    model = compile_model(fit_model(build_pipeline(X.shape[1] - 1), X, y, np.full(len(y), "page")))
    meta = {"bundle_format": 1, "feature_names": ["a"]}
    path = tmp_path / "small.npz"
    save_runtime(path, model=model, tagger=None, metadata=meta, spin_resources={"k": [1]}, health_stats={})
    return path, meta, model


def test_runtime_round_trip(tmp_path: Path) -> None:
    path, meta, model = _small_runtime(tmp_path)
    parts = load_runtime(path)
    assert parts["metadata"] == meta and parts["spin_resources"] == {"k": [1]}
    assert parts["spin_tagger"] is None and parts["health_stats"] == {}
    X, _ = _toy(seed=3)
    np.testing.assert_array_equal(parts["model"].predict_proba(X), model.predict_proba(X))


def test_runtime_round_trip_keeps_the_spin_word_statistics(tmp_path: Path) -> None:
    """The counts, the slot tables, the context model (its arrays in their own dtypes) and
    the domain model of words."""
    from qualityscore.model.resources import learn_health_stats
    from qualityscore.signals.spin_model import (
        TOKEN_FEATURES,
        HealthStats,
        candidate_positions,
        token_features,
    )
    from qualityscore.text import Doc

    X, y = _toy()
    model = compile_model(fit_model(build_pipeline(X.shape[1] - 1), X, y, np.full(len(y), "page")))
    stats = learn_health_stats(["Ask your health care provider. A health care provider can help."] * 3,
                               epochs=1, hidden=8, dim=4)
    assert stats.slots and stats.context is not None and stats.domain is not None
    path = tmp_path / "stats.npz"
    save_runtime(path, model=model, tagger=None, metadata={}, spin_resources={}, health_stats=stats.to_plain())
    back = HealthStats.from_plain(load_runtime(path)["health_stats"])
    assert back.slots.keys() == stats.slots.keys()
    assert back.context is not None and back.context.R.dtype == np.int8
    assert back.domain is not None
    words = ["cytokine", "ticker", "provider", "nosuchwordatall"]
    np.testing.assert_array_equal(back.domain.scores(words), stats.domain.scores(words))
    doc = Doc("Ask your health worry provider today.")
    pos = candidate_positions(doc)
    features = token_features(doc, pos, back, frozenset())
    assert np.isfinite(features[:, TOKEN_FEATURES.index("context_logp")]).all()
    np.testing.assert_array_equal(features, token_features(doc, pos, stats, frozenset()))


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def test_runtime_file_with_a_pickled_member_is_refused_without_running_it(tmp_path: Path) -> None:
    path, _, _ = _small_runtime(tmp_path)
    marker = tmp_path / "pwned"
    with np.load(path, allow_pickle=False) as a:
        members = {k: a[k] for k in a.files}
    members["metadata_json"] = np.asarray([_Exploit(marker)], dtype=object)
    evil = tmp_path / "evil.npz"
    np.savez(evil, **members)  # object arrays are written as pickles
    assert b"posix" in evil.read_bytes() or b"system" in evil.read_bytes()
    with pytest.raises(ModelError) as exc:
        load_bundle(evil)
    assert exc.value.type == "model.corrupt"
    assert not marker.exists()


def test_runtime_file_of_another_format_or_missing_a_member_is_corrupt(tmp_path: Path) -> None:
    path, _, _ = _small_runtime(tmp_path)
    with np.load(path, allow_pickle=False) as a:
        members = {k: a[k] for k in a.files}
    future = dict(members, qualityscore_runtime=np.asarray([99]))
    np.savez(tmp_path / "future.npz", **future)
    del members["model.text.coef"]
    np.savez(tmp_path / "holed.npz", **members)
    for name in ("future.npz", "holed.npz"):
        with pytest.raises(ModelError) as exc:
            load_bundle(tmp_path / name)
        assert exc.value.type == "model.corrupt", name


def test_pickle_pretending_to_be_npz_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "m.npz"
    path.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(ModelError) as exc:
        load_bundle(path)
    assert exc.value.type == "model.untrusted_format"
    assert not marker.exists()


def test_tree_contributions_add_up_to_the_log_odds_and_credit_the_features_split_on() -> None:
    """Saabas contributions: exact (bias + row sum == raw, NaN rows included), zero for a
    feature no tree reads, and largest for the feature the label depends on."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 4))
    X[:, 3] = 0.0  # constant: never split on
    y = (X[:, 0] + 0.3 * X[:, 1] + 0.2 * rng.normal(size=400) > 0).astype(int)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[:, 3] = 0.0
    trees = compile_trees(HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X, y))
    c = trees.contributions(X)
    np.testing.assert_allclose(trees.bias + c.sum(axis=1), trees.raw(X), atol=1e-9)
    assert not c[:, 3].any()
    strength = np.abs(c).mean(axis=0)
    assert strength[0] > strength[1] > strength[2]
    # A row far on the low-quality side is credited to feature 0, toward class 1.
    row = trees.contributions(np.array([[3.0, 0.0, 0.0, 0.0]]))[0]
    assert row.argmax() == 0 and row[0] > 0
    with pytest.raises(ValueError, match="features"):
        trees.contributions(np.zeros((1, 3)))

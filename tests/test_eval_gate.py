"""The evaluation gate: the shipped model meets the minimums pinned in
evaluation/baseline.json, and a deliberately degraded model does not.

Needs the corpora under ../shared/data (``default_data_dir()``); skipped without them.
Fast: a fixed sample of held-out texts is featurised once and every bundle reuses it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from qualityscore.model.corpora import default_data_dir
from qualityscore.model.gate import (
    GateSample,
    baseline_path,
    build_sample,
    check_gate,
    load_baseline,
    pins_below_goals,
)

needs_corpora = pytest.mark.skipif(
    not default_data_dir().is_dir(),
    reason=f"corpora not found at {default_data_dir()} (set QUALITYSCORE_DATA): the gate needs them",
)


def test_no_pin_is_below_the_goals_without_a_reason() -> None:
    baseline = load_baseline()
    assert not pins_below_goals(baseline), (
        "a pin in evaluation/baseline.json is below the issue's goal with no entry in 'changes' "
        "explaining why (see evaluation/README.md)"
    )
    assert set(baseline["corpus_digests"]) >= {"sondhi", "medquad", "cochrane_pls", "onestop"}


def test_pins_below_goals_are_caught() -> None:
    baseline = {"goals": {"medquad_ok_rate": 0.98}, "minimums": {"medquad_ok_rate": 0.9}, "changes": []}
    assert pins_below_goals(baseline) == ["medquad_ok_rate"]
    baseline["changes"] = [{"pin": "medquad_ok_rate", "from": 0.98, "to": 0.9, "why": "new corpus version"}]
    assert pins_below_goals(baseline) == []


@pytest.fixture(scope="module")
def shipped():  # type: ignore[no-untyped-def]
    from qualityscore.model.bundle import load_bundle

    return load_bundle()


@pytest.fixture(scope="module")
def baseline() -> dict:
    return load_baseline()


@pytest.fixture(scope="module")
def sample(shipped, baseline) -> GateSample:  # type: ignore[no-untyped-def]
    return build_sample(shipped, baseline)


@pytest.fixture(scope="module")
def card() -> dict | None:
    from qualityscore.model.bundle import default_model_path
    from qualityscore.model.card import read_card

    return read_card(default_model_path())


def _failed(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.name for c in report.failures}


@needs_corpora
def test_shipped_model_passes_the_gate(shipped, baseline, sample, card) -> None:  # type: ignore[no-untyped-def]
    report = check_gate(shipped, baseline, sample=sample, card=card)
    assert report.passed, "the shipped model is below evaluation/baseline.json:\n" + report.render()


def _resave(bundle, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a bundle to tmp_path and load it back, as a user would receive it."""
    from qualityscore.model.bundle import load_bundle, save_bundle
    from qualityscore.model.runtime import CompiledVote

    path = tmp_path / ("degraded.npz" if isinstance(bundle.model, CompiledVote) else "degraded.skops")
    save_bundle(bundle, path)
    return load_bundle(path)


@needs_corpora
def test_gate_fails_when_thresholds_are_pushed_to_99(shipped, baseline, sample) -> None:  # type: ignore[no-untyped-def]
    bad = copy.copy(shipped)
    bad.metadata = {**shipped.metadata, "thresholds": {**shipped.metadata["thresholds"],
                                                       "reject_below": 99.0, "review_below": 99.0}}
    report = check_gate(bad, baseline, sample=sample)
    assert not report.passed
    assert {"medquad_ok_rate", "cochrane_ok_rate", "onestop_ok_rate"} <= _failed(report)


@needs_corpora
def test_gate_fails_on_shuffled_coefficients(shipped, baseline, sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.model.runtime import CompiledVote

    bad = copy.deepcopy(shipped)
    assert isinstance(bad.model, CompiledVote), "the shipped model loads as the runtime file"
    rng = np.random.default_rng(0)
    # The word weights are shuffled among the vocabulary ...
    bad.model.text.coef = bad.model.text.coef[rng.permutation(len(bad.model.text.coef))]
    bad.model.text.__post_init__()
    # ... and the trees read their features in a shuffled order.
    trees = bad.model.signals
    perm = rng.permutation(trees.n_features)
    split = ~trees.is_leaf
    trees.feature = trees.feature.copy()
    trees.feature[split] = perm[trees.feature[split]]
    report = check_gate(_resave(bad, tmp_path), baseline, sample=sample)
    assert not report.passed, report.render()
    assert _failed(report) & {"medquad_ok_rate", "cochrane_ok_rate", "sondhi_sample_accuracy"}


@needs_corpora
def test_gate_fails_when_the_recorded_cv_is_below_its_pin(shipped, baseline, sample) -> None:  # type: ignore[no-untyped-def]
    bad = copy.copy(shipped)
    metrics = json.loads(json.dumps(shipped.metadata.get("metrics", {})))
    metrics.setdefault("sondhi_cv", {})["accuracy"] = 0.80
    bad.metadata = {**shipped.metadata, "metrics": metrics}
    assert "sondhi_cv_accuracy" in _failed(check_gate(bad, baseline, sample=sample))


@needs_corpora
def test_gate_fails_when_the_corpus_is_not_the_pinned_one(shipped, baseline, sample) -> None:  # type: ignore[no-untyped-def]
    other = {**baseline, "corpus_digests": {**baseline["corpus_digests"], "medquad": "0" * 16}}
    assert "corpus_digests" in _failed(check_gate(shipped, other, sample=sample))


def test_baseline_file_is_where_the_readme_says() -> None:
    assert baseline_path().name == "baseline.json"
    assert baseline_path().parent.name == "evaluation"

"""evaluation/spin_budgets.py: tiers from the kept calibration pages, replayed per setting."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from qs_testkit import evaluation_script


@pytest.fixture(scope="module")
def budgets():  # type: ignore[no-untyped-def]
    return evaluation_script("spin_budgets")


def _row(recall: float, fpr: float, flags: float, on: float) -> dict:
    return {"span_recall": recall, "doc_fpr": fpr, "flags_per_2000_words": flags,
            "tagger_flags_on_spun_pages_on_a_substitution": on}


def test_choose_takes_the_most_precise_of_the_near_best_within_targets(budgets) -> None:  # type: ignore[no-untyped-def]
    rows = [_row(0.70, 0.05, 0.5, 0.9),   # past the FPR target
            _row(0.62, 0.03, 0.7, 0.80),  # the best recall within targets
            _row(0.615, 0.02, 0.5, 0.90),  # within a point of it, more precise: chosen
            _row(0.60, 0.01, 0.2, 0.99),  # more precise still, but two points down
            _row(0.65, 0.03, 0.9, 0.9)]   # past the flags target
    assert budgets.choose(rows, max_fpr=0.04, max_flags=0.75, within=0.01) is rows[2]
    assert budgets.choose(rows, max_fpr=0.001, max_flags=0.75, within=0.01) is None


def _fold(rng: np.random.Generator) -> dict:
    def clean() -> list:
        return [(rng.uniform(0, 1, 40) ** 8, 150) for _ in range(60)]

    spun = []
    for _ in range(30):
        p = rng.uniform(0, 1, 40) ** 8
        p[:4] = rng.uniform(0.3, 1.0, 4)
        spun.append({"probs": p, "words": 150, "span_of_word": np.array([0, 1, 2, 3] + [-1] * 36),
                     "recalled_by_other": [False] * 4})
    return {"calibration": (clean(), [clean()]), "tiers": {},
            "clean": [{"probs": p, "words": w, "other_findings": 0} for p, w in clean()], "spun": spun}


def test_a_looser_budget_recalls_more_and_flags_more(budgets, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    dump = tmp_path / "dump.pkl"
    dump.write_bytes(pickle.dumps({"seed": 1, "operating_point": {}, "folds": [_fold(rng), _fold(rng)]}))
    folds = pickle.loads(dump.read_bytes())["folds"]
    tight = budgets.evaluate(folds, {"flags_per_2000_words": 0.4, "peak_share": 0.0})
    loose = budgets.evaluate(folds, {"flags_per_2000_words": 20.0, "gate_share": 0.5, "peak_share": 0.0})
    assert loose["span_recall"] > tight["span_recall"]
    assert loose["flags_per_2000_words"] > tight["flags_per_2000_words"]
    out = tmp_path / "report.json"
    assert budgets.main([str(dump), "--setting", '{"flags_per_2000_words": 0.4}', "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["training"]["setting"] == "training's" and len(report["grid"]) == 1


def test_an_old_dump_without_calibration_pages_is_refused(budgets, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "old.pkl"
    dump.write_bytes(pickle.dumps({"seed": 0, "operating_point": {}, "folds": [{"clean": [], "spun": []}]}))
    assert budgets.main([str(dump)]) == 2
    assert "no calibration pages" in capsys.readouterr().err


def test_a_corpus_over_its_own_budget_rules_a_setting_out(budgets) -> None:  # type: ignore[no-untyped-def]
    rows = [_row(0.62, 0.03, 0.7, 0.80) | {"flags_per_2000_words_by_corpus": {"medquad": 0.5, "cochrane_pls": 1.4}},
            _row(0.60, 0.03, 0.6, 0.80) | {"flags_per_2000_words_by_corpus": {"medquad": 0.5, "cochrane_pls": 0.9}}]
    assert budgets.choose(rows, max_fpr=0.04, max_flags=0.75, within=0.01) is rows[0]
    assert budgets.choose(rows, max_fpr=0.04, max_flags=0.75, within=0.01, max_corpus_flags=1.0) is rows[1]

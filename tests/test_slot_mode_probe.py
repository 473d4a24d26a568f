"""evaluation/slot_mode_probe.py: its columns on the shipped model's statistics, on
sentences written here (no corpus needed)."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.signals.spin_model import TOKEN_FEATURES, candidate_positions
from qualityscore.text import Doc


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return evaluation_script("slot_mode_probe")


def _row(probe, spin_stats, text: str, word: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    doc = Doc(text)
    pos = candidate_positions(doc)
    return probe.extra_columns(doc, pos, spin_stats)[[doc.tokens[k].lower for k in pos].index(word)]


def test_a_swap_sits_far_below_its_slots_best_word_and_the_original_does_not(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    text = "Muscular dystrophy is an inherited {} that affects the muscles and causes weakness."
    spun, clean = _row(probe, spin_stats, text.format("situation"), "situation"), _row(probe, spin_stats, text.format("condition"), "condition")
    assert spun[0] > clean[0] + 3  # the gap to the slot's best word
    assert spun[2] > clean[2] + 2  # log(1 + words the model prefers there)
    assert clean[0] >= 0 and spun[3] >= 0  # a gap and a margin are never negative


def test_gap_matches_a_direct_scoring_of_the_whole_vocabulary(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.signals.spin_model import context_vectors

    doc = Doc("Ask your health worry provider about the side effects of this medicine.")
    pos = candidate_positions(doc)
    k = [doc.tokens[q].lower for q in pos].index("worry")
    h = context_vectors(doc, [pos[k]], spin_stats)[0]
    table, bias = spin_stats.context_table()
    ok = np.isfinite(bias)
    model = spin_stats.context
    w = model.vectors.index["worry"]
    own = float(h @ model.output_vectors(np.asarray([w]))[0] + model._bias[w])
    best = float(np.max(table[ok] @ h + bias[ok]))
    assert probe.extra_columns(doc, pos, spin_stats)[k, 0] == pytest.approx(best - own, abs=1e-3)


def test_patched_features_append_the_probe_columns(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    doc = Doc("Blood pressure readings vary with temper and sleep.")
    pos = candidate_positions(doc)
    assert probe.token_features(doc, pos, spin_stats, frozenset()).shape == (len(pos), len(TOKEN_FEATURES) + len(probe.EXTRA))

"""evaluation/thesaurus_probe.py: the replacement test's columns on the shipped model's
statistics, on sentences written here (no corpus needed)."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.signals.spin_model import TOKEN_FEATURES, candidate_positions
from qualityscore.text import Doc


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return evaluation_script("thesaurus_probe")


def _columns(probe, spin_stats, text: str, word: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    doc = Doc(text)
    pos = candidate_positions(doc)
    X = probe.extra_columns(doc, pos, spin_stats)
    return X[[doc.tokens[k].lower for k in pos].index(word)]


def test_the_lookup_runs_backwards_from_the_word_to_its_possible_originals(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    inv = probe.inverse_index(spin_stats)
    # The training half lists "temper" under "mood": "mood" is a possible original of "temper".
    assert spin_stats.index["mood"] in inv["temper"]
    # Never the other way: the word itself is not its own original.
    assert all(spin_stats.index.get("temper", -2) != r for r in inv["temper"])


def test_a_swapped_word_is_outscored_by_the_word_it_replaced(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    text = "Many patients notice sudden changes in their {} and sleep during the first weeks of treatment."
    doc = Doc(text.format("temper"))
    pos = candidate_positions(doc)
    X = probe.extra_columns(doc, pos, spin_stats)
    words = [doc.tokens[k].lower for k in pos]
    spun = X[words.index("temper")]
    # Candidates exist ("mood" among them), one fits the slot better, and no other word of
    # the sentence is outscored by its possible originals as much.
    assert spun[0] > 0 and spun[1] > 0
    assert spun[1] == np.nanmax(X[:, 1])
    # The original sentence's "mood" is no training-half synonym of anything: no candidate.
    clean = _columns(probe, spin_stats, text.format("mood"), "mood")
    assert clean[0] == 0 and np.isnan(clean[1])


def test_patched_features_append_the_probe_columns(probe, spin_stats) -> None:  # type: ignore[no-untyped-def]
    doc = Doc("Blood pressure readings vary with temper and sleep.")
    pos = candidate_positions(doc)
    X = probe.token_features(doc, pos, spin_stats, frozenset())
    assert X.shape == (len(pos), len(TOKEN_FEATURES) + len(probe.EXTRA))
    assert probe.token_features(Doc(""), [], spin_stats, frozenset()).shape == (0, len(TOKEN_FEATURES) + len(probe.EXTRA))


"""Slot-context statistics of the spin tagger (``spin_model.learn_slots`` and the
``slot_*``, ``left2_*``, ``right2_*``, ``skip_*`` token features)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from qualityscore.signals.spin_model import (
    SLOT_CONTEXTS,
    TOKEN_FEATURES,
    HealthStats,
    candidate_positions,
    learn_slots,
    token_features,
)
from qualityscore.text import Doc

CLEAN = [
    "Ask your health care provider about the test. A health care provider can explain it.",
    "Your health care provider may order blood tests. Call a health care provider today.",
    "The health care provider checks your blood pressure. See a health care provider soon.",
]


def _row(text: str, word: str, stats: HealthStats, nth: int = 0) -> dict[str, float]:
    doc = Doc(text)
    pos = candidate_positions(doc)
    X = token_features(doc, pos, stats, frozenset())
    rows = [dict(zip(TOKEN_FEATURES, r, strict=True)) for k, r in zip(pos, X, strict=True)
            if doc.tokens[k].lower == word]
    return rows[nth]


@pytest.fixture(scope="module")
def stats() -> HealthStats:
    return HealthStats.learn(CLEAN * 2)


def test_a_word_that_does_not_fill_a_predictable_slot_stands_out(stats: HealthStats) -> None:
    spun = _row("Ask your health worry provider about the test.", "worry", stats)
    clean = _row("Ask your health care provider about the test.", "care", stats)
    # "health ___ provider" is always "care" in the clean text: worry never fills it.
    assert spun["slot_log_count"] == clean["slot_log_count"] > np.log1p(3)
    assert spun["slot_top_share"] == clean["slot_top_share"] == 1.0
    assert spun["slot_word_share"] == 0.0 and clean["slot_word_share"] == 1.0
    assert spun["slot_top_over_word"] == 1.0 and clean["slot_top_over_word"] == 0.0
    # The two words before it ("your health") are a context too.
    assert spun["left2_top_over_word"] > 0.0 and clean["left2_word_share"] > 0.0


def test_unknown_context_is_marked_apart_from_a_filled_one(stats: HealthStats) -> None:
    row = _row("Quantum zebra marmalade provider ideas.", "marmalade", stats)
    for name in SLOT_CONTEXTS:
        assert row[f"{name}_log_count"] == 0.0
        assert row[f"{name}_top_over_word"] == -1.0


def test_contexts_never_reach_across_a_sentence_end(stats: HealthStats) -> None:
    joined = _row("Ask your health care provider.", "care", stats)
    broken = _row("Ask your health. Care provider.", "care", stats)
    assert joined["slot_log_count"] > 0
    assert broken["slot_log_count"] == 0.0 and broken["slot_top_over_word"] == -1.0


def test_token_features_have_a_column_per_name(stats: HealthStats) -> None:
    doc = Doc(CLEAN[0])
    pos = candidate_positions(doc)
    assert token_features(doc, pos, stats, frozenset()).shape == (len(pos), len(TOKEN_FEATURES))
    assert token_features(doc, pos, HealthStats(), frozenset()).shape == (len(pos), len(TOKEN_FEATURES))


def _brute_force(docs, n, offsets, min_slot, min_triple):  # type: ignore[no-untyped-def]
    """Contexts, their top fillers and word-in-context triples, one position at a time."""
    o1, o2 = offsets
    lo, hi = min(o1, 0), max(o2, 0)
    ctx, fill = Counter(), Counter()
    for ids, seg in docs:
        for k in range(-lo, len(ids) - hi):
            if seg[k + lo] != seg[k + hi]:
                continue
            a, b, c = ids[k + o1], ids[k], ids[k + o2]
            if a < 0 or c < 0:
                continue
            ctx[(a, c)] += 1
            if b >= 0:
                fill[(a, b, c)] += 1
    top = Counter()
    for (a, _, c), m in fill.items():
        top[(a, c)] = max(top[(a, c)], m)
    kept = {key: (m, top[key]) for key, m in ctx.items() if m >= min_slot}
    order = sorted((o1, 0, o2))
    words = {}
    for (a, b, c), m in fill.items():
        if m >= min_triple:
            by = {o1: a, 0: b, o2: c}
            x, y, z = (by[o] for o in order)
            words[(x * n + y) * n + z] = m
    return kept, words


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learn_slots_matches_a_position_by_position_count(seed: int) -> None:
    rng = random.Random(seed)
    n = 6  # a tiny vocabulary, so that contexts repeat; -1 is a word outside it
    docs = []
    for _ in range(30):
        length = rng.randint(0, 25)
        ids = np.asarray([rng.randint(-1, n - 1) for _ in range(length)], dtype=np.int64)
        seg = np.cumsum([rng.random() < 0.15 for _ in range(length)]).astype(np.int64)
        docs.append((ids, seg))
    tables = learn_slots(docs, n, min_slot_count=2, min_triple_count=2)
    for name, offsets in SLOT_CONTEXTS.items():
        kept, words = _brute_force(docs, n, offsets, 2, 2)
        keys = tables[f"slot.{name}.keys"].tolist()
        got = {(k // n, k % n): (m, t) for k, m, t in zip(keys, tables[f"slot.{name}.counts"].tolist(),
                                                          tables[f"slot.{name}.top"].tolist(), strict=True)}
        assert keys == sorted(keys)
        assert got == kept, name
        pattern = "".join(map(str, sorted(np.asarray(sorted((*offsets, 0))) - min(*offsets, 0))))
        wk = tables[f"words.{pattern}.keys"].tolist()
        assert dict(zip(wk, tables[f"words.{pattern}.counts"].tolist(), strict=True)) == words, name


def test_slot_tables_survive_to_plain_and_back(stats: HealthStats) -> None:
    back = HealthStats.from_plain(stats.to_plain())
    assert back.slots.keys() == stats.slots.keys() and back.slots
    doc = Doc("Ask your health worry provider about the test.")
    pos = candidate_positions(doc)
    np.testing.assert_array_equal(token_features(doc, pos, back, frozenset()),
                                  token_features(doc, pos, stats, frozenset()))


def test_a_vocabulary_too_large_for_the_keys_is_refused_not_overflowed() -> None:
    with pytest.raises(ValueError, match="too large"):
        learn_slots([], 2_097_152)  # 2^21 words: (x * n + y) * n + z would pass 2^63
    assert learn_slots([], 2_097_151)["slot.slot.keys"].size == 0

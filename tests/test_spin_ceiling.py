"""The operating-point ceiling of evaluation/spin_heldout.py against a brute-force search."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script


@pytest.fixture(scope="module")
def ceiling():  # type: ignore[no-untyped-def]
    return evaluation_script("spin_heldout").tagger_ceiling


def _brute(clean, spans, fpr_max=0.05, flags_max=1.0, floor=0.02, peak=False):  # type: ignore[no-untyped-def]
    """``spans``: (page mean, page highest, best word) per substitution."""
    words = sum(w for _, w in clean)
    best = 0.0
    means = [float(p.max() if peak else p.mean()) for p, _ in clean]
    spans = [(x if peak else m, b) for m, x, b in spans]
    for g in [0.0] + [m + 1e-12 for m in means]:
        for t in np.round(np.arange(floor, 1.0, 0.01), 2):
            on = [p for (p, _), m in zip(clean, means, strict=True) if m >= g]
            fp = sum(bool((p >= t).any()) for p in on) / len(clean)
            flags = 2000 * sum(int((p >= t).sum()) for p in on) / words
            if fp <= fpr_max and flags < flags_max:
                best = max(best, float(np.mean([m >= g and b >= t for m, b in spans])))
    return best


def test_separable_pages_reach_full_recall(ceiling) -> None:  # type: ignore[no-untyped-def]
    clean = [(np.full(50, 0.05), 200) for _ in range(40)]
    spans = [(0.3, 0.9, 0.9)] * 10
    out = ceiling(clean, spans)
    assert out["span_recall"] == 1.0
    assert out["doc_fpr"] == 0.0 and out["threshold"] <= 0.9


def _random_spans(rng, n=80):  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        best = float(rng.beta(1.2, 1.5))
        out.append((float(rng.uniform(0.02, 0.2)), max(best, float(rng.beta(3, 1))), best))
    return out


@pytest.mark.parametrize("gate_on", ["mean", "peak"])
def test_matches_brute_force_and_keeps_the_targets(ceiling, gate_on) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    clean = [(rng.beta(0.4, 6, size=int(rng.integers(20, 60))), 250) for _ in range(60)]
    spans = _random_spans(rng)
    out = ceiling(clean, spans, gate_on=gate_on)
    assert out["span_recall"] == pytest.approx(_brute(clean, spans, peak=gate_on == "peak"))
    assert 0 < out["span_recall"] < 1
    assert out["doc_fpr"] <= 0.05 and out["flags_per_2000_words"] < 1.0


def test_the_peak_gate_reads_the_pages_highest_probability(ceiling) -> None:  # type: ignore[no-untyped-def]
    """Clean pages with one middling word (0.6) and spun pages whose substitution gets only
    0.5 but which hold one glaring word (0.95): no gate on the mean keeps the clean pages'
    0.6 out without the spun pages, so no cut below it qualifies; a gate on the highest
    word keeps them out, and then any cut does."""
    clean = [(np.array([0.6] + [0.05] * 49), 200) for _ in range(40)]
    spans = [(0.05, 0.95, 0.5)] * 10  # a lower mean than any clean page's
    assert ceiling(clean, spans)["span_recall"] == 0.0
    peak = ceiling(clean, spans, gate_on="peak")
    assert peak["span_recall"] == 1.0 and 0.6 < peak["page_gate"] <= 0.95


def test_a_floor_on_the_cut_is_kept_and_matches_brute_force(ceiling) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    clean = [(rng.beta(0.4, 6, size=int(rng.integers(20, 60))), 250) for _ in range(60)]
    spans = _random_spans(rng)
    free, floored = ceiling(clean, spans), ceiling(clean, spans, min_threshold=0.5)
    assert floored["threshold"] >= 0.5
    assert floored["span_recall"] == pytest.approx(_brute(clean, spans, floor=0.5))
    assert floored["span_recall"] <= free["span_recall"]


def test_precision_on_spun_pages_counts_substituted_words_among_those_flagged(ceiling) -> None:  # type: ignore[no-untyped-def]
    clean = [(np.full(50, 0.05), 200) for _ in range(40)]
    # Two spun pages: on each, the one substituted word and one other word reach 0.9.
    probs = np.array([0.9, 0.9, 0.3, 0.3])
    spun = [(probs, np.array([True, False, False, False]))] * 2
    spans = [(float(probs.mean()), 0.9, 0.9)] * 2
    out = ceiling(clean, spans, spun=spun)
    assert out["span_recall"] == 1.0 and out["threshold"] <= 0.3
    # The lowest qualifying cut (0.06) flags all four words of each page: one in four is substituted.
    assert out["precision_on_spun_pages"] == pytest.approx(0.25)
    high = ceiling(clean, spans, spun=spun, min_threshold=0.5)
    assert high["precision_on_spun_pages"] == pytest.approx(0.5)
    assert "precision_on_spun_pages" not in ceiling(clean, spans)

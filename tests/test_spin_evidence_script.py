"""evaluation/spin_evidence.py: the page-bootstrap interval of a rule's findings per 1,000 words,
and which operating tier makes a tagger flag."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script


@pytest.fixture(scope="module")
def evidence():  # type: ignore[no-untyped-def]
    return evaluation_script("spin_evidence")


def test_the_interval_holds_the_rate_and_is_zero_wide_when_every_page_agrees(evidence) -> None:  # type: ignore[no-untyped-def]
    words = np.full(50, 200)
    assert evidence.rate_interval(np.ones(50, dtype=np.int64), words) == (5.0, 5.0)
    per_page = np.r_[np.ones(10), np.zeros(40)].astype(np.int64)
    lo, hi = evidence.rate_interval(per_page, words)
    assert lo < 1.0 < hi  # 10 findings over 10,000 words


def test_findings_bunched_on_few_pages_give_a_wider_interval(evidence) -> None:  # type: ignore[no-untyped-def]
    words = np.full(100, 200)
    spread = np.r_[np.ones(20), np.zeros(80)].astype(np.int64)  # 20 findings on 20 pages
    bunched = np.r_[np.full(5, 4), np.zeros(95)].astype(np.int64)  # 20 findings on 5 pages
    (a, b), (c, d) = evidence.rate_interval(spread, words), evidence.rate_interval(bunched, words)
    assert d - c > 1.5 * (b - a)


def test_no_pages_no_interval(evidence) -> None:  # type: ignore[no-untyped-def]
    assert evidence.rate_interval(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) == (0.0, 0.0)


def test_each_flag_is_put_down_to_the_tier_whose_cut_it_passes(evidence) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.signals.spin import SpinResources

    res = SpinResources(tagger_threshold=0.85, tagger_page_gate=0.03, tagger_strong_gate=0.05,
                        tagger_strong_threshold=0.74, tagger_peak_gate=0.98, tagger_peak_threshold=0.25)
    assert evidence.tier_of(res, 0.9, mean=0.04, peak=0.9) == "first"  # under the strong gate
    assert evidence.tier_of(res, 0.8, mean=0.04, peak=0.9) is None
    assert evidence.tier_of(res, 0.8, mean=0.06, peak=0.9) == "strong"  # the strong gate lowers the cut
    assert evidence.tier_of(res, 0.9, mean=0.06, peak=0.9) == "strong"
    assert evidence.tier_of(res, 0.3, mean=0.06, peak=0.99) == "peak"  # only the peak tier reaches 0.3
    assert evidence.tier_of(res, 0.9, mean=0.01, peak=0.99) == "peak"  # no mean tier: the peak's
    assert evidence.tier_of(res, 0.2, mean=0.06, peak=0.99) is None
    assert evidence.tier_of(res, 0.99, mean=0.01, peak=0.5) is None  # no gate opens

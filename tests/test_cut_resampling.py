"""evaluation/cut_resampling.py: a cut set on resampled pages, and training's rule untouched."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.model import tagger


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return evaluation_script("cut_resampling")


def _pages() -> list[tuple[np.ndarray, int]]:
    rng = np.random.default_rng(1)
    pages = [(rng.uniform(0, 0.6, 20), 200) for _ in range(40)]
    pages[3] = (np.r_[np.full(4, 0.95), rng.uniform(0, 0.6, 16)], 200)  # one page's bunched flags
    return pages


def test_without_a_quantile_it_is_training_s_cut(probe) -> None:  # type: ignore[no-untyped-def]
    pages = _pages()
    kw = {"gate": 0.0, "flags_per_2000_words": 1.0, "floor": 0.2}
    assert probe.resampled_cut(None)(pages, **kw) == tagger.budget_cut(pages, **kw)


def test_a_high_quantile_holds_the_budget_on_draws_that_repeat_the_bunched_page(probe) -> None:  # type: ignore[no-untyped-def]
    pages = _pages()
    kw = {"gate": 0.0, "flags_per_2000_words": 1.0, "floor": 0.2}  # 8,000 words: 4 flags allowed
    plain = tagger.budget_cut(pages, **kw)
    assert plain < 0.95  # the four bunched words fit the budget exactly, so the cut falls below them
    high = probe.resampled_cut(0.9)(pages, **kw)
    assert high > plain  # draws holding that page twice need a cut above its words
    assert probe.resampled_cut(0.1)(pages, **kw) <= plain


def test_tiers_with_restores_training_s_rule(probe) -> None:  # type: ignore[no-untyped-def]
    pages = _pages()
    plain = tagger.budget_cut
    probe.tiers_with(0.8, pages, [pages])
    assert tagger.budget_cut is plain
    assert probe.tiers_with(None, pages, [pages]) == tagger.operating_point(pages, [pages])


def test_shipped_mode_without_corpora_says_so(probe, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path / "absent"))
    out = tmp_path / "report.json"
    assert probe.main(["shipped", "--out", str(out)]) == 0
    assert "nothing to evaluate" in capsys.readouterr().err
    assert not out.exists()

"""evaluation/context_text_probe.py: what text it adds, and that it skips without the corpora."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.model import corpora

DATA = corpora.default_data_dir()


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return evaluation_script("context_text_probe")


def test_without_corpora_it_says_so_and_writes_nothing(probe, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path / "absent"))
    out = tmp_path / "context.npz"
    assert probe.main(["train", "healthstory", str(out)]) == 0
    assert "nothing to train a context model on" in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_register_is_refused(probe, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown extra text"):
        probe.extra_texts(tmp_path, "wikipedia")
    with pytest.raises(SystemExit):  # argparse: not among the choices
        probe.main(["train", "wikipedia", str(tmp_path / "x.npz")])


@pytest.mark.skipif(not (DATA / "healthstory").is_dir(), reason="needs ../shared/data/healthstory")
def test_healthstory_text_leaves_out_every_story_the_evaluations_read(probe) -> None:  # type: ignore[no-untyped-def]
    stories = list(corpora.healthstory(DATA))
    added = set(probe.extra_texts(DATA, "healthstory"))
    evaluated = {s.content for s in stories if (s.rating or 0) >= 4}
    assert added and evaluated
    assert not added & evaluated
    assert added == {s.content for s in stories} - evaluated


def _pages(rng, n: int, raised: int, lift: float, peak: float) -> list[tuple[np.ndarray, int]]:  # type: ignore[no-untyped-def]
    """Clean pages' token probabilities (as ``tagger.page_probabilities`` gives them), 200
    words a page: low everywhere, and on the first ``raised`` pages a higher mean and one
    word at ``peak``."""
    pages = []
    for i in range(n):
        p = rng.uniform(0.0, 0.02, size=60)
        if i < raised:
            p += lift + rng.uniform(0.0, 0.005)
            p[0] = peak
        pages.append((p, 200))
    return pages


def test_the_set_whose_pages_read_most_spun_sets_the_first_tiers_cut(probe) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.model.tagger import operating_point

    rng = np.random.default_rng(0)
    # 5% of the 600 pages pass the gate: the summaries' 20 raised pages and half the NIH answers'.
    held = _pages(rng, 200, raised=20, lift=0.05, peak=0.7)
    news = _pages(rng, 200, raised=0, lift=0.0, peak=0.0)
    summaries = _pages(rng, 200, raised=20, lift=0.06, peak=0.9)
    row = probe.binding_sets([{"calibration": (held, [news, summaries])}])[0]
    assert row["cochrane_summaries"]["past_gate"] == 0.1 and row["nih_held_back"]["past_gate"] == 0.05
    assert row["news"]["past_gate"] == 0.0 and row["news"]["cut"] == 0.5  # never gated: the floor
    # 8 flags allowed a set (0.4 per 2,000 words): each cut sits just past its set's peak words.
    assert row["cochrane_summaries"]["cut"] == 0.9 and row["nih_held_back"]["cut"] == 0.7
    assert round(operating_point(held, [news, summaries])["tagger_threshold"], 3) == row["cochrane_summaries"]["cut"]

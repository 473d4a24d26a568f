"""Shared fixtures. Every text here is written by this project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from qs_testkit import EXAMPLES


@pytest.fixture(scope="session")
def scorer():
    """The shipped model, loaded once for the whole run."""
    from qualityscore import Scorer

    return Scorer.load()


@pytest.fixture(scope="session")
def spin_stats(scorer):  # type: ignore[no-untyped-def]
    """The shipped model's clean-health statistics (with its model of words in context)."""
    spin = next(f for f in scorer.signals.families if type(f).__name__ == "SpinSignals")
    if spin.spin_resources.stats.context is None:
        pytest.skip("the shipped model has no context model")
    return spin.spin_resources.stats


@pytest.fixture(scope="session")
def spun_html() -> str:
    return (EXAMPLES / "spun-remedy.html").read_text("utf-8")


@pytest.fixture(scope="session")
def leaflet_text() -> str:
    return (EXAMPLES / "leaflet.txt").read_text("utf-8")


@dataclass(frozen=True)
class SondhiRun:
    """Sondhi's pages, each extracted and scored once (index i of each tuple is one page)."""

    samples: tuple[Any, ...]  # corpora.Sample, in corpus order
    pages: tuple[Any, ...]  # the extracted Page
    results: tuple[Any, ...]  # its Result from score_pages_isolated([page])
    analyses: tuple[Any, ...]  # the signal Analysis that scoring made; None if refused before analysis


@pytest.fixture(scope="session")
def sondhi_run(scorer) -> SondhiRun:  # type: ignore[no-untyped-def]
    """All of Sondhi's pages extracted and scored once for the whole run, one page per
    ``score_pages_isolated`` call, recording the analysis each scoring made.

    Needs ../shared/data/sondhi: request it only from tests that skip without the corpus.
    extract/test_sondhi_corpus.py checks every page scores; test_evidence_direction.py
    counts which rules quote evidence on reliable and unreliable pages. Each used to extract
    (~13 s) and analyse (~22 s) all 360 pages itself. Recording changes nothing: the wrapper
    passes each call through to the real ``SignalSet.analyze`` and returns its result.
    """
    from qualityscore.extract.sources import page_from_string
    from qualityscore.model.corpora import default_data_dir, sondhi

    samples = tuple(sondhi(default_data_dir()))
    real = scorer.signals.analyze
    made: list[tuple[Any, Any]] = []

    def recording(page):  # type: ignore[no-untyped-def]
        analysis = real(page)
        made.append((page, analysis))
        return analysis

    pages, results, analyses = [], [], []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scorer.signals, "analyze", recording)
        for s in samples:
            page = page_from_string(s.content, source=s.id, is_html=True)
            made.clear()
            results.append(scorer.score_pages_isolated([page])[0])
            assert len(made) <= 1 and all(p is page for p, _ in made), s.id
            pages.append(page)
            analyses.append(made[0][1] if made else None)
    return SondhiRun(samples, tuple(pages), tuple(results), tuple(analyses))

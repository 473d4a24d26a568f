"""All 360 Sondhi pages extract and score without a crash (skipped without the corpus)."""

from __future__ import annotations

import pytest

from qualityscore.model.corpora import default_data_dir

DATA = default_data_dir()
pytestmark = pytest.mark.skipif(
    not (DATA / "sondhi").is_dir(), reason=f"Sondhi corpus not found under {DATA}"
)


def test_every_sondhi_page_extracts_and_scores(sondhi_run) -> None:  # type: ignore[no-untyped-def]
    # sondhi_run (tests/conftest.py) extracts each page with
    # page_from_string(s.content, source=s.id, is_html=True) and scores it alone with
    # scorer.score_pages_isolated([page]), once per session (test_evidence_direction.py
    # reads the same run's analyses).
    samples = sondhi_run.samples
    assert len(samples) == 360
    empty = 0
    for s, page, result in zip(samples, sondhi_run.pages, sondhi_run.results, strict=True):
        if not page.text.strip():
            # Nothing visible to read: refused as input.empty, never scored.
            empty += 1
            assert result.error is not None and result.error.type == "input.empty", s.id
            continue
        assert result.error is None and 0 <= result.score <= 100, s.id
    # Reported in the README ("share of pages whose extracted text is empty").
    print(f"\nsondhi: {len(samples)} pages, {empty} with empty extracted text ({empty / len(samples):.1%})")
    assert empty / len(samples) < 0.05

"""Shared fixtures. Every text here is written by this project."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "labeled" / "examples"


@pytest.fixture(scope="session")
def scorer():
    """The shipped model, loaded once for the whole run."""
    from qualityscore import Scorer

    return Scorer.load()


@pytest.fixture(scope="session")
def spun_html() -> str:
    return (EXAMPLES / "spun-remedy.html").read_text("utf-8")


@pytest.fixture(scope="session")
def leaflet_text() -> str:
    return (EXAMPLES / "leaflet.txt").read_text("utf-8")


def assert_offsets_round_trip(text: str, findings) -> None:  # type: ignore[no-untyped-def]
    for f in findings:
        assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start : f.end] == f.text, f
        assert f.rule.startswith(f.family + "."), f

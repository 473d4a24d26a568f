"""Shared fixtures. Every text here is written by this project."""

from __future__ import annotations

import pytest
from qs_testkit import EXAMPLES


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

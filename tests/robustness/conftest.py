"""Fixtures for the robustness suite.

hypothesis keeps its caches (character tables, constants) in the system's temporary
folder, not in the repository; its example database is off (see test_properties.py).

Predictions run on one thread here. scikit-learn's gradient-boosted trees predict through
an OpenMP pool; on a busy machine waking that pool for a one-row prediction can take
seconds instead of a millisecond, which would turn these tests' time bounds (and the
hypothesis runs) into a measure of the machine's load rather than of our code.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "qualityscore-hypothesis")


@pytest.fixture(autouse=True, scope="module")
def _one_prediction_thread() -> Iterator[None]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

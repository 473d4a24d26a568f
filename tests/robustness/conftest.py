"""Fixtures for the robustness suite.

Predictions run on one thread here. scikit-learn's gradient-boosted trees predict through
an OpenMP pool; on a busy machine waking that pool for a one-row prediction can take
seconds instead of a millisecond, which would turn these tests' time bounds (and the
hypothesis runs) into a measure of the machine's load rather than of our code.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_prediction_thread() -> Iterator[None]:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

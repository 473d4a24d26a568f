"""Fixtures for the batch tests. Helpers live in batch_testkit.py (imported by name)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# pytest's pythonpath has tests/, not tests/batch/: make batch_testkit importable.
sys.path.insert(0, str(Path(__file__).parent))

from batch_testkit import make_records, read_rows, run_batch, write_jsonl


@pytest.fixture(scope="session")
def records() -> list[dict[str, Any]]:
    return make_records(24)


@pytest.fixture(scope="session")
def queue_jsonl(tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]]) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("queue") / "queue.jsonl", records)


@pytest.fixture(scope="session")
def reference_rows(
    tmp_path_factory: pytest.TempPathFactory, queue_jsonl: Path
) -> list[dict[str, Any]]:
    """A clean local run over ``queue_jsonl``, the yardstick for the other runs."""
    out = tmp_path_factory.mktemp("reference") / "reference.jsonl"
    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5")
    assert res.exit_code == 0, res.output
    return read_rows(out)

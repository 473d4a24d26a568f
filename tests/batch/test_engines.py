"""The local engine with 1 and 2 workers and the Dask engine give the same rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from batch_testkit import key_values, read_rows, run_batch

from qualityscore.batch import worker


def test_two_local_workers_match_one(
    tmp_path: Path, queue_jsonl: Path, reference_rows: list[dict[str, Any]]
) -> None:
    out = tmp_path / "out.jsonl"
    res = run_batch(str(queue_jsonl), "-o", str(out), "--workers", "2", "--chunk-size", "5")
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    assert key_values(rows) == key_values(reference_rows)
    assert rows == reference_rows


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'qualityscore[dask]')",
)
def test_dask_local_cluster_matches_local(
    tmp_path: Path, queue_jsonl: Path, reference_rows: list[dict[str, Any]]
) -> None:
    out = tmp_path / "out.parquet"
    summary = tmp_path / "summary.json"
    # No --scheduler: a LocalCluster of 2 worker processes, 1 thread each.
    res = run_batch(str(queue_jsonl), "-o", str(out), "--engine", "dask", "--workers", "2",
                    "--chunk-size", "5", "--summary-json", str(summary))
    assert res.exit_code == 0, res.output
    assert key_values(read_rows(out)) == key_values(reference_rows)
    assert [r["reasons"] for r in read_rows(out)] == [r["reasons"] for r in reference_rows]
    assert '"engine": "dask"' in summary.read_text("utf-8")


def test_the_model_is_loaded_once_per_process(queue_jsonl: Path, tmp_path: Path) -> None:
    spec_info = worker._load.cache_info()
    for i in range(2):
        assert run_batch(str(queue_jsonl), "-o", str(tmp_path / f"o{i}.jsonl")).exit_code == 0
    after = worker._load.cache_info()
    assert after.misses <= spec_info.misses + 1  # at most one load, however many chunks/runs
    assert after.hits > spec_info.hits

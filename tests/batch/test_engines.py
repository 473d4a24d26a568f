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


def _message_log_length() -> int:
    import dask
    import distributed  # noqa: F401 (loads distributed's config defaults)

    return int(dask.config.get("distributed.admin.low-level-log-length"))


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'qualityscore[dask]')",
)
def test_dask_engine_keeps_few_sent_messages() -> None:
    """dask.distributed keeps the last N messages of every connection (default 1,000), and
    each chunk of records is one: with the default the client/scheduler process grew by
    about 1.3 MB per 1,000 records. The engine keeps a few, everywhere, only while it runs."""
    import dask

    from qualityscore.batch.runner import DASK_MESSAGE_LOG, _DaskEngine

    before = _message_log_length()
    assert before != DASK_MESSAGE_LOG
    engine = _DaskEngine(1, None)
    try:
        assert engine.client.scheduler_comm.recent_message_log.maxlen == DASK_MESSAGE_LOG
        scheduler = engine.cluster.scheduler
        assert all(ws_stream.recent_message_log.maxlen == DASK_MESSAGE_LOG
                   for ws_stream in scheduler.stream_comms.values())
        on_workers = engine.client.run(dask.config.get, "distributed.admin.low-level-log-length")
        assert set(on_workers.values()) == {DASK_MESSAGE_LOG}
    finally:
        engine.close()
    assert dask.config.get("distributed.admin.low-level-log-length") == before


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'qualityscore[dask]')",
)
def test_the_local_clusters_workers_leave_ctrl_c_to_the_parent() -> None:
    """Ctrl-C reaches every process of the terminal's group: the workers ignore it and the
    parent stops the run (one line, exit 130), as with the local engine. Before, each Dask
    worker process printed its own tracebacks (80-odd lines) while the cluster closed."""
    import signal

    from qualityscore.batch.runner import _DaskEngine

    engine = _DaskEngine(1, None)
    try:
        handlers = engine.client.run(signal.getsignal, signal.SIGINT)
    finally:
        engine.close()
    assert handlers and set(handlers.values()) == {signal.SIG_IGN}


@pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'qualityscore[dask]')",
)
def test_dask_engine_warns_about_a_cluster_it_did_not_start() -> None:
    """An external cluster keeps its own setting: the engine cannot change it, so it says
    which processes keep a long message log and what to start them with."""
    import logging

    import dask
    from distributed import LocalCluster

    from qualityscore.batch.runner import DASK_MESSAGE_LOG, _DaskEngine

    for length, warned in ((1000, True), (DASK_MESSAGE_LOG, False)):
        with dask.config.set({"distributed.admin.low-level-log-length": length}), LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster:
            engine = _DaskEngine(1, cluster.scheduler_address)
            try:
                warnings = engine.warnings
            finally:
                engine.close()
        assert bool(warnings) is warned, warnings
        if warned:
            assert "low-level-log-length=1000" in warnings[0]
            assert f"DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH={DASK_MESSAGE_LOG}" in warnings[0]


def test_engine_warnings_reach_the_summary() -> None:
    from qualityscore.batch.summary import Summary

    s = Summary(info={"output": "o.jsonl", "warnings": ["the scheduler keeps 1000 messages"]})
    assert "  warning     the scheduler keeps 1000 messages" in s.to_text().splitlines()
    assert s.to_dict()["warnings"] == ["the scheduler keeps 1000 messages"]
    assert "warning" not in Summary(info={"output": "o.jsonl"}).to_text()

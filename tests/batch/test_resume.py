"""Crash safety: a run killed at any point resumes to exactly one row per record."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from batch_testkit import key_values, make_records, read_rows, run_batch, write_jsonl

from qualityscore.batch import parts as parts_module

KILL_RECORDS = 240
KILL_CHUNK = "10"
KILL_TIMEOUT_S = 180


def _parts(output: Path) -> list[Path]:
    d = output.with_name(output.name + ".parts")
    return sorted(d.glob("part-*.jsonl")) if d.is_dir() else []


@pytest.fixture(scope="module")
def big_queue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("kill") / "queue.jsonl", make_records(KILL_RECORDS))


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory: pytest.TempPathFactory, big_queue: Path) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("clean") / "clean.jsonl"
    assert run_batch(str(big_queue), "-o", str(out), "--chunk-size", KILL_CHUNK).exit_code == 0
    return read_rows(out)


def test_sigkill_then_resume(tmp_path: Path, big_queue: Path, clean_rows: list[dict[str, Any]]) -> None:
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-c", "from qualityscore.cli import main; main()", "batch",
           str(big_queue), "-o", str(out), "--chunk-size", KILL_CHUNK]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while not _parts(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)  # a real kill: no cleanup code runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = _parts(out)
    assert 1 <= len(done) < KILL_RECORDS // int(KILL_CHUNK)
    assert not out.exists(), "a killed run must not leave an output that looks complete"

    res = run_batch(str(big_queue), "-o", str(out), "--chunk-size", "99")
    assert res.exit_code == 2 and "--resume" in res.stderr  # refuses to start over silently
    res = run_batch(str(big_queue), "-o", str(out), "--chunk-size", "99", "--resume")
    assert res.exit_code == 2 and "chunk_size" in res.stderr  # different run: refuses

    summary = tmp_path / "summary.json"
    res = run_batch(str(big_queue), "-o", str(out), "--chunk-size", KILL_CHUNK, "--resume",
                    "--summary-json", str(summary))
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    ids = [r["id"] for r in rows]
    assert ids == [f"q{i:04d}" for i in range(KILL_RECORDS)]  # none lost, none twice, in order
    assert key_values(rows) == key_values(clean_rows)
    assert rows == clean_rows
    s = json.loads(summary.read_text("utf-8"))
    assert s["records"] == KILL_RECORDS and s["resumed_chunks"] >= len(done)
    assert not out.with_name(out.name + ".parts").exists()


def test_sigterm_stops_like_ctrl_c_then_resume(
    tmp_path: Path, big_queue: Path, clean_rows: list[dict[str, Any]]
) -> None:
    """A scheduler's or container's stop (SIGTERM to the process): one line that says how
    to go on, exit 143 (128 + SIGTERM), the finished chunks kept; --resume completes it."""
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-c", "from qualityscore.cli import main; main()", "batch",
           str(big_queue), "-o", str(out), "--chunk-size", KILL_CHUNK]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while not _parts(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run finished before it could be stopped"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, stderr
    assert "terminated (SIGTERM)" in stderr and "--resume" in stderr and "Traceback" not in stderr
    assert _parts(out) and not out.exists()
    res = run_batch(str(big_queue), "-o", str(out), "--chunk-size", KILL_CHUNK, "--resume")
    assert res.exit_code == 0, res.output
    assert read_rows(out) == clean_rows


class _Crash(Exception):
    pass


def test_crash_after_some_parts_then_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]],
    queue_jsonl: Path, reference_rows: list[dict[str, Any]],
) -> None:
    out = tmp_path / "out.parquet"
    real_write = parts_module.PartStore.write
    calls = {"n": 0}

    def write_then_crash(self, index, digest, rows):  # type: ignore[no-untyped-def]
        if calls["n"] == 2:
            # Leave what a kill during a write leaves: a half-written temporary file.
            (self.directory / f"part-{index:08d}-{digest}.parquet.tmp-1").write_bytes(b"PAR1")
            raise _Crash
        calls["n"] += 1
        real_write(self, index, digest, rows)

    monkeypatch.setattr(parts_module.PartStore, "write", write_then_crash)
    with pytest.raises(_Crash):
        run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--keep", "n")
    assert not out.exists()
    monkeypatch.setattr(parts_module.PartStore, "write", real_write)
    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--keep", "n",
                    "--resume")
    assert res.exit_code == 0, res.output
    assert "resumed     2 of 5 chunks" in res.stderr
    rows = read_rows(out)
    assert key_values(rows) == key_values(reference_rows)
    assert [r["n"] for r in rows] == [r["n"] for r in records]


def test_crash_between_rename_and_cleanup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queue_jsonl: Path,
    reference_rows: list[dict[str, Any]],
) -> None:
    out = tmp_path / "out.csv"

    def crash(path: Any) -> None:
        raise _Crash

    monkeypatch.setattr(parts_module.shutil, "rmtree", crash)
    with pytest.raises(_Crash):
        run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5")
    monkeypatch.undo()
    assert out.exists() and out.with_name("out.csv.parts").is_dir()
    # A stale temporary output from an earlier kill does not matter either.
    out.with_name("out.csv.tmp").write_text("partial", "utf-8")
    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--resume")
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in read_rows(out)] == [r["id"] for r in reference_rows]
    assert not out.with_name("out.csv.parts").exists()


def _crash_after(monkeypatch: pytest.MonkeyPatch, n_parts: int) -> None:
    """Make the next run die (like a kill) after writing ``n_parts`` parts."""
    real_write = parts_module.PartStore.write
    calls = {"n": 0}

    def write(self, index, digest, rows):  # type: ignore[no-untyped-def]
        if calls["n"] == n_parts:
            raise _Crash
        calls["n"] += 1
        real_write(self, index, digest, rows)

    monkeypatch.setattr(parts_module.PartStore, "write", write)


def test_a_new_run_keeps_the_previous_output_until_it_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queue_jsonl: Path,
    reference_rows: list[dict[str, Any]],
) -> None:
    """A rerun killed half-way must not cost the results of the run before it."""
    out = tmp_path / "out.jsonl"
    assert run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5").exit_code == 0
    before = out.read_bytes()
    previous = parts_module.previous_output_for(out)

    _crash_after(monkeypatch, 2)
    with pytest.raises(_Crash):  # a new run (other options) dies after two chunks
        run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--reasons", "1")
    monkeypatch.undo()
    assert not out.exists(), "OUTPUT must not hold another run's results while this one is unfinished"
    assert previous.read_bytes() == before
    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--reasons", "1")
    assert res.exit_code == 2 and previous.name in res.stderr  # deleting the folder would lose it

    def interrupt(self, index, digest, rows):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(parts_module.PartStore, "write", interrupt)
    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--reasons", "1", "--resume")
    monkeypatch.undo()
    assert res.exit_code == 130 and str(previous) in res.stderr
    assert previous.read_bytes() == before

    res = run_batch(str(queue_jsonl), "-o", str(out), "--chunk-size", "5", "--reasons", "1", "--resume")
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    assert key_values(rows) == key_values(reference_rows)
    assert all(len(r["reasons"]) <= 1 for r in rows)
    assert not out.with_name(out.name + ".parts").exists()  # the previous output went with it


def test_resume_refuses_a_changed_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out.jsonl"
    _crash_after(monkeypatch, 3)
    with pytest.raises(_Crash):
        run_batch(str(src), "-o", str(out), "--chunk-size", "5")
    monkeypatch.undo()
    assert not out.exists() and len(_parts(out)) == 3
    changed = [dict(r) for r in records]
    changed[0]["text"] = "A different first record about sleep and rest."
    write_jsonl(src, changed)
    res = run_batch(str(src), "-o", str(out), "--chunk-size", "5", "--resume")
    assert res.exit_code == 2 and "different run" in res.stderr and "input" in res.stderr


def test_resume_from_stdin_checks_each_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]],
    reference_rows: list[dict[str, Any]],
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", records).read_bytes()
    out = tmp_path / "out.jsonl"
    _crash_after(monkeypatch, 2)
    with pytest.raises(_Crash):
        run_batch("-", "-o", str(out), "--chunk-size", "5", input=data)
    monkeypatch.undo()
    other = write_jsonl(tmp_path / "other.jsonl", records[::-1]).read_bytes()
    res = run_batch("-", "-o", str(out), "--chunk-size", "5", "--resume", input=other)
    assert res.exit_code == 2 and "chunk 0 of the input differs" in res.stderr
    res = run_batch("-", "-o", str(out), "--chunk-size", "5", "--resume", input=data)
    assert res.exit_code == 0, res.output
    assert key_values(read_rows(out)) == key_values(reference_rows)


def test_engine_and_workers_are_not_part_of_the_manifest(tmp_path: Path) -> None:
    """So a run killed on one engine can be resumed on another (results do not differ)."""
    from dataclasses import replace

    from qualityscore.batch.runner import BatchConfig, _manifest
    from qualityscore.batch.worker import ScorerSpec
    from qualityscore.settings import Settings

    info = {"qualityscore": "x", "model_version": "v", "model_fingerprint": "f",
            "review_below": 50.0, "reject_below": 40.0}
    base = BatchConfig(input="in.jsonl", output=tmp_path / "o.jsonl",
                       spec=ScorerSpec(None, False, Settings()))
    other = replace(base, engine="dask", workers=8, scheduler="tcp://h:8786")
    fingerprint = {"path": "in.jsonl", "size": 1, "head_sha256": "0"}
    assert _manifest(base, "jsonl", "jsonl", fingerprint, info) == _manifest(
        other, "jsonl", "jsonl", fingerprint, info
    )
    changed = replace(base, observe_only=True)
    assert _manifest(changed, "jsonl", "jsonl", fingerprint, info) != _manifest(
        base, "jsonl", "jsonl", fingerprint, info
    )

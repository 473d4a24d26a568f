"""Queues as real exports make them: a CSV quote never closed, bytes that are not UTF-8,
an input that is a pipe, an output that is a device or a link, damaged Parquet, and option
mistakes. Each case here was found by an audit that tried to break `batch` (2026-11-22);
before the fix, the first four lost or could not write rows."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from batch_testkit import GOOD, SPUN, make_records, read_rows, run_batch, write_jsonl, write_parquet


def test_an_unclosed_csv_quote_loses_no_row_after_it(tmp_path: Path) -> None:
    """A text that starts with a quote and never closes it used to take every later row
    into its field: 10 rows out of 30, exit 0."""
    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as f:
        f.write("id,text\n")
        for i in range(30):
            text = GOOD if i % 2 else SPUN
            f.write(f'r{i:02d},"{text}"\n' if i != 9 else f'r{i:02d},"{text} and no closing quote\n')
    out = tmp_path / "out.jsonl"
    res = run_batch(str(src), "-o", str(out))
    assert res.exit_code == 2, res.output
    rows = read_rows(out)
    assert len(rows) == 30
    assert [r["id"] for r in rows] == [f"r{i:02d}" for i in range(30) if i != 9][:9] + ["row:10"] + [
        f"r{i:02d}" for i in range(10, 30)
    ]
    bad = rows[9]
    assert bad["error_type"] == "record.bad_csv" and bad["decision"] is None
    assert "not closed" in bad["error_message"]
    assert all(r["error_type"] is None for i, r in enumerate(rows) if i != 9)


def test_an_unclosed_quote_at_the_end_of_unquoted_rows(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    lines = ["id,text"] + [f"u{i},Plain unquoted text number {i} about sleep and mood" for i in range(12)]
    lines[5] = 'u4,"This one opens a quote and never closes it'
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    run_batch(str(src), "-o", str(out), "--min-words", "0")
    rows = read_rows(out)
    assert [r["id"] for r in rows] == [f"u{i}" for i in range(4)] + ["row:5"] + [f"u{i}" for i in range(5, 12)]


def test_quoted_newlines_and_doubled_quotes_are_still_one_row(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text\nm1,"First line.\nSecond ""quoted"" line.\n' + GOOD + '"\nm2,"' + SPUN + '"\n')
    out = tmp_path / "out.jsonl"
    assert run_batch(str(src), "-o", str(out)).exit_code == 0
    assert [r["id"] for r in read_rows(out)] == ["m1", "m2"]


def test_bytes_that_are_not_utf8_in_ids_and_kept_columns_are_written(tmp_path: Path) -> None:
    """A Windows-1252 id in a CSV, or a lone surrogate in JSON, used to stop the job with a
    traceback at writing, and --resume failed the same way every time."""
    src = tmp_path / "in.csv"
    src.write_bytes(b'id,text,note\ncaf\xe9,"' + GOOD.encode() + b'",na\xefve\nplain,"' + SPUN.encode() + b'",x\n')
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps({"id": "a\ud800b", "text": GOOD, "note": ["\udfff"]}) + "\n")
    for source, fmt in ((src, "jsonl"), (src, "csv"), (src, "parquet"), (jsonl, "jsonl")):
        out = tmp_path / f"out-{source.suffix[1:]}.{fmt}"
        res = run_batch(str(source), "-o", str(out), "--keep", "note")
        assert res.exit_code == 0, res.output
        rows = read_rows(out)
        if source == src:
            assert [r["id"] for r in rows] == ["caf\u00e9", "plain"]
            assert rows[0]["note"] == "na\u00efve"
        else:
            assert rows[0]["id"] == "a\ufffdb"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_a_named_pipe_is_read_whole(tmp_path: Path) -> None:
    """Hashing the input's first MB for --resume used to read it from the pipe, so those
    records never reached the scorer."""
    padded = [{**r, "title": "x" * 6000} for r in make_records(200)]  # 1.2 MB, 200 records
    src = write_jsonl(tmp_path / "q.jsonl", padded)
    assert src.stat().st_size > 1 << 20
    fifo = tmp_path / "queue.pipe"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"

    def feed() -> None:
        with open(fifo, "wb") as f:
            f.write(src.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    res = run_batch(str(fifo), "--input-format", "jsonl", "-o", str(out), "--min-words", "0")
    writer.join(timeout=60)
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in read_rows(out)] == [r["id"] for r in padded]


def test_output_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "q.jsonl", make_records(3))
    fifo = tmp_path / "out.pipe"
    os.mkfifo(fifo)
    res = run_batch(str(src), "-o", str(fifo), "--output-format", "jsonl")
    assert res.exit_code == 2
    assert "not a regular file" in res.output
    assert fifo.exists() and not fifo.is_file()


def test_output_through_a_symlink_writes_its_file(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "q.jsonl", make_records(3))
    target = tmp_path / "target.jsonl"
    target.write_text("")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert run_batch(str(src), "-o", str(link), "--min-words", "0").exit_code == 0
    assert link.is_symlink() and len(read_rows(target)) == 3


def test_a_damaged_parquet_file_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    src = write_parquet(tmp_path / "q.parquet", make_records(400))
    data = bytearray(src.read_bytes())
    middle = len(data) // 2
    data[middle - 200 : middle + 200] = b"\xff" * 400
    src.write_bytes(bytes(data))
    res = run_batch(str(src), "-o", str(tmp_path / "out.jsonl"))
    assert res.exit_code in (2, 3), res.output
    assert "Traceback" not in res.output
    assert "Parquet" in res.output


@pytest.mark.parametrize("address", ["10.0.0.5", "tcp://127.0.0.1:notaport"])
def test_a_malformed_scheduler_address_is_a_usage_error(tmp_path: Path, address: str) -> None:
    pytest.importorskip("distributed")
    src = write_jsonl(tmp_path / "q.jsonl", make_records(2))
    res = run_batch(str(src), "-o", str(tmp_path / "o.jsonl"), "--scheduler", address)
    assert res.exit_code == 2
    assert "cannot reach the Dask scheduler" in res.output


def test_summary_json_is_checked_before_the_job(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "q.jsonl", make_records(2))
    out = tmp_path / "o.jsonl"
    before = src.read_bytes()
    for target, message in (
        (tmp_path / "nowhere" / "s.json", "does not exist"),
        (src, "would overwrite"),
        (out, "would overwrite"),
    ):
        res = run_batch(str(src), "-o", str(out), "--summary-json", str(target))
        assert res.exit_code == 2 and message in res.output, res.output
    assert src.read_bytes() == before and not out.exists()


def test_a_misspelt_id_field_is_an_error_not_row_numbers(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "q.jsonl", make_records(2))
    csv_src = tmp_path / "q.csv"
    csv_src.write_text("id,text\na," + GOOD + "\n")
    res = run_batch(str(csv_src), "-o", str(tmp_path / "o.jsonl"), "--id-field", "ident")
    assert res.exit_code == 2 and "--id-field 'ident'" in res.output
    res = run_batch(str(csv_src), "-o", str(tmp_path / "o.jsonl"), "--label-field", "lab")
    assert res.exit_code == 2 and "--label-field" in res.output
    assert src.exists()


def test_parquet_ids_join_back_to_the_queue(tmp_path: Path) -> None:
    """pandas stores integer ids with a null among them as floats (1.0), and some writers
    store text as binary: the ids used to come out as "1.0" and "b'ab'"."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table({
        "id": pa.array([1.0, None, 3.0, 2.5], type=pa.float64()),
        "bid": pa.array([b"ab", b"cd", b"ef", b"gh"], type=pa.binary()),
        "text": [GOOD, SPUN, GOOD, SPUN],
    })
    src = tmp_path / "q.parquet"
    pq.write_table(table, src)
    out = tmp_path / "o.jsonl"
    assert run_batch(str(src), "-o", str(out)).exit_code == 0
    assert [r["id"] for r in read_rows(out)] == ["1", "row:2", "3", "2.5"]
    assert run_batch(str(src), "-o", str(out), "--id-field", "bid").exit_code == 0
    assert [r["id"] for r in read_rows(out)] == ["ab", "cd", "ef", "gh"]

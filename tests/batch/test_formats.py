"""Formats in and out, pass-through columns, thresholds, observe-only, summary, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from batch_testkit import GOOD, WRITERS, read_rows, run_batch

FORMATS = ("jsonl", "csv", "parquet")
CORE = ["id", "score", "probability_low_quality", "decision", "reasons", "error_type",
        "error_message", "model_version"]


def _normalise(row: dict[str, Any], fmt: str) -> tuple[Any, ...]:
    """(id, score, decision, reasons, title, n) with CSV's strings turned back into values."""
    if fmt == "csv":
        return (
            row["id"],
            float(row["score"]),
            row["decision"],
            row["reasons"].split(";") if row["reasons"] else [],
            row["title"],
            int(row["n"]),
        )
    return (row["id"], row["score"], row["decision"], row["reasons"], row["title"], int(row["n"]))


@pytest.mark.parametrize("in_fmt", FORMATS)
@pytest.mark.parametrize("out_fmt", FORMATS)
def test_round_trip_every_format(
    tmp_path: Path, records: list[dict[str, Any]], reference_rows: list[dict[str, Any]],
    in_fmt: str, out_fmt: str,
) -> None:
    src = WRITERS[in_fmt](tmp_path / f"in.{in_fmt}", records)
    out = tmp_path / f"out.{out_fmt}"
    res = run_batch(str(src), "-o", str(out), "--keep", "title", "--keep", "n", "--chunk-size", "5")
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    assert list(rows[0]) == [*CORE, "title", "n"]
    expected = [
        (r["id"], r["score"], r["decision"], r["reasons"], rec["title"], rec["n"])
        for r, rec in zip(reference_rows, records, strict=True)
    ]
    assert [_normalise(r, out_fmt) for r in rows] == expected
    assert not (tmp_path / f"out.{out_fmt}.parts").exists()


def test_reference_run_scores_and_decides(reference_rows: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in reference_rows] == [f"q{i:04d}" for i in range(24)]
    assert all(r["error_type"] is None and 0 <= r["score"] <= 100 for r in reference_rows)
    assert {r["decision"] for r in reference_rows} >= {"ok", "reject"}
    spun = reference_rows[1]  # the spun, promotional text
    assert spun["decision"] in {"review", "reject"} and spun["reasons"]
    assert all(len(r["reasons"]) <= 3 for r in reference_rows)
    assert all(r["model_version"] for r in reference_rows)


def test_parquet_keeps_column_types(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    src = WRITERS["parquet"](tmp_path / "in.parquet", records)
    out = tmp_path / "out.parquet"
    assert run_batch(str(src), "-o", str(out), "--keep", "n").exit_code == 0
    import pyarrow.parquet as pq

    schema = pq.read_schema(out)
    assert str(schema.field("n").type) == "int64"
    assert str(schema.field("reasons").type) == "list<element: string>"


def test_formats_given_explicitly_and_stdin(
    tmp_path: Path, queue_jsonl: Path, reference_rows: list[dict[str, Any]]
) -> None:
    out = tmp_path / "scored.data"
    res = run_batch("-", "-o", str(out), "--output-format", "csv", input=queue_jsonl.read_bytes())
    assert res.exit_code == 0, res.output
    rows = read_rows(out, "csv")
    assert [(r["id"], r["decision"]) for r in rows] == [
        (r["id"], r["decision"]) for r in reference_rows
    ]
    odd = tmp_path / "queue.txt"
    odd.write_bytes(queue_jsonl.read_bytes())
    res = run_batch(str(odd), "-o", str(tmp_path / "o.jsonl"), "--input-format", "jsonl")
    assert res.exit_code == 0, res.output


def test_other_field_names(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"key": "a", "body": "Asthma is a long-term condition of the airways."}) + "\n"
        + json.dumps({"key": "b", "page": "<html><body><p>Take your inhaler daily.</p></body></html>"})
        + "\n",
        "utf-8",
    )
    out = tmp_path / "out.jsonl"
    res = run_batch(str(src), "-o", str(out), "--id-field", "key", "--text-field", "body",
                    "--html-field", "page")
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in read_rows(out)] == ["a", "b"]


def test_observe_only_scores_without_deciding(
    tmp_path: Path, queue_jsonl: Path, reference_rows: list[dict[str, Any]]
) -> None:
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    res = run_batch(str(queue_jsonl), "-o", str(out), "--observe-only", "--summary-json", str(summary))
    assert res.exit_code == 0, res.output
    rows = read_rows(out)
    assert all(r["decision"] is None for r in rows)
    assert [r["score"] for r in rows] == [r["score"] for r in reference_rows]
    s = json.loads(summary.read_text("utf-8"))
    assert s["observe_only"] is True and s["decisions"] == {} and s["scored"] == len(rows)


def test_thresholds_from_the_command_line(tmp_path: Path, queue_jsonl: Path) -> None:
    out = tmp_path / "out.jsonl"
    res = run_batch(str(queue_jsonl), "-o", str(out), "--review-below", "100.1",
                    "--reject-below", "0")
    assert res.exit_code == 0, res.output
    assert {r["decision"] for r in read_rows(out)} == {"review"}


def test_short_records_go_to_review_unless_min_words_says_otherwise(tmp_path: Path) -> None:
    snippet = "Diabetes is a chronic condition. Talk to your doctor about your blood sugar."
    src = WRITERS["jsonl"](tmp_path / "in.jsonl", [{"id": "s", "text": snippet}, {"id": "g", "text": GOOD}])
    out, off = tmp_path / "out.jsonl", tmp_path / "off.jsonl"
    assert run_batch(str(src), "-o", str(out)).exit_code == 0
    assert run_batch(str(src), "-o", str(off), "--min-words", "0").exit_code == 0
    rows, rows_off = read_rows(out), read_rows(off)
    assert [r["decision"] for r in rows] == ["review", "ok"]
    assert "input.short_text" in rows[0]["reasons"]
    assert [r["decision"] for r in rows_off] == ["ok", "ok"]
    assert [r["score"] for r in rows] == [r["score"] for r in rows_off]


def test_summary_json_counts_match_the_rows(tmp_path: Path, records: list[dict[str, Any]]) -> None:
    queue = [*records[:6], {"id": "gone"}, {"id": "blank", "text": "  "}]
    src = WRITERS["jsonl"](tmp_path / "in.jsonl", queue)
    with open(src, "a", encoding="utf-8") as f:
        f.write("not json\n")
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    res = run_batch(str(src), "-o", str(out), "--summary-json", str(summary), "--reasons", "2")
    assert res.exit_code == 2
    rows = read_rows(out)
    s = json.loads(summary.read_text("utf-8"))
    assert s["records"] == len(rows) == 9
    assert s["errors"] == 3 and s["scored"] == 6
    assert s["error_types"] == {"record.missing_content": 2, "record.bad_json": 1}
    decisions = [r["decision"] for r in rows if r["decision"]]
    assert s["decisions"] == {d: decisions.count(d) for d in ("ok", "review", "reject")}
    rules = [rule for r in rows for rule in r["reasons"]]
    assert s["top_rules"] == {rule: rules.count(rule) for rule in set(rules)}
    assert all(len(r["reasons"]) <= 2 for r in rows)
    assert "decisions" in res.stderr and "record.missing_content 2" in res.stderr
    # stderr is not a terminal here: no progress bar, only the summary.
    assert res.stderr.startswith("qualityscore batch: 9 records")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/out.xyz"], "--output-format"),
        (["-o", "{tmp}/out.jsonl", "--keep", "score"], "clash"),
        (["-o", "{tmp}/out.jsonl", "--reject-below", "60", "--review-below", "40"], "must not exceed"),
        (["-o", "{tmp}/no/such/dir/out.jsonl"], "does not exist"),
        (["-o", "{tmp}/out.jsonl", "--scheduler", "tcp://x:1", "--engine", "local"], "--engine dask"),
    ],
)
def test_bad_usage_exits_2(tmp_path: Path, queue_jsonl: Path, args: list[str], message: str) -> None:
    res = run_batch(str(queue_jsonl), *[a.format(tmp=tmp_path) for a in args])
    assert res.exit_code == 2
    assert message in res.output


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    res = run_batch(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert res.exit_code == 2 and "no such file" in res.stderr
    no_content = tmp_path / "q.csv"
    no_content.write_text("id,body\n1,hello\n", "utf-8")
    res = run_batch(str(no_content), "-o", str(tmp_path / "o.jsonl"))
    assert res.exit_code == 2 and "--text-field" in res.stderr
    res = run_batch(str(no_content), "-o", str(tmp_path / "o.jsonl"), "--text-field", "body",
                    "--keep", "title")
    assert res.exit_code == 2 and "title" in res.stderr


@pytest.mark.parametrize("in_fmt", ("csv", "parquet"))  # JSONL has no header: a missing field is null
@pytest.mark.parametrize("bad", [["--keep", "nosuch"], ["--id-field", "nosuch"], ["--label-field", "nosuch"]])
def test_a_column_the_input_lacks_is_refused_before_an_earlier_output_is_touched(
    tmp_path: Path, records: list[dict[str, Any]], in_fmt: str, bad: list[str]
) -> None:
    src = WRITERS[in_fmt](tmp_path / f"in.{in_fmt}", records)
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "from an earlier run"}\n', "utf-8")
    res = run_batch(str(src), "-o", str(out), *bad)
    assert res.exit_code == 2 and "nosuch" in res.stderr
    assert out.read_text("utf-8") == '{"id": "from an earlier run"}\n'
    assert not (tmp_path / "out.jsonl.parts").exists()


def test_an_output_folder_that_cannot_be_written_gives_one_line_and_exit_2(
    tmp_path: Path, queue_jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system (or a folder the user may not write): one line naming the
    path, exit 2, not a traceback. Simulated, as root may write anywhere a test can make."""
    import errno
    import os

    real_mkdir = Path.mkdir

    def read_only(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.name.endswith(".parts"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    out = tmp_path / "out.jsonl"
    res = run_batch(str(queue_jsonl), "-o", str(out))
    assert res.exit_code == 2
    assert res.stderr == f"qualityscore: error: cannot write the output {out}.parts: Read-only file system\n"
    assert not out.exists()


def test_model_that_cannot_load_exits_3(tmp_path: Path, queue_jsonl: Path) -> None:
    out = tmp_path / "out.jsonl"
    res = run_batch(str(queue_jsonl), "-o", str(out), "--model", str(tmp_path / "none.skops"))
    assert res.exit_code == 3 and "model.not_found" in res.stderr
    assert not out.exists() and not (tmp_path / "out.jsonl.parts").exists()


def test_empty_input_gives_an_empty_output(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n", "utf-8")
    for fmt in FORMATS:
        out = tmp_path / f"out.{fmt}"
        assert run_batch(str(src), "-o", str(out)).exit_code == 0
        assert read_rows(out) == []


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from qualityscore.cli import main\n"
        "for args in (['--help'], ['batch', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pyarrow', 'dask', 'distributed', 'rich', 'sklearn', 'numpy'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    assert "--resume" in out.stdout and "--scheduler" in out.stdout



def test_progress_bar_runs() -> None:
    from qualityscore.batch.command import _RichProgress

    bar = _RichProgress()
    bar.start(100, "bytes")
    bar.advance(3, 50)
    bar.stop()
    bar.stop()  # idempotent: the runner stops it again on the way out
    bar.advance(1, 1)  # after stop: ignored


def test_no_reasons(tmp_path: Path, queue_jsonl: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert run_batch(str(queue_jsonl), "-o", str(out), "--reasons", "0").exit_code == 0
    assert all(r["reasons"] == [] for r in read_rows(out))

"""The command line: output formats, input order, exit codes."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from qs_testkit import EXAMPLES

from qualityscore.cli import main

SPUN = str(EXAMPLES / "spun-remedy.html")
LEAFLET = str(EXAMPLES / "leaflet.txt")


def run(*args: str, input: bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_json_lines_in_input_order() -> None:
    res = run("score", "--format", "json", LEAFLET, SPUN)
    assert res.exit_code == 0
    rows = json_lines(res.output)
    assert [r["source"] for r in rows] == [LEAFLET, SPUN]
    assert rows[0]["decision"] == "ok" and rows[1]["decision"] in {"review", "reject"}


def test_unreadable_input_is_an_error_line_and_exit_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    res = run("score", "--format", "json", missing, LEAFLET, str(tmp_path))
    assert res.exit_code == 2
    rows = json_lines(res.output)
    assert [r["source"] for r in rows] == [missing, LEAFLET, str(tmp_path)]
    assert rows[0]["error"]["type"] == "input.not_found" and rows[0]["decision"] is None
    assert rows[1]["error"] is None and rows[1]["decision"] == "ok"
    assert rows[2]["error"]["type"] == "input.is_directory"
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("fail_on", "code"), [("review", 1), ("reject", None)])
def test_fail_on(fail_on: str, code: int | None) -> None:
    res = run("score", "--format", "json", "--fail-on", fail_on, SPUN)
    decision = json_lines(res.output)[0]["decision"]
    if code is None:  # --fail-on reject: exit 1 only if it was rejected
        code = 1 if decision == "reject" else 0
    assert res.exit_code == code


def test_fail_on_not_crossed_exits_0() -> None:
    assert run("score", "--fail-on", "review", LEAFLET).exit_code == 0


def test_stdin() -> None:
    res = run("score", "--format", "json", "-", input=Path(LEAFLET).read_bytes())
    assert res.exit_code == 0
    assert json_lines(res.output)[0]["source"] == "-"


def test_table_shows_score_decision_and_evidence() -> None:
    res = run("score", SPUN, LEAFLET)
    assert res.exit_code == 0
    assert "decision" in res.output and "ok" in res.output
    assert "blood strain" in res.output  # quoted evidence


def test_version_and_help() -> None:
    assert run("--version").output.startswith("qualityscore, version")
    out = run("score", "--help").output
    assert "--fail-on" in out and "--format" in out


def test_bad_model_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.skops"
    bad.write_bytes(b"PK\x03\x04 this is not a real archive")
    res = CliRunner().invoke(main, ["score", "--model", str(bad), LEAFLET])
    assert res.exit_code == 3
    assert "model.corrupt" in res.output and "Traceback" not in res.output


def test_table_on_an_ascii_terminal() -> None:
    """A terminal that cannot encode "→" gets an ASCII table, not a traceback."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "qualityscore", "score", SPUN], capture_output=True, text=True,
        env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "->" in proc.stdout and "→" not in proc.stdout
    assert "reject" in proc.stdout and "Traceback" not in proc.stderr


def test_table_shows_square_brackets_in_names_and_evidence_literally(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rich reads "[bold]" as markup: a file name or quoted evidence must not be eaten."""
    import io

    from rich.console import Console

    from qualityscore.page import ErrorInfo, Finding, Result
    from qualityscore.report import print_table

    ok = Result(source="pages/[bold]draft[/].txt", score=20.0, probability_low_quality=0.8,
                decision="reject", signals={}, model_version="t",
                findings=(Finding("promotion", "promotion.call_to_action", 0, 9, "[red]Buy now", weight=1.0),))
    bad = Result(source="x", error=ErrorInfo("input.empty", "nothing in [b]here[/b]"))
    out = io.StringIO()
    print_table([ok, bad], console=Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "pages/[bold]draft[/].txt" in text
    assert '"[red]Buy now"' in text
    assert "nothing in [b]here[/b]" in text


def test_scoring_with_the_shipped_model_imports_neither_sklearn_nor_skops(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Start-up cost: the runtime model file is scored with NumPy alone (model/runtime.py);
    importing scikit-learn (and skops, which imports all of it) would cost seconds."""
    import subprocess
    import sys

    page = tmp_path / "page.txt"
    page.write_text("Talk to your doctor before you change the dose of any medicine. " * 20)
    code = (
        "import sys\n"
        "from qualityscore.cli import main\n"
        f"try:\n    main(['score', '--format', 'json', {str(page)!r}])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skops', 'scipy', 'pandas'}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert '"decision"' in out.stdout
    assert "HEAVY []" in out.stdout, out.stdout[-300:]


def test_a_short_page_goes_to_review_unless_min_words_says_otherwise(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.txt"
    snippet.write_text("Diabetes is a chronic condition. Talk to your doctor about your blood sugar.\n", "utf-8")
    [row] = json_lines(run("score", "--format", "json", str(snippet)).output)
    assert row["decision"] == "review"
    assert row["findings"][0]["rule"] == "input.short_text"
    [off] = json_lines(run("score", "--format", "json", "--min-words", "0", str(snippet)).output)
    assert off["decision"] == "ok" and off["score"] == row["score"]
    table = run("score", str(snippet)).output
    assert "input.short_text" in table
    assert run("score", "--min-words", "-1", str(snippet)).exit_code == 2  # a usage error


def test_closed_standard_streams_give_one_line_and_an_exit_code_not_a_traceback(tmp_path: Path) -> None:
    """Started with stdout closed (`>&-`), `score` has nowhere to put its results: it says
    so and exits 2. Started with stderr closed (`2>&-`), `batch` still writes its output."""
    import subprocess

    page = tmp_path / "page.txt"
    page.write_text("Blood pressure is the force of blood against the walls of the arteries. " * 5, "utf-8")
    qs = f"{shlex.quote(sys.executable)} -m qualityscore"
    proc = subprocess.run(["bash", "-c", f"{qs} score --format json {shlex.quote(str(page))} >&-"],
                          capture_output=False, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 2
    assert proc.stderr == "qualityscore: error: standard output is closed: nowhere to write the results\n"
    queue, out = tmp_path / "q.jsonl", tmp_path / "out.jsonl"
    queue.write_text(json.dumps({"id": "a", "text": page.read_text("utf-8")}) + "\n", "utf-8")
    proc = subprocess.run(["bash", "-c", f"{qs} batch {shlex.quote(str(queue))} -o {shlex.quote(str(out))} 2>&-"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert [json.loads(line)["id"] for line in out.read_text("utf-8").splitlines()] == ["a"]

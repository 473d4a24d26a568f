"""Hostile and broken inputs: each gets a stable error type or a sensible score, never a
traceback, in bounded time and memory.

Every input is generated here, under the session's temporary folder (never in the repo).
The table says what each must come back as; the same inputs go through the library
(``Scorer.score_source``) and through a real ``qualityscore score`` process.
"""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from qualityscore.errors import InputError
from qualityscore.extract.sources import read_path

SCORED = "scored"
# Read, but nothing to read: the scorer answers input.empty (never a score either way).
EMPTY = "input.empty"
# Read, but not English: the scorer answers input.unsupported_language (see language.py).
LANGUAGE = "input.unsupported_language"
ARTICLE = (
    "High blood pressure rarely causes symptoms. Have it checked once a year, and talk to "
    "your doctor about diet, exercise and medicines that lower it.\n"
)
# Per input, in-process; the whole CLI run below gets its own, larger budget.
SECONDS_PER_INPUT = 60
CLI_SECONDS = 300
CLI_MAX_RSS_MB = 1_500


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    )


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("article.txt", ARTICLE)
    return buf.getvalue()


def _write(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return make


def _write_repeated(name: str, piece: bytes, total: int) -> Callable[[Path], Path]:
    """A big file written a megabyte at a time (50 MB never sits in memory)."""

    def make(folder: Path) -> Path:
        path = folder / name
        block = piece * max(1, (1 << 20) // len(piece))
        with path.open("wb") as f:
            written = 0
            while written < total:
                part = block[: total - written]
                f.write(part)
                written += len(part)
        return path

    return make


def _missing(folder: Path) -> Path:
    return folder / "no-such-page.html"


def _directory(folder: Path) -> Path:
    path = folder / "a-folder.html"
    path.mkdir()
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "named-pipe.txt"
    os.mkfifo(path)  # nobody ever writes to it: reading must not wait forever
    return path


def _symlink_loop(folder: Path) -> Path:
    a, b = folder / "loop-a.txt", folder / "loop-b.txt"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _dev_zero(folder: Path) -> Path:
    return Path("/dev/zero")  # endless: only max_input_bytes stops the read


NON_ENGLISH = (
    "高血压通常没有症状。请每年检查一次血压。\n"
    "ارتفاع ضغط الدم لا يسبب أعراضًا في الغالب. تحدث إلى طبيبك.\n"
    "Высокое давление часто протекает без симптомов. Поговорите с врачом.\n"
    "उच्च रक्तचाप के अक्सर कोई लक्षण नहीं होते।\n"
    "Z̷̢a̴l̸g̵o̶ ̷t̸e̵x̷t̶, emoji 🩺💊❤️‍🩹, zero\u200bwidth, \u202eright-to-left override\u202c.\n"
)
NESTED = "<html><body>" + "<div>" * 20_000 + "Hidden text about asthma." + "</div>" * 20_000 + "</body></html>"
SCRIPTS_ONLY = (
    "<!DOCTYPE html><html><head><style>body{color:red}</style><script>var a=1;</script></head>"
    "<body>" + "<script>document.write('<p>buy now</p>');</script><style>p{margin:0}</style>" * 500
    + "<noscript></noscript></body></html>"
)
HUGE_VALUE = (
    '<html><head><title>Blood pressure</title></head><body><article><p title="'
    + "A" * 800_000 + f'">{ARTICLE}</p><img src="data:image/png;base64,'
    + "QUJD" * 25_000 + '"></article></body></html>'
)
MANY_ATTRIBUTES = (
    "<html><body><p " + " ".join(f"data-a{i}=x" for i in range(20_000)) + f">{ARTICLE}</p></body></html>"
)
BAD_BASE_URL = (
    '<html><head><base href="http://[broken"></head><body><article><p>'
    f'{ARTICLE} Read the <a href="/guide">full blood pressure guide</a>.</p></article></body></html>'
)


@dataclass(frozen=True)
class Case:
    """One hostile input and what it must come back as."""

    name: str
    make: Callable[[Path], Path]
    expect: str  # a stable error type, or SCORED
    contains: str | None = None  # the extracted text must keep this (the page was read)


CASES: tuple[Case, ...] = (
    Case("empty", _write("empty.txt", b""), EMPTY),
    Case("whitespace-only", _write("blank.txt", " \t\r\n\u00a0\u2003\u3000" * 2_000), EMPTY),
    Case("png", _write("image.png", _png()), "input.binary"),
    Case("png-named-html", _write("image.html", _png()), "input.binary"),
    Case("elf", _write("program", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 16), "input.binary"),
    Case("zip", _write("archive.zip", _zip()), "input.binary"),
    Case(
        "invalid-utf8",
        _write("invalid-utf8.txt", ARTICLE.encode() + b"\xff\xfe\xc3\x28 stray \x80\x81 bytes\n" + ARTICLE.encode()),
        SCORED, contains="blood pressure",
    ),
    Case("utf16-le-bom", _write("utf16le.txt", ARTICLE.encode("utf-16")), SCORED, contains="blood pressure"),
    Case(
        "utf16-be-bom", _write("utf16be.txt", b"\xfe\xff" + ARTICLE.encode("utf-16-be")), SCORED,
        contains="blood pressure",
    ),
    Case(
        "utf8-bom-html",
        _write("bom.html", b"\xef\xbb\xbf<html><body><article><p>" + ARTICLE.encode() + b"</p></article></body></html>"),
        SCORED, contains="blood pressure",
    ),
    Case(
        "mixed-encodings",
        _write(
            "mixed.txt",
            ARTICLE.encode() + "Crème brûlée, café.\n".encode("latin-1")
            + "“Smart quotes” – dash\n".encode("cp1252") + "血圧が高い\n".encode("shift_jis")
            + "Ελληνικά\n".encode(),
        ),
        SCORED, contains="blood pressure",
    ),
    Case(
        "nul-and-controls",
        _write("controls.txt", ARTICLE.replace(" ", " \x00", 3) + "\x07bell \x1b[31mred\x1b[0m \x0c\x7f\n" + ARTICLE),
        SCORED, contains="blood pressure",
    ),
    Case("control-flood", _write("flood.txt", bytes(range(1, 9)) * 2_000 + ARTICLE.encode()), "input.binary"),
    Case("single-line-50mb", _write_repeated("one-line.txt", b"a", 50 * 1024 * 1024), "input.too_large"),
    Case("million-tiny-lines", _write_repeated("lines.txt", b"a\n", 2_000_000), "input.too_large"),
    Case("one-5mb-word", _write_repeated("word.txt", b"x", 5 * 1024 * 1024), "input.too_large"),
    Case("html-nested-20000", _write("nested.html", NESTED), "input.too_complex"),
    Case("html-scripts-and-styles-only", _write("scripts.html", SCRIPTS_ONLY), EMPTY),
    Case("html-huge-attribute-value", _write("huge-value.html", HUGE_VALUE), SCORED, contains="blood pressure"),
    Case("html-20000-attributes", _write("many-attributes.html", MANY_ATTRIBUTES), "input.too_complex"),
    Case("html-malformed-base-url", _write("bad-base.html", BAD_BASE_URL), SCORED, contains="blood pressure"),
    # Read (the text survives decoding and extraction), then refused: the model is English-only.
    Case("non-english-text", _write("languages.txt", NON_ENGLISH * 20), LANGUAGE, contains="高血压"),
    Case(
        "non-english-html",
        _write("arabic.html", '<html lang="ar" dir="rtl"><body><article><p>' + NON_ENGLISH * 5 + "</p></article></body></html>"),
        LANGUAGE, contains="ضغط الدم",
    ),
    Case("missing-file", _missing, "input.not_found"),
    Case("directory", _directory, "input.is_directory"),
    Case("named-pipe-without-writer", _fifo, EMPTY),
    Case("symlink-loop", _symlink_loop, "input.unreadable"),
    Case("dev-zero", _dev_zero, "input.too_large"),
)
_AVAILABLE = tuple(
    c for c in CASES
    if not (c.make is _fifo and not hasattr(os, "mkfifo"))
    and not (c.make is _dev_zero and not Path("/dev/zero").exists())
)


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    return {case.name: case.make(folder) for case in _AVAILABLE}


def check_result(case: Case, row: dict) -> None:  # type: ignore[type-arg]
    """One result (Result.to_dict()) against the table."""
    if case.expect == SCORED:
        assert row["error"] is None, (case.name, row["error"])
        assert 0.0 <= row["score"] <= 100.0 and row["decision"] in {"ok", "review", "reject"}
    else:
        assert row["error"] is not None and row["error"]["type"] == case.expect, (case.name, row["error"])
        assert row["error"]["message"]
        assert row["score"] is None and row["decision"] is None, "an unread input must not be scored"


@pytest.mark.parametrize("case", _AVAILABLE, ids=[c.name for c in _AVAILABLE])
def test_library_answers_each_bad_input(case: Case, bad_inputs: dict[str, Path], scorer) -> None:  # type: ignore[no-untyped-def]
    path = bad_inputs[case.name]
    start = time.perf_counter()
    result = scorer.score_source(str(path))
    assert time.perf_counter() - start < SECONDS_PER_INPUT
    check_result(case, result.to_dict())
    json.dumps(result.to_dict(), allow_nan=False)  # the JSON contract holds for every answer
    if case.contains:
        text = read_path(path).text
        assert case.contains in text.lower(), text[:200]
        assert "\x00" not in text


def test_extract_errors_carry_the_same_types(bad_inputs: dict[str, Path]) -> None:
    """read_path itself raises InputError (never another exception) for the refused inputs."""
    for case in _AVAILABLE:
        if case.expect in (SCORED, EMPTY, LANGUAGE):  # read fine; the scorer refuses EMPTY, LANGUAGE
            continue
        with pytest.raises(InputError) as exc:
            read_path(bad_inputs[case.name])
        assert exc.value.type == case.expect, case.name


def _cli_command() -> list[str]:
    script = Path(sys.executable).with_name("qualityscore")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from qualityscore.cli import main; main()"]


# Runs a command and writes its peak RSS (KiB on Linux) to the file named first. The CLI
# must not be forked from the test process itself: a child's ru_maxrss counts the memory
# of the process it was forked from until it execs, so a big pytest process (models and
# corpora loaded by earlier tests) would be charged to the CLI. This small interpreter is
# the CLI's parent instead, and reports the child's own figure.
_PEAK_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_cli(args: list[str], cwd: Path, timeout: float) -> tuple[int, str, str, float, float]:
    """Run the CLI; return exit code, stdout, stderr, seconds and its peak RSS in MB."""
    out_path, err_path, peak_path = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "peak-rss.txt"
    start = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", _PEAK_WRAPPER, str(peak_path), *_cli_command(), *args],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and the CLI with it
            proc.wait()
    seconds = time.perf_counter() - start
    maxrss = int(peak_path.read_text() or 0) if peak_path.exists() else 0
    peak_mb = maxrss / 1024 if sys.platform != "darwin" else maxrss / 2**20
    return proc.returncode, out_path.read_text("utf-8"), err_path.read_text("utf-8"), seconds, peak_mb


def test_the_peak_memory_measure_is_the_cli_s_own_not_the_test_process_s(tmp_path: Path) -> None:
    """Guard for run_cli: with 300 MB held by this process, a tiny child reports a tiny peak."""
    ballast = bytearray(300 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    code, _, _, _, peak_mb = run_cli(["--version"], tmp_path, 60)
    assert code == 0 and 0 < peak_mb < 250, peak_mb
    del ballast


@pytest.mark.skipif(not hasattr(os, "wait4"), reason="needs os.wait4 (POSIX)")
def test_cli_answers_every_bad_input_in_order(bad_inputs: dict[str, Path], tmp_path: Path) -> None:
    """The issue's acceptance test: one JSON line per input, in order, exit 2, no traceback."""
    paths = [str(bad_inputs[c.name]) for c in _AVAILABLE]
    code, out, err, seconds, peak_mb = run_cli(["score", "--format", "json", *paths], tmp_path, CLI_SECONDS)
    assert seconds < CLI_SECONDS, "killed: the CLI did not finish in time"
    assert "Traceback" not in err and "Traceback" not in out, err[-2000:]
    assert code == 2, (code, err[-2000:])
    lines = out.splitlines()
    assert len(lines) == len(paths), out[-2000:]
    rows = [json.loads(line) for line in lines]
    assert [r["source"] for r in rows] == paths
    for case, row in zip(_AVAILABLE, rows, strict=True):
        assert row["schema_version"] == 1
        check_result(case, row)
    assert peak_mb < CLI_MAX_RSS_MB, f"peak memory {peak_mb:.0f} MB"

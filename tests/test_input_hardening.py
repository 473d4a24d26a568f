"""Inputs a real queue sends: HTML fragments given as text, legacy encodings, hostile
terminal codes, wrong types and bad thresholds. Each case here was found by an audit that
tried to break `score` and the library (2026-11-22)."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from qs_testkit import EXAMPLES

from qualityscore import QualityScoreError
from qualityscore.cli import main
from qualityscore.errors import InputError, ModelError
from qualityscore.extract.sources import decode_bytes, looks_like_html, page_from_string

LEAFLET = EXAMPLES / "leaflet.txt"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- Is it HTML? -------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "<h2>Living with asthma</h2><p>Most people manage well.</p>",
        "<section><p>Text</p></section>",
        "\ufeff<p>Text after a byte-order mark</p>",
        '<?xml version="1.0" encoding="utf-8"?>\n<html><body>x</body></html>',
        "<!-- saved page --><!DOCTYPE html><div>x</div>",
        "<figure><img src=a.png></figure> Caption",
        'Plain words first, then a link: <a class="x" href="https://shop.example/">buy</a>.',
        "A line.<br>\nAnother <b>bold</b> line with <em>stress</em>.",
    ],
    ids=["h2", "section", "bom", "xml-decl", "comment-doctype", "figure", "link-inside", "three-tags"],
)
def test_markup_is_html_whatever_tag_comes_first(text: str) -> None:
    assert looks_like_html(text)
    assert looks_like_html(text.encode("utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "Blood pressure fell (p < 0.05) in 3<5 of the groups.",
        "I <3 my nurses.",
        "Type the <br> tag to break a line.",
        "From: Ann <ann@clinic.example>",
        "<bold>not an element</bold>",
        "Stress, <strong>one</strong> tag and no more.",
    ],
)
def test_plain_text_with_angle_brackets_is_not_html(text: str) -> None:
    assert not looks_like_html(text)


def test_an_html_fragment_given_as_text_has_its_links_read(scorer) -> None:  # type: ignore[no-untyped-def]
    """The bug: a page body starting with <h2> was read as plain text, so its affiliate
    links were "missing" evidence and a spam page could pass as ok."""
    paras = [p for p in LEAFLET.read_text("utf-8").split("\n") if p.strip()]
    links = " ".join(
        f'<a href="https://pills.example/buy?aff={i}" rel="sponsored">cheap pills {i}</a>'
        for i in range(8)
    )
    fragment = f"<h2>{paras[0]}</h2>" + "".join(f"<p>{p}</p>" for p in paras[1:]) + f"<p>{links}</p>"
    as_text = scorer.score(fragment)
    as_html = scorer.score(fragment.encode("utf-8"))
    plain = scorer.score(LEAFLET.read_text("utf-8"))
    assert math.isnan(plain.signals["promotion.links_per_100w"])
    assert as_text.signals["promotion.links_per_100w"] > 0
    assert as_text.signals == as_html.signals or all(
        (math.isnan(a) and math.isnan(b)) or a == b
        for a, b in zip(as_text.signals.values(), as_html.signals.values(), strict=True)
    )
    assert as_text.score == pytest.approx(as_html.score)


def test_empty_html_is_input_empty() -> None:
    for content in ("", "   \n", "<!-- nothing -->"):
        with pytest.raises(InputError) as exc:
            page_from_string(content, is_html=True)
        assert exc.value.type == "input.empty"


# --- Encodings -------------------------------------------------------------------

SAMPLE = "Caf\u00e9 menus \u2013 \u201cquoted\u201d \u00a9 2024. The patient\u2019s r\u00e9sum\u00e9 was long enough."
LATIN = "The caf\u00e9 by the clinic serves soup. Zo\u00eb said the na\u00efve plan worked for most patients."
ASCII = "Depression is a common condition that affects mood, sleep and appetite for weeks."


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (SAMPLE.encode("cp1252"), None, SAMPLE),
        (LATIN.encode("latin-1"), None, LATIN),  # a detector guessed cp1250 or cp775
        (ASCII.encode("utf-16-le"), None, ASCII),  # UTF-16 without a BOM: was "binary"
        (ASCII.encode("utf-16-be"), None, ASCII),
        ((ASCII + " ").encode("utf-8"), "utf-16", ASCII + " "),  # a lying header: was CJK mojibake
    ],
    ids=["cp1252", "latin1", "utf16le-no-bom", "utf16be-no-bom", "header-says-utf16"],
)
def test_legacy_and_mislabelled_encodings(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_bytes(data, declared=declared) == expected


def test_meta_charset_is_honoured() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body>\u041f\u0440\u0438\u0432\u0435\u0442</body></html>'
    assert decode_bytes(page.encode("cp1251")) == page
    latin = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>' + SAMPLE
    assert decode_bytes(latin.encode("cp1252")) == latin


def test_other_scripts_still_go_to_the_detector() -> None:
    text = "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002" * 5
    assert decode_bytes(text.encode("shift_jis")) == text


# --- Library types and thresholds ----------------------------------------------------

@pytest.mark.parametrize("bad", [None, 12, ["text"], Path("x.txt")])
def test_score_of_a_non_text_is_a_clear_input_error(scorer, bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QualityScoreError) as exc:
        scorer.score(bad)
    assert exc.value.type == "input.bad_type"
    assert type(bad).__name__ in exc.value.message


def test_score_many_reports_a_bad_item_and_scores_the_rest(scorer, leaflet_text) -> None:  # type: ignore[no-untyped-def]
    results = list(scorer.score_many([leaflet_text, None, bytearray(leaflet_text.encode()), 7]))
    assert [r.error.type if r.error else r.decision for r in results] == [
        "ok", "input.bad_type", "ok", "input.bad_type"
    ]
    assert results[1].score is None and results[1].decision is None
    assert results[2].score == pytest.approx(results[0].score)


def test_score_source_takes_a_path_object(scorer) -> None:  # type: ignore[no-untyped-def]
    by_path = scorer.score_source(LEAFLET)
    assert by_path.error is None and by_path.source == str(LEAFLET)
    assert by_path.score == pytest.approx(scorer.score_source(str(LEAFLET)).score)
    assert scorer.score_source(42).error.type == "input.bad_type"  # type: ignore[arg-type]


@pytest.mark.parametrize("option", ["review_below", "reject_below"])
def test_nan_thresholds_are_refused(option: str) -> None:
    """NaN compares False with every score, so every page would have been `ok`."""
    from qualityscore import Scorer

    with pytest.raises(ValueError, match=option):
        Scorer.load(**{option: float("nan")})


def test_nan_threshold_on_the_command_line_is_a_usage_error() -> None:
    res = run("score", "--review-below", "nan", "--reject-below", "nan", str(EXAMPLES / "spun-remedy.html"))
    assert res.exit_code == 2
    assert "finite number" in res.output and "ok" not in res.output.split("Error:")[0]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_as_model_file_is_refused_without_reading_it() -> None:
    from qualityscore.model.bundle import load_bundle

    with pytest.raises(ModelError) as exc:
        load_bundle("/dev/zero")
    assert exc.value.type == "model.unreadable"


# --- The table is safe for a terminal --------------------------------------------------

def test_terminal_control_codes_in_page_text_and_names_are_shown_not_sent() -> None:
    from rich.console import Console

    from qualityscore.page import ErrorInfo, Finding, Result
    from qualityscore.report import print_table

    evil = "Talk to your doctor \x1b]0;PWNED\x07\x1b[2J now"
    ok = Result(source="\x1b[31mred.txt", score=80.0, probability_low_quality=0.2, decision="ok",
                signals={}, model_version="t",
                findings=(Finding("input", "input.short_text", 0, len(evil), evil, weight=1.0),))
    bad = Result(source="u", error=ErrorInfo("fetch.timeout", "x" * 5000 + "\x9b"))
    out = io.StringIO()
    print_table([ok, bad], console=Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b]0;PWNED\\x07" in text and "\\x1b[31mred.txt" in text
    assert "x" * 400 not in text.replace("\n", "").replace("│", "").replace(" ", "")  # clipped


def test_reasons_zero_does_not_claim_there_are_no_findings() -> None:
    res = run("score", "--reasons", "0", str(EXAMPLES / "spun-remedy.html"))
    assert "no findings" not in res.output
    assert "none listed (--reasons 0)" in res.output
    assert run("score", "--reasons", "-1", str(LEAFLET)).exit_code == 2


# --- Exit codes a script can tell apart ------------------------------------------------

def test_interrupt_exits_130_with_one_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.scorer import Scorer

    def interrupted(self, source):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(Scorer, "score_source", interrupted)
    res = CliRunner().invoke(main, ["score", str(LEAFLET)])
    assert res.exit_code == 130
    assert "interrupted" in res.output and "Traceback" not in res.output


def test_closed_pipe_exits_141_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    args = [str(LEAFLET)] * 3
    proc = subprocess.run(
        f'"{sys.executable}" -m qualityscore score --format json {" ".join(args)} | head -c 1 >/dev/null;'
        ' exit "${PIPESTATUS[0]}"',
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=120,
        cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.returncode in (0, 141), proc.stderr  # 0 if all fitted in the pipe first
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_a_host_name_without_scheme_gets_a_hint(tmp_path: Path) -> None:
    res = run("score", "--format", "json", "www.example.org/page", str(tmp_path / "notes.txt"))
    lines = [line for line in res.output.splitlines() if line.startswith("{")]
    assert "https://www.example.org/page" in lines[0]
    assert "https://" not in lines[1]
    assert res.exit_code == 2

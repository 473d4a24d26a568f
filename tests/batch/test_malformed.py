"""Every kind of bad record becomes an error row with a stable type; the rest are scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from batch_testkit import GOOD, SPUN, WRITERS, read_rows, run_batch

# (raw JSONL line, expected id, expected error_type or None for scored)
JSONL_CASES: list[tuple[bytes, str, str | None]] = [
    (json.dumps({"id": "ok-1", "text": GOOD}).encode(), "ok-1", None),
    (b'{"id": "cut", "text": "unterminated', "line:2", "record.bad_json"),
    (b'["an", "array"]', "line:3", "record.not_object"),
    (b'"just a string"', "line:4", "record.not_object"),
    (json.dumps({"text": SPUN}).encode(), "line:5", None),  # no id: scored, id from line
    (json.dumps({"id": "empty", "text": ""}).encode(), "empty", "record.missing_content"),
    (json.dumps({"id": "none", "title": "x"}).encode(), "none", "record.missing_content"),
    (json.dumps({"id": "num", "text": 42}).encode(), "num", "record.bad_content"),
    (b"\x00\x01\x02\x03\xff\xfe\x89PNG garbage \x00\x00", "line:9", "input.binary"),
    (json.dumps({"id": "ctl", "text": "\x00\x01\x02\x03\x04\x05\x06 abc"}).encode(), "ctl", "input.binary"),
    (json.dumps({"id": "pdf", "text": "%PDF-1.7 stream"}).encode(), "pdf", "input.binary"),
    (json.dumps({"id": 7, "text": GOOD}).encode(), "7", None),
    (json.dumps({"id": "long", "text": "word " * 220_000}).encode(), "long", "input.too_large"),
    (json.dumps({"id": "ok-2", "html": "<p>" + GOOD + "</p>"}).encode(), "ok-2", None),
]
HUGE_ID = "huge"


def _write_malformed_jsonl(path: Path) -> list[tuple[str, str | None]]:
    expected = []
    with open(path, "wb") as f:
        for raw, rid, err in JSONL_CASES:
            f.write(raw + b"\n")
            expected.append((rid, err))
        f.write(b"\n   \n")  # blank lines are not records
        # A 50 MB text field: skipped without being read into memory whole.
        f.write(b'{"id": "' + HUGE_ID.encode() + b'", "text": "')
        chunk = b"health " * (1 << 17)
        for _ in range(50 * (1 << 20) // len(chunk) + 1):
            f.write(chunk)
        f.write(b'"}\n')
        expected.append((HUGE_ID, "input.too_large"))
        f.write(json.dumps({"id": "last", "text": SPUN}).encode())  # no final newline
        expected.append(("last", None))
    return expected


def test_every_malformed_jsonl_record_is_an_error_row(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    expected = _write_malformed_jsonl(src)
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    res = run_batch(str(src), "-o", str(out), "--chunk-size", "4", "--summary-json", str(summary))
    assert res.exit_code == 2, res.output
    rows = read_rows(out)
    assert [(r["id"], r["error_type"]) for r in rows] == expected
    for r in rows:
        if r["error_type"]:
            assert r["score"] is None and r["decision"] is None and r["error_message"]
        else:
            assert r["score"] is not None and r["decision"] in {"ok", "review", "reject"}
    s = json.loads(summary.read_text("utf-8"))
    assert s["errors"] == sum(1 for _, e in expected if e)
    assert s["error_types"]["input.too_large"] == 2
    assert "Traceback" not in res.output


def test_malformed_csv_rows(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    with open(src, "wb") as f:
        f.write(b"id,text,note\n")
        f.write(b'a,"' + GOOD.encode() + b'",x\n')
        f.write(b',"' + SPUN.encode() + b'",no id\n')
        f.write(b"c,,empty text\n")
        f.write(b'd,"\x00\x01\x02\x03\x04\xff\xfe\xfd binary",garbage\n')
        f.write(b'e,"multi\nline ' + GOOD.encode() + b'",quoted newline\n')
        f.write(b"f\n")  # short row: no text at all
    out = tmp_path / "out.csv"
    res = run_batch(str(src), "-o", str(out), "--keep", "note")
    assert res.exit_code == 2, res.output
    rows = read_rows(out)
    assert [(r["id"], r["error_type"]) for r in rows] == [
        ("a", ""),
        ("row:2", ""),
        ("c", "record.missing_content"),
        ("d", "input.binary"),
        ("e", ""),
        ("f", "record.missing_content"),
    ]
    assert rows[1]["note"] == "no id" and rows[5]["note"] == ""


@pytest.mark.parametrize(("header", "args", "named"), [
    (b"id,text,text\n", [], "'text'"),  # the content column twice
    (b"id,id,text\n", [], "'id'"),
    (b"id,text,note,note\n", ["--keep", "note"], "'note'"),
])
def test_a_csv_header_that_names_a_read_column_twice_is_refused(
    tmp_path: Path, header: bytes, args: list[str], named: str
) -> None:
    """Which copy would be read is not the user's choice to guess: refused, nothing written."""
    src = tmp_path / "in.csv"
    src.write_bytes(header + b'a,"' + GOOD.encode() + b'",x,y\n')
    out = tmp_path / "out.csv"
    res = run_batch(str(src), "-o", str(out), *args)
    assert res.exit_code == 2 and named in res.stderr and "more than once" in res.stderr
    assert not out.exists()


def test_a_column_named_twice_but_not_read_is_harmless(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"id,text,x,x\n" + b'a,"' + GOOD.encode() + b'",1,2\n')
    out = tmp_path / "out.csv"
    assert run_batch(str(src), "-o", str(out)).exit_code == 0
    assert [r["id"] for r in read_rows(out)] == ["a"]


def test_malformed_parquet_rows(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [
        {"id": "a", "text": GOOD},
        {"id": None, "text": SPUN},
        {"id": "c", "text": None},
        {"id": "d", "text": "\x00\x01\x02\x03\x04\x05 binary"},
    ]
    src = WRITERS["parquet"](tmp_path / "in.parquet", records)
    out = tmp_path / "out.parquet"
    assert run_batch(str(src), "-o", str(out)).exit_code == 2
    assert [(r["id"], r["error_type"]) for r in read_rows(out)] == [
        ("a", None),
        ("row:2", None),
        ("c", "record.missing_content"),
        ("d", "input.binary"),
    ]


@pytest.mark.parametrize(
    ("url", "error_type"),
    [("ftp://example.org/page", "fetch.invalid_url"), ("http://127.0.0.1:9/", "fetch.blocked_address")],
)
def test_url_records_use_the_safe_fetcher(tmp_path: Path, url: str, error_type: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "u", "url": url}) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    assert run_batch(str(src), "-o", str(out)).exit_code == 2
    (row,) = read_rows(out)
    assert row["error_type"] == error_type


def test_url_records_are_fetched_and_allow_private_is_honoured(
    tmp_path: Path, httpserver: Any
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        "<html><body><p>" + GOOD + "</p></body></html>", content_type="text/html"
    )
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "u", "url": httpserver.url_for("/page")}) + "\n", "utf-8")
    blocked, allowed = tmp_path / "blocked.jsonl", tmp_path / "allowed.jsonl"
    assert run_batch(str(src), "-o", str(blocked)).exit_code == 2
    assert read_rows(blocked)[0]["error_type"] == "fetch.blocked_address"
    assert run_batch(str(src), "-o", str(allowed), "--allow-private").exit_code == 0
    assert read_rows(allowed)[0]["decision"] in {"ok", "review", "reject"}


SPANISH = (
    "La diabetes es una enfermedad en la que los niveles de glucosa en la sangre están muy "
    "altos. La insulina ayuda a que la glucosa entre a las células. Con el tiempo, el exceso "
    "de glucosa puede dañar los ojos, los riñones y los nervios. Consulte a su médico."
)


def test_a_record_not_in_english_is_an_error_row_unless_any_language(tmp_path: Path) -> None:
    """The model is English-only: a foreign record is never a clean score in the queue."""
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in (
        {"id": "en", "text": GOOD}, {"id": "es", "text": SPANISH}, {"id": "spun", "text": SPUN})) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    res = run_batch(str(src), "-o", str(out))
    assert res.exit_code == 2, res.output
    rows = {r["id"]: r for r in read_rows(out)}
    assert rows["es"]["error_type"] == "input.unsupported_language"
    assert rows["es"]["score"] is None and rows["es"]["decision"] is None
    assert rows["en"]["error_type"] is None and rows["spun"]["error_type"] is None
    assert "input.unsupported_language 1" in res.output
    anyway = tmp_path / "anyway.jsonl"
    res = run_batch(str(src), "-o", str(anyway), "--any-language")
    assert res.exit_code == 0, res.output
    assert all(r["error_type"] is None for r in read_rows(anyway))


def test_an_html_record_with_a_url_is_not_fetched_and_the_url_places_its_links(tmp_path: Path) -> None:
    """Crawl queues carry the page and its address together. The address is where the page
    lives (its links back to that host are internal), not something to fetch: a loopback
    address, which the fetcher would refuse, scores normally here."""
    from qualityscore import Scorer
    from qualityscore.batch.records import Fields, record_from_mapping
    from qualityscore.batch.worker import _page

    html = ('<html><body><p>' + GOOD + ' Our <a href="http://127.0.0.1:8080/sleep-guide">'
            'sleep guide for shift workers</a> has more on naps before a night shift.</p></body></html>')
    values = {"id": "h", "html": html, "url": "http://127.0.0.1:8080/page"}
    rec = record_from_mapping(values, "line:1", Fields(), ())
    assert rec.job == ("html", html, "http://127.0.0.1:8080/page")
    assert record_from_mapping({"url": "http://127.0.0.1:8080/page"}, "line:1", Fields(), ()).job == (
        "url", "http://127.0.0.1:8080/page", None)
    page = _page(Scorer.load(), rec.job)
    (link,) = page.links
    assert link.internal
    page = _page(Scorer.load(), ("html", html, None))
    assert not page.links[0].internal  # without the address the same link looks external

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(values) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    res = run_batch(str(src), "-o", str(out))
    assert res.exit_code == 0, res.output
    (row,) = read_rows(out)
    assert row["error_type"] is None and row["decision"] in {"ok", "review", "reject"}

"""Reading inputs: decoding, sniffing, limits, and stable error types."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from qualityscore.errors import InputError
from qualityscore.extract.sources import decode_bytes, looks_like_html, read_path
from qualityscore.settings import Settings


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"plain ascii text", "plain ascii text"),
        ("caf\u00e9 au lait".encode(), "caf\u00e9 au lait"),
        (codecs.BOM_UTF8 + b"bom text", "bom text"),
        ("utf-16 text".encode("utf-16"), "utf-16 text"),
        (b"ordinary text with one stray \x00NUL byte", "ordinary text with one stray NUL byte"),
    ],
    ids=["ascii", "utf8", "utf8-bom", "utf16-bom", "nul"],
)
def test_decode(data: bytes, expected: str) -> None:
    assert decode_bytes(data) == expected


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + bytes(50), b"\x7fELF\x02\x01\x01" + bytes(50), b"PK\x03\x04" + bytes(50),
     bytes(range(32)) * 20],
    ids=["png", "elf", "zip", "control-chars"],
)
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(InputError) as exc:
        decode_bytes(data)
    assert exc.value.type == "input.binary"


def test_latin1_is_detected() -> None:
    text = decode_bytes("Les allergies saisonni\u00e8res sont fr\u00e9quentes en \u00e9t\u00e9.".encode("latin-1"))
    assert "saisonni" in text


@pytest.mark.parametrize(
    ("head", "expected"),
    [("<!DOCTYPE html><html>", True), ("  <html><body>", True), ("<p>Hello</p>", True),
     ("Blood pressure < 120 is normal", False), ("# A markdown title", False)],
)
def test_html_sniffing(head: str, expected: bool) -> None:
    assert looks_like_html(head) is expected


def test_path_errors(tmp_path: Path) -> None:
    cases = {
        tmp_path / "missing.txt": "input.not_found",
        tmp_path: "input.is_directory",
    }
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 2048)
    cases[big] = "input.too_large"
    for path, type_ in cases.items():
        with pytest.raises(InputError) as exc:
            read_path(path, settings=Settings(max_input_bytes=1024))
        assert exc.value.type == type_, path
    with pytest.raises(InputError) as exc:  # not ".", the folder Path("") stands for
        read_path("")
    assert exc.value.type == "input.not_found" and "empty path" in exc.value.message


def test_html_suffix_parses_html(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_text("<html><body><p>Regular walking helps people with knee arthritis stay mobile and strong.</p></body></html>")
    page = read_path(f)
    assert page.is_html and "knee arthritis" in page.text


def test_a_latin1_label_reads_as_windows_1252_from_a_header_as_from_a_meta() -> None:
    """The WHATWG encoding standard maps "iso-8859-1" to windows-1252: 0x93/0x94 are curly
    quotes, not C1 control characters, whether the server's header or the page says so."""
    from qualityscore.extract.sources import decode_bytes

    body = b"He said \x93take it with food\x94 \x96 twice a day."
    assert decode_bytes(body, declared="ISO-8859-1") == "He said \u201ctake it with food\u201d \u2013 twice a day."
    meta = b'<html><head><meta charset="iso-8859-1"></head><body>' + body + b"</body></html>"
    assert "\u201ctake it with food\u201d" in decode_bytes(meta)

"""Inputs -> Page: strings, bytes, files and stdin, with decoding and size limits.

Everything that can go wrong with an input becomes an ``InputError`` with a stable type,
so that a front end can report it for that item and carry on with the rest.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path

from ..errors import InputError
from ..page import Page
from ..settings import DEFAULT_SETTINGS, Settings

_HTML_SNIFF_RE = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|div|p|article)\b",
    re.IGNORECASE | re.DOTALL,
)
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an ELF executable"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"MZ", "a Windows executable"),
)
# Share of control characters (other than whitespace) above which bytes are binary.
MAX_CONTROL_CHAR_SHARE = 0.05
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ""})


def looks_like_html(data: str | bytes) -> bool:
    head = data[:2048]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    return bool(_HTML_SNIFF_RE.match(head))


def decode_bytes(data: bytes, *, declared: str | None = None) -> str:
    """Decode bytes as text: BOM, declared charset, UTF-8, then a detector. Binary fails."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(
                f"input is {what}, not text or HTML", type="input.binary"
            )
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return _check_text(data.decode(enc))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"input has a {enc} byte-order mark but is not valid {enc}",
                    type="input.bad_encoding",
                ) from exc
    candidates = [declared] if declared else []
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return _check_text(data.decode(enc))  # type: ignore[arg-type]
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise InputError(
            "input is not text in any encoding we could detect", type="input.binary"
        )
    return _check_text(data.decode(best.encoding, errors="replace"))


def _check_text(text: str) -> str:
    sample = text[:100_000]
    if sample:
        controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
        if controls / len(sample) > MAX_CONTROL_CHAR_SHARE:
            raise InputError(
                "input looks binary (too many control characters)", type="input.binary"
            )
    return text.replace("\x00", "")


def page_from_string(
    content: str,
    *,
    url: str | None = None,
    source: str = "",
    is_html: bool | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Page:
    """A Page from text or HTML given as a string (HTML is sniffed unless told)."""
    if len(content) > settings.max_text_chars:
        raise InputError(
            f"input has {len(content):,} characters; the limit is "
            f"{settings.max_text_chars:,} (setting max_text_chars)",
            type="input.too_large",
        )
    if is_html is None:
        is_html = looks_like_html(content)
    if is_html:
        from .html import parse_html

        return parse_html(content, url=url, source=source, settings=settings)
    return Page(text=content.strip(), is_html=False, source=source, url=url)


def page_from_bytes(
    data: bytes,
    *,
    source: str = "",
    url: str | None = None,
    is_html: bool | None = None,
    charset: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Page:
    if len(data) > settings.max_input_bytes:
        raise InputError(
            f"input is {len(data):,} bytes; the limit is {settings.max_input_bytes:,} "
            "(setting max_input_bytes)",
            type="input.too_large",
        )
    text = decode_bytes(data, declared=charset)
    return page_from_string(text, url=url, source=source, is_html=is_html, settings=settings)


def read_path(path: str | Path, *, settings: Settings = DEFAULT_SETTINGS) -> Page:
    """A Page from a file: .html/.htm parsed as HTML, anything else sniffed.

    Never reads more than ``max_input_bytes`` + 1 bytes, whatever the file is: a device
    (/dev/zero), a pipe, or a file that grows while it is read.
    """
    p = Path(path)
    limit = settings.max_input_bytes
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{p} is a directory, not a file", type="input.is_directory")
        if stat.S_ISREG(st.st_mode) and st.st_size > limit:
            raise InputError(
                f"{p} is {st.st_size:,} bytes; the limit is {limit:,} "
                "(setting max_input_bytes)",
                type="input.too_large",
            )
        data = _read_at_most(p, limit + 1)
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {p}", type="input.not_found") from exc
    except PermissionError as exc:
        raise InputError(f"permission denied: {p}", type="input.unreadable") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{p} is a directory, not a file", type="input.is_directory") from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"could not read {p}: {reason}", type="input.unreadable") from exc
    if len(data) > limit:
        raise InputError(
            f"{p} is more than {limit:,} bytes (setting max_input_bytes)", type="input.too_large"
        )
    suffix = p.suffix.lower()
    is_html = True if suffix in HTML_SUFFIXES else None
    return page_from_bytes(data, source=str(path), is_html=is_html, settings=settings)


def _read_at_most(path: Path, size: int) -> bytes:
    """Read up to ``size`` bytes. Opened non-blocking so that a named pipe with no writer
    reads as empty instead of hanging; reads then block as usual (a pipe being written)."""
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        if nonblock:
            os.set_blocking(fd, True)
        return f.read(size)

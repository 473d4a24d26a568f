"""Inputs -> Page: strings, bytes, files and stdin, with decoding and size limits.

Everything that can go wrong with an input becomes an ``InputError`` with a stable type,
so that a front end can report it for that item and carry on with the rest.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..page import Page
from ..settings import DEFAULT_SETTINGS, Settings

# HTML's element names (WHATWG, plus the obsolete ones old pages still use).
_ELEMENTS = (
    r"a|abbr|acronym|address|area|article|aside|audio|b|base|basefont|bdi|bdo|big|blink|"
    r"blockquote|body|br|button|canvas|caption|center|cite|code|col|colgroup|data|datalist|"
    r"dd|del|details|dfn|dialog|dir|div|dl|dt|em|embed|fieldset|figcaption|figure|font|"
    r"footer|form|frame|frameset|h[1-6]|head|header|hgroup|hr|html|i|iframe|img|input|ins|"
    r"kbd|label|legend|li|link|main|map|mark|marquee|menu|meta|meter|nav|nobr|noframes|"
    r"noscript|object|ol|optgroup|option|output|p|picture|pre|progress|q|rp|rt|ruby|s|samp|"
    r"script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|"
    r"tbody|td|template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr"
)
# A document that opens with markup: after a byte-order mark, an XML declaration, doctypes
# and comments, the first thing is an HTML element's tag.
_HTML_START_RE = re.compile(
    r"^\ufeff?\s*(?:<\?xml[^>]*>\s*)?(?:(?:<!--.*?-->|<!doctype[^>]*>)\s*)*"
    rf"<(?:{_ELEMENTS})(?=[\s/>])",
    re.IGNORECASE | re.DOTALL,
)
# Markup anywhere: a link with an address, or well-formed tags of HTML elements.
_HTML_LINK_RE = re.compile(r"<a\s[^<>]*?\bhref\s*=", re.IGNORECASE)
_HTML_TAG_RE = re.compile(rf"</?(?:{_ELEMENTS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
# Tags (of HTML elements) in the sniffed head from which text is taken to be HTML. Plain
# text about markup may quote a tag or two; a fragment of a page has them on every line.
MIN_HTML_TAGS = 3
SNIFF_CHARS = 65_536
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
# Share of non-ASCII bytes up to which undeclared, non-UTF-8 bytes are read as Windows-1252.
LEGACY_MAX_NON_ASCII = 0.10
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text", ""})


def looks_like_html(data: str | bytes) -> bool:
    """Whether text is HTML: it opens with an HTML element's tag (after a BOM, an XML
    declaration, doctypes and comments), or its head holds a link (``<a href=``) or at
    least ``MIN_HTML_TAGS`` tags of HTML elements. A fragment cut from a page (``<h2>…``,
    ``<figure>…``, text with ``<a href>`` links in it) is HTML, so its links are read:
    the first tag must not decide whether the link signals see a page's links."""
    head = data[:SNIFF_CHARS]
    if isinstance(head, bytes):
        head = head.decode("utf-8", "replace")
    if _HTML_START_RE.match(head) or _HTML_LINK_RE.search(head):
        return True
    tags = 0
    for _ in _HTML_TAG_RE.finditer(head):
        tags += 1
        if tags >= MIN_HTML_TAGS:
            return True
    return False


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
    wide = _utf16_without_bom(data)
    if wide:
        try:
            return _check_text(data.decode(wide))
        except UnicodeDecodeError:
            pass
    if declared and declared.replace("_", "-").lower().startswith(("utf-16", "utf-32")) and b"\x00" not in data:
        declared = None  # English in UTF-16 is half NUL bytes: a header that says so is wrong
    if declared:
        declared = _whatwg(declared.lower())
    # Bytes that are valid UTF-8 are UTF-8 whatever a <meta> says (a page saved as UTF-8
    # often keeps its old "iso-8859-1" declaration); the header is the server's word.
    def candidates() -> Iterator[str | None]:  # the <meta> is looked for only if needed
        if declared:
            yield declared
        yield "utf-8"
        yield _meta_charset(data)

    for enc in candidates():
        if enc is None:
            continue
        try:
            return _check_text(data.decode(enc))  # type: ignore[arg-type]
        except (UnicodeDecodeError, LookupError):
            continue
    sample = data[:200_000]
    if sum(b >= 0x80 for b in sample) <= LEGACY_MAX_NON_ASCII * len(sample):
        # Mostly ASCII with a few high bytes (an "é", curly quotes, "©"): too little for a
        # detector to tell one single-byte code page from another, and English pages that
        # are not UTF-8 are Windows-1252, the web's default for undeclared legacy text.
        try:
            return _check_text(data.decode("cp1252"))
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise InputError(
            "input is not text in any encoding we could detect", type="input.binary"
        )
    return _check_text(data.decode(best.encoding, errors="replace"))


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" for BOM-less UTF-16 text (mostly Latin script: every other
    byte is NUL), else None."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.6 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.6 and odd_nul < 0.05:
        return "utf-16-be"
    return None


_META_CHARSET_RE = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)


def _whatwg(label: str) -> str:
    """A charset label as browsers read it: the WHATWG encoding standard maps
    "iso-8859-1", "latin1" and "us-ascii" to windows-1252 (whose 0x80-0x9F are curly
    quotes and dashes, not control characters), from a header as from a <meta>."""
    return "cp1252" if label in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii") else label


def _meta_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a ``<meta>`` within its first 1,024 bytes (the
    WHATWG prescan's window). UTF-16 there is read as UTF-8, as browsers do."""
    m = _META_CHARSET_RE.search(data[:1024])
    if not m:
        return None
    name = m.group(1).decode("ascii").lower()
    if name.startswith(("utf-16", "utf16", "utf-32")):
        return "utf-8"
    name = _whatwg(name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


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
    if not os.fspath(path):  # Path("") is ".", the current folder: not what was meant
        raise InputError("an empty path names no file", type="input.not_found")
    if "\x00" in str(os.fspath(path)):
        raise InputError(f"{os.fspath(path)!r} contains a NUL character: no file has such a name",
                         type="input.not_found")
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

"""HTML -> Page: main text and metadata with trafilatura, every link with lxml.

trafilatura finds the article and drops navigation; lxml reads the raw markup for the
links (anchor text, href, rel), because the promotion and citation signals need all of
them, including those trafilatura leaves out of the main text.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from ..errors import InputError
from ..page import Link, Page

_WS_RE = re.compile(r"\s+")
# trafilatura renders layout tables as "| cell | cell |" rows; cells become lines.
_TABLE_CELL_RE = re.compile(r"[ \t]*\|[ \t]*")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_MIN_ANCHOR_CHARS = 3


def _clean_text(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            cells = [c.strip() for c in _TABLE_CELL_RE.split(line)]
            cells = [c for c in cells if c and not set(c) <= set("-:")]
            lines.extend(cells)
        else:
            lines.append(line.rstrip())
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return ""


def _links(tree, base_url: str | None) -> list[Link]:  # type: ignore[no-untyped-def]
    page_host = _host(base_url)
    out: list[Link] = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        anchor = _WS_RE.sub(" ", a.text_content() or "").strip()
        rel = tuple(sorted(set((a.get("rel") or "").lower().split())))
        absolute = urljoin(base_url, href) if base_url else href
        host = _host(absolute)
        internal = not host or (bool(page_host) and host == page_host)
        out.append(Link(href=absolute, anchor=anchor, rel=rel, internal=internal))
    return out


def _locate_anchors(text: str, links: list[Link]) -> tuple[Link, ...]:
    """Give each link the offsets of its anchor text in the main text, in reading order."""
    lowered = text.lower()
    cursor = 0
    located: list[Link] = []
    for link in links:
        needle = link.anchor.lower()
        if len(needle) < _MIN_ANCHOR_CHARS:
            located.append(link)
            continue
        pos = lowered.find(needle, cursor)
        if pos < 0:
            pos = lowered.find(needle)
        if pos < 0:
            located.append(link)
            continue
        cursor = pos + len(needle)
        located.append(
            Link(link.href, link.anchor, link.rel, link.internal, pos, pos + len(needle))
        )
    return tuple(located)


def parse_html(html: str | bytes, *, url: str | None = None, source: str = "") -> Page:
    """Extract a Page from an HTML document. Raises InputError on unparseable markup."""
    import lxml.html
    import trafilatura
    from lxml import etree

    if isinstance(html, str):
        # lxml refuses str with an encoding declaration; hand it UTF-8 bytes and say so.
        html = html.encode("utf-8", "surrogatepass")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError, TypeError) as exc:
        raise InputError(f"could not parse HTML: {exc}", type="input.bad_html") from exc

    base = url
    base_el = tree.find(".//base")
    if base_el is not None and base_el.get("href"):
        base = urljoin(url or "", base_el.get("href"))
    links = _links(tree, base)

    doc = None
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, favor_recall=True, include_comments=True
        )
    except (RecursionError, ValueError, TypeError, AttributeError, etree.LxmlError):
        doc = None

    title = ""
    text = ""
    meta: dict[str, str | None] = {}
    if doc is not None:
        text = _clean_text(doc.text or "")
        title = (doc.title or "").strip()
        meta = {
            "author": doc.author,
            "date": doc.date,
            "sitename": doc.sitename,
            "description": doc.description,
        }
    if not text:
        # trafilatura found no article (a page of links, a shop grid): fall back to
        # every visible text node so that spam is not scored as an empty page.
        for bad in tree.xpath("//script|//style|//noscript|//template"):
            bad.drop_tree()
        body = tree.find("body")
        raw = (body if body is not None else tree).text_content()
        text = _BLANK_LINES_RE.sub("\n\n", "\n".join(ln.strip() for ln in raw.splitlines()))
        text = text.strip()
    if not title:
        t = tree.find(".//title")
        title = _WS_RE.sub(" ", t.text_content()).strip() if t is not None else ""

    return Page(
        text=text,
        title=title,
        links=_locate_anchors(text, links),
        is_html=True,
        source=source,
        url=url,
        author=meta.get("author"),
        date=meta.get("date"),
        sitename=meta.get("sitename"),
        description=meta.get("description"),
    )

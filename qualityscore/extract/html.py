"""HTML -> Page: main text and metadata with trafilatura, every link with lxml.

trafilatura finds the article and drops navigation; lxml reads the raw markup for the
links (anchor text, href, rel), because the promotion and citation signals need all of
them, including those trafilatura leaves out of the main text.

Markup comes from spammers, so its cost is bounded before the expensive steps (settings
``max_html_attributes``, ``max_html_depth``, ``max_html_nodes``): a page past a limit is an
``input.too_complex`` error, never a silently truncated page. See SECURITY.md.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from ..errors import InputError
from ..page import Link, Page
from ..settings import DEFAULT_SETTINGS, Settings

_WS_RE = re.compile(r"\s+")
# trafilatura renders layout tables as "| cell | cell |" rows; cells become lines.
_TABLE_CELL_RE = re.compile(r"[ \t]*\|[ \t]*")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_MIN_ANCHOR_CHARS = 3
# The deepest tree libxml2 builds without huge_tree (which we never set: it lifts the
# parser's other safety limits too).
LIBXML2_MAX_DEPTH = 255
# Anchor texts are looked up in the main text; a page of 30,000 links whose anchors are
# not in a 500 KB text would cost 15 billion character comparisons. Past this many
# characters searched, the remaining links stay unlocated (start = -1).
ANCHOR_SEARCH_BUDGET_CHARS = 300_000_000
# trafilatura's cost on one <p> grows with the square of the elements inside it (its
# "//p//text()" query): 8,000 links in one paragraph take ten seconds. When the sum of
# those squares passes this (one paragraph of 3,000 elements), the page is read as all
# its visible text instead, as when trafilatura finds no article.
MAX_PARAGRAPH_LOAD = 3_000**2

# A tokenizer just good enough to count the attributes of each tag before libxml2 does
# (see check_markup). It follows HTML5's tag, attribute, comment and raw-text rules so that
# quoted values, comments and scripts are not miscounted; the exact count is taken again
# on the parsed tree.
_TAG_SCAN_RE = re.compile(
    rb"""
    <!--(?:-?>|.*?(?:--!?>|\Z))                # comment (also the abrupt <!--> and <!--->)
  | <[!?][^>]*>?                              # doctype, bogus comment, processing instruction
  | </(?![A-Za-z])[^>]*>?                     # </ not followed by a name: bogus comment
  | <(?P<end>/?)(?P<name>[A-Za-z][^\s/>]*)     # start or end tag, then its attributes:
    (?P<attrs>(?:[\s/]+(?:[^\s/>=][^\s/>=]*|=[^\s/>=]*)(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?)*)
    """,
    re.DOTALL | re.VERBOSE,
)
_ATTR_RE = re.compile(
    rb"""[\s/]+(?:[^\s/>=][^\s/>=]*|=[^\s/>=]*)(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?"""
)
# Elements whose content is text up to their end tag, never markup.
_RAW_TEXT_ELEMENTS = frozenset(
    {b"script", b"style", b"textarea", b"title", b"xmp", b"iframe", b"noembed", b"noframes"}
)


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
        absolute = _urljoin(base_url, href)
        host = _host(absolute)
        internal = not host or (bool(page_host) and host == page_host)
        out.append(Link(href=absolute, anchor=anchor, rel=rel, internal=internal))
    return out


def _locate_anchors(
    text: str, links: list[Link], *, budget_chars: int = ANCHOR_SEARCH_BUDGET_CHARS
) -> tuple[Link, ...]:
    """Give each link the offsets of its anchor text in the main text, in reading order."""
    lowered = text.lower()
    cursor = 0
    located: list[Link] = []
    absent: set[str] = set()  # anchors not in the text at all: searched once each
    searched = 0
    for link in links:
        needle = link.anchor.lower()
        if len(needle) < _MIN_ANCHOR_CHARS or needle in absent or searched > budget_chars:
            located.append(link)
            continue
        pos = lowered.find(needle, cursor)
        searched += (pos if pos >= 0 else len(lowered)) - cursor
        if pos < 0:
            pos = lowered.find(needle)
            searched += pos if pos >= 0 else len(lowered)
        if pos < 0:
            absent.add(needle)
            located.append(link)
            continue
        cursor = pos + len(needle)
        located.append(
            Link(link.href, link.anchor, link.rel, link.internal, pos, pos + len(needle))
        )
    return tuple(located)


def check_markup(markup: bytes, settings: Settings = DEFAULT_SETTINGS) -> None:
    """Refuse a tag with more than ``max_html_attributes`` attributes, before libxml2 sees it.

    libxml2 compares each attribute of a tag with all the earlier ones, so its cost grows
    with the square of their number. This scan is linear; it only needs to look inside
    tags long enough to hold that many attributes (two bytes each at least).
    """
    limit = settings.max_html_attributes
    if len(markup) <= 2 * limit:
        return
    lowered: bytes | None = None
    pos = 0
    while True:
        m = _TAG_SCAN_RE.search(markup, pos)
        if m is None:
            return
        pos = m.end()
        name, attrs = m.group("name"), m.group("attrs")
        if name is None:
            continue
        if len(attrs) > 2 * limit and len(_ATTR_RE.findall(attrs)) > limit:
            raise _too_complex(
                f"an HTML <{name[:40].decode('ascii', 'replace')}> tag has more than "
                f"{limit:,} attributes (setting max_html_attributes)"
            )
        if not m.group("end") and name.lower() in _RAW_TEXT_ELEMENTS:
            # Script or style text: skip to its end tag, where markup starts again.
            lowered = markup.lower() if lowered is None else lowered
            close = lowered.find(b"</" + name.lower(), pos)
            if close < 0:
                return
            pos = close


def check_tree(tree, settings: Settings = DEFAULT_SETTINGS) -> int:  # type: ignore[no-untyped-def]
    """Refuse a parsed tree past the depth, node or attribute limits; return its paragraph load.

    The load is the sum, over <p> elements, of the square of the elements inside each: what
    trafilatura's work on the page grows with (see MAX_PARAGRAPH_LOAD).
    """
    from lxml import etree

    depth = nodes = load = 0
    in_paragraph: list[int] = []  # element counts of the open <p> elements
    for event, el in etree.iterwalk(tree, events=("start", "end")):
        if event == "end":
            depth -= 1
            if el.tag == "p":
                inside = in_paragraph.pop()
                load += inside * inside
                if in_paragraph:
                    in_paragraph[-1] += inside
            continue
        depth += 1
        nodes += 1
        if depth > settings.max_html_depth:
            raise _too_complex(
                f"HTML is nested more than {settings.max_html_depth:,} elements deep "
                "(setting max_html_depth)"
            )
        if nodes > settings.max_html_nodes:
            raise _too_complex(
                f"HTML has more than {settings.max_html_nodes:,} elements "
                "(setting max_html_nodes)"
            )
        if len(el.attrib) > settings.max_html_attributes:
            raise _too_complex(
                f"an HTML element has more than {settings.max_html_attributes:,} attributes "
                "(setting max_html_attributes)"
            )
        if el.tag == "p":
            in_paragraph.append(0)
        elif in_paragraph:
            in_paragraph[-1] += 1
    return load


def _too_complex(message: str) -> InputError:
    return InputError(message, type="input.too_complex")


def declared_url(tree) -> str | None:  # type: ignore[no-untyped-def]
    """The absolute http(s) URL a page gives as its own: ``<link rel=canonical>``, then
    ``<meta property=og:url>``. None when it states neither (or only a relative or
    malformed one)."""
    candidates = [
        el.get("href") for el in tree.iter("link")
        if "canonical" in (el.get("rel") or "").lower().split()
    ]
    candidates += [
        el.get("content") for el in tree.iter("meta") if (el.get("property") or "").lower() == "og:url"
    ]
    for raw in candidates:
        value = (raw or "").strip()
        if value.lower().startswith(("http://", "https://")) and _host(value):
            return value
    return None


def _urljoin(base: str | None, href: str) -> str:
    """urljoin that keeps ``href`` as written when either URL is malformed ("http://[")."""
    if not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def parse_html(
    html: str | bytes,
    *,
    url: str | None = None,
    source: str = "",
    settings: Settings = DEFAULT_SETTINGS,
) -> Page:
    """Extract a Page from an HTML document.

    Raises InputError: ``input.bad_html`` for markup libxml2 cannot read as a document,
    ``input.too_complex`` past the structure limits in ``settings``.
    """
    import lxml.html
    import trafilatura
    from lxml import etree

    if isinstance(html, str):
        # lxml refuses str with an encoding declaration; hand it UTF-8 bytes and say so.
        html = html.encode("utf-8", "surrogatepass")
    check_markup(html, settings)
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError, TypeError) as exc:
        if "empty" in str(exc).lower():  # "Document is empty": nothing but whitespace
            raise InputError("input is empty (HTML with no content)", type="input.empty") from exc
        raise InputError(f"could not parse HTML: {exc}", type="input.bad_html") from exc
    # libxml2 stops at a resource limit (255 levels deep, ...) with a fatal error but hands
    # back the tree so far: the rest of the page would be silently lost.
    fatal = parser.error_log.filter_from_fatals()
    if fatal:
        error = fatal[0]
        if "depth" in error.message.lower():
            raise _too_complex(
                f"HTML is nested more than {min(settings.max_html_depth, LIBXML2_MAX_DEPTH)} "
                "elements deep (setting max_html_depth)"
            )
        if error.type_name == "ERR_RESOURCE_LIMIT":
            raise _too_complex(f"HTML is past a limit of the parser: {error.message.strip()}")
        raise InputError(f"could not parse HTML: {error.message.strip()}", type="input.bad_html")
    paragraph_load = check_tree(tree, settings)

    base = url
    base_el = tree.find(".//base")
    if base_el is not None and base_el.get("href"):
        base = _urljoin(url, base_el.get("href"))
    if not _host(base):
        # A saved page read from a file or a string: its own URL, when it states one,
        # tells its links to itself from links to other sites.
        base = declared_url(tree) or base
    links = _links(tree, base)

    doc = None
    if paragraph_load <= MAX_PARAGRAPH_LOAD:
        try:
            doc = trafilatura.bare_extraction(
                tree, url=url, with_metadata=True, favor_recall=True, include_comments=True
            )
        except Exception:  # third-party code on hostile markup: no article, use the fallback
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

"""Limits as settings, and bounded work on adversarial shapes.

Each limit is a named setting with a safe default; past it the input is an error with a
stable type, never a silent truncation. The shapes at the end are texts that once made a
regular expression or a loop quadratic (each took from half a minute to hours at these
sizes); they must now take a fraction of a second.
"""

from __future__ import annotations

import time

import pytest

from qualityscore.errors import InputError
from qualityscore.extract.html import (
    LIBXML2_MAX_DEPTH,
    MAX_PARAGRAPH_LOAD,
    _locate_anchors,
    check_markup,
    check_tree,
    parse_html,
)
from qualityscore.extract.sources import page_from_bytes, page_from_string
from qualityscore.page import Link, Page
from qualityscore.settings import DEFAULT_SETTINGS, Settings
from qualityscore.signals import SignalSet
from qualityscore.text import Doc

ARTICLE = "Regular walking helps people with knee arthritis stay mobile and strong. "


def nested(levels: int) -> str:
    """A page whose deepest element is ``levels`` deep, counting <html> and <body>."""
    k = levels - 2
    return "<html><body>" + "<div>" * k + ARTICLE + "</div>" * k + "</body></html>"


def test_defaults_are_set_and_safe() -> None:
    s = DEFAULT_SETTINGS
    for name in ("max_input_bytes", "max_text_chars", "max_html_depth", "max_html_nodes", "max_html_attributes"):
        assert isinstance(getattr(s, name), int) and getattr(s, name) > 0, name
    assert s.max_html_depth <= LIBXML2_MAX_DEPTH
    assert Settings().with_options(max_html_nodes=10).max_html_nodes == 10


def test_text_and_byte_limits_are_errors_not_truncations() -> None:
    small = Settings(max_text_chars=100, max_input_bytes=200)
    with pytest.raises(InputError) as exc:
        page_from_string("a" * 101, settings=small)
    assert exc.value.type == "input.too_large" and "max_text_chars" in exc.value.message
    with pytest.raises(InputError) as exc:
        page_from_bytes(b"a" * 201, settings=small)
    assert exc.value.type == "input.too_large" and "max_input_bytes" in exc.value.message
    assert page_from_string("a" * 100, settings=small).text == "a" * 100


def test_depth_limit_comes_from_settings() -> None:
    s = Settings(max_html_depth=20)
    assert "knee arthritis" in parse_html(nested(20), settings=s).text
    with pytest.raises(InputError) as exc:
        parse_html(nested(21), settings=s)
    assert exc.value.type == "input.too_complex" and "max_html_depth" in exc.value.message


@pytest.mark.parametrize("levels", [260, 5_000])
def test_parser_depth_cap_is_an_error_not_a_lost_page(levels: int) -> None:
    """libxml2 stops at 256 levels and returns the tree so far: that page was not read."""
    with pytest.raises(InputError) as exc:
        parse_html(nested(levels), settings=Settings(max_html_depth=10_000))
    assert exc.value.type == "input.too_complex"


def test_unclosed_inline_tags_count_as_depth() -> None:
    with pytest.raises(InputError) as exc:
        parse_html("<html><body>" + "<b>bold " * 1_000 + "</body></html>")
    assert exc.value.type == "input.too_complex"


def test_node_limit_comes_from_settings() -> None:
    s = Settings(max_html_nodes=100)
    ok = "<html><body>" + f"<p>{ARTICLE}</p>" * 90 + "</body></html>"
    assert parse_html(ok, settings=s).text
    with pytest.raises(InputError) as exc:
        parse_html("<html><body>" + "<p>x</p>" * 120 + "</body></html>", settings=s)
    assert exc.value.type == "input.too_complex" and "max_html_nodes" in exc.value.message


def _tag(n: int, **extra: str) -> str:
    attrs = " ".join(f"a{i}={i}" for i in range(n))
    more = " ".join(f'{k}="{v}"' for k, v in extra.items())
    return f"<html><body><p {attrs} {more}>{ARTICLE}</p></body></html>"


@pytest.mark.parametrize(
    ("html", "refused"),
    [
        (_tag(10), False),
        (_tag(11), True),
        (_tag(11)[: -len(f">{ARTICLE}</p></body></html>")], True),  # the tag never closes
        # Quoted values hide spaces and ">" from the count; the attribute still counts once.
        (_tag(9, title="a b c d e f g h i j k l > m n o p"), False),
        (_tag(5, title="x", alt=">" * 50, style="a: b; c: d; e: f; g: h; i: j; k: l"), False),
        # Attribute-like text inside a comment or a script is not markup.
        ("<html><body><!-- <p " + "a " * 50 + "> --><p>" + ARTICLE + "</p></body></html>", False),
        ("<html><body><script>var s = '<p " + "b=1 " * 50 + ">';</script><p>" + ARTICLE + "</p></body></html>", False),
        # A comment opened inside a tag's value does not hide the next tag.
        ('<html><body><p title="<!--">' + ARTICLE + "</p><p " + "c=1 " * 50 + ">x</p></body></html>", True),
    ],
    ids=["at-limit", "over-limit", "unclosed-tag", "quoted-spaces", "quoted-gt", "in-comment", "in-script",
         "comment-in-value"],
)
def test_attribute_limit_before_parsing(html: str, refused: bool) -> None:
    s = Settings(max_html_attributes=10)
    if refused:
        with pytest.raises(InputError) as exc:
            check_markup(html.encode(), s)
        assert exc.value.type == "input.too_complex" and "max_html_attributes" in exc.value.message
    else:
        check_markup(html.encode(), s)
        assert "knee arthritis" in parse_html(html, settings=s).text


def test_attribute_limit_is_checked_again_on_the_tree() -> None:
    """Whatever the pre-scan missed, the parsed tree is counted exactly."""
    import lxml.html

    tree = lxml.html.document_fromstring(_tag(50))
    with pytest.raises(InputError) as exc:
        check_tree(tree, Settings(max_html_attributes=10))
    assert exc.value.type == "input.too_complex"
    assert check_tree(tree, Settings(max_html_attributes=50)) >= 0


def test_attribute_bomb_is_refused_fast() -> None:
    """100,000 distinct attributes on one tag: about a minute inside libxml2 if parsed."""
    html = "<html><body><p " + " ".join(f"x{i}" for i in range(100_000)) + ">text</p></body></html>"
    start = time.perf_counter()
    with pytest.raises(InputError) as exc:
        parse_html(html)
    assert exc.value.type == "input.too_complex"
    assert time.perf_counter() - start < 5


def test_huge_paragraph_is_read_as_visible_text_in_bounded_time() -> None:
    """8,000 links in one <p>: trafilatura's cost is quadratic there (ten seconds and more)."""
    links = "".join(f' <a href="https://shop.example/p{i}?ref=1">pill {i}</a>' for i in range(8_000))
    html = f"<html><body><article><p>{ARTICLE}{links}</p></article></body></html>"
    tree_load = 8_001**2
    assert tree_load > MAX_PARAGRAPH_LOAD
    start = time.perf_counter()
    page = parse_html(html)
    assert time.perf_counter() - start < 15
    assert "knee arthritis" in page.text and "pill 7999" in page.text
    assert len(page.links) == 8_000


def test_anchor_search_has_a_budget() -> None:
    text = ARTICLE * 100
    links = [Link(href=f"/n{i}", anchor=f"missing anchor {i}") for i in range(50)]
    links.append(Link(href="/walk", anchor="knee arthritis"))
    located = _locate_anchors(text, links)
    assert located[-1].start >= 0 and text[located[-1].start : located[-1].end] == "knee arthritis"
    starved = _locate_anchors(text, links, budget_chars=0)
    assert len(starved) == len(links)
    assert all(lk.start == -1 for lk in starved[1:])


def test_many_unlocatable_anchors_are_bounded() -> None:
    """20,000 navigation links whose anchors are not in a long article."""
    nav = "".join(f'<a href="/n{i}">navigation entry {i:05d}</a>' for i in range(20_000))
    body = "<article>" + f"<p>{ARTICLE * 40}</p>" * 100 + "</article>"
    html = f"<html><body><nav>{nav}</nav>{body}</body></html>"
    start = time.perf_counter()
    page = parse_html(html)
    assert time.perf_counter() - start < 30
    assert len(page.links) == 20_000


N = 40_000
SHAPES = {
    # citation: author-year pattern retried inside long words and particle chains
    "capital-run": "A" * N + " (2019)",
    "accented-run": "é" * N + " (2019)",
    "apostrophe-chain": "Ab'" * (N // 3) + " (2019)",
    "hyphen-chain": "Ab-" * (N // 3) + " (2019)",
    "particle-chain": "van " * (N // 4) + "(2019)",
    "author-and-then-spaces": "(Smith and" + " " * N + "x 2019)",
    # citation: reference heading with two whitespace runs around an optional colon
    "heading-then-tabs": "References" + "\t" * N + "x",
    # citation: overlap checks and sentence lookups per claim
    "dense-claims": "5% " * (N // 3),
    "dense-claim-sentences": "Studies show 5% more. " * (N // 22),
    # credibility: byline pattern restarted at every newline of a blank run
    "newline-run": "\n" * N,
    "blank-lines": " \n" * (N // 2),
    # spin: mangled-citation pattern with two whitespace runs around an optional "("
    "et-al-then-spaces": "et al" + " " * N + "x",
    "comma-then-spaces": ", " + " " * N + "x",
    "shouting": "ABC " * (N // 4),
    "digits": "1." * (N // 2),
}


@pytest.fixture(scope="module")
def signal_set() -> SignalSet:
    """The families without learned resources: the patterns and loops under test are the
    same, and timings stay free of the model's own (thread-pool) overheads."""
    return SignalSet()


@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
def test_signals_take_linear_time_on_adversarial_text(shape: str, signal_set: SignalSet) -> None:
    text = SHAPES[shape]
    page = Page(text=text)
    doc = Doc(text)
    for fam in signal_set.families:
        start = time.perf_counter()
        fam.analyze(doc, page)
        assert time.perf_counter() - start < 10, f"{fam.family} on {shape}"


def test_promotion_links_times_sentences_is_linear(signal_set: SignalSet) -> None:
    """20,000 sentences, each with a commercial link dropped in: one lookup per link."""
    sentence = "Many readers found that cheap pills worked well for them today. "
    text = sentence * 20_000
    offset = sentence.index("cheap pills")
    links = tuple(
        Link(href=f"https://shop.example/buy/{i}?ref=9", anchor="cheap pills", start=i * len(sentence) + offset,
             end=i * len(sentence) + offset + len("cheap pills"))
        for i in range(20_000)
    )
    page = Page(text=text, links=links, is_html=True)
    promotion = next(f for f in signal_set.families if f.family == "promotion")
    start = time.perf_counter()
    out = promotion.analyze(Doc(text), page)
    assert time.perf_counter() - start < 10
    assert out.features["affiliate_links"] == 20_000

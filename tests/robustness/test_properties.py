"""Properties over generated inputs (hypothesis): every signal family and the scorer.

For any Unicode text (lone surrogates included) and any HTML-ish string: nothing raises
but InputError with a known type; every finding's offsets lie inside the text and quote
it exactly; features are floats (NaN only for missing evidence); scores lie in [0, 100];
the same input gives the same answer.

Runs are derandomized (the same examples every time, no example database written into
the repo). Set QS_HYPOTHESIS_EXPLORE=1 to draw new examples, five times as many.
"""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qs_testkit import assert_offsets_round_trip

from qualityscore.errors import InputError
from qualityscore.extract.sources import decode_bytes, page_from_bytes, page_from_string
from qualityscore.language import check_english
from qualityscore.page import Page
from qualityscore.scorer import spam_evidence
from qualityscore.text import Doc

_EXPLORE = bool(os.environ.get("QS_HYPOTHESIS_EXPLORE"))
KNOWN_INPUT_ERRORS = {
    "input.binary", "input.bad_encoding", "input.too_large", "input.too_complex", "input.bad_html",
    "input.empty",
}


def profile(examples: int) -> settings:
    return settings(
        max_examples=examples * (5 if _EXPLORE else 1),
        deadline=None,
        database=None,
        derandomize=not _EXPLORE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Fragments that make the rules fire, so that findings (and their offsets) get exercised.
FRAGMENTS = (
    "studies show", "clinically proven", "cures cancer", "5%", "one in ten people", "(Smith et al., 2019)",
    "Smith and Jones (2020)", "[1]", "doi:10.1000/xyz123", "PMID: 123456", "References\n", "By Jane Doe\n",
    "Jane Doe, MD", "Medically reviewed by", "Updated: 3 May 2021", "Talk to your doctor", "conflict of interest",
    "Order now", "Call 1-800-555-0100", "$19.99", "®", "Top 10 Secrets", "Doctors hate", "Leave a reply",
    "blood strain", "despair", "symptoms of despair", "et al. (twenty fourteen)", "fifty pc",
    "high blood pressure", "SHOUT SHOUT SHOUT", "!!!", ". ", "\n", "\n\n", " ", "\t", "-", "'", "’", "(", ")",
    "é", "中文", "ضغط", "\u200b", "\u202e", "\x00", "\ufeff", "🩺", "A" * 30, "1.1.1.1",
)
texty = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)
any_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=200),  # lone surrogates too
    texty,
)

TAGS = (
    "p", "div", "a", "span", "b", "i", "article", "main", "nav", "footer", "h1", "h2", "ul", "li", "table",
    "tr", "td", "script", "style", "noscript", "template", "title", "base", "meta", "br", "img", "svg",
    "iframe", "textarea", "form", "blockquote", "pre", "code",
)
URLS = (
    "https://pubmed.ncbi.nlm.nih.gov/123/", "https://www.nhs.uk/conditions/", "https://shop.example/buy/x?ref=1",
    "https://bit.ly/abc", "/relative/page", "//cdn.example/x", "#top", "javascript:alert(1)", "mailto:a@b.example",
    "http://[broken", "http://[::1", "http://exa mple.example/%zz", "http://a.example:99999/", "", " ", "\x00",
    "http://127.0.0.1/", "https://例え.テスト/パス",
)
MARKUP_BITS = (
    "&amp;", "&nbsp;", "&#0;", "&#xD800;", "&#99999999;", "&bogus;", "<!-- comment -->", "<!-->", "<!--",
    "<![CDATA[x]]>", "</p>", "</div>", "<p", "<a href=", '"', "'", "<?php echo 1; ?>", "<!DOCTYPE html>", ">",
    "<", "</", "<br/>", "<meta charset='utf-16'>", "<base href='http://[x'>", "\x00", "\ufeff",
)
attributes = st.dictionaries(
    st.sampled_from(("href", "rel", "class", "id", "title", "src", "content", "name", "style", "dir", "lang")),
    st.one_of(st.sampled_from(URLS), st.sampled_from(("sponsored nofollow", "author", "nav", "rtl"))),
    max_size=3,
)


def _render(tag: str, attrs: dict[str, str], children: list[str], closed: bool) -> str:
    quoted = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs.items())
    return f"<{tag}{quoted}>" + "".join(children) + (f"</{tag}>" if closed else "")


# Links and <base> elements are leaves of their own: URL handling is where hostile hrefs bite.
link = st.builds(
    lambda href, anchor: f'<a href="{href}">{anchor}</a>', st.sampled_from(URLS), st.sampled_from(FRAGMENTS)
)
base = st.sampled_from(URLS).map(lambda href: f'<base href="{href}">')
html_fragment = st.recursive(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(MARKUP_BITS), st.text(max_size=12), link, base),
    lambda kids: st.builds(_render, st.sampled_from(TAGS), attributes, st.lists(kids, max_size=4), st.booleans()),
    max_leaves=30,
)
html_like = st.one_of(
    html_fragment,
    html_fragment.map(lambda body: f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>"),
    st.lists(st.sampled_from(MARKUP_BITS + FRAGMENTS), max_size=30).map("".join),
)


def check_features(features: dict[str, float], names: list[str]) -> None:
    assert list(features) == names
    for name, value in features.items():
        assert isinstance(value, float), name
        assert math.isfinite(value) or math.isnan(value), (name, value)


def check_page(page: Page) -> None:
    """The reader's own offsets: located anchors quote the text."""
    for link in page.links:
        if link.start >= 0:
            assert 0 <= link.start < link.end <= len(page.text)
            assert page.text[link.start : link.end].lower() == link.anchor.lower()


PAGE_URLS = (None, "https://health.example/articles/1", "http://[broken", "file:///etc/passwd")


def read(content: str, is_html: bool | None, url: str | None = None) -> Page | None:
    try:
        return page_from_string(content, is_html=is_html, url=url)
    except InputError as exc:
        assert exc.type in KNOWN_INPUT_ERRORS, exc.type
        return None


@profile(200)
@given(text=any_text, is_html=st.booleans())
def test_every_family_on_any_text(scorer, text: str, is_html: bool) -> None:  # type: ignore[no-untyped-def]
    """Straight to the signals (no reader): any str at all, as text or as HTML's text."""
    page = Page(text=text, is_html=is_html)
    doc = Doc(text)
    for fam in scorer.signals.families:
        out = fam.analyze(doc, page)
        check_features(out.features, list(fam.feature_names))
        assert_offsets_round_trip(text, out.findings)
        for f in out.findings:
            assert math.isfinite(f.weight)
        again = fam.analyze(Doc(text), page)
        assert again.findings == out.findings
        assert json.dumps(again.features) == json.dumps(out.features)  # NaN-aware equality


@profile(150)
@given(
    content=st.one_of(html_like, any_text), is_html=st.sampled_from([True, None]), url=st.sampled_from(PAGE_URLS)
)
def test_reader_and_signals_on_html_like_strings(scorer, content: str, is_html: bool | None, url: str | None) -> None:  # type: ignore[no-untyped-def]
    page = read(content, is_html, url)
    if page is None:
        return
    check_page(page)
    analysis = scorer.signals.analyze(page)
    assert_offsets_round_trip(page.text, analysis.findings)


@profile(100)
@given(content=st.one_of(html_like, any_text))
def test_scorer_is_bounded_and_deterministic(scorer, content: str) -> None:  # type: ignore[no-untyped-def]
    page = read(content, None)
    if page is None:
        return
    if re.search(r"\w", page.text) is None:
        # Nothing to read: refused as input.empty by every entry point, never scored.
        with pytest.raises(InputError) as exc:
            scorer.score_page(page)
        assert exc.value.type == "input.empty"
        return
    try:
        check_english(page.text, scorer.settings)
    except InputError as refused:
        # Not English (a snippet with no word in the Latin alphabet): never scored.
        with pytest.raises(InputError) as exc:
            scorer.score_page(page)
        assert exc.value.type == refused.type == "input.unsupported_language"
        return
    result = scorer.score_page(page)
    assert result.error is None
    assert 0.0 <= result.score <= 100.0
    assert 0.0 <= result.probability_low_quality <= 1.0
    assert math.isclose(result.score, 100.0 * (1.0 - result.probability_low_quality), abs_tol=1e-9)
    words = Doc(page.text).word_count
    evidence = spam_evidence(result.findings)
    assert result.decision == scorer.decide_page(result.score, words, evidence=evidence)
    short = words < scorer.settings.min_words_to_pass
    held_back = short and (scorer.decide(result.score) == "ok"
                           or (scorer.decide(result.score) == "reject" and not evidence))
    assert (result.decision == "review") if held_back else (result.decision == scorer.decide(result.score))
    assert any(f.rule == "input.short_text" for f in result.findings) == (held_back and scorer.settings.max_findings > 0)
    assert len(result.findings) <= scorer.settings.max_findings
    assert_offsets_round_trip(page.text, result.findings)
    page_signals = [f for f in result.findings if f.family == "signals"]
    assert len({f.weight > 0 for f in page_signals}) <= 1  # one direction: the branch's lean
    assert all(f.rule.removeprefix("signals.") in result.signals for f in page_signals)
    row = result.to_dict()
    json.dumps(row, allow_nan=False)
    assert scorer.score_page(page).to_dict() == row
    assert scorer.score(content).to_dict() == row  # the public entry point reads the same page


BOMS = (b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\x89PNG", b"PK\x03\x04")


@profile(200)
@given(prefix=st.sampled_from(BOMS), data=st.binary(max_size=3000))
def test_any_bytes_decode_or_refuse(prefix: bytes, data: bytes) -> None:
    raw = prefix + data
    try:
        text = decode_bytes(raw)
    except InputError as exc:
        assert exc.type in {"input.binary", "input.bad_encoding"}, exc.type
    else:
        assert isinstance(text, str) and "\x00" not in text
    try:
        page = page_from_bytes(raw)
    except InputError as exc:
        assert exc.type in KNOWN_INPUT_ERRORS, exc.type
    else:
        check_page(page)


@profile(100)
@given(content=html_like, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "shift_jis"]))
def test_encoded_html_reads_or_refuses(content: str, encoding: str) -> None:
    raw = content.encode(encoding, errors="replace")
    try:
        page = page_from_bytes(raw, is_html=True)
    except InputError as exc:
        assert exc.type in KNOWN_INPUT_ERRORS, exc.type
    else:
        check_page(page)

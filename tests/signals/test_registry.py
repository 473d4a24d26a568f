"""The registry: feature layout, types, degenerate inputs and determinism."""

from __future__ import annotations

import math

import pytest

from qualityscore.page import FAMILIES, Page
from qualityscore.signals import REGISTRY, SignalSet, feature_names

SPAMMY = (
    "<!DOCTYPE html><html><head><title>Lose weight fast with slim tea</title></head><body>"
    "<article><h1>Lose weight fast with slim tea</h1>"
    "<p>You won't believe this one weird trick. Studies show that slim tea melts fat and "
    "it is clinically proven. Check your blood strain and watch for aspect results.</p>"
    "<p>Order now for only $39.99! Call 1-800-356-9377. You can "
    '<a href="https://bit.ly/3AbCdEf">buy slim tea online</a> from our partner today.</p>'
    "<p>Leave a reply. Your email address will not be published.</p>"
    "</article></body></html>"
)
CLEAN = (
    "Author: Anna Berg, MD\nLast reviewed: March 3, 2023\n\n"
    "Regular walking lowers blood pressure in most adults (Smith et al., 2019). Aim for "
    "thirty minutes on most days. Talk to your doctor before starting a new routine if "
    "you have heart disease.\n\nReferences\n\n1. Smith J. Walking and blood pressure. "
    "PMID: 31234567"
)

INPUTS = [
    pytest.param("", id="empty"),
    pytest.param("   \n\t  \n", id="whitespace"),
    pytest.param("\u00a0\u2003\u3000", id="unicode-whitespace"),
    pytest.param("!!!", id="punctuation-only"),
    pytest.param("42 17 2023", id="numbers-only"),
    pytest.param("word", id="one-word"),
    pytest.param("<html></html>", id="empty-html"),
    pytest.param(CLEAN, id="clean-text"),
    pytest.param(SPAMMY, id="spammy-html"),
]


def test_registry_order_matches_families():
    assert tuple(cls.family for cls in REGISTRY) == FAMILIES


def test_feature_names_unique_and_qualified():
    names = feature_names()
    assert len(names) == len(set(names))
    for name in names:
        family, _, short = name.partition(".")
        assert family in FAMILIES and short, name


@pytest.mark.parametrize("content", INPUTS)
def test_features_match_feature_names_in_order(sig, content):
    run = sig.all(content)
    assert list(run.features) == feature_names()


@pytest.mark.parametrize("content", INPUTS)
def test_every_feature_is_a_float(sig, content):
    run = sig.all(content)
    for name, value in run.features.items():
        assert type(value) is float, name
        assert not math.isinf(value), name


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\u00a0"])
def test_empty_and_whitespace_analyse_without_error(sig, text):
    run = sig.all(text)
    assert run.findings == ()
    assert len(run.features) == len(feature_names())


def test_empty_page_object(signal_set):
    analysis = signal_set.analyze(Page(text=""))
    assert analysis.findings == ()
    assert list(analysis.features) == feature_names()


@pytest.mark.parametrize("content", INPUTS)
def test_analysis_is_deterministic(sig, content):
    first = sig.all(content)
    second = sig.all(content)
    assert first.findings == second.findings
    assert list(first.features) == list(second.features)
    for name in first.features:
        a, b = first.features[name], second.features[name]
        assert (math.isnan(a) and math.isnan(b)) or a == b, name


def test_fresh_signal_sets_agree(sig):
    page = sig.page(SPAMMY)
    a, b = SignalSet().analyze(page), SignalSet().analyze(page)
    assert a.findings == b.findings
    assert [repr(v) for v in a.features.values()] == [repr(v) for v in b.features.values()]


@pytest.mark.parametrize("content", INPUTS)
def test_findings_sorted_by_position(sig, content):
    run = sig.all(content)
    keys = [(f.start, f.end, f.rule) for f in run.findings]
    assert keys == sorted(keys)


def test_spammy_page_fires_across_families(sig):
    run = sig.all(SPAMMY)
    families = {f.family for f in run.findings}
    assert {"spin", "promotion", "citation", "boilerplate"} <= families


def test_clean_page_has_quality_evidence_only(sig):
    run = sig.all(CLEAN)
    assert {f.family for f in run.findings} <= {"credibility", "citation"}
    assert all(f.weight < 0 for f in run.findings)


def test_plain_text_link_features_are_missing(sig):
    run = sig.all(CLEAN)
    for name in (
        "promotion.links_per_100w",
        "promotion.affiliate_links",
        "citation.authoritative_links",
        "credibility.meta_author",
    ):
        assert math.isnan(run.features[name]), name


def test_html_link_features_are_present(sig):
    run = sig.all(SPAMMY)
    for name in (
        "promotion.links_per_100w",
        "promotion.affiliate_links",
        "citation.authoritative_links",
        "credibility.meta_author",
    ):
        assert not math.isnan(run.features[name]), name
    assert run.features["promotion.affiliate_links"] == 1.0

"""Credibility markers: byline, credentials, review, date, disclaimer, disclosure."""

from __future__ import annotations

import math

import pytest

from qualityscore.signals.credibility import CredibilitySignals

CRED = CredibilitySignals()
BYLINE = "credibility.author_byline"
REVIEW = "credibility.medical_review"
DISCLAIMER = "credibility.disclaimer"
DISCLOSURE = "credibility.disclosure"
DATED = "credibility.dated"
CREDENTIALS = "credibility.credentials"
HONCODE = "credibility.honcode"
ALL_CRED = (BYLINE, REVIEW, DISCLAIMER, DISCLOSURE, DATED, CREDENTIALS, HONCODE)

TEXT_CASES = [
    pytest.param("By Anna Berg\n12 May 2023\n\nSleep matters.", [BYLINE], [CREDENTIALS],
                 id="byline-by"),
    pytest.param("Written by Dr. Tom Reyes\n\nSleep matters.", [BYLINE], [], id="byline-written-by"),
    pytest.param("Author: Anna Berg, PhD", [BYLINE, CREDENTIALS], [], id="byline-author-colon"),
    pytest.param("Medically reviewed by a cardiologist in our team.", [REVIEW], [],
                 id="medically-reviewed"),
    pytest.param("Fact-checked by the editorial team.", [REVIEW], [], id="fact-checked"),
    pytest.param("This page is for informational purposes only.", [DISCLAIMER], [],
                 id="disclaimer-informational"),
    pytest.param("This article is not a substitute for professional care.", [DISCLAIMER], [],
                 id="disclaimer-not-a-substitute"),
    pytest.param("Talk to your doctor before you stop any medicine.", [DISCLAIMER], [],
                 id="disclaimer-talk-to-doctor"),
    pytest.param("Conflicts of interest: none declared.", [DISCLOSURE], [],
                 id="disclosure-conflicts"),
    pytest.param("The author has no financial relationships with any drug maker.", [DISCLOSURE],
                 [], id="disclosure-no-financial-relationships"),
    pytest.param("This survey was funded by a national charity.", [DISCLOSURE], [],
                 id="disclosure-funded-by"),
    pytest.param("Last reviewed: March 3, 2023", [DATED], [], id="dated-month-name"),
    pytest.param("Published on 12 Jan 2021", [DATED], [], id="dated-day-month-year"),
    pytest.param("Updated 2023-04-05", [DATED], [], id="dated-iso"),
    pytest.param("Anna Berg, MD, is a family physician.", [CREDENTIALS], [], id="credentials-md"),
    pytest.param("Tom Reyes RN wrote this guide.", [CREDENTIALS], [], id="credentials-rn"),
    pytest.param("This site follows the HONcode principles.", [HONCODE], [], id="honcode"),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param("By walking every day you lower your risk of a stroke.", [], [BYLINE],
                 id="clean-by-gerund"),
    pytest.param("Blood pressure is measured by a nurse at each visit.", [], ALL_CRED,
                 id="clean-by-mid-sentence"),
    pytest.param("Updated guidance on salt was issued last year.", [], [DATED],
                 id="clean-updated-without-date"),
    pytest.param(
        "Buy now, feel amazing. This formula works for everyone, every time.", [], ALL_CRED,
        id="clean-no-markers",
    ),
]


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_credibility_rules(sig, text, fire, silent):
    run = sig.family(CRED, text)
    sig.assert_rules(run, fire, silent)


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_credibility_rules_through_signal_set(sig, text, fire, silent):
    sig.assert_rules(sig.all(text), fire, silent)


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        pytest.param("Sleep guide\n   Author: Anna Berg, PhD", BYLINE, ["Author: Anna Berg"],
                     id="byline-leading-space-stripped"),
        pytest.param("Medically reviewed by Sam Patel, RN", REVIEW, ["Medically reviewed"],
                     id="review"),
        pytest.param("Medically reviewed by Sam Patel, RN", CREDENTIALS, ["Sam Patel, RN"],
                     id="credentials"),
        pytest.param("Published on 12 Jan 2021", DATED, ["Published on 12 Jan 2021"],
                     id="dated"),
    ],
)
def test_credibility_spans(sig, text, rule, expected):
    assert sig.family(CRED, text).texts(rule) == expected


def test_all_markers_on_one_page(sig):
    text = (
        "Author: Maria Lopez, MD\n"
        "Medically reviewed by Sam Patel, RN\n"
        "Last reviewed: March 3, 2023\n\n"
        "Most adults need seven hours of sleep. Talk to your doctor if you snore.\n\n"
        "Conflicts of interest: none declared. This site follows the HONcode principles."
    )
    run = sig.family(CRED, text)
    sig.assert_rules(run, ALL_CRED)
    assert all(f.weight < 0 for f in run.findings)
    assert run.features["credibility_marker_count"] == 7.0
    for rule in ALL_CRED:
        name = rule.split(".", 1)[1]
        assert run.features[f"has_{name}"] == 1.0


def test_findings_capped_per_marker(sig):
    text = " ".join(["Talk to your doctor."] * 5)
    run = sig.family(CRED, text)
    assert len(run.of(DISCLAIMER)) == 2
    assert run.features["has_disclaimer"] == 1.0


@pytest.mark.parametrize("text", ["Author: Anna Berg", "Plain words.", ""])
def test_meta_features_missing_for_plain_text(sig, text):
    run = sig.family(CRED, text)
    assert math.isnan(run.features["meta_author"])
    assert math.isnan(run.features["meta_date"])
    assert not math.isnan(run.features["credibility_marker_count"])


def test_meta_author_from_html(sig):
    html = sig.html(
        "<p>Most adults need seven hours of sleep a night, and older adults slightly less.</p>",
        head='<meta name="author" content="Anna Berg">',
    )
    run = sig.family(CRED, html)
    assert run.page.is_html
    assert run.features["meta_author"] == 1.0


def test_meta_author_absent_in_html_is_zero(sig):
    html = sig.html("<p>Most adults need seven hours of sleep a night.</p>")
    run = sig.family(CRED, html)
    assert run.features["meta_author"] == 0.0
    assert not math.isnan(run.features["meta_date"])

"""Citation support: claims versus the reference markers and links behind them."""

from __future__ import annotations

import math

import pytest

from qualityscore.signals.citation import CitationSignals, is_authoritative

CITE = CitationSignals()
CLAIM = "citation.unsupported_claim"
RESEARCH = "citation.unsupported_research_claim"
STAT = "citation.unsupported_statistic"
REFS = "citation.reference_section"
DOI = "citation.doi_or_pmid"
UNSUPPORTED = (CLAIM, RESEARCH, STAT)

TEXT_CASES = [
    # -- unsupported claims -----------------------------------------------------------
    pytest.param("This tea is clinically proven to melt belly fat.", [CLAIM], [RESEARCH, STAT],
                 id="strong-clinically-proven"),
    pytest.param("Our capsule cures diabetes in weeks.", [CLAIM], [], id="strong-cures"),
    pytest.param("This miracle powder is 100% natural.", [CLAIM], [], id="strong-miracle"),
    pytest.param("The patch is completely safe for everyone.", [CLAIM], [],
                 id="strong-completely-safe"),
    pytest.param("Studies show that green coffee burns fat.", [RESEARCH], [CLAIM, STAT],
                 id="research-studies-show"),
    pytest.param("Doctors recommend a spoonful every morning.", [RESEARCH], [CLAIM, STAT],
                 id="research-doctors-recommend"),
    pytest.param("A recent study found that apples protect the heart.", [RESEARCH], [CLAIM],
                 id="research-recent-study"),
    pytest.param("According to experts, the juice clears toxins.", [RESEARCH], [CLAIM],
                 id="research-according-to-experts"),
    pytest.param("About 45% of adults have high blood pressure.", [STAT], [CLAIM, RESEARCH],
                 id="statistic-percent"),
    pytest.param("Nearly 30 percent of older adults snore.", [STAT], [], id="statistic-percent-word"),
    pytest.param("Smokers are 3 times more likely to have a stroke.", [STAT], [],
                 id="statistic-times-more"),
    pytest.param("One in four adults has fatty liver.", [STAT], [], id="statistic-one-in-four"),
    pytest.param(
        "Research has shown that fibre helps. Eat more beans. Eat more oats. See [1].",
        [RESEARCH], [], id="marker-too-far-away",
    ),
    # -- reference markers as findings -----------------------------------------------
    pytest.param(
        "Fibre keeps you full.\n\nReferences\n\n1. Lee A. Fibre and fullness. J Diet. 2019.",
        [REFS], UNSUPPORTED, id="reference-section",
    ),
    pytest.param("Fibre keeps you full.\n\nSources:\n\nNational fibre survey, 2020.", [REFS], [],
                 id="sources-heading"),
    pytest.param("See doi:10.1000/fibre.2019.12 for the full report.", [DOI], [REFS], id="doi"),
    pytest.param("The trial is indexed as PMID: 31234567 in the database.", [DOI], [REFS],
                 id="pmid"),
    pytest.param("The full text is PMC1234567 in the archive.", [DOI], [], id="pmc"),
    # -- clean look-alikes: claims with support -------------------------------------
    pytest.param("Studies show that walking lowers blood pressure [1].", [], UNSUPPORTED,
                 id="clean-numbered-ref"),
    pytest.param("About 45% of adults have high blood pressure [2, 3].", [], UNSUPPORTED,
                 id="clean-numbered-ref-list"),
    pytest.param("Studies show that walking lowers blood pressure. This was a large trial [4].",
                 [], UNSUPPORTED, id="clean-ref-in-next-sentence"),
    pytest.param("Studies show that walking lowers blood pressure (Smith et al., 2019).", [],
                 UNSUPPORTED, id="clean-author-year"),
    pytest.param("About 45% of adults have high blood pressure (Lee and Park, 2021).", [],
                 UNSUPPORTED, id="clean-author-year-two-authors"),
    pytest.param("As Smith and Jones (2018) reported, 20% of adults improved.", [], UNSUPPORTED,
                 id="clean-narrative-citation"),
    pytest.param("Research has shown that fibre helps (doi:10.1000/fibre.2019.12).", [DOI],
                 UNSUPPORTED, id="clean-doi"),
    pytest.param("Studies show that oats lower cholesterol (PMID: 31234567).", [DOI],
                 UNSUPPORTED, id="clean-pmid"),
    pytest.param(
        "Eat plenty of vegetables, sleep well and stay active. Drink water when thirsty.",
        [], (*UNSUPPORTED, REFS, DOI), id="clean-no-claims",
    ),
    pytest.param("The references for this page are listed below the video.", [], [REFS],
                 id="clean-references-mid-sentence"),
    # -- clean look-alikes: claims denied or hedged, not made ---------------------------
    pytest.param("There is no cure for the common cold.", [], [CLAIM], id="clean-no-cure"),
    pytest.param("The new pill doesn't cure melanoma, but it slows it.", [], [CLAIM],
                 id="clean-contracted-negation"),
    pytest.param("Sadly, it isn\u2019t proven to help, and we can't promise it works.", [], [CLAIM],
                 id="clean-curly-contraction"),
    pytest.param("None of them are proven to lower blood sugar.", [], [CLAIM],
                 id="clean-none-proven"),
    pytest.param("Surgery rarely cures nasal polyps for good.", [], [CLAIM], id="clean-rarely-cures"),
    # -- named sources: how news and consumer-health writing cite ---------------------
    pytest.param("Researchers at the University of Leeds found that walking lowers blood pressure.",
                 [], UNSUPPORTED, id="named-institution"),
    pytest.param("The trial was published in the journal Neurology. Researchers found that 30% of "
                 "patients improved.", [], UNSUPPORTED, id="named-publication-previous-sentence"),
    pytest.param("Experts say naps help, said Lena Ortiz, a professor at Duke.", [], UNSUPPORTED,
                 id="named-expert"),
    pytest.param("Experts say naps help, said Dr. Lena Ortiz.", [RESEARCH], [],
                 id="a-bare-doctor-is-no-source"),
    pytest.param("About 12% of adults have asthma, according to the CDC.", [], UNSUPPORTED,
                 id="named-acronym"),
    pytest.param("Researchers at the University of Leeds ran the trial. Most of the volunteers "
                 "were over fifty. Nobody dropped out. Studies show 30% of users feel better.",
                 [RESEARCH, STAT], [], id="named-source-too-far-away"),
    pytest.param("Dr. Lena Ortiz says our capsule cures diabetes.", [CLAIM], [],
                 id="named-source-does-not-back-a-cure"),
    pytest.param("Visit our Clinic today. Studies show 97% of our patients see results.",
                 [RESEARCH, STAT], [], id="clinic-in-an-advert-is-no-source"),
    pytest.param("Scientists agree this tea melts fat. Order your bottle today.", [RESEARCH], [],
                 id="unnamed-scientists"),
    pytest.param("The volunteers walked daily. The researchers found that their sleep improved.",
                 [], [RESEARCH], id="the-researchers-report-a-study"),
    pytest.param("The research proves that the formula works.", [RESEARCH], [],
                 id="the-research-names-no-one"),
]


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_citation_text_rules(sig, text, fire, silent):
    run = sig.family(CITE, text)
    assert not run.page.is_html
    sig.assert_rules(run, fire, silent)


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_citation_text_rules_through_signal_set(sig, text, fire, silent):
    sig.assert_rules(sig.all(text), fire, silent)


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        pytest.param("It is clinically proven to work.", CLAIM, ["clinically proven"],
                     id="strong"),
        pytest.param("Studies show it works.", RESEARCH, ["Studies show"], id="research"),
        pytest.param("About 45% of adults.", STAT, ["45%"], id="statistic"),
        pytest.param("One in four adults snore.", STAT, ["One in four adults"], id="one-in-four"),
        pytest.param("Indexed as PMID: 31234567 here.", DOI, ["PMID: 31234567"], id="pmid"),
        pytest.param("See doi:10.1000/xyz123 here.", DOI, ["doi:10.1000/xyz123"], id="doi"),
    ],
)
def test_citation_spans(sig, text, rule, expected):
    assert sig.family(CITE, text).texts(rule) == expected


def test_overlapping_claims_reported_once(sig):
    """'Clinically proven' is not also a research claim or a statistic."""
    run = sig.family(CITE, "It is 100% natural and clinically proven.")
    assert run.texts(CLAIM) == ["100% natural", "clinically proven"]
    assert not run.of(STAT)


def test_claim_features(sig):
    run = sig.family(
        CITE, "This pill cures acne. Studies show it works. About 45% of users agree [1]."
    )
    f = run.features
    assert f["uncited_strong_claims"] == 1.0
    # Three claims; the statistic is supported by [1] and the research claim by the
    # marker in the next sentence, so only the strong claim is uncited.
    assert f["uncited_claim_share"] == pytest.approx(1 / 3)
    assert f["strong_claims_per_100w"] > 0
    assert f["reference_markers_per_100w"] > 0


def test_reference_evidence_weighs_for_quality(sig):
    run = sig.family(CITE, "Fibre helps.\n\nReferences\n\n1. Lee A. PMID: 31234567")
    assert {f.rule for f in run.findings} == {REFS, DOI}
    assert all(f.weight < 0 for f in run.findings)
    assert run.features["has_reference_section"] == 1.0
    assert run.features["doi_pmid_count"] == 1.0


@pytest.mark.parametrize("text", ["Studies show it works.", "Plain words.", ""])
def test_link_features_missing_for_plain_text(sig, text):
    run = sig.family(CITE, text)
    assert math.isnan(run.features["authoritative_links"])
    assert math.isnan(run.features["authoritative_link_share"])
    assert not math.isnan(run.features["claims_per_100w"])


# -- HTML --------------------------------------------------------------------------------

PAGE_URL = "https://health.example.org/articles/bp"

HTML_CASES = [
    pytest.param(
        "<p>Studies show that walking lowers blood pressure in older adults, according to "
        '<a href="https://pubmed.ncbi.nlm.nih.gov/29133356/">a trial summary</a>.</p>',
        [], UNSUPPORTED, id="clean-pubmed-link",
    ),
    pytest.param(
        "<p>About 45% of adults in the country have high blood pressure, says the "
        '<a href="https://www.cdc.gov/bloodpressure/facts.htm">national agency</a>.</p>',
        [], UNSUPPORTED, id="clean-gov-link",
    ),
    pytest.param(
        "<p>Studies show that walking lowers blood pressure in older adults.</p>"
        "<p>The trial was summarised by the "
        '<a href="https://www.nhlbi.nih.gov/news/walking">heart institute</a> last year.</p>',
        [], UNSUPPORTED, id="clean-nih-link-next-sentence",
    ),
    pytest.param(
        "<p>Studies show that this green tea blend burns fat, see the "
        '<a href="https://teashop.example.com/blend">product page</a> for details.</p>',
        [RESEARCH], [], id="shop-link-is-no-support",
    ),
    pytest.param(
        "<p>This supplement is clinically proven to lower cholesterol in a month.</p>",
        [CLAIM], [], id="unsupported-claim-in-html",
    ),
]


@pytest.mark.parametrize(("body", "fire", "silent"), HTML_CASES)
def test_citation_html_rules(sig, body, fire, silent):
    run = sig.family(CITE, sig.html(body), url=PAGE_URL)
    assert run.page.is_html
    sig.assert_rules(run, fire, silent)


def test_html_authoritative_link_features(sig):
    body = (
        "<p>Read the <a href=\"https://pubmed.ncbi.nlm.nih.gov/29133356/\">trial summary</a> "
        "and the <a href=\"https://www.who.int/news-room/fact-sheets\">fact sheet</a> before "
        "you buy <a href=\"https://shop.example.com/cuff\">a new cuff</a> for your readings.</p>"
    )
    run = sig.family(CITE, sig.html(body), url=PAGE_URL)
    assert run.features["authoritative_links"] == 2.0
    assert run.features["authoritative_link_share"] == pytest.approx(2 / 3)


def test_html_without_links_has_zero_not_missing(sig):
    run = sig.family(CITE, sig.html("<p>Sleep well and eat your greens every day.</p>"))
    assert run.features["authoritative_links"] == 0.0
    assert run.features["authoritative_link_share"] == 0.0


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://pubmed.ncbi.nlm.nih.gov/123/", True),
        ("https://www.nhlbi.nih.gov/health", True),
        ("https://doi.org/10.1000/xyz", True),
        ("https://www.england.nhs.uk/guidance/", True),
        ("https://medicine.stanford.edu/", True),
        ("https://www.bmj.com/content/1", True),
        ("https://shop.example.com/pills", False),
        ("https://notnih.gov.example.com/", False),
        ("/relative/path", False),
        ("", False),
    ],
)
def test_is_authoritative(href, expected):
    assert is_authoritative(href) is expected

"""Promotion: selling prose (plain text) and selling links (HTML)."""

from __future__ import annotations

import math

import pytest

from qualityscore.signals.promotion import PromotionSignals
from qualityscore.text import Doc

PROMO = PromotionSignals()
CTA = "promotion.call_to_action"
PHONE = "promotion.phone_number"
PRICE = "promotion.price"
AFF = "promotion.affiliate_link"
SPONS = "promotion.sponsored_link"
INSERTED = "promotion.inserted_anchor"
LINK_RULES = (AFF, SPONS, INSERTED)
ALL_PROMO = (CTA, PHONE, PRICE, *LINK_RULES)
LINK_FEATURES = (
    "links_per_100w",
    "external_link_share",
    "affiliate_links",
    "shop_links",
    "sponsored_links",
    "inserted_anchors_per_100w",
)
PAGE_URL = "https://health.example.org/articles/sleep"

# -- plain text: prose evidence only -----------------------------------------------------

TEXT_CASES = [
    pytest.param("Order now and get free shipping on your first bottle.", [CTA], [PHONE, PRICE],
                 id="cta-order-now"),
    pytest.param("Click here to claim your special discount before midnight.", [CTA], [PRICE],
                 id="cta-click-here"),
    pytest.param("Use the promo code SLIM20 at checkout.", [CTA], [PRICE], id="cta-promo-code"),
    pytest.param("No prescription needed, with discreet packaging.", [CTA], [],
                 id="cta-no-prescription"),
    pytest.param("For a free consultation ring 1-800-356-9377 this week.", [PHONE, CTA], [PRICE],
                 id="phone-toll-free"),
    pytest.param("Our clinic line is (555) 123-4567 on weekdays.", [PHONE], [PRICE],
                 id="phone-parenthesised"),
    pytest.param("A month supply is only $39.99 this week.", [PRICE], [PHONE], id="price-dollar"),
    pytest.param("Each pack costs 25.00 EUR including tax.", [PRICE], [PHONE], id="price-eur"),
    pytest.param("Two tubs for £20 while stocks last.", [PRICE, CTA], [PHONE],
                 id="price-pound-and-cta"),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param(
        "Call your doctor if your blood pressure stays above 140/90 for a week. Take one "
        "tablet twice a day with food, and ask your pharmacist about missed doses.",
        [], ALL_PROMO, id="clean-medical-advice",
    ),
    pytest.param("In 2019 about 1,200 adults in 14 towns took part in the survey.", [],
                 ALL_PROMO, id="clean-plain-numbers"),
    pytest.param("Most adults need 7 to 9 hours of sleep; teenagers need 8 to 10.", [],
                 ALL_PROMO, id="clean-ranges"),
]


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_promotion_text_rules(sig, text, fire, silent):
    run = sig.family(PROMO, text)
    assert not run.page.is_html
    sig.assert_rules(run, fire, silent)
    # Link rules cannot fire without links.
    sig.assert_rules(run, [], LINK_RULES)


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        pytest.param("Order now and save.", CTA, ["Order now"], id="cta"),
        pytest.param("Ring 1-800-356-9377 today.", PHONE, ["1-800-356-9377"], id="phone"),
        pytest.param("Only $39.99 today.", PRICE, ["$39.99"], id="price"),
        # The whole amount is the evidence, thousands separators included.
        pytest.param("It costs $1,000.00 a year, or $12,345.67 in all.", PRICE, ["$1,000.00", "$12,345.67"],
                     id="price-thousands"),
        pytest.param("About 1,000.00 USD or €1.500,00 each.", PRICE, ["1,000.00 USD", "€1.500,00"],
                     id="price-thousands-code-and-euro"),
        # A round sum is quoted only where the sentence sells; every sum still counts
        # for the model (test_round_sums_count_but_are_not_quoted).
        pytest.param("The drug costs $400 a month; a pack is $9.99.", PRICE, ["$9.99"],
                     id="price-round-sum-reported"),
        pytest.param("Order now for only $39 and save.", PRICE, ["$39"], id="price-round-sum-selling"),
        pytest.param("About 1,000 USD a year.", PRICE, [], id="price-round-sum-code"),
        # A sum with a magnitude is a reported figure, not a price on offer; the amount
        # is not cut short to find a price inside it ("$10" of "$100m").
        pytest.param("The drug earned $100m, then $2.3 billion; a pack is $9.99.", PRICE, ["$9.99"],
                     id="price-not-magnitudes"),
        pytest.param("Sales hit £1,000m and €5bn.", PRICE, [], id="price-none-with-magnitudes"),
    ],
)
def test_promotion_spans(sig, text, rule, expected):
    assert sig.family(PROMO, text).texts(rule) == expected


def test_round_sums_count_but_are_not_quoted(sig):
    text = "Surgery costs about $5,000, against $1,000 for the drug, and $20 a visit."
    run = sig.family(PROMO, text)
    assert run.texts(PRICE) == []
    assert run.features["prices_per_100w"] == pytest.approx(Doc(text).per_100_words(3))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Buy now!", id="selling"),
        pytest.param("Sleep helps the body repair itself.", id="neutral"),
        pytest.param("", id="empty"),
    ],
)
def test_link_features_missing_for_plain_text(sig, text):
    run = sig.family(PROMO, text)
    for name in LINK_FEATURES:
        assert math.isnan(run.features[name]), name
    for name in ("cta_per_100w", "phone_numbers", "prices_per_100w", "trademark_marks"):
        assert not math.isnan(run.features[name]), name


def test_trademark_marks_counted(sig):
    run = sig.family(PROMO, "SlimFast® and GlowTea™ are sold everywhere.")
    assert run.features["trademark_marks"] == 2.0


# -- HTML: link evidence --------------------------------------------------------------------

AFFILIATE_REF = (
    "<p>Many readers feel lighter within weeks of starting. You can "
    '<a href="https://tea.example.com/slimtea?ref=blog42">green detox tea blend</a> '
    "from our partner store and enjoy fast results every single day.</p>"
)
AFFILIATE_SHORTENER = (
    "<p>Several of our readers now take "
    '<a href="https://bit.ly/3AbCdEf">marine collagen capsules</a> '
    "with breakfast to support their skin through the winter months.</p>"
)
AFFILIATE_GO_PATH = (
    "<p>For restless nights we like "
    '<a href="https://deals.example.net/go/melatonin-gummies">berry melatonin gummies</a> '
    "taken an hour before bed with a glass of warm milk.</p>"
)
SPONSORED = (
    "<p>Many customers also enjoy the "
    '<a href="https://herbs.example.net/cleanse" rel="sponsored nofollow">premium herbal cleanse</a> '
    "that we recommend for a relaxing weekend at the spa.</p>"
)
KEYWORD_PLUG = (
    "<p>Magnesium may help some people relax, and a "
    '<a href="https://vitamins.example.com/magnesium">magnesium sleep formula</a> '
    "is popular with readers who struggle to switch off at night.</p>"
)
SHOP_LINK = (
    "<p>Ginger has a long history as a kitchen remedy, and you can "
    '<a href="https://health.example.org/shop/ginger-chews">buy ginger chews</a> '
    "from our own store for long car journeys with children.</p>"
)
CLEAN_LINKS = (
    '<nav><a href="/">Start page</a> | <a href="/conditions">Conditions</a></nav>'
    "<p>Regular exercise lowers blood pressure in most adults, as a large trial showed. "
    'You can read the <a href="https://pubmed.ncbi.nlm.nih.gov/29133356/">trial summary on '
    "PubMed</a> for the full details of the design and the participants.</p>"
    "<p>Salt matters too, and our guide to "
    '<a href="/nutrition/salt">cutting down on salt</a> explains how to read food labels '
    "in the supermarket.</p>"
    "<p>The "
    '<a href="https://www.nhlbi.nih.gov/health/high-blood-pressure">national heart institute '
    "overview</a> also covers how to take readings yourself, step by step.</p>"
)
CITATION_NUMBER = (
    "<p>Walking for thirty minutes a day lowered systolic readings in older adults "
    '<a href="https://journal.example.com/article/123">[1]</a> in a small trial.</p>'
)
CLEAN_PROSE = (
    "<p>Good sleep starts with a regular bedtime. Keep the bedroom cool, dark and quiet, "
    "and put screens away an hour before bed.</p>"
)

HTML_CASES = [
    pytest.param(AFFILIATE_REF, [AFF, INSERTED], [SPONS], id="affiliate-ref-param"),
    pytest.param(AFFILIATE_SHORTENER, [AFF], [SPONS], id="affiliate-shortener"),
    pytest.param(AFFILIATE_GO_PATH, [AFF], [SPONS], id="affiliate-go-path"),
    pytest.param(SPONSORED, [SPONS, INSERTED], [AFF], id="sponsored-rel"),
    pytest.param(KEYWORD_PLUG, [INSERTED], [AFF, SPONS], id="inserted-keyword-anchor"),
    pytest.param(SHOP_LINK, [INSERTED], [AFF, SPONS], id="inserted-internal-shop-link"),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param(CLEAN_LINKS, [], ALL_PROMO, id="clean-nav-pubmed-nih-internal"),
    pytest.param(CITATION_NUMBER, [], LINK_RULES, id="clean-numbered-citation-anchor"),
    pytest.param(CLEAN_PROSE, [], ALL_PROMO, id="clean-no-links"),
]


@pytest.mark.parametrize(("body", "fire", "silent"), HTML_CASES)
def test_promotion_html_rules(sig, body, fire, silent):
    run = sig.family(PROMO, sig.html(body), url=PAGE_URL)
    assert run.page.is_html
    sig.assert_rules(run, fire, silent)


@pytest.mark.parametrize(("body", "fire", "silent"), HTML_CASES)
def test_promotion_html_rules_through_signal_set(sig, body, fire, silent):
    run = sig.all(sig.html(body), url=PAGE_URL)
    sig.assert_rules(run, fire, silent)


def test_clean_links_are_in_prose(sig):
    """The clean look-alike is meaningful: its prose links were located in the text."""
    page = sig.page(sig.html(CLEAN_LINKS), url=PAGE_URL)
    located = {lk.anchor: lk for lk in page.links if lk.start >= 0}
    for anchor in ("trial summary on PubMed", "cutting down on salt",
                   "national heart institute overview"):
        assert anchor in located, anchor
    assert located["cutting down on salt"].internal
    assert not located["trial summary on PubMed"].internal


@pytest.mark.parametrize(
    ("body", "rule", "anchor"),
    [
        pytest.param(AFFILIATE_REF, AFF, "green detox tea blend", id="affiliate"),
        pytest.param(SPONSORED, SPONS, "premium herbal cleanse", id="sponsored"),
        pytest.param(KEYWORD_PLUG, INSERTED, "magnesium sleep formula", id="inserted"),
    ],
)
def test_link_finding_span_is_the_anchor(sig, body, rule, anchor):
    run = sig.family(PROMO, sig.html(body), url=PAGE_URL)
    assert run.texts(rule) == [anchor]


def test_html_link_features(sig):
    run = sig.family(PROMO, sig.html(AFFILIATE_REF + SPONSORED + SHOP_LINK), url=PAGE_URL)
    f = run.features
    assert f["affiliate_links"] == 1.0
    assert f["sponsored_links"] == 1.0
    assert f["shop_links"] == 1.0
    assert f["links_per_100w"] > 0
    assert f["external_link_share"] == pytest.approx(2 / 3)
    assert f["inserted_anchors_per_100w"] > 0


def test_html_without_links_has_zero_not_missing(sig):
    run = sig.family(PROMO, sig.html(CLEAN_PROSE), url=PAGE_URL)
    for name in LINK_FEATURES:
        assert run.features[name] == 0.0, name

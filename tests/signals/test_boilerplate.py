"""Boilerplate: scrape residue, clickbait, repetitive text; repeated titles and keyword stuffing as features."""

from __future__ import annotations

import pytest

from qualityscore.page import Page
from qualityscore.signals.boilerplate import BoilerplateSignals

BOIL = BoilerplateSignals()
RESIDUE = "boilerplate.scrape_residue"
CLICKBAIT = "boilerplate.clickbait"
TITLE = "boilerplate.duplicated_title"
STUFFING = "boilerplate.keyword_stuffing"
REPETITIVE = "boilerplate.repetitive_text"
ALL_BOIL = (RESIDUE, CLICKBAIT, TITLE, STUFFING, REPETITIVE)

STUFFED = " ".join(
    ["Cheap vitamin pills online are great, and cheap vitamin pills ship fast."] * 6
)
VARIED = (
    "Sleep problems are common after a bereavement. Grief can make it hard to switch "
    "off at night, and worry tends to loom larger in the small hours. A steady routine "
    "helps: get up at the same time each morning, spend some time outdoors in daylight "
    "and keep naps short. If you lie awake for a long while, get up, read something "
    "calm in dim light and return to bed when drowsy. Most people find that their rest "
    "improves over a few weeks."
)

# A list of resources, the least varied kind of real page (NIH's genetic-testing registry
# lists are the corpora's lowest, at 0.20): a varied name in each repeated entry.
REGISTRY = "These resources address the diagnosis of hearing loss: " + " ".join(
    f"- Genetic Testing Registry: {kind} hearing loss type {n}"
    for n, kind in enumerate(["Nonsyndromic", "Autosomal dominant", "Autosomal recessive", "X-linked",
                              "Mitochondrial", "Progressive", "Sensorineural", "Conductive"] * 3, start=1)
)

TEXT_CASES = [
    pytest.param("Leave a reply. Your email address will not be published.", [RESIDUE],
                 [CLICKBAIT], id="residue-comment-form"),
    pytest.param("Required fields are marked with a star.", [RESIDUE], [], id="residue-required"),
    pytest.param("12 comments so far on this article.", [RESIDUE], [], id="residue-comment-count"),
    pytest.param("Related posts: five herbs for calm.", [RESIDUE], [], id="residue-related-posts"),
    pytest.param("Share on Facebook to help a friend.", [RESIDUE], [], id="residue-share-on"),
    pytest.param("Powered by WordPress and lots of coffee.", [RESIDUE], [],
                 id="residue-powered-by"),
    pytest.param("You won't believe what this juice does.", [CLICKBAIT], [RESIDUE],
                 id="clickbait-wont-believe"),
    pytest.param("This one weird trick melts fat overnight.", [CLICKBAIT], [],
                 id="clickbait-weird-trick"),
    pytest.param("The shocking truth about sugar is finally out.", [CLICKBAIT], [],
                 id="clickbait-shocking-truth"),
    pytest.param("The secret remedy big pharma buries.", [CLICKBAIT], [],
                 id="clickbait-secret-remedy"),
    pytest.param(STUFFED, [], [STUFFING, CLICKBAIT, REPETITIVE], id="keyword-stuffing-is-no-finding"),
    pytest.param("diabetes " * 200, [REPETITIVE], [CLICKBAIT], id="repetitive-one-word"),
    pytest.param("best diabetes treatment online " * 50, [REPETITIVE], [], id="repetitive-one-phrase"),
    pytest.param("Buy cheap insulin online. " * 40, [REPETITIVE], [], id="repetitive-one-sentence"),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param(VARIED, [], ALL_BOIL, id="clean-varied-prose"),
    pytest.param(VARIED * 8, [], [REPETITIVE], id="clean-a-paragraph-eight-times"),  # still 0.7 varied
    pytest.param(REGISTRY, [], [REPETITIVE], id="clean-a-list-of-registry-entries"),
    pytest.param("Leave the dressing on for two days and keep it dry.", [], [RESIDUE],
                 id="clean-leave-the-dressing"),
    pytest.param("Related symptoms include a sore throat and a mild fever.", [], [RESIDUE],
                 id="clean-related-symptoms"),
    pytest.param("Many readers believe that vitamin C cures colds; it does not.", [],
                 [CLICKBAIT], id="clean-believe"),
]


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_boilerplate_rules(sig, text, fire, silent):
    run = sig.family(BOIL, text)
    sig.assert_rules(run, fire, silent)


@pytest.mark.parametrize(("text", "fire", "silent"), TEXT_CASES)
def test_boilerplate_rules_through_signal_set(sig, text, fire, silent):
    sig.assert_rules(sig.all(text), fire, silent)


def test_keyword_stuffing_is_a_rate_not_a_finding(sig):
    """The most repeated phrase is usually the page's topic: measured for the model, never
    quoted as evidence (see boilerplate.py)."""
    stuffed = sig.family(BOIL, STUFFED)
    varied = sig.family(BOIL, VARIED)
    assert stuffed.features["keyword_stuffing"] > 4 * varied.features["keyword_stuffing"]
    assert stuffed.of(STUFFING) == []


def test_residue_spans(sig):
    run = sig.family(BOIL, "Leave a reply. 3 comments. Related posts.")
    assert run.texts(RESIDUE) == ["Leave a reply", "3 comments", "Related posts"]


# -- titles (HTML, where a page has a title) ------------------------------------------------

TITLE_TEXT = "Ten tips for healthy sleep"
REPEATED_TITLE = (
    f"<h1>{TITLE_TEXT}</h1>"
    "<p>Good sleep starts with a regular bedtime and a cool, dark bedroom.</p>"
    f"<p>{TITLE_TEXT} are simple, and anyone can follow them at home.</p>"
    f"<p>Read our {TITLE_TEXT.lower()} again whenever you struggle to settle.</p>"
)
TITLE_ONCE = (
    f"<h1>{TITLE_TEXT}</h1>"
    "<p>Good sleep starts with a regular bedtime and a cool, dark bedroom. Keep screens "
    "out of the room and avoid coffee after lunch.</p>"
)

HTML_CASES = [
    pytest.param(REPEATED_TITLE, TITLE_TEXT, [], [TITLE], id="duplicated-title-is-no-finding"),
    pytest.param(TITLE_ONCE, TITLE_TEXT, [], [TITLE], id="clean-title-once"),
    pytest.param(
        "<h1>Sleep tips</h1><p>Sleep tips are easy. Sleep tips help. Sleep tips work.</p>",
        "Sleep tips", [], [TITLE], id="clean-title-too-short",
    ),
]


@pytest.mark.parametrize(("body", "title", "fire", "silent"), HTML_CASES)
def test_title_rules(sig, body, title, fire, silent):
    run = sig.family(BOIL, sig.html(body, title=title))
    assert run.page.is_html
    assert run.page.title == title
    sig.assert_rules(run, fire, silent)


def test_duplicated_title_counts_repeats_not_first_use(sig):
    """Counted for the model, never quoted as evidence: an article's title is usually its
    topic, which reliable pages repeat as often as spam does (see boilerplate.py)."""
    run = sig.family(BOIL, sig.html(REPEATED_TITLE, title=TITLE_TEXT))
    assert run.features["title_repeats"] == 2.0
    assert run.of(TITLE) == []
    once = sig.family(BOIL, sig.html(TITLE_ONCE, title=TITLE_TEXT))
    assert once.features["title_repeats"] == 0.0


def test_clickbait_title_counts_without_a_finding(sig):
    page = Page(text="Cut down on sugar slowly.", title="You won't believe this diet")
    run = sig.family(BOIL, page)
    assert run.features["clickbait_hits"] == 1.0
    assert CLICKBAIT not in run.rules


def test_duplicate_lines_share(sig):
    line = "Subscribe to our newsletter for more tips"
    text = f"{line}\nSleep is good for the heart and the mind.\n{line}\n{line}"
    run = sig.family(BOIL, text)
    # Four long lines, two of them repeats of the first.
    assert run.features["duplicate_line_share"] == pytest.approx(2 / 4)


def test_repetitive_text_quotes_the_least_varied_run_and_weighs_by_how_repetitive(sig):
    """The quote is the run of 50 content words with the fewest distinct words; the weight
    is 1 minus the page's mean share of distinct words."""
    from qualityscore.signals.boilerplate import MIN_WORD_VARIETY, window_variety
    from qualityscore.text import Doc

    text = VARIED + " " + "cheap pills " * 400  # one varied run, then fifteen of two words
    [found] = sig.family(BOIL, text).of(REPETITIVE)
    assert len(found.text.split()) == 50 and set(found.text.split()) == {"cheap", "pills"}
    shares = window_variety(Doc(text))
    assert sum(shares) / len(shares) < MIN_WORD_VARIETY
    assert found.weight == round(1 - sum(shares) / len(shares), 3)
    assert window_variety(Doc(REGISTRY)) and min(window_variety(Doc(REGISTRY))) > 2 * MIN_WORD_VARIETY


def test_repetitive_text_needs_a_full_run_and_can_be_turned_off(sig):
    assert sig.family(BOIL, "cheap pills " * 24).of(REPETITIVE) == []  # 48 content words: no run
    assert sig.family(BoilerplateSignals(min_word_variety=0), "diabetes " * 200).of(REPETITIVE) == []

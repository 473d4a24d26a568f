"""Readability: textstat formulas plus shape statistics, shouting and run-on sentences."""

from __future__ import annotations

import math

import pytest

from qualityscore.signals.readability import ReadabilitySignals

READ = ReadabilitySignals()
SHOUT = "readability.shouting"
LONG = "readability.very_long_sentence"

# One sentence of 80 words, no full stop until the end.
RUN_ON = (
    "This amazing natural formula works for everyone and it helps with energy and it "
    "helps with sleep and it helps with weight and it helps with mood and it helps with "
    "skin and it helps with hair and it helps with joints and it helps with digestion "
    "and it helps with focus and it helps with stress and it helps with stamina and it "
    "helps with immunity and so you should really try it because it is the best one."
)
# Plain short sentences, well over 40 words in total.
PLAIN = (
    "Blood pressure rises and falls during the day. A single high reading is not a "
    "diagnosis. Your nurse will usually check it again on another day. Home readings "
    "can help too. Write down each number with the date and time. Bring the notes to "
    "your next visit so that your doctor can see the pattern."
)

RULE_CASES = [
    pytest.param("STOP EATING SUGAR NOW and feel better within days.", [SHOUT], [LONG],
                 id="shouting-phrase"),
    pytest.param("This is the ONLY PRODUCT THAT WORKS for joint pain.", [SHOUT], [LONG],
                 id="shouting-mid-sentence"),
    pytest.param(RUN_ON, [LONG], [SHOUT], id="very-long-sentence"),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param(PLAIN, [], [SHOUT, LONG], id="clean-short-sentences"),
    pytest.param("The CDC, NIH and WHO publish guidance on HIV testing.", [], [SHOUT],
                 id="clean-acronyms-with-punctuation"),
    pytest.param("HIV AIDS services are free at most clinics.", [], [SHOUT],
                 id="clean-two-capital-words"),
    pytest.param("Ask your GP or the NHS about it.", [], [SHOUT], id="clean-short-acronyms"),
]


@pytest.mark.parametrize(("text", "fire", "silent"), RULE_CASES)
def test_readability_rules(sig, text, fire, silent):
    run = sig.family(READ, text)
    sig.assert_rules(run, fire, silent)


def test_shouting_span(sig):
    run = sig.family(READ, "STOP EATING SUGAR NOW and feel better.")
    assert run.texts(SHOUT) == ["STOP EATING SUGAR NOW"]
    assert run.features["shouting_per_100w"] > 0


def test_very_long_sentence_span_is_the_sentence(sig):
    text = PLAIN + "\n\n" + RUN_ON
    run = sig.family(READ, text)
    assert run.texts(LONG) == [RUN_ON]


def test_very_long_sentence_needs_enough_words(sig):
    """A run-on sentence is only reported when the page has the minimum word count."""
    strict = ReadabilitySignals(min_words_for_findings=1000)
    run = sig.family(strict, RUN_ON)
    assert LONG not in run.rules


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(PLAIN, id="plain"),
        pytest.param(RUN_ON, id="run-on"),
        pytest.param("Wow!!! Amazing!!! BUY THIS NOW!!!", id="exclaiming"),
    ],
)
def test_features_are_finite_floats(sig, text):
    run = sig.family(READ, text)
    for name, value in run.features.items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
    assert 0.0 < run.features["type_token_ratio"] <= 1.0
    assert 0.0 <= run.features["long_word_share"] <= 1.0


def test_shape_statistics(sig):
    run = sig.family(READ, "One two three. Four five six seven eight.")
    f = run.features
    assert f["mean_sentence_words"] == pytest.approx(4.0)
    assert f["sentence_words_sd"] == pytest.approx(1.0)
    assert f["words_log"] == pytest.approx(math.log1p(8))


def test_exclamations_counted(sig):
    run = sig.family(READ, "Amazing! Really amazing!! Try it.")
    # Runs of "!" count once each: two runs in five words.
    assert run.features["exclamations_per_100w"] == pytest.approx(40.0)


def test_run_on_scores_harder_than_plain(sig):
    plain = sig.family(READ, PLAIN).features
    run_on = sig.family(READ, RUN_ON).features
    assert run_on["mean_sentence_words"] > plain["mean_sentence_words"]
    assert run_on["flesch_kincaid_grade"] > plain["flesch_kincaid_grade"]


@pytest.mark.parametrize("text", ["", "   \n  ", "42 17 2023", "!!!"])
def test_no_words_gives_zeros(sig, text):
    run = sig.family(READ, text)
    assert all(v == 0.0 for v in run.features.values())
    assert not run.findings

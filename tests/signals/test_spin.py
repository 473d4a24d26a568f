"""Spin: broken fixed terms, one-word swaps in medical context, mangled citations."""

from __future__ import annotations

import numpy as np
import pytest

from qualityscore.signals.spin import SpinSignals, load_lexicon

SPIN = SpinSignals()
BROKEN = "spin.broken_term"
SUBST = "spin.substituted_term"
MANGLED = "spin.mangled_citation"
ALL_SPIN = (BROKEN, SUBST, MANGLED)


# (text, rules that must fire, rules that must not fire)
RULE_CASES = [
    pytest.param(
        "Check your blood strain at least once a year after the age of forty.",
        [BROKEN], [SUBST, MANGLED], id="broken-blood-strain",
    ),
    pytest.param(
        "Common aspect results of the tablets include dizziness and a dry cough.",
        [BROKEN], [MANGLED], id="broken-aspect-results",
    ),
    pytest.param(
        "A large clinical ordeal enrolled volunteers from four countries.",
        [BROKEN], [MANGLED], id="broken-clinical-ordeal",
    ),
    pytest.param(
        "Common symptoms of despair include poor sleep and loss of interest.",
        [SUBST], [BROKEN, MANGLED], id="substituted-despair-symptoms",
    ),
    pytest.param(
        "Her doctor diagnosed melancholy last spring.",
        [SUBST], [BROKEN, MANGLED], id="substituted-melancholy",
    ),
    pytest.param(
        "A trial by Smith et al. (twenty fourteen) reported fewer falls.",
        [MANGLED], [BROKEN, SUBST], id="mangled-et-al-year",
    ),
    pytest.param(
        "The figures were first reported by Jones, (two thousand and nine) in a journal.",
        [MANGLED], [BROKEN, SUBST], id="mangled-comma-year",
    ),
    pytest.param(
        "Roughly twenty-five per-cent of adults are affected by it.",
        [MANGLED], [BROKEN, SUBST], id="mangled-spelled-percent",
    ),
    # -- clean look-alikes ------------------------------------------------------------
    pytest.param(
        "When my marriage ended I felt nothing but despair for months. I stopped "
        "answering calls from friends. Writing in a journal every evening slowly "
        "brought me back to myself.",
        [], ALL_SPIN, id="clean-personal-despair",
    ),
    pytest.param(
        "Toddlers often throw temper tantrums when they are tired or hungry. Staying "
        "calm, naming the feeling and waiting it out works better than shouting back.",
        [], ALL_SPIN, id="clean-temper-tantrums",
    ),
    pytest.param(
        "Blood pressure is the force of blood against the walls of your arteries. A "
        "reading has two numbers. High blood pressure rarely causes symptoms, so many "
        "adults do not know they have it. Checking your blood pressure with a validated "
        "cuff is easy. Sit quietly for five minutes and take two readings a minute apart. "
        "Cutting back on salt, staying active and drinking less alcohol can lower blood "
        "pressure. If your blood pressure stays above target, your doctor may suggest "
        "medicine.",
        [], ALL_SPIN, id="clean-blood-pressure-article",
    ),
    pytest.param(
        "Smith et al. (2014) reported fewer falls in 2015, and about 25% of adults "
        "took part.",
        [], ALL_SPIN, id="clean-numeric-citation",
    ),
    pytest.param(
        "Ask about side effects before you join a clinical trial.",
        [], ALL_SPIN, id="clean-canonical-terms",
    ),
    # A word careful writers use for the term's own meaning is not a spinner's swap:
    # "dummy pills" are placebo pills in news and trial reports alike.
    pytest.param(
        "In the study, patients taking dummy pills improved almost as much as those "
        "taking the new drug.",
        [], ALL_SPIN, id="clean-dummy-pills",
    ),
    pytest.param(
        "Half of the volunteers were given dummy shots, and neither they nor the trial "
        "doctors knew which shot they had received.",
        [], ALL_SPIN, id="clean-dummy-shots",
    ),
]


@pytest.mark.parametrize(("text", "fire", "silent"), RULE_CASES)
def test_spin_rules(sig, text, fire, silent):
    run = sig.family(SPIN, text)
    sig.assert_rules(run, fire, silent)


@pytest.mark.parametrize(("text", "fire", "silent"), RULE_CASES)
def test_spin_rules_through_signal_set(sig, text, fire, silent):
    """The registry reports the same spin evidence as the family on its own."""
    run = sig.all(text)
    sig.assert_rules(run, fire, silent)


# (text, the variant as written, the canonical term it replaced)
SUGGESTION_CASES = [
    pytest.param("Check your blood strain every year.", "blood strain", "blood pressure",
                 id="blood-strain"),
    pytest.param("Aspect results can include a dry mouth.", "Aspect results", "side effects",
                 id="aspect-results"),
    pytest.param("The clinical ordeal lasted two years.", "clinical ordeal", "clinical trial",
                 id="clinical-ordeal"),
    pytest.param("Watch for high blood strain in later life.", "high blood strain",
                 "high blood pressure", id="longest-variant-wins"),
    pytest.param("Exercise can ease temper swings.", "temper swings", "mood swings",
                 id="temper-swings"),
    pytest.param("Early signs of alzheimer's illness vary.", "alzheimer's illness",
                 "alzheimer's disease", id="apostrophe-variant"),
    pytest.param("Facet consequences are usually mild.", "Facet consequences", "side effects",
                 id="capitalised-variant"),
    pytest.param("Ask about the lung most cancers screening.", "lung most cancers",
                 "lung cancer", id="lung-most-cancers"),
    pytest.param("Common symptoms of despair include poor sleep.", "despair", "depression",
                 id="one-word-despair"),
]


@pytest.mark.parametrize(("text", "variant", "canonical"), SUGGESTION_CASES)
def test_suggestion_is_canonical_term(sig, text, variant, canonical):
    run = sig.family(SPIN, text)
    hits = [f for f in run.findings if f.rule in (BROKEN, SUBST)]
    assert [f.text for f in hits] == [variant]
    assert hits[0].suggestion == canonical


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("blood strain", "blood pressure"),
        ("aspect results", "side effects"),
        ("clinical ordeal", "clinical trial"),
        ("temper swings", "mood swings"),
        ("despair", "depression"),
    ],
)
def test_examples_are_in_shipped_lexicon(variant, canonical):
    """The cases above match the lexicon that ships (substitutions*.toml)."""
    assert any(
        e.variant == variant and e.canonical == canonical for e in load_lexicon().entries
    )


def test_multi_word_hits_are_broken_terms_with_full_weight(sig):
    run = sig.family(SPIN, "Your blood strain and aspect results matter.")
    assert run.texts(BROKEN) == ["blood strain", "aspect results"]
    assert all(f.weight == 1.0 for f in run.of(BROKEN))


def test_mangled_citation_span(sig):
    run = sig.family(SPIN, "A review by Lee et al. (twenty nineteen) found fewer falls.")
    assert run.texts(MANGLED) == ["et al. (twenty nineteen)"]
    assert run.features["mangled_citations"] == 1.0


@pytest.mark.parametrize(
    ("text", "broken", "substituted"),
    [
        pytest.param("Blood strain and aspect results are common.", 2, 0, id="two-broken"),
        pytest.param("Symptoms of despair include poor sleep.", 0, 1, id="one-substituted"),
        pytest.param("Blood pressure and side effects are common.", 0, 0, id="clean"),
    ],
)
def test_substitution_features(sig, text, broken, substituted):
    run = sig.family(SPIN, text)
    words = len(run.page.text.split())
    f = run.features
    assert f["broken_terms_per_100w"] == pytest.approx(100 * broken / words)
    assert f["substitutions_per_100w"] == pytest.approx(100 * (broken + substituted) / words)
    assert 0.0 <= f["substituted_medical_share"] <= 1.0
    if broken + substituted == 0:
        assert f["substituted_medical_share"] == 0.0
    else:
        assert f["substituted_medical_share"] > 0.0


def test_everyday_swaps_count_but_do_not_explain(sig):
    """Everyday swaps ("individuals" for people) are a feature, never a finding."""
    run = sig.family(SPIN, "Numerous individuals utilize these tips daily.")
    assert run.features["everyday_swaps_per_100w"] > 0
    assert not run.findings


def test_without_resources_off_register_is_zero(sig):
    run = sig.family(SPIN, "Symptoms of despair include poor sleep.")
    assert run.features["off_register_per_100w"] == 0.0
    assert run.features["off_register_mean"] == 0.0


# -- the suggested original of a tagger finding ---------------------------------------
def _slot_detector(texts: list[str]) -> SpinSignals:
    from qualityscore.signals.spin import SpinResources
    from qualityscore.signals.spin_model import HealthStats

    return SpinSignals(spin_resources=SpinResources(stats=HealthStats.learn(texts, min_count=1, min_pair_count=1)))


def _suggest(detector: SpinSignals, text: str, word: str) -> str | None:
    from qualityscore.text import Doc

    doc = Doc(text)
    k = next(i for i, t in enumerate(doc.tokens) if t.lower == word)
    return detector._slot_suggestion(doc, k)


CLEAN_SLOTS = ["Rates of lung cancer fell."] * 4 + ["Rates of breast cancer fell."] * 3


def test_suggestion_prefers_the_fitting_word_closest_in_meaning() -> None:
    # "lung" fits the slot more often, but "bosom" is a swap for "breast".
    assert _suggest(_slot_detector(CLEAN_SLOTS), "Rates of bosom cancer fell.", "bosom") == "breast"


def test_suggestion_uses_the_right_neighbour_when_the_left_is_unknown() -> None:
    assert _suggest(_slot_detector(CLEAN_SLOTS), "Zorblat bosom cancer fell.", "bosom") == "breast"


def test_suggestion_is_never_a_letter_or_a_two_letter_fragment() -> None:
    # "b" and "iv" follow "vitamin" more often than "deficiency" does; neither is an original.
    detector = _slot_detector(["Vitamin b tablets help."] * 4 + ["Vitamin iv drips help."] * 3
                              + ["Vitamin deficiency tablets help."])
    assert _suggest(detector, "Vitamin scarcity tablets help.", "scarcity") == "deficiency"


def test_suggestion_also_reads_the_right_neighbour_when_the_left_is_known() -> None:
    # "deficiency" never follows "the", but it comes before "symptoms" in clean text.
    detector = _slot_detector(["Iron deficiency symptoms vary."] * 3 + ["The tablets help."] * 3)
    assert _suggest(detector, "The scarcity symptoms vary.", "scarcity") == "deficiency"


class _FakeContextModel:
    """Prefers one word in every slot, by ``margin`` nats: a one-dimensional context vector
    of 1 and a table of output vectors (``HealthStats.context_table``) that is 0 for every
    word but ``margin`` for ``preferred``."""

    def __init__(self, stats, vectors, preferred: str, margin: float) -> None:  # type: ignore[no-untyped-def]
        self.vectors = vectors
        self.calls = 0
        out = np.zeros((len(stats.vocab), 1), dtype=np.float32)
        out[stats.index[preferred]] = margin
        stats._context_table = (out, np.zeros(len(stats.vocab), dtype=np.float32))
        stats.context = self

    def token_ids(self, lower):  # type: ignore[no-untyped-def]
        from qualityscore.signals.context_model import token_ids

        return token_ids(lower, self.vectors)

    def context_vectors(self, ids, seg, pos):  # type: ignore[no-untyped-def]
        self.calls += 1
        return np.ones((len(pos), 1), dtype=np.float32)


@pytest.mark.parametrize(("margin", "expected"), [(0.0, "breast"), (50.0, "lung")])
def test_suggestion_weighs_how_well_the_context_model_fits_the_word(margin: float, expected: str) -> None:
    from qualityscore.wordvectors import load_word_vectors

    vectors = load_word_vectors()
    if vectors is None:
        pytest.skip("no packaged word vectors")
    detector = _slot_detector(CLEAN_SLOTS)
    model = _FakeContextModel(detector.spin_resources.stats, vectors, "lung", margin)
    assert _suggest(detector, "Rates of bosom cancer fell.", "bosom") == expected
    assert model.calls == 1


def test_suggestion_is_never_a_neighbour_of_the_word() -> None:
    # A doubled word puts "cancer" before "cancer" in clean text, and the context model
    # here likes nothing better; a neighbour is no original all the same.
    from qualityscore.wordvectors import load_word_vectors

    vectors = load_word_vectors()
    if vectors is None:
        pytest.skip("no packaged word vectors")
    detector = _slot_detector(["Rates of cancer cancer rose.", *CLEAN_SLOTS])
    _FakeContextModel(detector.spin_resources.stats, vectors, "cancer", 50.0)
    assert _suggest(detector, "Rates of bosom cancer fell.", "bosom") == "breast"


def test_suggestion_never_reaches_across_a_sentence_end() -> None:
    detector = _slot_detector(["Rates of lung cancer fell."] * 3)
    assert _suggest(detector, "Rates of. Bosom. Cancer fell.", "bosom") is None


# -- does the canonical term fit the variant's slot? ---------------------------------
SLOT_TEXTS = [
    "Symptoms of depression include poor sleep and low mood.",
    "Untreated depression can worsen symptoms.",
    "She was treated for the depression in spring.",
]


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        pytest.param("Symptoms of despair include poor sleep.", True, id="both-sides-fit"),
        pytest.param("Untreated despair worsens symptoms.", True, id="content-neighbour-fits"),
        # "the depression" is seen, but "the" stands before almost any noun, and
        # "depression at" is not seen: one stopword is no evidence of the slot.
        pytest.param("Her symptoms and the despair at night.", False, id="stopword-alone"),
        pytest.param("Symptoms came with despair at night.", False, id="nothing-fits"),
    ],
)
def test_substituted_term_needs_more_than_a_stopword_to_fit(text: str, fires: bool) -> None:
    from qualityscore.page import Page
    from qualityscore.text import Doc

    detector = _slot_detector(SLOT_TEXTS)
    found = [f.rule for f in detector.analyze(Doc(text), Page(text=text)).findings]
    assert (SUBST in found) is fires, found

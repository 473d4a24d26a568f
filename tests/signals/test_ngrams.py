"""General-English bigram statistics: the packaged table, the two token features the spin
tagger reads from it, and the file format."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qs_testkit import token_rows

from qualityscore.ngrams import STEP, Bigrams, load_bigrams, pmi_columns, reset_bigrams, use_bigrams
from qualityscore.signals.spin_model import (
    TOKEN_FEATURES,
    candidate_positions,
    token_features,
)
from qualityscore.text import Doc

LEFT = TOKEN_FEATURES.index("lm_left_pmi")
RIGHT = TOKEN_FEATURES.index("lm_right_pmi")


@pytest.fixture(scope="module")
def bg() -> Bigrams:
    table = load_bigrams()
    assert table is not None, "qualityscore/ngrams/cmu_bigrams.npz is not installed"
    return table


def test_packaged_table_knows_common_pairs_and_not_spun_ones(bg: Bigrams) -> None:
    assert len(bg.vocab) > 50_000 and len(bg.keys) > 1_000_000
    assert np.all(np.diff(bg.keys) > 0), "keys must be sorted and unique for searchsorted"
    # My own pairs: a fixed phrase against the same phrase with one word swapped for a
    # synonym of another sense.
    for good, spun in [
        (("blood", "pressure"), ("gore", "pressure")),
        (("ear", "infection"), ("cob", "infection")),
        (("side", "effects"), ("flank", "effects")),
        (("heart", "attack"), ("heart", "onslaught")),
    ]:
        assert bg.pair(*good) > bg.pair(*spun) + 1.5, (good, spun)
    assert math.isnan(bg.pair("blood", "zorblaxian"))


# My own sentences: a sense-blind swap against the original word in the same slot.
SWAPS = [
    ("People with high {} pressure should eat less salt.", "blood", "gore"),
    ("Children often get an {} infection after a cold.", "ear", "cob"),
    ("Most patients reported mild side {} such as nausea.", "effects", "personal"),
]


@pytest.mark.parametrize(("template", "original", "swap"), SWAPS, ids=[s[2] for s in SWAPS])
def test_swapped_word_fits_its_neighbours_worse(template: str, original: str, swap: str) -> None:
    orig = token_rows(template.format(original))[original]
    spun = token_rows(template.format(swap))[swap]
    assert spun[LEFT] + spun[RIGHT] < orig[LEFT] + orig[RIGHT] - 2.0


def test_unknown_words_and_sentence_ends_are_missing_not_zero() -> None:
    f = token_rows("Zorblaxian flumphs. Symptoms improve.")
    assert math.isnan(f["zorblaxian"][LEFT]) and math.isnan(f["zorblaxian"][RIGHT])
    # "symptoms" starts a sentence: no left neighbour; its right one is known.
    assert math.isnan(f["symptoms"][LEFT]) and not math.isnan(f["symptoms"][RIGHT])


def _toy(tmp_path, pmi_value: int = 40):  # type: ignore[no-untyped-def]
    """A three-word table in the packaged format: "blood pressure" listed, nothing else."""
    arrays = {
        "vocab": np.asarray("blood\ngore\npressure"),
        "backoff": np.array([-4, -6, -2], dtype=np.int8),
        "counts": np.array([1, 0, 0], dtype=np.int32),
        "right": np.array([2], dtype=np.uint32),
        "pmi": np.array([pmi_value], dtype=np.int8),
    }
    path = tmp_path / f"toy{pmi_value}.npz"
    np.savez_compressed(path, **arrays)
    return path, arrays


def test_listed_pairs_give_their_ratio_and_others_the_back_off_weight(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = _toy(tmp_path)
    t = Bigrams.from_file(path)
    assert t.pair("blood", "pressure") == pytest.approx(40 * STEP)
    assert t.pair("gore", "pressure") == pytest.approx(-6 * STEP)  # gore's back-off weight
    assert t.pair("pressure", "blood") == pytest.approx(-2 * STEP)
    assert math.isnan(t.pair("blood", "salt"))
    words = ["high", "blood", "pressure", "and", "gore", "pressure"]
    left, right = pmi_columns(words, np.array([1, 2, 4]), np.array([True, True, False]),
                              np.array([True, False, True]), t)
    assert math.isnan(left[0]) and left[1] == pytest.approx(40 * STEP) and math.isnan(left[2])
    assert right[0] == pytest.approx(40 * STEP) and math.isnan(right[1])
    assert right[2] == pytest.approx(-6 * STEP)


def test_digest_follows_the_contents_not_the_archive(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, arrays = _toy(tmp_path)
    same = tmp_path / "same.npz"
    np.savez(same, **arrays)  # uncompressed, other zip times
    assert same.read_bytes() != path.read_bytes()
    assert Bigrams.from_file(same).digest == Bigrams.from_file(path).digest
    other, _ = _toy(tmp_path, pmi_value=41)
    assert Bigrams.from_file(other).digest != Bigrams.from_file(path).digest


def test_without_a_table_the_columns_are_constant_and_a_tagger_still_trains() -> None:
    """All-NaN columns would break the trees' binning: no table means a constant 0."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.train import train_spin_tagger

    left, right = pmi_columns(["fever", "cough"], np.array([0, 1]), np.array([False, True]),
                              np.array([True, False]), None)
    assert (left == 0).all() and (right == 0).all()
    texts = [
        f"Adults {i} with depression often have trouble sleeping. Blood pressure checks and a "
        "clinical trial of the treatment showed fewer side effects than placebo in most patients."
        for i in range(30)
    ]
    use_bigrams(None)
    try:
        res = train_spin_tagger(learn_spin_resources(texts), texts, seed=0)
        doc = Doc(texts[0])
        X = token_features(doc, candidate_positions(doc), res.stats, res.anchors)
    finally:
        reset_bigrams()
    assert res.tagger is not None
    assert (X[:, LEFT] == 0).all() and (X[:, RIGHT] == 0).all()
    assert load_bigrams() is not None  # the override is gone


# -- spin.pair_fluency: the page's mean bigram log-ratio of neighbouring words ------------------

FLUENT = (
    "High blood pressure rarely causes symptoms, so many people do not know they have it. "
    "The only way to find out is to have your blood pressure checked. Your doctor may ask you "
    "to cut down on salt, drink less alcohol and take more exercise. If these changes are not "
    "enough, you may be offered a medicine to lower your blood pressure and reduce the risk of "
    "a heart attack or a stroke later in life."
)
# The same text after a sense-blind thesaurus pass, about one word in four swapped.
SPUN = (
    "Tall gore force seldom reasons signs, so numerous persons do not recognize they take it. "
    "The sole means to discover out is to take your gore force patterned. Your physician may "
    "enquire you to slash down on common salt, imbibe fewer intoxicant and pick up more "
    "utilization. If these alterations are not sufficiency, you may be proffered a medication "
    "to depress your gore force and trim the peril of a core onslaught or a apoplexy afterwards "
    "in animation."
)


def test_pair_fluency_is_lower_for_spun_text_than_for_its_original() -> None:
    from qualityscore.signals.spin import pair_fluency

    fluent, spun = pair_fluency(Doc(FLUENT)), pair_fluency(Doc(SPUN))
    assert fluent - spun > 0.2, (fluent, spun)


def test_pair_fluency_reads_only_neighbours_in_one_phrase() -> None:
    """Pairs across punctuation or a line break are not pairs: list items and sentence ends
    would otherwise count as clashes. Text whose words are all separated so gives NaN; the
    same words joined by spaces give a value."""
    from qualityscore.signals.spin import pair_fluency

    words = FLUENT.replace(".", "").replace(",", "").split()
    assert np.isnan(pair_fluency(Doc(". ".join(words))))
    assert np.isnan(pair_fluency(Doc("\n".join(words))))
    assert np.isfinite(pair_fluency(Doc(" ".join(words))))


def test_pair_fluency_is_missing_on_a_short_page_and_without_a_table() -> None:
    from qualityscore.ngrams import MIN_PAIRS
    from qualityscore.signals.spin import pair_fluency

    short = " ".join(FLUENT.split()[: MIN_PAIRS - 5])
    assert np.isnan(pair_fluency(Doc(short)))
    use_bigrams(None)
    try:
        assert np.isnan(pair_fluency(Doc(FLUENT)))
    finally:
        reset_bigrams()
    assert np.isfinite(pair_fluency(Doc(FLUENT)))


def test_a_page_is_looked_up_in_the_bigram_table_once(bg: Bigrams, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The tagger's pair features and the page's pair fluency read the same token rows:
    they are looked up once per page (``spin_model.bigram_ids``), and the values are those
    of a lookup each."""
    from qualityscore.signals.spin import pair_fluency
    from qualityscore.signals.spin_model import HealthStats, bigram_ids

    def both(doc: Doc):  # type: ignore[no-untyped-def]
        X = token_features(doc, candidate_positions(doc), HealthStats(), frozenset())
        return pair_fluency(doc), X[:, [LEFT, RIGHT]]

    fluency, pairs = both(Doc(FLUENT))
    calls = []
    real = Bigrams.ids
    monkeypatch.setattr(Bigrams, "ids", lambda self, words: calls.append(1) or real(self, words))
    doc = Doc(FLUENT)
    again = both(doc)
    assert len(calls) == 1
    assert again[0] == fluency and np.array_equal(again[1], pairs, equal_nan=True)
    assert bigram_ids(doc, bg) is bigram_ids(doc, bg)

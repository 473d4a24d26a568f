"""Evidence a reviewer reads must point the right way on real pages.

A finding with positive weight says "this is why the page looks low quality". A rule that
quotes such evidence on Sondhi's reliable pages more often than on its unreliable ones
mostly accuses good pages (the repeated-title finding did: 41% vs 7%), and a lexicon swap
rule that fires on ordinary news words accuses good journalism (it did on 40% of the
4-5-star HealthStory stories). Figures and method: ``evaluation/spin_evidence.py
--all-rules``. Needs the corpora under ../shared/data; skipped without them (about 30 s).
"""

from __future__ import annotations

from collections import Counter

import pytest

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.corpora import HIGH, LOW, default_data_dir, stable_fraction
from qualityscore.page import Page
from qualityscore.signals import Analysis

DATA = default_data_dir()
needs_corpora = pytest.mark.skipif(
    not (DATA / "sondhi").is_dir() or not (DATA / "healthstory").is_dir(),
    reason=f"Sondhi and HealthStory not found under {DATA} (set QUALITYSCORE_DATA)",
)

def _shares(analyses: list[Analysis]) -> Counter[str]:
    """The share of the analysed pages on which each rule quotes evidence against the page."""
    shares: Counter[str] = Counter()
    for analysis in analyses:
        shares.update({f.rule for f in analysis.findings if f.weight > 0})
    return Counter({rule: n / len(analyses) for rule, n in shares.items()})


def _page_shares(scorer: Scorer, pages: list[Page]) -> Counter[str]:
    return _shares([scorer.signals.analyze(page) for page in pages])


# ``scorer`` is the session's shipped model (tests/conftest.py): Scorer.load(), as this
# module loaded for itself before it shared Sondhi's analyses with test_sondhi_corpus.py.


@pytest.fixture(scope="module")
def sondhi_shares(scorer: Scorer, sondhi_run) -> dict[int, Counter[str]]:  # type: ignore[no-untyped-def]
    """Each rule's share of Sondhi's reliable (HIGH) and unreliable (LOW) pages.

    The analyses are those that scoring each page made in ``sondhi_run`` (tests/conftest.py,
    shared with extract/test_sondhi_corpus.py): the page is ``page_of(s)``, the same Page
    (Sondhi's samples are HTML), and ``scorer.signals.analyze`` of it. A page refused before
    analysis (no visible text) is analysed here, as every page was before."""
    by_label: dict[int, list[Analysis]] = {HIGH: [], LOW: []}
    for s, page, analysis in zip(sondhi_run.samples, sondhi_run.pages, sondhi_run.analyses, strict=True):
        assert s.is_html, s.id  # so page_of(s) is page_from_string(..., is_html=True), this page
        by_label[s.label].append(analysis if analysis is not None else scorer.signals.analyze(page))  # type: ignore[index]
    return {label: _shares(analyses) for label, analyses in by_label.items()}


@pytest.fixture(scope="module")
def good_news_shares(scorer: Scorer) -> Counter[str]:
    """Each rule's share of the first 300 HealthStory stories rated 4-5 stars (a fixed
    order), analysed once for the two tests that read different rules off them."""
    stories = [s for s in corpora.healthstory(DATA) if (s.rating or 0) >= 4]
    stories.sort(key=lambda s: stable_fraction("evidence/" + s.id))
    return _page_shares(scorer, [Page(text=s.content, source=s.id) for s in stories[:300]])


# The per-token spin tagger's rule is held to its own target, spun text, below: Sondhi's
# unreliable pages are unreliable, not spun, and since the context model (34a3128) the
# tagger is nearly silent on them (0.6% of pages, 17% before), so against them it fails
# the direction check (7.8% of reliable pages; evaluation/RESULTS.md, *A model of words in context*).
SPIN_TAGGER = "spin.unlikely_word"


@needs_corpora
def test_no_rule_accuses_reliable_pages_more_than_unreliable_ones(sondhi_shares) -> None:  # type: ignore[no-untyped-def]
    """1.5 times as often at most (and 5% of pages as a floor). promotion.inserted_anchor
    comes closest (81% vs 59%; evaluation/RESULTS.md, "Evidence precision")."""
    reliable, unreliable = sondhi_shares[HIGH], sondhi_shares[LOW]
    backwards = {
        rule: (round(reliable[rule], 3), round(unreliable[rule], 3))
        for rule in reliable
        if rule != SPIN_TAGGER and reliable[rule] > max(1.5 * unreliable[rule], 0.05)
    }
    assert not backwards, f"rules firing far more on reliable pages (reliable, unreliable): {backwards}"


@needs_corpora
def test_the_spin_tagger_quotes_spun_text_far_more_than_reliable_pages(scorer: Scorer, sondhi_shares) -> None:  # type: ignore[no-untyped-def]
    """Held-out NIH answers spun with the lexicon (as ``evaluation/spin_evidence.py``): the
    tagger quotes a word on 74% of them against 7.8% of Sondhi's reliable pages and 2.4%
    of 4-5-star HealthStory stories (6.1% and 10.7% before the context model)."""
    import random

    from qualityscore.model.spinner import Spinner
    from qualityscore.model.train import MEDQUAD_HELDOUT_FROM

    med = [s for s in corpora.medquad(DATA) if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    med.sort(key=lambda s: stable_fraction("spin_evidence/" + s.id))
    rng, spinner = random.Random(0), Spinner()
    spun = _page_shares(scorer, [Page(text=spinner.spin(s.content, rng).text, source=s.id) for s in med[:150]])
    reliable = sondhi_shares[HIGH][SPIN_TAGGER]
    assert reliable <= 0.10
    assert spun[SPIN_TAGGER] >= 5 * reliable


@needs_corpora
def test_lexicon_swaps_are_rare_on_reliable_pages_and_news(sondhi_shares, good_news_shares) -> None:  # type: ignore[no-untyped-def]
    rule = "spin.substituted_term"
    assert sondhi_shares[HIGH][rule] <= 0.05  # 1.7% now; 10.6% before the slot rule
    assert sondhi_shares[LOW][rule] >= 2 * sondhi_shares[HIGH][rule]
    assert good_news_shares[rule] <= 0.15  # 7% of all 615 now; 40% before


@needs_corpora
def test_reported_research_is_not_an_unsupported_claim(good_news_shares) -> None:  # type: ignore[no-untyped-def]
    """News cites by naming its source ("researchers at the University of Leeds found",
    "published in the journal Neurology"), not by reference markers."""
    shares = good_news_shares
    assert shares["citation.unsupported_research_claim"] <= 0.42  # 36% of these 300 now, 50% of all 615 before
    assert shares["citation.unsupported_statistic"] <= 0.66  # 63% of these 300 now, 72% without named sources

"""Training-set pieces that need no corpus: spam from spinners whose vocabulary the
detector lacks, and the features computed for it."""

from __future__ import annotations

import numpy as np
import pytest

from qualityscore.model.corpora import Sample
from qualityscore.model.train import (
    BLIND_FOLDS,
    NOT_FOR_WORDS,
    TrainingSet,
    matrices,
    text_rows,
    unknown_vocabulary_spam,
)
from qualityscore.page import Page
from qualityscore.signals import SpinResources, feature_names
from qualityscore.signals.spin import load_lexicon

TEXT = (
    "Depression is a common condition that affects mood, sleep and appetite. People with "
    "depression may lose interest in daily activities. Treatment often combines therapy and "
    "medicine, and a doctor can explain the side effects. High blood pressure and heart "
    "disease are more common in people with long-term depression, so regular check-ups "
    "help. A clinical trial compared the treatment with a placebo in adults and children."
)


def _sources(n: int = 24) -> list[Sample]:
    return [Sample(id=f"s{i}", corpus="medquad", content=TEXT, is_html=False, label=0, group=f"g{i}")
            for i in range(n)]


def test_each_spun_page_uses_only_the_terms_withheld_from_its_detector() -> None:
    lexicon = load_lexicon()
    spam = unknown_vocabulary_spam(_sources(), lexicon, seed=0)
    assert spam, "the source text has lexicon terms: some pages must be spun"
    parts = {w for _, _, w in spam}
    assert 1 < len(parts) <= BLIND_FOLDS
    everything = {e.canonical for e in lexicon.entries}
    assert set().union(*parts) <= everything
    for a in parts:  # the folds do not overlap
        for b in parts - {a}:
            assert not a & b
    variants = {e.variant: e.canonical for e in lexicon.entries}
    for page, _, withheld in spam:
        used = {variants[v] for v in variants if f" {v} " in f" {page.text.lower()} "}
        # Every substitution the spinner made comes from the withheld fold.
        assert used & everything, page.text[:80]
        assert any(c in withheld for c in used)


def test_each_source_is_spun_once_per_copy_with_a_different_fold() -> None:
    lexicon = load_lexicon()
    spam = unknown_vocabulary_spam(_sources(8), lexicon, seed=0, copies=2)
    by_source: dict[str, list[frozenset[str]]] = {}
    for _, group, withheld in spam:
        by_source.setdefault(group, []).append(withheld)
    assert by_source and all(len(parts) <= 2 for parts in by_source.values())
    assert sum(len(parts) == 2 and parts[0] != parts[1] for parts in by_source.values()) >= 4
    single = unknown_vocabulary_spam(_sources(8), lexicon, seed=0, copies=1)
    assert len(single) < len(spam)


def test_withheld_rows_get_signals_from_a_detector_without_those_terms() -> None:
    lexicon = load_lexicon()
    spam = unknown_vocabulary_spam(_sources(8), lexicon, seed=0)
    ts = TrainingSet(resources=SpinResources())
    clean = Page(text=TEXT, is_html=False, source="clean")
    ts.add(clean, 0, "medquad", "c")
    for page, group, withheld in spam:
        ts.add(page, 1, "synthetic_spun_unknown", group, withheld)
        ts.add(page, 1, "synthetic_spun", group)  # the same page, detector knowing every term
    X, _ = matrices(ts)
    col = 1 + feature_names().index("spin.substitutions_per_100w")
    blind = X[1::2, col].astype(float)
    seeing = X[2::2, col].astype(float)
    assert np.all(seeing > 0), "with the whole lexicon, the swaps are found"
    assert np.all(blind < seeing), "without the withheld terms, fewer are"
    assert not text_rows(np.asarray(ts.corpus))[1:].any()
    assert "synthetic_spun_unknown" in NOT_FOR_WORDS


NEWS = (
    "The city council voted on Tuesday to open two new libraries next year.\n\n"
    "The plan will cost $4m, the council said, and about 30 people will work there. "
    "Local schools welcomed the news."
)


def test_promoted_news_adds_promotion_and_only_the_signal_branch_learns_it() -> None:
    from qualityscore.model.train import promoted_spam
    from qualityscore.signals import SignalSet

    sources = [Sample(id=f"n{i}", corpus="onestop", content=NEWS, is_html=False, label=0, group=f"a{i}")
               for i in range(30)]
    spam = promoted_spam(sources, seed=0)
    assert len(spam) == len(sources)
    assert any(p.is_html for p, _ in spam) and any(not p.is_html for p, _ in spam)
    signals = SignalSet()
    spam_rules = {"promotion.call_to_action", "promotion.phone_number", "promotion.price",
                  "citation.unsupported_statistic", "citation.unsupported_research_claim",
                  "citation.unsupported_claim", "boilerplate.scrape_residue"}
    evidenced = 0
    for page, _ in spam:
        assert len(page.text) > len(NEWS) and "libraries" in page.text, "promotion added, article kept"
        evidenced += bool({f.rule for f in signals.analyze(page).findings} & spam_rules)
    # Not every template phrasing is a listed call to action ("Buy your supply at half
    # price!"): the rules are not fitted to the simulator. Most pages still show evidence.
    assert evidenced >= 0.6 * len(spam), evidenced
    clean = {f.rule for f in signals.analyze(Page(text=NEWS)).findings}
    assert not clean & spam_rules, clean
    assert "promotion.price" not in clean, "a reported sum ($4m) is not a price on offer"
    assert "synthetic_promoted_news" in NOT_FOR_WORDS
    assert not text_rows(np.asarray(["synthetic_promoted_news", "onestop"]))[0]


def test_onestop_reader_keeps_an_articles_levels_in_one_group(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.model.corpora import onestop

    assert list(onestop(tmp_path)) == []  # absent corpus: nothing, no error
    root = tmp_path / "onestopenglish" / "Texts-SeparatedByReadingLevel"
    for level, tag in (("Ele-Txt", "ele"), ("Int-Txt", "int"), ("Adv-Txt", "adv")):
        (root / level).mkdir(parents=True)
        (root / level / f"Bike lanes-{tag}.txt").write_bytes(
            "\ufeffThe city opened new bike lanes.  \nMore people now cycle to work.\n".encode())
        (root / level / f"Rain-{tag}.txt").write_text("It rained all week in the north.\n", "utf-8")
    samples = list(onestop(tmp_path))
    assert len(samples) == 6
    assert {s.group for s in samples} == {"onestop/Bike lanes", "onestop/Rain"}
    assert all(s.label == 0 and s.corpus == "onestop" and not s.is_html for s in samples)
    bike = next(s for s in samples if s.id.endswith("Bike lanes-ele"))
    assert bike.content == "The city opened new bike lanes.\nMore people now cycle to work."


def test_the_tagger_threshold_holds_its_budget_on_news_too() -> None:
    """The flag budget must hold on clean text of another register as well as on the NIH
    text the tagger learned from, counting flags as scoring does (only on pages that
    reach the page gate), and at most 5% of those clean pages reach the gate."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.tagger import PAGE_GATE_SHARE, clean_threshold, page_probabilities
    from qualityscore.model.train import TAGGER_FIT_SHARE, train_spin_tagger

    health = [TEXT.replace("adults", f"adults {i}") for i in range(40)]
    news = [NEWS.replace("Tuesday", day) + f" The mayor said rents rose {i} times." for i, day in
            enumerate(("Monday", "Tuesday", "Friday", "Sunday") * 10)]
    res = learn_spin_resources(health)
    nih_only = train_spin_tagger(res, health, seed=0)
    both = train_spin_tagger(res, health, seed=0, other_clean=news)
    held = health[int(len(health) * TAGGER_FIT_SHARE):]
    g = both.tagger_page_gate
    # Here the tagger, knowing only NIH-like text, finds the news unusual: the gate rises
    # above the news pages' means (no finding on them), where NIH text alone set it low.
    assert both.tagger_page_gate > nih_only.tagger_page_gate
    assert both.tagger_threshold == max(
        clean_threshold(both.tagger, held, res.stats, res.anchors, gate=g),
        clean_threshold(both.tagger, news, res.stats, res.anchors, gate=g))
    pages = page_probabilities(both.tagger, held + news, res.stats, res.anchors)
    gated = [p for p, _ in pages if p.mean() >= g]
    assert len(gated) <= PAGE_GATE_SHARE * len(pages)
    for texts in (held, news):  # within 0.4 flags per 2,000 words on each
        pages = page_probabilities(both.tagger, texts, res.stats, res.anchors)
        flags = sum(int((p >= both.tagger_threshold).sum()) for p, _ in pages if p.mean() >= g)
        assert flags <= 0.4 * sum(w for _, w in pages) / 2000 + 1e-9


def test_each_further_clean_register_holds_the_budget_on_its_own() -> None:
    """``more_clean`` (training: Cochrane's training-side summaries) counts towards the
    page gate and must keep the flag budget on its own, as the news does: passed there,
    the news gives the same operating point as passed as ``other_clean``, and it moves
    the gate it would not move if it were ignored (a wide gate share here)."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.tagger import clean_threshold
    from qualityscore.model.train import TAGGER_FIT_SHARE, train_spin_tagger

    health = [TEXT.replace("adults", f"adults {i}") for i in range(40)]
    news = [NEWS.replace("Tuesday", day) + f" The mayor said rents rose {i} times." for i, day in
            enumerate(("Monday", "Tuesday", "Friday", "Sunday") * 10)]
    res = learn_spin_resources(health)
    alone = train_spin_tagger(res, health, seed=0, gate_share=0.5)
    as_news = train_spin_tagger(res, health, seed=0, gate_share=0.5, other_clean=news)
    as_more = train_spin_tagger(res, health, seed=0, gate_share=0.5, more_clean=[news])
    point = ("tagger_page_gate", "tagger_threshold", "tagger_strong_gate", "tagger_strong_threshold")
    assert [getattr(as_more, k) for k in point] == [getattr(as_news, k) for k in point]
    held = health[int(len(health) * TAGGER_FIT_SHARE):]
    g = as_more.tagger_page_gate
    assert as_more.tagger_threshold == max(
        clean_threshold(as_more.tagger, texts, res.stats, res.anchors, gate=g) for texts in (held, news))
    # The tagger finds the news unusual: counted, it lifts the gate above its pages' means.
    assert as_more.tagger_page_gate > alone.tagger_page_gate


def test_the_tagger_operating_point_can_be_moved_for_evaluation() -> None:
    """``gate_share`` and ``flags_per_2000_words`` (the evaluation scripts' --gate-share
    and --flag-budget) set the gate and the cut as training's defaults would at those
    values; left unset they are training's."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.tagger import (
        FLAGS_PER_2000_WORDS,
        PAGE_GATE_SHARE,
        clean_threshold,
        page_gate,
        page_probabilities,
    )
    from qualityscore.model.train import TAGGER_FIT_SHARE, train_spin_tagger

    # Pages that read more or less unusual, so that their mean probabilities differ.
    health = [TEXT.replace("adults", f"adults {i}") + " Bosom malignancy and sugar sickness." * (i % 5)
              for i in range(40)]
    res = learn_spin_resources(health)
    default = train_spin_tagger(res, health, seed=0)
    explicit = train_spin_tagger(res, health, seed=0, gate_share=PAGE_GATE_SHARE,
                                 flags_per_2000_words=FLAGS_PER_2000_WORDS)
    assert (default.tagger_page_gate, default.tagger_threshold) == (
        explicit.tagger_page_gate, explicit.tagger_threshold)
    loose = train_spin_tagger(res, health, seed=0, gate_share=0.5, flags_per_2000_words=40.0)
    held = page_probabilities(loose.tagger, health[int(len(health) * TAGGER_FIT_SHARE):], res.stats, res.anchors)
    assert loose.tagger_page_gate == page_gate(held, share=0.5) < default.tagger_page_gate
    assert loose.tagger_threshold == clean_threshold(loose.tagger, [], res.stats, res.anchors,
                                                     gate=loose.tagger_page_gate, pages=held,
                                                     flags_per_2000_words=40.0)


@pytest.fixture(scope="module")
def tiny_tagger():  # type: ignore[no-untyped-def]
    """A tagger trained on 30 copies of ``TEXT``, and a page with swapped words to read
    with it (every tier's test moves the resources' gates and cuts from these)."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.train import train_spin_tagger
    from qualityscore.text import Doc

    health = [TEXT.replace("adults", f"adults {i}") for i in range(30)]
    res = train_spin_tagger(learn_spin_resources(health), health, seed=0)
    page = "People with melancholy may lose interest in daily pursuits. Check your blood strain."
    return res, page, Doc(page)


def test_the_page_gate_keeps_findings_off_pages_that_read_clean_overall(tiny_tagger) -> None:  # type: ignore[no-untyped-def]
    """A word above the threshold is reported only when its page's mean probability
    reaches the gate; the page's means reach the classifier either way."""
    import dataclasses

    from qualityscore.signals.spin import SpinSignals

    res, page, doc = tiny_tagger

    def unlikely(gate: float) -> tuple[int, dict[str, float]]:
        # (the third tier, on the page's highest probability, closed: its own test below)
        r = dataclasses.replace(res, tagger_threshold=0.5, tagger_page_gate=gate, tagger_peak_gate=2.0)
        out = SpinSignals(spin_resources=r).analyze(doc, Page(text=page))
        return sum(f.rule == "spin.unlikely_word" for f in out.findings), out.features

    n_open, f_open = unlikely(0.0)
    assert n_open > 0, "the swapped words score above 0.5"
    n_shut, f_shut = unlikely(f_open["tagger_mean"] + 1e-6)
    assert n_shut == 0 and f_shut["unlikely_words_per_100w"] == 0.0
    assert f_shut["tagger_mean"] == f_open["tagger_mean"] and f_shut["tagger_top5_mean"] == f_open["tagger_top5_mean"]
    assert unlikely(f_open["tagger_mean"])[0] == n_open


def test_a_page_past_the_strong_gate_is_read_with_the_lower_cut(tiny_tagger) -> None:  # type: ignore[no-untyped-def]
    """Second tier: a page whose mean reaches ``tagger_strong_gate`` has its words cut at
    ``tagger_strong_threshold``; below that gate the first cut applies, and an old bundle
    (no second tier stored) reads exactly as before."""
    import dataclasses

    from qualityscore.signals.spin import SpinSignals

    res, page, doc = tiny_tagger

    def findings(**tiers: float) -> tuple[set[str], dict[str, float]]:
        r = dataclasses.replace(res, **{"tagger_page_gate": 0.0, "tagger_strong_gate": 2.0,
                                        "tagger_peak_gate": 2.0, **tiers})
        out = SpinSignals(spin_resources=r).analyze(doc, Page(text=page))
        return {f.text.lower() for f in out.findings if f.rule == "spin.unlikely_word"}, out.features

    everything, feats = findings(tagger_threshold=0.0)
    assert len(everything) >= 4, "a cut of 0 flags every candidate word not covered by the lexicon"
    strict = dict(tagger_threshold=1.01)  # above any probability
    assert findings(**strict)[0] == set()
    mean = feats["tagger_mean"]
    # Past the strong gate the lower cut applies; just short of it, only the first cut.
    assert findings(**strict, tagger_strong_gate=mean - 1e-6, tagger_strong_threshold=0.0)[0] == everything
    assert findings(**strict, tagger_strong_gate=mean + 1e-3, tagger_strong_threshold=0.0)[0] == set()
    # A strong cut above the first never raises the bar.
    assert findings(tagger_threshold=0.0, tagger_strong_gate=0.0, tagger_strong_threshold=1.01)[0] == everything
    # Stored and read back; a bundle without the fields has no second tier.
    plain = res.to_plain()
    assert SpinResources.from_plain(plain).tagger_strong_gate == res.tagger_strong_gate
    del plain["tagger_strong_gate"], plain["tagger_strong_threshold"]
    old = SpinResources.from_plain(plain)
    assert (old.tagger_strong_gate, old.tagger_strong_threshold) == (2.0, 1.01)


def test_the_strong_gate_and_its_cut_hold_their_budgets() -> None:
    """``tagger.strong_tier``: the strong gate is reached by at most ``share`` of the clean
    pages (never below the first gate); its cut is the lowest at or above
    ``STRONG_FLOOR`` that keeps flags on the pages past it within the budget on each set
    of pages (NIH text, news), and never above the first cut."""
    from qualityscore.model.tagger import STRONG_FLOOR, strong_tier

    rng = np.random.default_rng(0)
    # 200 clean pages of 100 words; page i's probabilities scale with i (a long tail).
    nih = [(rng.uniform(0, 1, 50) ** (12 - 10 * i / 200), 100) for i in range(200)]
    news = [(rng.uniform(0, 1, 50) ** 6, 100) for _ in range(100)]
    gate, cut = strong_tier(nih, news, gate=0.01, threshold=0.95, share=0.02, flags_per_2000_words=2.0)
    means = sorted((float(p.mean()) for p, _ in nih + news), reverse=True)
    assert sum(m >= gate for m in means) <= 0.02 * len(means) and gate > 0.01
    assert STRONG_FLOOR <= cut < 0.95, "the tier is active on these pages"
    for pages in (nih, news):
        words = sum(w for _, w in pages)
        flags = sum(int((p >= cut).sum()) for p, _ in pages if p.mean() >= gate)
        assert flags <= 2.0 * words / 2000
    # The lowest such cut: just below it, the NIH pages past the gate go over budget.
    below = sum(int((p >= cut - 2e-6).sum()) for p, _ in nih if p.mean() >= gate)
    assert cut == STRONG_FLOOR or below > 2.0 * sum(w for _, w in nih) / 2000
    # Never below the floor, never above the first cut, never below the first gate.
    assert strong_tier(nih, news, gate=0.01, threshold=0.95, share=0.02, flags_per_2000_words=1e6)[1] == STRONG_FLOOR
    assert strong_tier(nih, news, gate=0.01, threshold=0.55, share=0.02, flags_per_2000_words=0.0)[1] == 0.55
    assert strong_tier(nih, news, gate=0.99, threshold=0.95)[0] == 0.99
    assert strong_tier(nih, news, gate=0.01, threshold=0.95, share=0) == (2.0, 1.01)

def test_common_english_swap_words_are_not_evidence_on_their_own() -> None:
    """A one-word swap that is an everyday English word ("professor" for doctor, "members"
    for participants) is what news and reliable pages use in its own sense: the lexicon
    does not report it alone. Rarer swaps and broken multi-word terms still fire."""
    from qualityscore.model.resources import common_medical_variants, learn_spin_resources
    from qualityscore.signals.spin import SpinSignals
    from qualityscore.text import Doc

    common = common_medical_variants(load_lexicon(), 4.5)
    assert {"professor", "members", "finds"} <= common
    assert not {"despair", "melancholy", "bosom"} & common
    assert not any(" " in v or "-" in v for v in common)

    health = [TEXT.replace("adults", f"adults {i}") for i in range(20)]
    page = (
        "Her symptoms eased, a professor can explain why. People with melancholy may lose "
        "interest in daily activities. Check your blood strain once a year."
    )

    def rules(res: SpinResources) -> list[tuple[str, str]]:
        out = SpinSignals(spin_resources=res).analyze(Doc(page), Page(text=page))
        return sorted((f.rule, f.text.lower()) for f in out.findings if f.rule != "spin.unlikely_word")

    before = rules(learn_spin_resources(health, common_word_zipf=99.0))
    after = rules(learn_spin_resources(health))
    assert ("spin.substituted_term", "professor") in before
    assert ("spin.substituted_term", "professor") not in after
    assert ("spin.substituted_term", "melancholy") in after
    assert ("spin.broken_term", "blood strain") in after


def test_a_one_word_swap_counts_only_in_a_slot_the_canonical_term_fills() -> None:
    """"People with melancholy" stands where clean text says "people with depression"; in
    "her melancholy song" the word has its own sense, and neither neighbour is one clean
    text puts next to "depression"."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.signals.spin import SpinSignals
    from qualityscore.text import Doc

    res = learn_spin_resources([TEXT.replace("adults", f"adults {i}") for i in range(20)])
    sig = SpinSignals(spin_resources=res)

    def substituted(page: str) -> list[str]:
        out = sig.analyze(Doc(page), Page(text=page))
        return [f.text for f in out.findings if f.rule == "spin.substituted_term"]

    assert substituted("People with melancholy may lose interest in daily activities.") == ["melancholy"]
    song = "Her melancholy song about depression won a prize."
    assert substituted(song) == []
    # The same page fires when no clean text has been learned: the slot test is what spares it.
    no_stats = SpinSignals()
    assert [f.text for f in no_stats.analyze(Doc(song), Page(text=song)).findings
            if f.rule == "spin.substituted_term"] == ["melancholy"]


def test_the_page_cache_key_changes_with_the_extraction_code(tmp_path, monkeypatch) -> None:
    """Pages extracted by older extraction code are never served from the cache."""
    from qualityscore.model import features

    sample = Sample(id="p", corpus="sondhi", content="<html><body><p>Sleep well.</p></body></html>",
                    is_html=True, label=0, group="g")
    cache = features.PageCache(tmp_path / "pages.jsonl")
    first = cache.get(sample)
    assert features.PageCache(tmp_path / "pages.jsonl").pages  # written to disk
    key = features._digest(sample)
    monkeypatch.setattr(features, "_EXTRACTOR", ["other-extractor"])
    assert features._digest(sample) != key
    again = features.PageCache(tmp_path / "pages.jsonl")
    assert features._digest(sample) not in again.pages  # a miss: extracted anew
    assert again.get(sample) == first


def test_medreadme_reader_joins_sentences_by_source_and_leaves_cochrane_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from qualityscore.model.corpora import medreadme

    assert list(medreadme(tmp_path)) == []  # absent corpus: nothing, no error
    (tmp_path / "medreadme").mkdir()
    rows = [("wiki", "simple", f"Wiki sentence {i}.") for i in range(12)]
    rows += [("cochrane_all", "complex", "A sentence from a Cochrane review."),
             ("elife", "complex", "An eLife sentence."), ("elife", "complex", "")]
    with (tmp_path / "medreadme" / "readability.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["", "Sentence", "Source", "Side", "Readability", "split"])
        for i, (source, side, text) in enumerate(rows):
            w.writerow([i, text, source, side, 3.0, "train"])
    samples = list(medreadme(tmp_path, sentences=5))
    texts = [s.content for s in samples]
    assert "An eLife sentence." in texts
    assert not any("Cochrane" in t for t in texts)
    wiki = [s for s in samples if "wiki" in s.id]
    assert [len(s.content.split(". ")) for s in wiki] == [5, 5, 2]
    assert wiki[0].content.startswith("Wiki sentence 0. Wiki sentence 1.")
    assert all(s.label == 0 and s.corpus == "medreadme" and not s.is_html for s in samples)
    assert len({s.group for s in samples}) == len(samples)


def test_clean_negatives_teach_the_tagger_that_another_register_is_not_spin() -> None:
    """Fitted on NIH-like text alone, the tagger takes news words for spin; with clean
    news among its negatives (every word a negative, nothing spun) it gives them lower
    probabilities, while spun health text still scores high."""
    import random

    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.spinner import Spinner
    from qualityscore.model.tagger import tagger_rows
    from qualityscore.model.train import train_spin_tagger
    from qualityscore.signals.spin_model import candidate_positions, token_features
    from qualityscore.text import Doc

    health = [TEXT.replace("adults", f"adults {i}") for i in range(40)]
    news = [NEWS.replace("Tuesday", day) + f" The mayor said rents rose {i} times." for i, day in
            enumerate(("Monday", "Tuesday", "Friday", "Sunday", "Thursday") * 4)]
    res = learn_spin_resources(health)
    rows = tagger_rows(news, load_lexicon(), res.stats, res.anchors, spin=False)
    assert len(rows.y) and not rows.y.any(), "clean negatives only: nothing is spun"

    def mean_p(r: SpinResources, texts: list[str]) -> float:
        ps = []
        for text in texts:
            doc = Doc(text)
            ps.extend(r.tagger.predict_proba(token_features(doc, candidate_positions(doc), r.stats, r.anchors))[:, 1])
        return float(np.mean(ps))

    alone = train_spin_tagger(res, health, seed=0)
    taught = train_spin_tagger(res, health, seed=0, clean_negatives=news)
    unseen_news = [NEWS.replace("Tuesday", "Saturday") + " The mayor said rents rose again."]
    assert mean_p(taught, unseen_news) < mean_p(alone, unseen_news) - 0.05
    spun = [Spinner().spin(t, random.Random(i), medical_rate=1.0, everyday_rate=0.0).text
            for i, t in enumerate(health[:5])]
    assert mean_p(taught, spun) > mean_p(taught, unseen_news)


def test_tagger_mean_is_the_mean_probability_over_the_distinct_candidate_words() -> None:
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.train import train_spin_tagger
    from qualityscore.signals.spin import SpinSignals
    from qualityscore.signals.spin_model import candidate_positions, token_features
    from qualityscore.text import Doc

    health = [TEXT.replace("adults", f"adults {i}") for i in range(30)]
    res = train_spin_tagger(learn_spin_resources(health), health, seed=0)
    sig = SpinSignals(spin_resources=res)
    page = "People with melancholy may lose interest in daily pursuits. Check your blood strain."
    doc = Doc(page)
    pos = candidate_positions(doc)
    p = res.tagger.predict_proba(token_features(doc, pos, res.stats, res.anchors))[:, 1]
    best: dict[str, float] = {}
    for k, prob in zip(pos, p, strict=True):
        best[doc.tokens[k].lower] = max(best.get(doc.tokens[k].lower, 0.0), float(prob))
    f = sig.analyze(doc, Page(text=page)).features
    assert f["tagger_mean"] == pytest.approx(sum(best.values()) / len(best))
    assert f["tagger_top5_mean"] == pytest.approx(float(np.sort(p)[::-1][:5].sum() / 5))
    assert SpinSignals(spin_resources=SpinResources()).analyze(doc, Page(text=page)).features["tagger_mean"] == 0.0


def test_a_recurring_word_counts_once_in_the_page_tagger_signals() -> None:
    """A page's own odd topic word recurs ("steam" three times in a Cochrane summary); a
    spinner's swaps are many different words. The page signals count each word once,
    while every occurrence above the threshold is still reported as a finding."""
    import dataclasses

    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.train import train_spin_tagger
    from qualityscore.signals.spin import SpinSignals, word_type_mean
    from qualityscore.text import Doc

    assert word_type_mean(["steam", "steam", "steam", "lungs"], [0.9, 0.8, 0.9, 0.1]) == pytest.approx(0.5)
    assert word_type_mean([], []) == 0.0
    health = [TEXT.replace("adults", f"adults {i}") for i in range(30)]
    res = train_spin_tagger(learn_spin_resources(health), health, seed=0)
    res = dataclasses.replace(res, tagger_threshold=0.5, tagger_page_gate=0.0)
    once = "People with melancholy may lose interest in daily pursuits."
    thrice = " ".join([once] * 3)

    def run(page: str) -> tuple[int, dict[str, float]]:
        out = SpinSignals(spin_resources=res).analyze(Doc(page), Page(text=page))
        return sum(f.rule == "spin.unlikely_word" for f in out.findings), out.features

    n1, f1 = run(once)
    n3, f3 = run(thrice)
    assert n1 > 0 and n3 == 3 * n1, "every occurrence is a finding"
    assert f3["unlikely_words_per_100w"] == pytest.approx(f1["unlikely_words_per_100w"] / 3)
    assert f3["tagger_mean"] == pytest.approx(f1["tagger_mean"])


def test_a_page_past_the_peak_gate_is_read_with_the_peak_cut(tiny_tagger) -> None:  # type: ignore[no-untyped-def]
    """Third tier: a page whose *highest* word probability reaches ``tagger_peak_gate``
    has its words cut at ``tagger_peak_threshold``, whatever its mean; short of that gate
    it is read as before, and an old bundle (no third tier stored) reads exactly as before."""
    import dataclasses

    from qualityscore.signals.spin import SpinSignals

    res, page, doc = tiny_tagger
    closed = dict(tagger_page_gate=2.0, tagger_strong_gate=2.0, tagger_threshold=0.0,
                  tagger_peak_gate=2.0)  # no tier opens

    def findings(**tiers: float) -> set[str]:
        r = dataclasses.replace(res, **{**closed, **tiers})
        out = SpinSignals(spin_resources=r).analyze(doc, Page(text=page))
        return {f.text.lower() for f in out.findings if f.rule == "spin.unlikely_word"}

    everything = findings(tagger_page_gate=0.0)
    assert len(everything) >= 4
    assert findings() == set(), "no tier reached: nothing flagged, however low the cuts"
    r = dataclasses.replace(res, **closed)
    out = SpinSignals(spin_resources=dataclasses.replace(r, tagger_page_gate=0.0)).analyze(doc, Page(text=page))
    peak = max(f.weight for f in out.findings if f.rule == "spin.unlikely_word")  # rounded to 3 places
    assert findings(tagger_peak_gate=peak - 1e-3, tagger_peak_threshold=0.0) == everything
    assert findings(tagger_peak_gate=peak + 1e-3, tagger_peak_threshold=0.0) == set()
    # The peak tier's words are findings, not part of the classifier's page signal.
    peak_only = dataclasses.replace(r, tagger_peak_gate=peak - 1e-3, tagger_peak_threshold=0.0)
    feats = SpinSignals(spin_resources=peak_only).analyze(doc, Page(text=page)).features
    assert feats["unlikely_words_per_100w"] == 0.0
    both = dataclasses.replace(peak_only, tagger_page_gate=0.0, tagger_threshold=0.0)
    assert SpinSignals(spin_resources=both).analyze(doc, Page(text=page)).features["unlikely_words_per_100w"] > 0
    # The lowest cut of the tiers a page reaches applies.
    assert findings(tagger_page_gate=0.0, tagger_threshold=1.01, tagger_peak_gate=0.0,
                    tagger_peak_threshold=0.0) == everything
    assert findings(tagger_page_gate=0.0, tagger_peak_gate=0.0, tagger_peak_threshold=1.01) == everything
    plain = res.to_plain()
    assert SpinResources.from_plain(plain).tagger_peak_gate == res.tagger_peak_gate
    del plain["tagger_peak_gate"], plain["tagger_peak_threshold"]
    old = SpinResources.from_plain(plain)
    assert (old.tagger_peak_gate, old.tagger_peak_threshold) == (2.0, 1.01)


def test_the_peak_gate_and_its_cut_hold_their_budgets() -> None:
    """``tagger.peak_tier``: the peak gate is reached by at most ``share`` of the clean
    pages' highest probabilities; its cut is the lowest at or above the floor that keeps
    flags on the pages past it within the budget on each set of pages."""
    from qualityscore.model.tagger import peak_tier

    rng = np.random.default_rng(0)
    nih = [(rng.uniform(0, 1, 50) ** (12 - 10 * i / 200), 100) for i in range(200)]
    news = [(rng.uniform(0, 1, 50) ** 6, 100) for _ in range(100)]
    gate, cut = peak_tier(nih, news, share=0.05, flags_per_2000_words=2.0, floor=0.2)
    peaks = [float(p.max()) for p, _ in nih + news]
    assert sum(m >= gate for m in peaks) <= 0.05 * len(peaks) < sum(m >= gate - 1e-6 for m in peaks)
    assert 0.2 <= cut < gate, "the tier is active on these pages"
    for pages in (nih, news):
        words = sum(w for _, w in pages)
        assert sum(int((p >= cut).sum()) for p, _ in pages if p.max() >= gate) <= 2.0 * words / 2000
    below = max(sum(int((p >= cut - 2e-6).sum()) for p, _ in pages if p.max() >= gate)
                - 2.0 * sum(w for _, w in pages) / 2000 for pages in (nih, news))
    assert cut == 0.2 or below > 0, "the lowest such cut"
    assert peak_tier(nih, news, share=0.05, flags_per_2000_words=1e6, floor=0.3)[1] == 0.3
    assert peak_tier(nih, news, share=0) == (2.0, 1.01)


def test_the_kept_calibration_pages_replay_training_s_tiers() -> None:
    """``train_spin_tagger(calibration=...)`` keeps the clean pages that set the tiers;
    ``tagger.operating_point`` on them gives the trained tiers with training's budgets,
    and a refit's tiers with moved ones (what ``evaluation/spin_budgets.py`` relies on)."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.tagger import operating_point
    from qualityscore.model.train import train_spin_tagger

    health = [TEXT.replace("adults", f"adults {i}") + " Bosom malignancy and sugar sickness." * (i % 5)
              for i in range(40)]
    res = learn_spin_resources(health)
    kept: list = []
    trained = train_spin_tagger(res, health, seed=0, more_clean=[health[:10]], calibration=kept)
    [(held, others)] = kept
    assert len(others) == 1 and len(held) > 0
    names = ("tagger_threshold", "tagger_page_gate", "tagger_strong_gate", "tagger_strong_threshold",
             "tagger_peak_gate", "tagger_peak_threshold")
    assert operating_point(held, others) == {k: getattr(trained, k) for k in names}
    moved = {"gate_share": 0.3, "flags_per_2000_words": 30.0, "peak_share": 0.2, "peak_flags": 10.0}
    refit = train_spin_tagger(res, health, seed=0, more_clean=[health[:10]], **moved)
    assert operating_point(held, others, **moved) == {k: getattr(refit, k) for k in names}
    assert operating_point(held, others, **moved) != operating_point(held, others)

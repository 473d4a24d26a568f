"""The library API end to end with the shipped model."""

from __future__ import annotations

import math

import pytest
from qs_testkit import assert_offsets_round_trip

from qualityscore import Scorer, score
from qualityscore.extract.sources import page_from_string
from qualityscore.page import Page
from qualityscore.scorer import spam_evidence


def test_spun_promotional_page_is_not_ok(scorer: Scorer, spun_html: str) -> None:
    r = scorer.score(spun_html, source="spun")
    assert r.decision in {"review", "reject"}
    assert r.score is not None and r.score < scorer.review_below
    rules = {f.rule for f in r.findings}
    assert {"spin.broken_term", "promotion.call_to_action", "citation.unsupported_claim"} <= rules
    assert_offsets_round_trip(page_from_string(spun_html).text, r.findings)


def test_spun_page_as_plain_text_is_still_not_ok(scorer: Scorer, spun_html: str) -> None:
    """Losing the links (text input) must not make spam look reliable."""
    text = page_from_string(spun_html).text
    r = scorer.score_page(Page(text=text, is_html=False))
    assert r.decision in {"review", "reject"}
    assert math.isnan(r.signals["promotion.links_per_100w"])


def test_plain_leaflet_is_ok(scorer: Scorer, leaflet_text: str) -> None:
    r = scorer.score(leaflet_text)
    assert r.decision == "ok", r.to_dict()
    assert not [f for f in r.findings if f.family == "spin"]


def test_scores_are_bounded_and_deterministic(scorer: Scorer, spun_html: str, leaflet_text: str) -> None:
    for doc in (spun_html, leaflet_text, "x", "Buy now! " * 50):
        a, b = scorer.score(doc), scorer.score(doc)
        assert 0.0 <= a.score <= 100.0
        assert a.to_dict() == b.to_dict()


def test_a_page_scores_the_same_whatever_blas_threads_the_caller_allows(scorer: Scorer) -> None:
    """The library (all cores), a batch worker (one thread) and training workers must
    give the same numbers for a page. On two OpenBLAS threads the context model's float32
    products differed in the last digits on pages of 300 words and more, so its features
    (and the page medians the classifier reads) depended on the caller."""
    import json

    from qs_testkit import ROOT
    from threadpoolctl import threadpool_limits

    texts = [json.loads(line)["content"] for line in (ROOT / "labeled" / "pages.jsonl").open(encoding="utf-8")]
    plain = [t for t in texts if "<" not in t]
    for k in range(2, 7):  # several pages: whether the last digits differ varies with the page
        page = Page(text="\n\n".join(plain[:k]))
        assert len(page.text.split()) >= 300
        seen = []
        for threads in (1, 2, 1):
            with threadpool_limits(limits=threads, user_api="blas"):
                seen.append((repr(scorer.signals.analyze(page).features), scorer.score(page.text).to_dict()))
        assert seen[0] == seen[1] == seen[2], f"the first {k} plain labeled pages"


@pytest.mark.parametrize("doc", ["", "  \n\t ", "!!! ??? ...", "<html><script>var a=1;</script><style>p{}</style></html>"])
def test_a_page_with_nothing_to_read_is_an_error_not_a_score(scorer: Scorer, doc: str) -> None:
    from qualityscore.errors import InputError

    with pytest.raises(InputError) as exc:
        scorer.score(doc)
    assert exc.value.type == "input.empty"
    [many] = list(scorer.score_many([doc]))
    assert many.error is not None and many.error.type == "input.empty"
    assert many.score is None and many.decision is None
    [iso] = scorer.score_pages_isolated([page_from_string(doc, source="p")])
    assert iso.error is not None and iso.error.type == "input.empty"


def test_module_level_score_uses_shipped_model(leaflet_text: str) -> None:
    r = score(leaflet_text)
    assert r.model_version and r.decision == "ok"


def test_score_many_keeps_order_and_reports_bad_items(scorer: Scorer, leaflet_text: str) -> None:
    items = [leaflet_text, b"\x89PNG\r\n\x1a\n\x00\x00binary", "Order today! Call 1-800-555-0100."]
    results = list(scorer.score_many(items))
    assert [r.source for r in results] == ["#0", "#1", "#2"]
    assert results[0].ok and results[2].ok
    assert results[1].error is not None and results[1].error.type == "input.binary"
    assert results[1].decision is None and results[1].score is None


@pytest.mark.parametrize(("items", "error"), [
    ("Blood pressure is the force of blood in the arteries.", TypeError),  # one text, not many
    (b"one text as bytes", TypeError),
    (None, TypeError),
    (42, TypeError),
])
def test_score_many_refuses_what_is_not_a_collection_of_texts_at_the_call(
    scorer: Scorer, items: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match="score_many takes an iterable of texts"):
        scorer.score_many(items)  # type: ignore[arg-type]  # raises here, before any iteration


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_score_many_refuses_a_batch_size_that_is_not_a_positive_whole_number(scorer: Scorer, batch_size: object) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        scorer.score_many(["a text"], batch_size=batch_size)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("review", "reject", "expected"),
    [(101.0, 100.0, "reject"), (101.0, 0.0, "review"), (0.0, 0.0, "ok")],
)
def test_thresholds_from_settings_decide(leaflet_text: str, review: float, reject: float, expected: str) -> None:
    s = Scorer.load(review_below=review, reject_below=reject)
    assert s.score(leaflet_text).decision == expected


def test_inconsistent_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="reject_below"):
        Scorer.load(review_below=10.0, reject_below=50.0)


def test_score_pages_isolated_turns_a_failing_page_into_an_error_row(
    scorer: Scorer, leaflet_text: str, spun_html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = [
        Page(text=leaflet_text, is_html=False, source="a"),
        Page(text="poison " * 50, is_html=False, source="b"),
        page_from_string(spun_html, source="c"),
    ]
    expected = [scorer.score_page(pages[0]), scorer.score_page(pages[2])]
    real = scorer.signals.analyze

    def analyze(page: Page):  # type: ignore[no-untyped-def]
        if page.text.startswith("poison"):
            raise RecursionError("deep")
        return real(page)

    monkeypatch.setattr(scorer.signals, "analyze", analyze)
    got = scorer.score_pages_isolated(pages)
    assert [r.source for r in got] == ["a", "b", "c"]
    assert got[1].error is not None and got[1].error.type == "input.too_complex"
    assert got[1].score is None and got[1].decision is None
    # The pages around it get exactly what scoring them alone gives.
    assert [r.to_dict() for r in (got[0], got[2])] == [r.to_dict() for r in expected]


PERSONAL = (
    "I was diagnosed with type 2 diabetes last spring. Changing what I eat and walking every "
    "morning helped me lower my blood sugar, with my nurse checking in each month."
)


def test_word_evidence_quotes_what_moves_the_word_model(scorer: Scorer) -> None:
    """The word branch carries most of the vote; its heaviest n-grams are findings, so no
    verdict rests on evidence nobody can read."""
    r = scorer.score(PERSONAL)
    words = [f for f in r.findings if f.family == "words"]
    low = sorted((f for f in words if f.rule == "words.low_quality_term"), key=lambda f: -f.weight)
    high = [f for f in words if f.rule == "words.high_quality_term"]
    assert low and len(low) <= 3 and len(high) <= 3
    assert all(f.weight >= 0.1 for f in low) and all(f.weight <= -0.1 for f in high)
    assert_offsets_round_trip(PERSONAL, r.findings)
    # The weights are the word model's own: its n-gram shares plus its intercept make its
    # decision value, and the heaviest low-quality finding is the largest share.
    model = scorer._word_model()
    shares = model.contributions(PERSONAL)
    assert sum(x for _, x in shares) + model.intercept == pytest.approx(model.decision([PERSONAL])[0], abs=1e-4)
    term, share = max(shares, key=lambda ts: ts[1])
    assert low[0].text.lower() == term and low[0].weight == pytest.approx(share, abs=1e-3)
    if r.decision != "ok":
        assert r.reasons() and all(f.weight > 0 for f in r.reasons())
    off = Scorer.load(word_evidence=0).score(PERSONAL)
    assert not any(f.family == "words" for f in off.findings)
    assert off.score == r.score  # evidence is reported, never scored


# Health news run through a thesaurus by hand (this project's own text): the word model
# reads it as ordinary news, and the signal branch's page signals are what reject it.
SPUN_NEWS = (
    "Doctors say that a daily walk may cut the peril of a first ticker assault or apoplexy in hale "
    "grown-ups, according to a fresh examination published this week. The researchers followed more "
    "than 20,000 grown-ups for a decade and found that those who walked briskly for half an hour most "
    "days had a smaller peril than those who seldom exercised. The examination did not prove that "
    "walking itself was the cause, the authors cautioned, because people who walk more may also eat "
    "better and smoke less."
)


def test_signal_evidence_names_the_page_signals_behind_the_signal_branch(scorer: Scorer, leaflet_text: str) -> None:
    """``signals.<signal>`` findings: page-level (no span), each a share of the signal
    branch's log-odds, in the direction the branch leans."""
    import numpy as np

    names = scorer.bundle.metadata["feature_names"]
    for text, spam in ((SPUN_NEWS, True), (leaflet_text, False)):
        r = scorer.score(text)
        found = [f for f in r.findings if f.family == "signals"]
        assert found, r.to_dict()
        assert_offsets_round_trip(text, r.findings)
        assert all(f.rule.removeprefix("signals.") in r.signals for f in found)
        assert all((f.weight >= 0.1) if spam else (f.weight <= -0.1) for f in found)
        found.sort(key=lambda f: -abs(f.weight))
        # The shares are the trees' own: recomputed from the page's signal vector.
        vector = np.array([[r.signals[n] if r.signals[n] is not None else np.nan for n in names]], dtype=float)
        c = scorer._trees.contributions(vector)[0]
        heaviest = (np.argmax if spam else np.argmin)(c)
        assert found[0].rule == f"signals.{names[heaviest]}"
        assert found[0].weight == pytest.approx(c[heaviest] / np.abs(c).sum(), abs=1e-3)
    assert (scorer.score(SPUN_NEWS).decision == "reject") and any(
        f.rule == "signals.spin.pair_fluency" for f in scorer.score(SPUN_NEWS).findings)
    off = Scorer.load(signal_evidence=0).score(SPUN_NEWS)
    assert not any(f.family == "signals" for f in off.findings)
    assert off.score == scorer.score(SPUN_NEWS).score  # evidence is reported, never scored


def test_word_evidence_spans_multi_word_terms_and_odd_case(scorer: Scorer) -> None:
    model = scorer._word_model()
    text = "Ask YOUR Doctor first. Your doctor knows your history."
    spans = model.locate(text, ["your doctor", "history", "absent term"])
    assert text[slice(*spans["your doctor"])] == "YOUR Doctor"
    assert text[slice(*spans["history"])] == "history"
    assert "absent term" not in spans
    assert model.locate("İstanbul doctor", ["doctor"]) == {}  # lowercasing moved offsets: no span


# -- short pages: too little text to pass --------------------------------------------------
SHORT_CLEAN = "Diabetes is a chronic condition. Talk to your doctor about your blood sugar."
SHORT_SPAM = "Buy cheap pills now! Click here for a free bottle."


def test_a_short_page_is_never_ok_and_says_why(scorer: Scorer) -> None:
    """A snippet with no spam evidence is not evidence of quality: review, not ok."""
    r = scorer.score(SHORT_CLEAN)
    unruled = Scorer.load(min_words_to_pass=0).score(SHORT_CLEAN)
    assert unruled.decision == "ok"  # the score alone would pass it ...
    assert r.score == unruled.score  # ... and the score is the model's, unchanged
    assert r.decision == "review"
    first = r.reasons()[0]
    assert (first.rule, first.start, first.end) == ("input.short_text", 0, len(SHORT_CLEAN))
    assert first.text == SHORT_CLEAN and first.weight > 0
    assert [f.rule for f in unruled.findings if f.family == "input"] == []


def test_a_short_page_with_spam_evidence_is_still_rejected(scorer: Scorer) -> None:
    r = scorer.score(SHORT_SPAM)
    assert r.decision == "reject"
    assert "input.short_text" not in {f.rule for f in r.findings}  # the score decided, not the length


def test_the_short_page_rule_counts_words_not_numbers(scorer: Scorer, leaflet_text: str) -> None:
    words = leaflet_text.split()
    assert scorer.score(leaflet_text).decision == "ok"
    cut = Scorer.load(min_words_to_pass=len(words) + 1)
    assert cut.score(leaflet_text).decision == "review"
    # Numbers are not words: padding a snippet with them does not let it pass.
    padded = SHORT_CLEAN + " " + " ".join(str(i) for i in range(100))
    assert scorer.score(padded).decision != "ok"


def test_decision_for_is_the_one_rule() -> None:
    from qualityscore.scorer import decision_for

    cuts = {"review_below": 60.0, "reject_below": 40.0, "min_words_to_pass": 40}
    assert [decision_for(s, 100, **cuts) for s in (39.9, 40.0, 59.9, 60.0)] == ["reject", "review", "review", "ok"]
    assert [decision_for(s, 39, **cuts) for s in (39.9, 59.9, 99.0)] == ["reject", "review", "review"]
    assert decision_for(99.0, None, **cuts) == "ok"  # words unknown: the score decides
    # Without spam evidence a short page is not rejected either; a long one is.
    assert [decision_for(s, 39, evidence=False, **cuts) for s in (10.0, 39.9, 59.9, 99.0)] == ["review"] * 4
    assert decision_for(10.0, 40, evidence=False, **cuts) == "reject"
    assert decision_for(10.0, None, evidence=False, **cuts) == "reject"
    # A repetitive page is never ok; a low score still rejects it.
    assert [decision_for(s, 200, repetitive=True, **cuts) for s in (10.0, 59.9, 99.0)] == ["reject", "review", "review"]


def test_a_page_of_one_phrase_pasted_over_and_over_is_never_ok(scorer: Scorer, leaflet_text: str) -> None:
    """The model never saw such a page: "diabetes" 200 times scored 86, ok. Now review,
    with the repeated run quoted first; a varied page of the same words is unaffected."""
    for text in ("diabetes " * 200, "best diabetes treatment online " * 50):
        r = scorer.score(text)
        assert r.decision in ("review", "reject"), (text[:30], r.score)
        assert r.reasons()[0].rule == "boilerplate.repetitive_text"
        assert "input.short_text" not in {f.rule for f in r.findings}
    clean = scorer.score(leaflet_text)
    assert "boilerplate.repetitive_text" not in {f.rule for f in clean.findings}


def test_spam_evidence_is_a_signal_family_quoting_spam_not_the_word_model() -> None:
    from qualityscore.page import Finding

    def f(family: str, weight: float) -> Finding:
        return Finding(family, f"{family}.x", 0, 1, "x", weight=weight)

    assert spam_evidence([f("promotion", 1.0)]) and spam_evidence([f("words", -0.2), f("spin", 0.6)])
    assert not spam_evidence([])
    assert not spam_evidence([f("words", 0.9), f("input", 1.0)])  # vocabulary, and the length rule itself
    assert not spam_evidence([f("signals", 0.5)])  # a page signal the score already weighed
    assert not spam_evidence([f("citation", -0.8), f("credibility", -0.5)])  # evidence of quality


# Clean advice the word model alone scores low ("water", "stomach" weigh as remedy-site words).
SHORT_CLEAN_LOW = "Aspirin can upset your stomach. Take it with food and a full glass of water."


def test_a_short_page_is_not_rejected_on_the_word_model_alone() -> None:
    """Thresholds that reject every score: a snippet with no signal finding toward spam goes
    to review, saying why; one a signal family quotes as spam is rejected; and a page of
    enough words is rejected on its score as before."""
    harsh = Scorer.load(review_below=100.0, reject_below=99.99)
    r = harsh.score(SHORT_CLEAN_LOW)
    assert r.score < 99.99 and not spam_evidence(r.findings)
    assert r.decision == "review"
    assert r.reasons()[0].rule == "input.short_text"
    spam = harsh.score(SHORT_SPAM)
    assert spam_evidence(spam.findings) and spam.decision == "reject"
    assert "input.short_text" not in {f.rule for f in spam.findings}
    assert Scorer.load(review_below=100.0, reject_below=99.99, min_words_to_pass=0).score(
        SHORT_CLEAN_LOW).decision == "reject"


def test_the_short_page_finding_keeps_its_place_under_max_findings() -> None:
    r = Scorer.load(max_findings=1).score(SHORT_CLEAN)
    assert r.decision == "review"
    assert [f.rule for f in r.findings] == ["input.short_text"]


@pytest.mark.parametrize("url", ["ftp://example.org/page.html", "file:///etc/passwd", "gopher://x/1"])
def test_a_url_of_another_scheme_is_refused_as_a_url_not_as_a_missing_file(scorer: Scorer, url: str) -> None:
    r = scorer.score_source(url)
    assert r.error is not None and r.error.type == "fetch.invalid_url", r.error
    assert "only http and" in r.error.message and r.decision is None


def test_a_file_whose_name_looks_like_a_url_is_still_read(scorer: Scorer, tmp_path, monkeypatch, leaflet_text: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes:").mkdir()
    (tmp_path / "notes:" / "x.txt").write_text(leaflet_text, "utf-8")
    r = scorer.score_source("notes://x.txt")  # the file notes:/x.txt exists: it is read
    assert r.error is None and r.decision == "ok"


def test_scorer_page_gives_the_text_the_findings_index_for_html_and_padded_text(
    scorer: Scorer, spun_html: str, leaflet_text: str
) -> None:
    """A Result does not carry the extracted text; ``Scorer.page`` gives it. Plain text is
    stripped, so offsets index the page's text, not the padded string passed in."""
    for given in (spun_html, "\n\n   \t" + leaflet_text + "\n"):
        page = scorer.page(given)
        result = scorer.score_page(page)
        spans = [f for f in result.findings if f.end > f.start]
        assert spans
        assert all(page.text[f.start : f.end] == f.text for f in spans)
        assert result.to_dict() == scorer.score(given).to_dict()


def test_library_arguments_of_the_wrong_kind_are_refused_by_name(scorer: Scorer, leaflet_text: str) -> None:
    from qualityscore import QualityScoreError

    with pytest.raises(QualityScoreError, match="source must be a string") as info:
        scorer.score(leaflet_text, source=5)  # type: ignore[arg-type]
    assert info.value.type == "input.bad_type"
    result = scorer.score(leaflet_text)
    for bad in (2.5, True, None, "3"):
        with pytest.raises(TypeError, match="whole number"):
            result.reasons(bad)  # type: ignore[arg-type]
    assert result.reasons(0) == [] and len(result.reasons(1)) <= 1


@pytest.mark.parametrize("path", ["\x00", "a\x00b.txt"])
def test_a_path_with_a_nul_character_is_an_input_error_not_an_internal_one(scorer: Scorer, path: str) -> None:
    from pathlib import Path

    for given in (path, Path(path)):
        r = scorer.score_source(given)
        assert r.error is not None and r.error.type == "input.not_found", r.error


def test_the_shipped_model_loads_once_when_the_first_calls_come_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from qualityscore import scorer as module

    loads: list[int] = []
    real_load = module.Scorer.load

    def counted_load(*args, **kwargs):  # type: ignore[no-untyped-def]
        loads.append(threading.get_ident())
        return real_load(*args, **kwargs)

    module._load_default.cache_clear()
    monkeypatch.setattr(module.Scorer, "load", counted_load)
    try:
        with ThreadPoolExecutor(4) as pool:
            scorers = list(pool.map(lambda _: module.default_scorer(), range(4)))
    finally:
        module._load_default.cache_clear()
    assert len(loads) == 1 and all(s is scorers[0] for s in scorers)


def test_score_many_yields_what_it_read_before_the_callers_iterable_fails(scorer: Scorer, leaflet_text: str) -> None:
    """A generator that raises after two items: both are scored and yielded (they sat in a
    batch of 64 and were lost), then the generator's own error."""

    def items():  # type: ignore[no-untyped-def]
        yield leaflet_text
        yield "Order today! Call 1-800-555-0100."
        raise OSError("the queue went away")

    got = []
    with pytest.raises(OSError, match="the queue went away"):
        for r in scorer.score_many(items()):
            got.append(r)
    assert [r.source for r in got] == ["#0", "#1"]

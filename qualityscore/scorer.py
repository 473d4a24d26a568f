"""Scorer: load the model once, score many pages.

Turns a Page into signals, the signals and text into a probability, the probability into
a 0-100 score and a decision. Never prints, never exits: errors come back as error
Results (``score_source``) or as QualityScoreError (``score``).
"""

from __future__ import annotations

import itertools
import math
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, QualityScoreError
from .language import check_english
from .page import ErrorInfo, Finding, Page, Result
from .settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:  # pragma: no cover
    from .signals import Analysis


class Scorer:
    """A loaded model plus settings. Thread-safe for reading; build once per process."""

    def __init__(self, bundle, settings: Settings = DEFAULT_SETTINGS) -> None:  # type: ignore[no-untyped-def]
        from .signals import SignalSet

        self.bundle = bundle
        self.settings = settings
        self.signals = SignalSet(spin_resources=bundle.resources())
        self._words = self._compile_words(bundle.model)  # the word model's evidence
        self._trees = self._compile_signals(bundle.model)  # the signal branch's evidence
        thresholds = bundle.thresholds
        self.review_below = (
            settings.review_below
            if settings.review_below is not None
            else float(thresholds.get("review_below", 50.0))
        )
        self.reject_below = (
            settings.reject_below
            if settings.reject_below is not None
            else float(thresholds.get("reject_below", 20.0))
        )
        for name, value in (("review_below", self.review_below), ("reject_below", self.reject_below)):
            if not math.isfinite(value):  # NaN compares False with everything: all would pass
                raise ValueError(f"{name} must be a finite number (scores run from 0 to 100), not {value}")
        if self.reject_below > self.review_below:
            raise ValueError(
                f"reject_below ({self.reject_below}) must not exceed review_below ({self.review_below})"
            )

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        trust_pickle: bool = False,
        **options: object,
    ) -> Scorer:
        """Load a model (the shipped one by default). ``options`` override settings."""
        from .model.bundle import load_bundle

        settings = (settings or DEFAULT_SETTINGS).with_options(**options)
        return cls(load_bundle(path, trust_pickle=trust_pickle), settings)

    # -- scoring ---------------------------------------------------------------------
    def decide(self, score: float) -> str:
        """The decision the score alone gives (the thresholds)."""
        return decision_for(score, review_below=self.review_below, reject_below=self.reject_below)

    def decide_page(self, score: float, words: int, *, evidence: bool = True, repetitive: bool = False) -> str:
        """The page's decision: ``decide``, except that a page under
        ``settings.min_words_to_pass`` words is never ok, and is rejected only with spam
        ``evidence`` (``spam_evidence`` of its signals' findings) to quote; and a page that
        is little but repetition (``repetitive``: a ``boilerplate.repetitive_text``
        finding) is never ok either."""
        return decision_for(score, words, review_below=self.review_below, reject_below=self.reject_below,
                            min_words_to_pass=self.settings.min_words_to_pass, evidence=evidence,
                            repetitive=repetitive)

    def _analyze(self, page: Page) -> Analysis:
        return self.signals.analyze(readable(page, self.settings))

    def score_page(self, page: Page) -> Result:
        return self.score_pages([page])[0]

    def score_pages(self, pages: Sequence[Page]) -> list[Result]:
        """Score pages with one model call for all of them.

        The Results are those ``score_page`` gives for each page (the model scores rows
        independently; evaluation/check_equivalence.py compares them bit for bit), but the
        model's fixed cost per call, most of its time on one page, is paid once.
        """
        with _one_openmp_thread():
            return self._results(pages, [self._analyze(page) for page in pages])

    def _results(self, pages: Sequence[Page], analyses: Sequence[Analysis]) -> list[Result]:
        if not pages:
            return []
        import numpy as np

        from .model.pipeline import design_matrix

        names = self.bundle.metadata["feature_names"]
        vectors = np.asarray([[a.features[n] for n in names] for a in analyses], dtype=np.float64)
        p_low = self.bundle.model.predict_proba(design_matrix([p.text for p in pages], vectors))
        evidence = self._signal_findings(names, vectors)
        return [
            self._result(page, analysis, float(p), found)
            for page, analysis, p, found in zip(pages, analyses, p_low[:, 1], evidence, strict=True)
        ]

    @staticmethod
    def _compile_signals(model):  # type: ignore[no-untyped-def]
        """The signal branch's trees as CompiledTrees (None for a model without them)."""
        from .model.runtime import CompiledTrees, compile_trees

        trees = getattr(model, "signals", None)
        if isinstance(trees, CompiledTrees):
            return trees
        fitted = getattr(model, "signals_", None)
        try:
            return compile_trees(fitted.named_steps["clf"]) if fitted is not None else None
        except (AttributeError, KeyError, ValueError):
            return None

    def _signal_findings(self, names: Sequence[str], vectors) -> list[tuple[Finding, ...]]:  # type: ignore[no-untyped-def]
        """Per page, the page signals that move the signal branch's log-odds most.

        ``signals.<signal>`` findings (family ``signals``) are page-level: their span is
        empty (0, 0) and the signal's value is ``Result.signals[<signal>]``. The weight is
        the signal's share of the branch's log-odds (``CompiledTrees.contributions``), > 0
        toward low quality. Only evidence in the direction the branch leans is given: a
        page the signals find spammy quotes what made it so, a page they find clean what
        did that. Without them a reject carried by the signal branch (heavy spin, which
        reads like clean NIH text to the word model) quoted only the word model's terms.
        """
        k = self.settings.signal_evidence
        if k <= 0 or self._trees is None or not len(vectors):
            return [()] * len(vectors)
        import numpy as np

        contrib = self._trees.contributions(vectors)
        lean = self._trees.bias + contrib.sum(axis=1) >= 0.0  # the branch's P(low) >= 0.5
        out: list[tuple[Finding, ...]] = []
        for c, spam in zip(contrib, lean, strict=True):
            total = float(np.abs(c).sum())
            sign = 1.0 if spam else -1.0
            found = []
            for j in np.argsort(-sign * c, kind="stable")[:k]:
                share = float(c[j]) / total if total else 0.0
                if sign * share < self.settings.signal_evidence_min:
                    break
                found.append(Finding("signals", f"signals.{names[j]}", 0, 0, "", weight=round(share, 3)))
            out.append(tuple(found))
        return out

    def _word_model(self):  # type: ignore[no-untyped-def]
        """The word branch as a CompiledText (built at load time, see ``_compile_words``)."""
        return self._words

    @staticmethod
    def _compile_words(model):  # type: ignore[no-untyped-def]
        """The runtime file's word branch as it is; a scikit-learn model's compiled once."""
        from .model.runtime import CompiledText, compile_text

        text = getattr(model, "text", None)
        if isinstance(text, CompiledText):
            return text
        fitted = getattr(model, "text_", None)
        return compile_text(fitted) if fitted is not None else None

    def _word_findings(self, page: Page) -> tuple[Finding, ...]:
        """The n-grams that weigh most in the word model's verdict, as findings.

        ``words.low_quality_term`` / ``words.high_quality_term``; the weight is the n-gram's
        share of the word model's log-odds (> 0 toward low quality), the span its first
        occurrence. The word branch carries most of the vote (see vote.py): without these
        a page could be rejected with no evidence quoted at all.
        """
        k = self.settings.word_evidence
        words = self._word_model()
        if k <= 0 or words is None:
            return ()
        shares = sorted(words.contributions(page.text), key=lambda ts: ts[1])
        picked = [ts for ts in shares[::-1][:k] if ts[1] >= self.settings.word_evidence_min]
        picked += [ts for ts in shares[:k] if ts[1] <= -self.settings.word_evidence_min]
        spans = words.locate(page.text, [term for term, _ in picked])
        out = []
        for term, share in picked:
            span = spans.get(term)
            if span is None:
                continue
            rule = "words.low_quality_term" if share > 0 else "words.high_quality_term"
            out.append(Finding("words", rule, span[0], span[1], page.text[span[0] : span[1]],
                               weight=round(share, 3)))
        return tuple(out)

    def _result(self, page: Page, analysis: Analysis, p_low: float,
                signal_findings: tuple[Finding, ...] = ()) -> Result:
        score = 100.0 * (1.0 - p_low)
        repetitive = any(f.rule == REPETITIVE_RULE for f in analysis.findings)
        decision = self.decide_page(score, analysis.words, evidence=spam_evidence(analysis.findings),
                                    repetitive=repetitive)
        # A short page the score would pass or reject (a repetitive page's finding says why itself).
        held_back = decision != self.decide(score) and analysis.words < self.settings.min_words_to_pass
        room = max(self.settings.max_findings - held_back, 0)
        findings = tuple(sorted(analysis.findings + self._word_findings(page) + signal_findings,
                                key=lambda f: (f.start, f.end, f.rule)))
        if len(findings) > room:
            keep = sorted(findings, key=lambda f: -abs(f.weight))[:room]
            findings = tuple(sorted(keep, key=lambda f: (f.start, f.end, f.rule)))
        if held_back:  # say why, first
            findings = (self._short_text(page), *findings)[: self.settings.max_findings]
        return Result(
            source=page.source,
            score=score,
            probability_low_quality=p_low,
            decision=decision,
            signals=analysis.features,
            findings=findings,
            model_version=self.bundle.version,
        )

    @staticmethod
    def _short_text(page: Page) -> Finding:
        """The reason for a review that the score alone would have passed, or rejected with
        no spam evidence to quote: the whole text, too short to decide on the score alone.
        Weight 1: the reason a reviewer should read first."""
        return Finding("input", "input.short_text", 0, len(page.text), page.text, weight=1.0)

    def page(self, text_or_html: str | bytes, *, url: str | None = None, source: str = "") -> Page:
        """The page ``score`` would score, extracted and not scored: ``page.text`` is the
        text every finding's ``start``/``end`` index (for HTML, trafilatura's main text; for
        plain text, the text with its leading and trailing whitespace removed), so
        ``page.text[f.start:f.end] == f.text`` for ``score_page(page)``'s findings.
        Raises InputError on unusable input, as ``score`` does."""
        return self._page(text_or_html, url=url, source=source)

    def _page(self, text_or_html: str | bytes, *, url: str | None, source: str) -> Page:
        from .extract.sources import page_from_bytes, page_from_string

        if not isinstance(source, str):
            raise InputError(f"source must be a string (a name for the page), not {type(source).__name__}",
                             type="input.bad_type")
        if url is not None and not isinstance(url, str):
            raise InputError(f"url must be a string, not {type(url).__name__}", type="input.bad_type")
        if isinstance(text_or_html, (bytes, bytearray, memoryview)):
            return page_from_bytes(bytes(text_or_html), source=source, url=url, settings=self.settings)
        if not isinstance(text_or_html, str):
            raise InputError(
                f"expected text or HTML as str or bytes, not {type(text_or_html).__name__}"
                " (to score a file, use score_path or score_source)",
                type="input.bad_type",
            )
        return page_from_string(text_or_html, source=source, url=url, settings=self.settings)

    def score(self, text_or_html: str | bytes, *, url: str | None = None, source: str = "") -> Result:
        """Score text or HTML (sniffed). Raises InputError on unusable input."""
        return self.score_page(self._page(text_or_html, url=url, source=source))

    def score_url(self, url: str) -> Result:
        """Fetch a URL safely (see extract/fetch.py) and score it. Raises FetchError."""
        return self.score_page(self.fetch_page(url))

    def fetch_page(self, url: str) -> Page:
        """Fetch a URL safely and extract it, without scoring. Raises FetchError/InputError."""
        from .extract.fetch import fetch
        from .extract.sources import page_from_bytes

        got = fetch(url, self.settings)
        return page_from_bytes(
            got.body, source=url, url=got.url, is_html="html" in got.content_type,
            charset=got.charset, settings=self.settings,
        )

    def score_path(self, path: str | Path) -> Result:
        from .extract.sources import read_path

        return self.score_page(read_path(path, settings=self.settings))

    def score_source(self, source: str | os.PathLike[str]) -> Result:
        """Score a path, ``-`` (stdin) or URL; any failure becomes an error Result."""
        import sys

        if isinstance(source, os.PathLike):
            return self._guarded(os.fspath(source), lambda: self.score_path(source))
        if not isinstance(source, str):
            return error_result(
                repr(source)[:200], "input.bad_type",
                f"expected a path, URL or '-' as str, not {type(source).__name__}",
            )
        try:
            if source == "-":
                from .extract.sources import page_from_bytes

                data = sys.stdin.buffer.read(self.settings.max_input_bytes + 1)
                page = page_from_bytes(data, source="-", settings=self.settings)
                return self.score_page(page)
            if source.lower().startswith(("http://", "https://")) or (
                _URL_LIKE.match(source) and not Path(source).exists()
            ):  # an ftp:// or file:// URL gets the fetcher's "only http and https", not "no such file"
                return self.score_url(source)
            return self.score_path(source)
        except InputError as exc:
            if exc.type == "input.not_found" and _HOST_LIKE.match(source):
                exc = InputError(f"{exc.message} (to score a web page, give its URL with "
                                 f"https://, as in https://{source})", type=exc.type)
            return failure_result(source, exc)
        except Exception as exc:
            return failure_result(source, exc)

    @staticmethod
    def _guarded(source: str, run) -> Result:  # type: ignore[no-untyped-def]
        try:
            return run()
        except Exception as exc:
            return failure_result(source, exc)

    def score_pages_isolated(self, pages: Sequence[Page]) -> list[Result]:
        """``score_pages`` for a queue: a page whose analysis fails becomes an error Result
        (as ``score_source`` reports it) and the others are still scored together."""
        analysed: list[tuple[Page, Analysis]] = []
        failed: dict[int, Result] = {}
        with _one_openmp_thread():
            for i, page in enumerate(pages):
                try:
                    analysed.append((page, self._analyze(page)))
                except Exception as exc:
                    failed[i] = failure_result(page.source, exc)
            try:
                scored = iter(self._results([p for p, _ in analysed], [a for _, a in analysed]))
            except Exception:  # one row the model cannot take must not fail the others
                scored = iter([self._isolated_result(p, a) for p, a in analysed])
            return [failed[i] if i in failed else next(scored) for i in range(len(pages))]

    def _isolated_result(self, page: Page, analysis: Analysis) -> Result:
        try:
            return self._results([page], [analysis])[0]
        except Exception as exc:
            return failure_result(page.source, exc)

    def score_many(self, items: Iterable[str | bytes], *, batch_size: int = 64) -> Iterator[Result]:
        """Score texts/HTML in order; an unusable item yields an error Result, not an exception.

        Items are scored ``batch_size`` at a time (one model call per batch, see
        ``score_pages``), so results arrive in bursts of that many. ``items`` must be an
        iterable of texts (a list, a generator): a single string is refused with a
        TypeError at the call, not scored one character at a time.
        """
        if isinstance(items, (str, bytes, bytearray)):
            raise TypeError("score_many takes an iterable of texts (a list, a generator), not a single "
                            f"{type(items).__name__}; for one text use score(text)")
        if not isinstance(items, Iterable):
            raise TypeError(f"score_many takes an iterable of texts, not {type(items).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1, not {batch_size!r}")
        return self._score_many(items, batch_size)

    def _score_many(self, items: Iterable[str | bytes], batch_size: int) -> Iterator[Result]:
        chunk: list[Page | Result] = []
        it = iter(items)
        for i in itertools.count():
            try:
                item = next(it)
            except StopIteration:
                break
            except BaseException:
                # The caller's iterable failed: the items it gave before are still scored
                # and yielded, as one-by-one scoring would have done, then its error.
                yield from self._score_chunk(chunk)
                raise
            try:
                chunk.append(readable(self._page(item, url=None, source=f"#{i}"), self.settings))
            except InputError as exc:
                chunk.append(error_result(f"#{i}", exc.type, exc.message))
            if len(chunk) >= batch_size:
                yield from self._score_chunk(chunk)
                chunk = []
        yield from self._score_chunk(chunk)

    def _score_chunk(self, chunk: list[Page | Result]) -> Iterator[Result]:
        """Results for a chunk, in order. If a page's analysis raises, the results before it
        are still yielded first, as one-by-one scoring would have done."""
        pages = [c for c in chunk if isinstance(c, Page)]
        analyses: list[Analysis] = []
        failure: BaseException | None = None
        with _one_openmp_thread():
            for page in pages:
                try:
                    analyses.append(self.signals.analyze(page))
                except Exception as exc:
                    failure = exc
                    break
            scored = iter(self._results(pages[: len(analyses)], analyses))
        for c in chunk:
            if isinstance(c, Result):
                yield c
                continue
            result = next(scored, None)
            if result is None:
                assert failure is not None
                raise failure
            yield result


_WORD_CHAR = re.compile(r"\w")
_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# "www.example.org" or "example.org/page": a host name without its scheme (a hint only;
# "notes.txt" and "site.html/x" are files that are missing, not URLs).
_HOST_LIKE = re.compile(
    r"^(?:www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/?#:]|$)"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?!(?:txt|html?|xhtml|md|json|jsonl|csv|tsv|xml|pdf|parquet)/)[a-z]{2,6}/)",
    re.IGNORECASE,
)


def decision_for(
    score: float,
    words: int | None = None,
    *,
    review_below: float,
    reject_below: float,
    min_words_to_pass: int = 0,
    evidence: bool = True,
    repetitive: bool = False,
) -> str:
    """ok / review / reject for a score. A page of fewer than ``min_words_to_pass`` words
    (when ``words`` is given) goes to review rather than ok, and to review rather than
    reject unless it has spam ``evidence`` (``spam_evidence``): on a snippet the word
    model's vocabulary alone can push the score under the reject cut ("Take it with food
    and a full glass of water" weighs as remedy-site words), and a rejection should quote
    what it rests on. A ``repetitive`` page (little but one word or phrase, over and over:
    ``boilerplate.repetitive_text``) goes to review rather than ok: the model never saw such
    a page, and its score says nothing about it ("diabetes" 200 times scored 86)."""
    short = words is not None and words < min_words_to_pass
    if score < reject_below:
        return "review" if short and not evidence else "reject"
    if score < review_below or short or repetitive:
        return "review"
    return "ok"


def _one_openmp_thread():  # type: ignore[no-untyped-def]
    """One document is too small for OpenMP: on a busy machine its threads spin-wait
    (measured 60 ms vs 10 ms per page). Scoring pins OpenMP to one thread per call, safely
    from many threads at once (``qualityscore/threads.py``)."""
    from .threads import one_thread

    return one_thread("openmp")


REPETITIVE_RULE = "boilerplate.repetitive_text"  # signals/boilerplate.py: never passed as ok


def spam_evidence(findings: Sequence[Finding]) -> bool:
    """Whether a signal family quotes spam on the page: a finding that weighs toward low
    quality (a spin swap, a call to action, an unsupported claim, ...). The word model's
    n-grams and the signal branch's page signals (``signals.*``) are not evidence here:
    they are what the score already weighed, and quote nothing on the page."""
    return any(f.weight > 0 and f.family not in ("words", "input", "signals") for f in findings)


def readable(page: Page, settings: Settings = DEFAULT_SETTINGS) -> Page:
    """The page, if the model can read it; else InputError.

    A page with no letter or digit (an empty file, whitespace, HTML that is all scripts
    and styles) has no evidence either way: ``input.empty``. A page not in English gives
    the English signals nothing to find: ``input.unsupported_language`` (language.py).
    Either is an error, never a score, so it can neither pass as clean nor be rejected on
    no evidence.
    """
    if _WORD_CHAR.search(page.text) is None:
        raise InputError(
            "nothing to read: the page has no text (empty, whitespace only, or HTML with "
            "no visible text); check that this is the page you meant to score",
            type="input.empty",
        )
    check_english(page.text, settings)
    return page


def error_result(source: str, type_: str, message: str) -> Result:
    return Result(source=source, error=ErrorInfo(type_, message))


def failure_result(source: str, exc: BaseException) -> Result:
    """The error Result for an exception met while reading or scoring one item."""
    if isinstance(exc, QualityScoreError):
        return error_result(source, exc.type, exc.message)
    if isinstance(exc, RecursionError):
        return error_result(source, "input.too_complex", "input is nested too deeply to analyse")
    if isinstance(exc, MemoryError):
        return error_result(source, "input.too_large", "input is too large to analyse in memory")
    # A bug met on one hostile input must not end the run.
    return error_result(source, "internal.error", f"{type(exc).__name__}: {exc}")


_default_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load_default() -> Scorer:
    return Scorer.load()


def default_scorer() -> Scorer:
    """The shipped model with default settings, loaded on first use: once, even when the
    first calls come from several threads at once (``lru_cache`` alone loaded it once per
    thread then, four loads and 5 s from a pool of four)."""
    with _default_lock:
        return _load_default()


def score(text_or_html: str | bytes, *, url: str | None = None) -> Result:
    """Score one page of text or HTML with the shipped model."""
    return default_scorer().score(text_or_html, url=url)

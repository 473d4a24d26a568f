"""Shared helpers for the signal-family tests.

Tests run with ``--import-mode=importlib``, so this conftest cannot be imported by the
test modules; everything is handed out through the ``sig`` fixture instead. Every way
of running a family here checks the findings' offsets (``check_findings``), so each
test that analyses a page also checks that its evidence points at the right text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from qualityscore.extract.sources import page_from_string
from qualityscore.page import FAMILIES, Finding, Page
from qualityscore.signals import SignalSet
from qualityscore.signals.base import SignalFamily
from qualityscore.text import Doc


@dataclass(frozen=True)
class Run:
    """What one family (or the whole set) said about one page."""

    page: Page
    features: dict[str, float]
    findings: tuple[Finding, ...]

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def of(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def texts(self, rule: str) -> list[str]:
        return [f.text for f in self.of(rule)]


def check_findings(page: Page, findings: Iterable[Finding]) -> None:
    """Every finding names a known family, its rule belongs to it and its span round-trips."""
    text = page.text
    for f in findings:
        assert f.family in FAMILIES, f
        assert f.rule.startswith(f.family + "."), f
        assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start : f.end] == f.text, f
        assert isinstance(f.weight, float) and math.isfinite(f.weight), f


def assert_rules(run: Run, fire: Iterable[str] = (), silent: Iterable[str] = ()) -> None:
    """Rules in ``fire`` each produced a finding; none in ``silent`` did."""
    got = run.rules
    missing = sorted(set(fire) - got)
    assert not missing, f"expected {missing} to fire; got {run.findings!r}"
    unexpected = [f for f in run.findings if f.rule in set(silent)]
    assert not unexpected, f"expected no {sorted(set(silent))}; got {unexpected!r}"


def to_page(content: str | Page, **kwargs: object) -> Page:
    return content if isinstance(content, Page) else page_from_string(content, **kwargs)  # type: ignore[arg-type]


def html_doc(body: str, *, title: str = "Health article", head: str = "") -> str:
    """A small but complete HTML page; the body is wrapped in <article>."""
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title}</title>{head}</head>"
        f"<body><article>{body}</article></body></html>"
    )


class Signals:
    """The helpers, bundled so that tests get them through one fixture."""

    check_findings = staticmethod(check_findings)
    assert_rules = staticmethod(assert_rules)
    html = staticmethod(html_doc)
    page = staticmethod(to_page)

    def __init__(self, signal_set: SignalSet) -> None:
        self.signal_set = signal_set

    def family(self, fam: SignalFamily, content: str | Page, **kwargs: object) -> Run:
        """Run one family on a string (HTML sniffed) or a Page; findings are checked."""
        page = to_page(content, **kwargs)
        out = fam.analyze(Doc(page.text), page)
        assert list(out.features) == list(fam.feature_names)
        check_findings(page, out.findings)
        return Run(page, dict(out.features), tuple(out.findings))

    def all(self, content: str | Page, **kwargs: object) -> Run:
        """Run the whole registry (no learned resources); findings are checked."""
        page = to_page(content, **kwargs)
        analysis = self.signal_set.analyze(page)
        check_findings(page, analysis.findings)
        return Run(page, dict(analysis.features), analysis.findings)


@pytest.fixture(scope="session")
def signal_set() -> SignalSet:
    return SignalSet()


@pytest.fixture(scope="session")
def sig(signal_set: SignalSet) -> Signals:
    return Signals(signal_set)


@pytest.fixture(scope="session")
def wv():  # type: ignore[no-untyped-def]
    """The packaged word vectors (GloVe, ``qualityscore/wordvectors``); they ship with the
    package, so a missing file is a failure, not a skip."""
    from qualityscore.wordvectors import load_word_vectors

    vectors = load_word_vectors()
    assert vectors is not None, "qualityscore/wordvectors/glove.npz is not installed"
    return vectors

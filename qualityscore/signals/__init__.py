"""The signal families, registered explicitly and in a fixed order.

The order fixes the layout of the feature vector the model is trained on, so adding a
family (or a feature) means retraining the shipped model.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..page import Finding, Page
from ..text import Doc
from .base import SignalFamily, SignalOutput
from .boilerplate import BoilerplateSignals
from .citation import CitationSignals
from .credibility import CredibilitySignals
from .promotion import PromotionSignals
from .readability import ReadabilitySignals
from .spin import Lexicon, SpinResources, SpinSignals

REGISTRY: tuple[type[SignalFamily], ...] = (
    SpinSignals,
    ReadabilitySignals,
    PromotionSignals,
    CitationSignals,
    CredibilitySignals,
    BoilerplateSignals,
)


def feature_names() -> list[str]:
    """Every feature, as ``family.name``, in registry order."""
    return [f"{cls.family}.{name}" for cls in REGISTRY for name in cls.feature_names]


@dataclass(frozen=True)
class Analysis:
    features: dict[str, float]
    findings: tuple[Finding, ...]
    words: int = 0  # the page's word tokens (numbers excluded), as the signals count them


class SignalSet:
    """One instance of each family, built once and reused for every page."""

    def __init__(
        self,
        *,
        spin_resources: SpinResources | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.families: tuple[SignalFamily, ...] = tuple(
            SpinSignals(lexicon=lexicon, spin_resources=spin_resources)
            if cls is SpinSignals
            else cls()
            for cls in REGISTRY
        )

    def analyze(self, page: Page) -> Analysis:
        doc = Doc(page.text)
        features: dict[str, float] = {}
        findings: list[Finding] = []
        for fam in self.families:
            out: SignalOutput = fam.analyze(doc, page)
            for name in fam.feature_names:
                features[f"{fam.family}.{name}"] = float(out.features[name])
            findings.extend(out.findings)
        findings.sort(key=lambda f: (f.start, f.end, f.rule))
        return Analysis(features, tuple(findings), doc.word_count)


__all__ = [
    "REGISTRY",
    "Analysis",
    "SignalFamily",
    "SignalOutput",
    "SignalSet",
    "SpinResources",
    "feature_names",
]

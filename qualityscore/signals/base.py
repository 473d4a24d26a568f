"""What every signal family returns, and small helpers they share."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import ClassVar

from ..page import Finding, Page
from ..text import Doc

MISSING = math.nan


@dataclass
class SignalOutput:
    """Named numbers for the model and findings for the explanation."""

    features: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


class SignalFamily:
    """Base class: a family declares its name and its feature names, in a fixed order."""

    family: ClassVar[str] = ""
    feature_names: ClassVar[tuple[str, ...]] = ()

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:  # pragma: no cover
        raise NotImplementedError

    def finding(
        self,
        doc: Doc,
        rule: str,
        start: int,
        end: int,
        *,
        weight: float = 1.0,
        suggestion: str | None = None,
    ) -> Finding:
        return Finding(
            family=self.family,
            rule=f"{self.family}.{rule}",
            start=start,
            end=end,
            text=doc.text[start:end],
            weight=weight,
            suggestion=suggestion,
        )


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``phrases`` on word boundaries.

    Phrases are regular-expression fragments; longest first so alternation prefers them.
    """
    parts = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def iter_matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    return pattern.finditer(text)


def matches_containing(
    pattern: re.Pattern[str], text: str, needles: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, skipped outright when ``text`` contains none of ``needles``.

    ``needles`` must be literals of which every match contains one, compared as written:
    only for patterns without IGNORECASE or needles without letters. Most pages lack them,
    and ``in`` is far cheaper than a regular-expression scan.
    """
    if any(needle in text for needle in needles):
        return pattern.finditer(text)
    return iter(())


def lexicon_lines(name: str) -> list[str]:
    """Non-comment, non-blank lines of a package lexicon file under ``lexicons/``."""
    raw = resources.files("qualityscore.lexicons").joinpath(name).read_text("utf-8")
    return [
        line.strip()
        for line in raw.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def sentence_of(doc: Doc, pos: int) -> tuple[int, int]:
    """The (start, end) of the sentence containing character ``pos``."""
    i = doc.sentence_index(pos)
    return doc.sentences[i] if i >= 0 else (pos, pos)


def ratio(num: float, den: float) -> float:
    return num / den if den else 0.0

"""The data that flows through qualityscore: Page in, Findings and a Result out.

Everything here is a frozen dataclass; ``Result.to_dict()`` is the JSON contract
(``schema_version`` 1) that the CLI and the batch writers emit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

Family = Literal["spin", "readability", "promotion", "citation", "credibility", "boilerplate"]
Decision = Literal["ok", "review", "reject"]
FAMILIES: tuple[str, ...] = (
    "spin",
    "readability",
    "promotion",
    "citation",
    "credibility",
    "boilerplate",
)


@dataclass(frozen=True)
class Link:
    """One hyperlink of an HTML page, as the reader saw it."""

    href: str
    anchor: str
    rel: tuple[str, ...] = ()
    internal: bool = False
    # Offsets of the anchor text inside Page.text, or -1 when the anchor is not in the
    # extracted main text (navigation, footer).
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Page:
    """A document ready for the signals: extracted text plus what HTML told us.

    ``is_html`` matters: for plain text, link and metadata evidence is *missing*, not
    absent, and link-based features are reported as NaN rather than zero.
    """

    text: str
    title: str = ""
    links: tuple[Link, ...] = ()
    is_html: bool = False
    source: str = ""
    url: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: a rule that fired on a span of ``Page.text``."""

    family: str
    rule: str
    start: int
    end: int
    text: str
    weight: float = 1.0
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "rule": self.rule,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "suggestion": self.suggestion,
            "weight": round(float(self.weight), 4),
        }


@dataclass(frozen=True)
class ErrorInfo:
    """Why an input could not be scored. ``type`` is a stable code, never free text."""

    type: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message}


@dataclass(frozen=True, repr=False)
class Result:
    """The verdict on one input. An error result has no score and no decision."""

    source: str
    score: float | None = None
    probability_low_quality: float | None = None
    decision: str | None = None
    signals: dict[str, float] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    error: ErrorInfo | None = None
    model_version: str | None = None

    @property
    def ok(self) -> bool:
        """True when the input was scored (whatever the decision)."""
        return self.error is None

    def reasons(self, limit: int = 3) -> list[Finding]:
        """The heaviest findings behind the decision, one per rule, for a short explanation.

        ``review`` / ``reject``: evidence of low quality (weight > 0), heaviest first.
        ``ok``: the signals' evidence against the page if any (the word model's
        ``words.low_quality_term`` is left out: every page has some), else the evidence
        for it (weight < 0), strongest first. Either falls back to the other direction when
        it has nothing. With no decision (an observe-only run): the heaviest, any sign.
        ``limit``: a whole number (TypeError otherwise); 0 or less gives none.
        """
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"reasons(limit) takes a whole number, not {type(limit).__name__} {limit!r}")
        if limit <= 0:
            return []

        def heaviest(found: list[Finding], sign: int) -> list[Finding]:
            seen: set[str] = set()
            out: list[Finding] = []
            for f in sorted(found, key=lambda f: (-sign * f.weight, f.start)):
                if f.rule not in seen:
                    seen.add(f.rule)
                    out.append(f)
                    if len(out) == limit:
                        break
            return out

        if self.decision is None:
            return heaviest(list(self.findings), 1)
        against = [f for f in self.findings if f.weight > 0]
        if self.decision == "ok":
            against = [f for f in against if f.family != "words"]
        favour = [f for f in self.findings if f.weight < 0]
        return heaviest(against, 1) or heaviest(favour, -1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "score": None if self.score is None else round(float(self.score), 1),
            "probability_low_quality": (
                None
                if self.probability_low_quality is None
                else round(float(self.probability_low_quality), 4)
            ),
            "decision": self.decision,
            "signals": {k: _json_number(v) for k, v in self.signals.items()},
            "findings": [f.to_dict() for f in self.findings],
            "error": None if self.error is None else self.error.to_dict(),
            "model_version": self.model_version,
        }

    def __repr__(self) -> str:
        """One line: the verdict and its first reasons, not the ~60 signals (``to_dict``)."""
        if self.error is not None:
            return f"Result(source={self.source!r}, error={self.error.type!r}, message={self.error.message!r})"
        score = "None" if self.score is None else f"{self.score:.1f}"
        reasons = ", ".join(f"{f.rule} {f.text[:40]!r}" for f in self.reasons())
        return (f"Result(source={self.source!r}, score={score}, decision={self.decision!r}, "
                f"findings={len(self.findings)}, reasons=[{reasons}])")


def _json_number(value: float) -> float | None:
    """NaN (missing evidence) becomes null: JSON has no NaN."""
    v = float(value)
    if v != v:
        return None
    return round(v, 4)

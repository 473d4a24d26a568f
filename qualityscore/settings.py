"""One settings object with packaged defaults (see trafilatura's settings.py).

Built from keyword arguments in the library (``Settings(review_below=60)``) or from CLI
options through ``Settings.from_options`` — never both loose kwargs and an object.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

DEFAULT_USER_AGENT = (
    "qualityscore/{version} (+health page quality scorer; "
    "https://example.invalid/qualityscore)"
)


@dataclass(frozen=True)
class Settings:
    """Limits and thresholds. Every number a named default, none buried in code."""

    # Decisions. None means "take the thresholds stored in the model bundle".
    review_below: float | None = None
    reject_below: float | None = None

    # Input limits: bigger inputs are an error result, never a silent truncation.
    max_input_bytes: int = 5_000_000
    max_text_chars: int = 1_000_000
    # HTML structure (input.too_complex past any of these). They bound the work of the
    # parser and of trafilatura, whose cost grows with the tree, not with the bytes.
    # libxml2 stops at 255 levels whatever this says (we never set huge_tree, which would
    # lift that and its other safety limits), so values above 255 act as 255.
    max_html_depth: int = 250
    max_html_nodes: int = 50_000
    # Per element. libxml2 checks each new attribute against all earlier ones, so one tag
    # with 100,000 attributes costs a minute of parsing: refused before parsing.
    max_html_attributes: int = 1_000

    # URL fetching (the only network code lives in extract/fetch.py).
    allow_private: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 20.0
    max_redirects: int = 5
    max_response_bytes: int = 5_000_000
    user_agent: str = DEFAULT_USER_AGENT

    # A page of fewer words is never passed as ok: its decision is review instead, with an
    # input.short_text finding; a reject stays a reject only when a signal family quotes
    # spam on the page (scorer.spam_evidence), else it is review too. On a snippet the absence
    # of spam evidence is no evidence of quality: cut to 20 words, about two in five
    # held-out spun pages score ok (4% whole), and the score separates clean from spun at
    # ROC-AUC 0.75 (0.99 whole; evaluation/short_pages.py, README "Short pages", for the
    # shipped model's figures). 25 words is about two
    # sentences; no held-out NIH or Cochrane text of the training corpora is that short.
    # 0 turns the rule off.
    min_words_to_pass: int = 25

    # Findings kept per result (the signals still count all hits).
    max_findings: int = 50
    # The word model's evidence: the n-grams that move its log-odds most, up to this many
    # toward low quality and as many toward quality, each by at least word_evidence_min.
    word_evidence: int = 3
    word_evidence_min: float = 0.1
    # The signal branch's evidence: the page signals that move its log-odds most
    # (``signals.<signal>`` findings), up to this many, each by at least
    # signal_evidence_min of it; toward low quality when the branch leans that way, else
    # toward quality.
    signal_evidence: int = 3
    signal_evidence_min: float = 0.1

    # Language (see language.py): the model is English-only, so a page with few English
    # function words whose words are common in another language rather than in English
    # is an error result (input.unsupported_language), not a clean score. Pages shorter
    # than language_check_min_words words are judged by their alphabet only.
    language_check: bool = True
    english_function_share: float = 0.10
    english_vocabulary_share: float = 0.75
    language_margin: float = 0.2
    language_check_min_words: int = 20

    def __post_init__(self) -> None:
        """A setting of the wrong kind or out of range is refused when the settings are made,
        with its name, not deep inside scoring (``Settings(max_text_chars=-1)`` would make
        every page too large; ``review_below="60"`` would fail at the first comparison)."""
        import math
        from numbers import Integral, Real

        for f in fields(self):
            value, kind = getattr(self, f.name), str(f.type)
            if kind == "bool":
                ok = isinstance(value, bool)
            elif kind == "str":
                ok = isinstance(value, str)
            else:  # numbers: int, float, float | None
                ok = (value is None and "None" in kind) or (
                    isinstance(value, Real) and not isinstance(value, bool)
                    and (kind.startswith("float") or isinstance(value, Integral))
                )
                if ok and value is not None and not math.isfinite(value):
                    raise ValueError(f"setting {f.name} must be a finite number, not {value!r}")
            if not ok:
                raise TypeError(f"setting {f.name} must be {kind.replace(' | None', ' or None')}, "
                                f"not {type(value).__name__} {value!r}")
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                raise ValueError(f"setting {name} must be greater than 0, not {getattr(self, name)!r}")
        for name in _NON_NEGATIVE:
            if getattr(self, name) < 0:
                raise ValueError(f"setting {name} must be 0 or more, not {getattr(self, name)!r}")
        for name in _SHARES:
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"setting {name} must be between 0 and 1, not {getattr(self, name)!r}")

    def with_options(self, **options: Any) -> Settings:
        """A copy with the given options set; ``None`` values are ignored (CLI adapter)."""
        known = {f.name for f in fields(self)}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_POSITIVE = ("max_input_bytes", "max_text_chars", "max_html_depth", "max_html_nodes", "max_html_attributes",
             "connect_timeout", "read_timeout", "total_timeout", "max_response_bytes")
_NON_NEGATIVE = ("max_redirects", "min_words_to_pass", "max_findings", "word_evidence", "word_evidence_min",
                 "signal_evidence", "signal_evidence_min", "language_margin", "language_check_min_words")
_SHARES = ("english_function_share", "english_vocabulary_share")

DEFAULT_SETTINGS = Settings()

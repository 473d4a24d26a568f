"""Credibility markers: the HONcode and JAMA criteria that can be read off a page.

Authorship (with credentials), a date, medical review, a disclaimer that the page does
not replace a doctor, disclosure of interests and funding. Each marker found is a finding
with a negative weight: evidence *for* quality, shown when explaining an "ok".
"""

from __future__ import annotations

import re

from ..page import Page
from ..text import Doc
from .base import MISSING, SignalFamily, SignalOutput

_NAME = r"(?:Dr\.?[ \t]+)?[A-Z][a-z]+(?:[ \t]+[A-Z]\.)?(?:[ \t]+[A-Z][a-zA-Z'’-]+){1,2}"
MARKERS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    (
        "author_byline",
        re.compile(
            rf"^[^\S\n]*(?:By|Written\s+by|Author:|Authored\s+by)\s+{_NAME}", re.M
        ),
        -0.6,
    ),
    (
        "credentials",
        re.compile(
            r"\b[A-Z][a-z]+[ \t]+[A-Z][a-zA-Z'’-]+,?[ \t]+(?:M\.?D\.?|Ph\.?D\.?|R\.?N\.?|D\.?O\.?|MPH|RDN?|PharmD|FRCP\w*|MRCP|MBBS|DNP|NP)(?!\w)"
        ),
        -0.4,
    ),
    (
        "medical_review",
        re.compile(
            r"\b(?:medically\s+reviewed|reviewed\s+by|clinically\s+reviewed|fact[-\s]checked\s+by|"
            r"peer[-\s]reviewed|medical\s+review(?:er)?:)",
            re.I,
        ),
        -0.8,
    ),
    (
        "dated",
        re.compile(
            r"\b(?:(?:last\s+)?updated|published|last\s+reviewed|reviewed|posted|revised)(?:\s+on)?:?\s+"
            r"(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2},?\s+)?(?:19|20)\d{2}"
            r"|\b(?:updated|published|last\s+reviewed|revised)(?:\s+on)?:?\s+\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}",
            re.I,
        ),
        -0.4,
    ),
    (
        "disclaimer",
        re.compile(
            r"\b(?:(?:is|are)\s+not\s+(?:a\s+substitute|intended\s+to\s+(?:replace|substitute))|"
            r"does\s+not\s+(?:replace|constitute|substitute)|"
            r"for\s+(?:general\s+)?information(?:al)?\s+purposes\s+only|"
            r"(?:not|never)\s+(?:intended\s+as\s+)?medical\s+advice|"
            r"(?:consult|talk\s+to|speak\s+(?:to|with)|ask)\s+(?:your|a)\s+(?:doctor|physician|health\s*care\s+(?:provider|professional)|pharmacist|GP))",
            re.I,
        ),
        -0.5,
    ),
    (
        "disclosure",
        re.compile(
            r"\b(?:conflicts?\s+of\s+interests?|competing\s+interests?|financial\s+disclosure|"
            r"(?:no|has\s+no|have\s+no|declares?\s+no)\s+(?:financial|relevant)\s+(?:relationships?|interests?|ties)|"
            r"funded\s+by|funding:|sponsored\s+by|advertising\s+policy|editorial\s+(?:policy|independence))",
            re.I,
        ),
        -0.6,
    ),
    (
        "honcode",
        re.compile(r"\bHON\s*code\b|\bHealth\s+On\s+the\s+Net\b", re.I),
        -0.4,
    ),
)


class CredibilitySignals(SignalFamily):
    family = "credibility"
    feature_names = (*tuple(f"has_{name}" for name, _, _ in MARKERS), "credibility_marker_count", "meta_author", "meta_date")

    def __init__(self, *, max_findings_per_marker: int = 2) -> None:
        self.max_findings_per_marker = max_findings_per_marker

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        f = out.features
        total = 0
        for name, pattern, weight in MARKERS:
            hits = list(pattern.finditer(doc.text))
            f[f"has_{name}"] = 1.0 if hits else 0.0
            total += bool(hits)
            for m in hits[: self.max_findings_per_marker]:
                start = m.start() + (len(m.group()) - len(m.group().lstrip()))
                out.findings.append(self.finding(doc, name, start, m.end(), weight=weight))
        f["credibility_marker_count"] = float(total)
        # Metadata exists only for HTML: for plain text it is missing, not absent.
        f["meta_author"] = (1.0 if page.author else 0.0) if page.is_html else MISSING
        f["meta_date"] = (1.0 if page.date else 0.0) if page.is_html else MISSING
        return out

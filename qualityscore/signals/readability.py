"""Readability: textstat's formulas plus text-shape statistics.

Spun and stuffed pages read badly in ways the formulas only half see, so shape
statistics (sentence length spread, shouting, exclamation marks) sit beside them.
"""

from __future__ import annotations

import re
import statistics

from ..page import Page
from ..text import Doc
from .base import SignalFamily, SignalOutput

_SHOUT_RE = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{3,}){2,}\b")
_EXCLAIM_RE = re.compile(r"!{1,}")


class ReadabilitySignals(SignalFamily):
    family = "readability"
    feature_names = (
        "flesch_reading_ease",
        "flesch_kincaid_grade",
        "gunning_fog",
        "smog_index",
        "dale_chall",
        "coleman_liau",
        "words_log",
        "mean_sentence_words",
        "sentence_words_sd",
        "mean_word_chars",
        "long_word_share",
        "type_token_ratio",
        "exclamations_per_100w",
        "shouting_per_100w",
    )

    def __init__(
        self,
        *,
        max_chars_for_formulas: int = 20_000,
        very_long_sentence_words: int = 70,
        long_word_chars: int = 7,
        ttr_window_words: int = 300,
        min_words_for_findings: int = 40,
    ) -> None:
        self.max_chars_for_formulas = max_chars_for_formulas
        self.very_long_sentence_words = very_long_sentence_words
        self.long_word_chars = long_word_chars
        self.ttr_window_words = ttr_window_words
        self.min_words_for_findings = min_words_for_findings

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        import textstat

        out = SignalOutput()
        text = doc.text[: self.max_chars_for_formulas]
        words = doc.words
        n = len(words)
        f = out.features
        if n == 0:
            for name in self.feature_names:
                f[name] = 0.0
            return out
        f["flesch_reading_ease"] = float(textstat.flesch_reading_ease(text))
        f["flesch_kincaid_grade"] = float(textstat.flesch_kincaid_grade(text))
        f["gunning_fog"] = float(textstat.gunning_fog(text))
        f["smog_index"] = float(textstat.smog_index(text))
        f["dale_chall"] = float(textstat.dale_chall_readability_score(text))
        f["coleman_liau"] = float(textstat.coleman_liau_index(text))

        import math

        sentence_lengths = []
        for start, end in doc.sentences:
            k = len(doc.text[start:end].split())
            sentence_lengths.append(k)
            if k >= self.very_long_sentence_words and n >= self.min_words_for_findings:
                out.findings.append(
                    self.finding(doc, "very_long_sentence", start, end, weight=0.3)
                )
        f["words_log"] = math.log1p(n)
        f["mean_sentence_words"] = statistics.fmean(sentence_lengths) if sentence_lengths else 0.0
        f["sentence_words_sd"] = (
            statistics.pstdev(sentence_lengths) if len(sentence_lengths) > 1 else 0.0
        )
        f["mean_word_chars"] = statistics.fmean(len(w) for w in words)
        f["long_word_share"] = sum(len(w) >= self.long_word_chars for w in words) / n
        window = words[: self.ttr_window_words]
        f["type_token_ratio"] = len(set(window)) / len(window)

        exclaims = list(_EXCLAIM_RE.finditer(doc.text))
        f["exclamations_per_100w"] = doc.per_100_words(len(exclaims))
        shouts = list(_SHOUT_RE.finditer(doc.text))
        f["shouting_per_100w"] = doc.per_100_words(len(shouts))
        for m in shouts:
            out.findings.append(self.finding(doc, "shouting", m.start(), m.end(), weight=0.5))
        return out

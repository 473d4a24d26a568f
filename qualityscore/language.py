"""Is this page English? The model is trained on English only.

A page in another language gives the signals nothing to find (no English calls to action,
no English claims, no lexicon hits), so without this check it scores as a clean page:
absence of evidence read as quality. Such a page is refused with
``input.unsupported_language`` instead (an error result, never a score), as an
English-only classifier should.

Evidence, from the page's words (wordfreq, already a dependency, ships word lists for 40
languages; nothing is downloaded):

1. the share that are English function words (``text.STOPWORDS``: the, of, and, is, ...):
   16% or more on every English page in the corpora we measured (Sondhi's pages as plain
   text; MedQuAD, Cochrane, HealthStory and OneStopEnglish are 20-30% or more, apart from
   a few MedQuAD lists of resources), under 8% on paragraphs in Spanish, French, German,
   Italian, Portuguese and Dutch. At or above ``english_function_share`` the page is
   English and nothing else is computed;
2. otherwise, the share of its words that are common (wordfreq Zipf >= 3) in English, and
   in each other Latin-script language wordfreq knows. Keyword-stuffed English spam
   ("cheap pills online best price free shipping": no function words) is 90% or more
   common English; a list of English medical resources about 70%; Spanish prose 56%
   common English but 99% common Spanish.

A page is refused when half its words or more are in another alphabet than the Latin
one, or when its English share is below ``english_vocabulary_share`` and either another
language's share is higher by ``language_margin`` or the English share is below 0.3.
Pages of fewer than ``language_check_min_words`` words are judged by their alphabet only:
a snippet with no word in the Latin one is refused, any other is scored.
``language_check=False`` (CLI ``--any-language``) scores whatever the language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError
from .settings import Settings
from .text import STOPWORDS

# Letters only (no digits), inner apostrophes kept: "don't", "l'insuline" (one word).
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Judging a page by its first this many characters bounds the cost on huge pages.
_SAMPLE_CHARS = 50_000
# wordfreq's scale: 3 is about once per million words ("clinic", "herbal").
COMMON_ZIPF = 3.0
# Below this share of common English words a page is in another script or language,
# whichever language it is.
SURELY_NOT_ENGLISH = 0.3
# wordfreq's languages written in the Latin alphabet (those whose words can pass for
# English ones); a page in another alphabet is told by its letters (_LATIN_END).
LATIN_SCRIPT_LANGUAGES = (
    "ca", "cs", "da", "de", "es", "fi", "fil", "fr", "hu", "id", "is", "it", "lt", "lv",
    "ms", "nb", "nl", "pl", "pt", "ro", "sh", "sk", "sl", "sv", "tr", "vi",
)

# Past Latin Extended-B: Greek, Cyrillic, Arabic, Hebrew, the Indic scripts, CJK, ...
_LATIN_END = 0x024F


@dataclass(frozen=True)
class LanguageEvidence:
    words: int
    function_share: float
    # Filled only when the function-word share is low (over words of two letters or more):
    other_script_share: float | None = None
    english_share: float | None = None
    other_language: str | None = None
    other_share: float | None = None


def _common_share(words: list[str], lang: str) -> float:
    from wordfreq import zipf_frequency

    return sum(zipf_frequency(w, lang) >= COMMON_ZIPF for w in words) / len(words)


def english_evidence(text: str, settings: Settings) -> LanguageEvidence:
    sample = text[:_SAMPLE_CHARS].lower()
    if "’" in sample:
        sample = sample.replace("’", "'")
    words = _WORD_RE.findall(sample)
    if not words:
        return LanguageEvidence(0, 0.0)
    function = sum(map(STOPWORDS.__contains__, words)) / len(words)
    if function >= settings.english_function_share:
        return LanguageEvidence(len(words), function)
    # Single letters (initials, "a", the debris of combining marks) say nothing of a language.
    long = [w for w in words if len(w) > 1] or words
    other_script = sum(any(ord(ch) > _LATIN_END for ch in w) for w in long) / len(long)
    if len(words) < settings.language_check_min_words:
        # Too few words to weigh vocabularies, not too few to see the alphabet: a snippet
        # with no word in the Latin one is not English at any length. (One Latin word
        # among them, a drug name, or one homoglyph in an English word, and it is scored:
        # a short page is never ``ok`` anyway, Settings.min_words_to_pass.)
        return LanguageEvidence(len(words), function, other_script if other_script == 1.0 else None)
    if other_script >= 0.5:
        return LanguageEvidence(len(words), function, other_script)
    english = _common_share(long, "en")
    if english >= settings.english_vocabulary_share or english < SURELY_NOT_ENGLISH:
        return LanguageEvidence(len(words), function, other_script, english)
    shares = {lang: _common_share(long, lang) for lang in LATIN_SCRIPT_LANGUAGES}
    best = max(shares, key=lambda lang: shares[lang])
    return LanguageEvidence(len(words), function, other_script, english, best, shares[best])


def check_english(text: str, settings: Settings) -> None:
    """Raise InputError ``input.unsupported_language`` for a page that is not English."""
    if not settings.language_check:
        return
    ev = english_evidence(text, settings)
    if ev.other_script_share is None:
        return
    if ev.other_script_share >= 0.5:
        why = f"{ev.other_script_share:.0%} are written in another alphabet than English"
    elif ev.english_share is None or ev.english_share >= settings.english_vocabulary_share:
        return
    elif ev.english_share < SURELY_NOT_ENGLISH:
        why = f"only {ev.english_share:.0%} are common English words"
    elif ev.other_share is not None and ev.other_share >= ev.english_share + settings.language_margin:
        why = (f"{ev.other_share:.0%} are common words in '{ev.other_language}' against "
               f"{ev.english_share:.0%} in English")
    else:
        return
    raise InputError(
        f"the page does not read as English: of its {ev.words} words, {why}, and "
        f"{ev.function_share:.0%} are English function words such as 'the' and 'of'. The "
        "model is trained on English only; to score the page anyway, turn the check off "
        "(--any-language, or Settings(language_check=False))",
        type="input.unsupported_language",
    )

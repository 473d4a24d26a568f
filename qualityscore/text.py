"""One tokenisation pass shared by every signal family.

``Doc`` holds the word tokens (with character offsets into the text), their lowercase
forms and the sentence spans, computed once per page so that no signal re-tokenises.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property
from typing import NamedTuple

# Words (letters with inner apostrophes/hyphens) and numbers (with separators, %).
TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*|\d+(?:[.,]\d+)*%?")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n{2,}")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves may might must also than""".split()
)


class Token(NamedTuple):
    """One token: character offsets into the text and its lowercase form.

    Immutable and compared by value. A named tuple rather than a frozen dataclass: a page
    has hundreds of tokens and a tuple is built several times faster.
    """

    start: int
    end: int
    lower: str

    @property
    def is_word(self) -> bool:
        return not self.lower[0].isdigit()


class Doc:
    """A tokenised view of ``text``; build it once and hand it to every signal."""

    __slots__ = ("__dict__", "text", "tokens")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = [
            Token(m.start(), m.end(), m.group().lower().replace("’", "'")) for m in TOKEN_RE.finditer(text)
        ]

    @cached_property
    def lower_text(self) -> str:
        return self.text.lower()

    @cached_property
    def _is_word(self) -> list[bool]:
        # A token is a word or a number (TOKEN_RE): numbers start with a digit.
        return [not t.lower[0].isdigit() for t in self.tokens]

    @cached_property
    def words(self) -> list[str]:
        """Lowercase word tokens (numbers excluded)."""
        return [t.lower for t, w in zip(self.tokens, self._is_word, strict=True) if w]

    @cached_property
    def word_count(self) -> int:
        return len(self.words)

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans (start, end) over non-blank text."""
        spans: list[tuple[int, int]] = []
        pos = 0
        for m in SENTENCE_END_RE.finditer(self.text):
            if self.text[pos : m.start()].strip():
                spans.append((pos, m.start()))
            pos = m.end()
        if self.text[pos:].strip():
            spans.append((pos, len(self.text)))
        return spans

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [start for start, _ in self.sentences]

    def sentence_index(self, pos: int) -> int:
        """Index into ``sentences`` of the sentence containing character ``pos``, or -1."""
        # Spans are sorted and disjoint: the last one starting at or before pos is the
        # only candidate.
        i = bisect_right(self._sentence_starts, pos) - 1
        return i if i >= 0 and pos < self.sentences[i][1] else -1

    @cached_property
    def content_index(self) -> list[int]:
        """Indices into ``tokens`` of content words (not stopwords, not numbers)."""
        return [
            i
            for i, (t, w) in enumerate(zip(self.tokens, self._is_word, strict=True))
            if w and t.lower not in STOPWORDS
        ]

    def per_100_words(self, count: float) -> float:
        return 100.0 * count / max(self.word_count, 1)

"""Is a word the vocabulary of health and science, or general English?

Pages that clean health text would not write have words that text never uses. On a spun
page those are a thesaurus's general-English synonyms ("apoplexy", "ticker", "hale",
"bosom"); on a research paper they are technical terms ("phosphorylation", "cytokine",
"mitochondria"). Both lower the page's pair fluency and its context medians, so without a
signal that tells the two kinds of unusual word apart, research prose read as heavy spin
(``evaluation/pair_fluency.py``, ``technical_decisions``).

``DomainModel`` is a linear model over the packaged word vectors (``qualityscore/
wordvectors``), learned at train time from two word lists that need no labelling:

* health vocabulary: words that clean health text (``HealthStats``, NIH and Cochrane
  text) uses at least ``margin`` Zipf units more than general English (wordfreq) does,
  seen at least ``min_count`` times;
* general English: wordfreq's ``general_top`` commonest words that clean health text uses
  at least ``margin`` Zipf units *less* than general English does.

Word vectors put technical terms near each other whether or not NIH text used them, so
the model scores molecular-biology terms it never saw as health vocabulary (decision
function > 0) and literary synonyms as general English (< 0). No thesaurus is read, so the
spinners that evaluation uses (``evaluation/foreign_spinner.py``) are as unseen to it as
to the rest of the model.

Stored with the health statistics under ``domain.*`` keys (101 numbers and the vectors'
digest); ``SpinSignals`` averages it over a page's words (``spin.unseen_word_domain``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..wordvectors import WordVectors, digest_array, require_vectors

if TYPE_CHECKING:
    from .spin_model import HealthStats

PREFIX = "domain."
# Words whose scores are kept; past this the cache starts again (a long batch job meets
# ever more rare words).
CACHE_WORDS = 200_000


class DomainModel:
    """``score(word) = vector(word) @ coef + intercept``: > 0 health vocabulary, < 0
    general English, NaN for a word without a vector."""

    def __init__(self, coef: np.ndarray, intercept: float, vectors: WordVectors) -> None:
        self.coef = np.asarray(coef, dtype=np.float32).ravel()
        self.intercept = float(intercept)
        self.vectors = vectors
        self._cache: dict[str, float] = {}

    @classmethod
    def learn(cls, stats: HealthStats, vectors: WordVectors, *, min_count: int = 5,
              margin: float = 1.0, general_top: int = 60_000) -> DomainModel | None:
        """Fit on the two word lists (module docstring); None when either is empty."""
        from sklearn.linear_model import LogisticRegression
        from wordfreq import top_n_list, zipf_frequency

        health: set[str] = set()
        for w, c in zip(stats.vocab, stats.counts.tolist(), strict=True):
            if c >= min_count and w.isalpha() and len(w) >= 3 and \
                    stats.zipf(w) >= zipf_frequency(w, "en") + margin:
                health.add(w)
        general = {w for w in top_n_list("en", general_top)
                   if w.isalpha() and len(w) >= 3 and stats.zipf(w) < zipf_frequency(w, "en") - margin}
        general -= health
        words = sorted(health) + sorted(general)
        y = np.array([1] * len(health) + [0] * len(general))
        ids = vectors.ids(words)
        ok = ids >= 0
        if not (y[ok] == 1).any() or not (y[ok] == 0).any():
            return None
        clf = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
        clf.fit(vectors.rows(ids[ok]), y[ok])
        return cls(clf.coef_[0], float(clf.intercept_[0]), vectors)

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """The score of each word (float64; NaN without a vector), cached per word.

        The answer is built from a dict of this call's own, so another thread clearing
        the shared cache meanwhile cannot make a word go missing."""
        cache = self._cache
        got: dict[str, float] = {}
        todo: list[str] = []
        for w in dict.fromkeys(words):
            v = cache.get(w)
            if v is None:
                todo.append(w)
            else:
                got[w] = v
        if todo:
            ids = self.vectors.ids(todo)
            out = np.full(len(todo), np.nan)
            ok = ids >= 0
            if ok.any():
                out[ok] = self.vectors.rows(ids[ok]) @ self.coef + self.intercept
            new = dict(zip(todo, out.tolist(), strict=True))
            got.update(new)
            if len(cache) > CACHE_WORDS:
                cache.clear()
            cache.update(new)
        return np.fromiter((got[w] for w in words), dtype=np.float64, count=len(words))

    def to_plain(self) -> dict[str, np.ndarray]:
        return {
            PREFIX + "coef": self.coef,
            PREFIX + "intercept": np.asarray([self.intercept], dtype=np.float64),
            PREFIX + "vectors_digest": digest_array(self.vectors),
        }

    @classmethod
    def from_plain(cls, data: dict[str, object], vectors: WordVectors | None) -> DomainModel | None:
        """None when ``data`` holds no domain model. Raises ValueError when it was learned
        on other word vectors than ``vectors``."""
        if PREFIX + "coef" not in data:
            return None
        vectors = require_vectors(data[PREFIX + "vectors_digest"], vectors, "the domain model")
        return cls(np.asarray(data[PREFIX + "coef"]), float(np.asarray(data[PREFIX + "intercept"])[0]), vectors)

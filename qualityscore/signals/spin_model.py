"""Clean-health word statistics and the per-token spin tagger's features.

A spinner leaves a word where clean health English would not put it: "bosom" before
"cancer", "strain" after "blood". Two kinds of evidence find such words without a
lexicon entry for them:

* *off-register*: the word is common in general English (wordfreq) but rare in clean
  health text;
* *unattested slot*: the word has never been seen next to its neighbours in clean health
  text, although those neighbours are frequent and predictable there.

``HealthStats`` holds the counts (learned at train time from NIH and Cochrane text and
stored in the model bundle as compact arrays); ``token_features`` turns each content
word of a document into a row of numbers; a small classifier trained on simulated spin
(``model/tagger.py``) turns the rows into per-token probabilities.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..text import STOPWORDS, TOKEN_RE, Doc

TOKEN_FEATURES: tuple[str, ...] = (
    "general_zipf",
    "health_zipf",
    "register_gap",
    "left_pair_log",
    "right_pair_log",
    "left_log",
    "right_log",
    "left_predictability",
    "right_predictability",
    "left_is_anchor",
    "right_is_anchor",
    "anchor_distance",
    "is_capitalised",
    "word_length",
    "in_vocabulary",
)
# Distance (in tokens) reported when no anchor is near.
FAR = 10


def tokenize_lower(text: str) -> list[str]:
    return [m.group().lower().replace("’", "'") for m in TOKEN_RE.finditer(text)]


@lru_cache(maxsize=300_000)
def general_zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


@dataclass
class HealthStats:
    """Unigram and adjacent-pair counts of clean health text, over a fixed vocabulary."""

    vocab: list[str] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    left_max: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    right_max: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    total: int = 0

    def __post_init__(self) -> None:
        # Lookup tables built once at load time: scoring does dict lookups only.
        self.index = {w: i for i, w in enumerate(self.vocab)}
        n = max(len(self.vocab), 1)
        self.pairs = dict(zip(self.pair_keys.tolist(), self.pair_counts.tolist(), strict=False))
        self._n = n
        total = max(self.total, 1)
        self.zipfs = {
            w: float(np.log10(c / total * 1e9)) for w, c in zip(self.vocab, self.counts.tolist(), strict=False)
        }

    @property
    def empty(self) -> bool:
        return not self.vocab

    @classmethod
    def learn(
        cls, texts: Iterable[str], *, min_count: int = 3, min_pair_count: int = 2
    ) -> HealthStats:
        unigrams: Counter[str] = Counter()
        docs: list[list[str]] = []
        for text in texts:
            toks = tokenize_lower(text)
            unigrams.update(toks)
            docs.append(toks)
        vocab = sorted(w for w, c in unigrams.items() if c >= min_count)
        index = {w: i for i, w in enumerate(vocab)}
        n = len(vocab)
        pairs: Counter[int] = Counter()
        for toks in docs:
            ids = [index.get(t, -1) for t in toks]
            for a, b in itertools.pairwise(ids):
                if a >= 0 and b >= 0:
                    pairs[a * n + b] += 1
        keys = np.asarray(sorted(k for k, c in pairs.items() if c >= min_pair_count), dtype=np.int64)
        pc = np.asarray([pairs[int(k)] for k in keys], dtype=np.int64)
        left_max = np.zeros(n, dtype=np.int64)
        right_max = np.zeros(n, dtype=np.int64)
        if len(keys):
            lefts, rights = keys // n, keys % n
            np.maximum.at(left_max, lefts, pc)
            np.maximum.at(right_max, rights, pc)
        counts = np.asarray([unigrams[w] for w in vocab], dtype=np.int64)
        return cls(vocab, counts, keys, pc, left_max, right_max, int(sum(unigrams.values())))

    def to_plain(self) -> dict[str, object]:
        return {
            "vocab": list(self.vocab),
            "counts": self.counts,
            "pair_keys": self.pair_keys,
            "pair_counts": self.pair_counts,
            "left_max": self.left_max,
            "right_max": self.right_max,
            "total": int(self.total),
        }

    @classmethod
    def from_plain(cls, data: dict[str, object] | None) -> HealthStats:
        if not data or not data.get("vocab"):
            return cls()
        return cls(
            vocab=list(data["vocab"]),  # type: ignore[arg-type]
            counts=np.asarray(data["counts"], dtype=np.int64),
            pair_keys=np.asarray(data["pair_keys"], dtype=np.int64),
            pair_counts=np.asarray(data["pair_counts"], dtype=np.int64),
            left_max=np.asarray(data["left_max"], dtype=np.int64),
            right_max=np.asarray(data["right_max"], dtype=np.int64),
            total=int(data["total"]),  # type: ignore[arg-type]
        )

    def count(self, word: str) -> int:
        i = self.index.get(word)
        return int(self.counts[i]) if i is not None else 0

    def zipf(self, word: str) -> float:
        return self.zipfs.get(word, 0.0)

    def left_continuations(self, left: int) -> list[tuple[int, int]]:
        """(pair key, count) of every word seen right after vocabulary word ``left``."""
        lo = int(np.searchsorted(self.pair_keys, left * self._n))
        hi = int(np.searchsorted(self.pair_keys, (left + 1) * self._n))
        return list(zip(self.pair_keys[lo:hi].tolist(), self.pair_counts[lo:hi].tolist(), strict=False))

    def pair(self, a: str, b: str) -> int:
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return 0
        return self.pairs.get(i * self._n + j, 0)


def candidate_positions(doc: Doc) -> list[int]:
    """Token indices the tagger looks at: content words of three letters or more."""
    return [
        k
        for k in doc.content_index
        if len(doc.tokens[k].lower) >= 3 and "'" not in doc.tokens[k].lower
    ]


def token_features(
    doc: Doc, positions: Sequence[int], stats: HealthStats, anchors: frozenset[str]
) -> np.ndarray:
    """One row of ``TOKEN_FEATURES`` per position; neighbours never cross a sentence end."""
    toks, text = doc.tokens, doc.text
    rows = np.zeros((len(positions), len(TOKEN_FEATURES)), dtype=np.float64)
    import bisect

    anchor_pos = [k for k, t in enumerate(toks) if t.lower in anchors]
    for r, k in enumerate(positions):
        w = toks[k].lower
        left = toks[k - 1].lower if k > 0 and not _breaks(text, toks[k - 1].end, toks[k].start) else ""
        right = (
            toks[k + 1].lower
            if k + 1 < len(toks) and not _breaks(text, toks[k].end, toks[k + 1].start)
            else ""
        )
        g = general_zipf(w)
        h = stats.zipf(w)
        lc, rc = stats.count(left), stats.count(right)
        li, ri = stats.index.get(left), stats.index.get(right)
        lmax = int(stats.left_max[li]) if li is not None else 0
        rmax = int(stats.right_max[ri]) if ri is not None else 0
        dist = FAR
        at = bisect.bisect_left(anchor_pos, k)
        for a in anchor_pos[max(0, at - 1) : at + 2]:
            if a != k and abs(a - k) < dist:
                dist = abs(a - k)
        rows[r] = (
            g,
            h,
            g - h,
            np.log1p(stats.pair(left, w)) if left else -1.0,
            np.log1p(stats.pair(w, right)) if right else -1.0,
            np.log1p(lc) if left else -1.0,
            np.log1p(rc) if right else -1.0,
            lmax / lc if lc else 0.0,
            rmax / rc if rc else 0.0,
            1.0 if left in anchors else 0.0,
            1.0 if right in anchors else 0.0,
            float(dist),
            1.0 if text[toks[k].start].isupper() and k > 0 and not _breaks(text, toks[k - 1].end, toks[k].start) else 0.0,
            float(len(w)),
            1.0 if w in stats.index else 0.0,
        )
    return rows


def _breaks(text: str, lo: int, hi: int) -> bool:
    """True when the gap between two tokens ends a sentence or a line."""
    gap = text[lo:hi]
    return any(ch in ".!?;:\n" for ch in gap)


__all__ = ["FAR", "STOPWORDS", "TOKEN_FEATURES", "HealthStats", "candidate_positions", "token_features"]

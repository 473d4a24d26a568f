"""Clean-health word statistics and the per-token spin tagger's features.

A spinner leaves a word where clean health English would not put it: "bosom" before
"cancer", "strain" after "blood". Two kinds of evidence find such words without a
lexicon entry for them:

* *off-register*: the word is common in general English (wordfreq) but rare in clean
  health text;
* *unattested slot*: the word has never been seen next to its neighbours in clean health
  text, although those neighbours are frequent and predictable there;
* *unrelated to its context*: the word's vector is far from those of the content words
  around it (GloVe vectors, ``qualityscore/wordvectors``). A sense-blind synonym ("cob"
  for "ear") usually is;
* *unusual in any English*: the word and its neighbour are a pair that ordinary English
  does not use (bigram log-ratios from CMU Sphinx's US English language model,
  ``qualityscore/ngrams``). Unlike the clean-health counts this does not take "not
  written like NIH text" for spin: "blood pressure" and "box office" both pass.

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

from ..ngrams import load_bigrams, pmi_columns
from ..text import STOPWORDS, TOKEN_RE, Doc
from ..wordvectors import WordVectors, context_cosines, load_word_vectors

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
    "context_cosine",
    "context_max_cosine",
    "lm_left_pmi",
    "lm_right_pmi",
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

    def pair_count_array(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Adjacent-pair counts of vocabulary ids ``a`` then ``b`` (0 where either is -1)."""
        out = np.zeros(a.shape, dtype=np.int64)
        ok = (a >= 0) & (b >= 0)
        if not ok.any() or not len(self.pair_keys):
            return out
        keys = a[ok] * self._n + b[ok]
        at = np.minimum(np.searchsorted(self.pair_keys, keys), len(self.pair_keys) - 1)
        out[ok] = np.where(self.pair_keys[at] == keys, self.pair_counts[at], 0)
        return out

    def predecessors(self, right: int) -> np.ndarray:
        """Vocabulary ids of every word seen right before vocabulary word ``right``."""
        by_right = getattr(self, "_by_right", None)
        if by_right is None:
            order = np.argsort(self.pair_keys % self._n, kind="stable")
            by_right = ((self.pair_keys % self._n)[order], (self.pair_keys // self._n)[order])
            self._by_right = by_right
        lo, hi = np.searchsorted(by_right[0], [right, right + 1])
        return by_right[1][lo:hi]

    def suggestible(self) -> np.ndarray:
        """Per vocabulary word: may it be suggested as an original? Not a stopword, not a
        number, and three letters or more, like the words the tagger looks at (a letter
        left by a list marker or an initial, "b" or "d", is no original). Built once, on
        first use."""
        mask = getattr(self, "_suggestible", None)
        if mask is None:
            mask = np.fromiter((len(w) >= 3 and w not in STOPWORDS and not w.isdigit() for w in self.vocab),
                               dtype=bool, count=len(self.vocab))
            self._suggestible = mask
        return mask

    def vector_ids(self, vectors: WordVectors) -> np.ndarray:
        """Row of each vocabulary word in ``vectors`` (-1 without one); cached per file."""
        cached = getattr(self, "_vector_ids", None)
        if cached is None or cached[0] != vectors.digest:
            cached = (vectors.digest, vectors.ids(list(self.vocab)))
            self._vector_ids = cached
        return cached[1]

    def count(self, word: str) -> int:
        i = self.index.get(word)
        return int(self.counts[i]) if i is not None else 0

    def zipf(self, word: str) -> float:
        return self.zipfs.get(word, 0.0)

    def followers(self, left: int) -> np.ndarray:
        """Vocabulary ids of every word seen right after vocabulary word ``left``."""
        lo, hi = np.searchsorted(self.pair_keys, [left * self._n, (left + 1) * self._n])
        return self.pair_keys[lo:hi] % self._n

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
    """One row of ``TOKEN_FEATURES`` per position; neighbours never cross a sentence end.

    Column by column over all positions (lookups once per token, arithmetic in NumPy);
    ``evaluation/check_equivalence.py`` holds it to the per-token definition bit for bit.
    """
    toks, text = doc.tokens, doc.text
    n_tok = len(toks)
    if not positions:
        return np.zeros((0, len(TOKEN_FEATURES)), dtype=np.float64)
    lower = [t.lower for t in toks]
    index = stats.index
    # joined[k]: tokens k-1 and k are in the same sentence (no break between them).
    joined = np.zeros(n_tok + 1, dtype=bool)
    joined[1:n_tok] = [not _breaks(text, toks[k - 1].end, toks[k].start) for k in range(1, n_tok)]
    ids = np.fromiter((index.get(w, -1) for w in lower), dtype=np.int64, count=n_tok)
    is_anchor = np.fromiter((w in anchors for w in lower), dtype=bool, count=n_tok)
    pos = np.asarray(positions, dtype=np.int64)
    has_left = (pos > 0) & joined[pos]
    has_right = (pos + 1 < n_tok) & joined[pos + 1]
    li = np.where(has_left, ids[np.maximum(pos - 1, 0)], -1)
    ri = np.where(has_right, ids[np.minimum(pos + 1, n_tok - 1)], -1)
    wi = ids[pos]
    words = [lower[k] for k in positions]

    g = np.fromiter((general_zipf(w) for w in words), dtype=np.float64, count=len(words))
    zipfs = stats.zipfs
    h = np.fromiter((zipfs.get(w, 0.0) for w in words), dtype=np.float64, count=len(words))

    def counts_of(idx: np.ndarray, table: np.ndarray) -> np.ndarray:
        return np.where(idx >= 0, table[np.maximum(idx, 0)] if len(table) else 0, 0).astype(np.int64)

    lc, rc = counts_of(li, stats.counts), counts_of(ri, stats.counts)
    lmax, rmax = counts_of(li, stats.left_max), counts_of(ri, stats.right_max)

    lp, rp = stats.pair_count_array(li, wi), stats.pair_count_array(wi, ri)
    with np.errstate(divide="ignore", invalid="ignore"):
        left_pred = np.where(lc > 0, lmax / np.maximum(lc, 1), 0.0)
        right_pred = np.where(rc > 0, rmax / np.maximum(rc, 1), 0.0)
    capitalised = np.fromiter(
        (text[toks[k].start].isupper() for k in positions), dtype=bool, count=len(words)
    ) & has_left
    columns = (
        g,
        h,
        g - h,
        np.where(has_left, np.log1p(lp), -1.0),
        np.where(has_right, np.log1p(rp), -1.0),
        np.where(has_left, np.log1p(lc), -1.0),
        np.where(has_right, np.log1p(rc), -1.0),
        left_pred,
        right_pred,
        (has_left & is_anchor[np.maximum(pos - 1, 0)]).astype(np.float64),
        (has_right & is_anchor[np.minimum(pos + 1, n_tok - 1)]).astype(np.float64),
        _anchor_distance(pos, np.flatnonzero(is_anchor)),
        capitalised.astype(np.float64),
        np.fromiter((len(w) for w in words), dtype=np.float64, count=len(words)),
        (wi >= 0).astype(np.float64),
        *_context_columns(doc, positions),
        *pmi_columns(lower, pos, has_left, has_right, load_bigrams()),
    )
    return np.column_stack(columns)


def _context_columns(doc: Doc, positions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``context_cosine`` and ``context_max_cosine``: the word against the content words
    within ``CONTEXT_WINDOW`` on each side. Unlike the pair features, this context does
    cross sentence ends (a topic outlasts a sentence). NaN for a word without a vector;
    0.0 throughout when no vectors are installed (``wordvectors.context_cosines``)."""
    content = doc.content_index
    at = {k: j for j, k in enumerate(content)}
    targets = np.fromiter((at.get(k, -1) for k in positions), dtype=np.int64, count=len(positions))
    inside = targets >= 0
    cos = np.full((len(positions), 2), np.nan)
    cos[inside] = context_cosines([doc.tokens[k].lower for k in content], targets[inside], load_word_vectors())
    return cos[:, 0], cos[:, 1]


def _anchor_distance(pos: np.ndarray, anchor_pos: np.ndarray) -> np.ndarray:
    """Tokens to the nearest anchor other than the token itself, at most ``FAR``."""
    dist = np.full(len(pos), float(FAR))
    if len(anchor_pos) == 0:
        return dist
    at = np.searchsorted(anchor_pos, pos)
    for shift in (-1, 0, 1):
        j = at + shift
        ok = (j >= 0) & (j < len(anchor_pos))
        d = np.abs(anchor_pos[np.clip(j, 0, len(anchor_pos) - 1)] - pos).astype(np.float64)
        d[~ok | (d == 0)] = np.inf
        dist = np.minimum(dist, d)
    return dist


def _breaks(text: str, lo: int, hi: int) -> bool:
    """True when the gap between two tokens ends a sentence or a line."""
    gap = text[lo:hi]
    return any(ch in ".!?;:\n" for ch in gap)


__all__ = ["FAR", "STOPWORDS", "TOKEN_FEATURES", "HealthStats", "candidate_positions", "token_features"]

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
  written like NIH text" for spin: "blood pressure" and "box office" both pass;
* *a predictable slot, filled by another word*: the two words around the word (or the
  two before it, or after it, or one on one side and two on the other) are a context
  that clean health text fills with one word most of the time, and this word seldom or
  never fills it ("health ___ provider" is "care" nearly every time, so "health worry
  provider" stands out, although "health worry" alone is a fair pair);
* *unlikely in its whole context*: a small neural model of clean health text
  (``signals/context_model.py``) gives log P(word | four tokens each side), against the
  page's other words and against the best of the words clean text puts in that slot.

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

from ..ngrams import Bigrams, load_bigrams, pmi_columns
from ..text import STOPWORDS, TOKEN_RE, Doc
from ..wordvectors import WordVectors, context_cosines, load_word_vectors
from .context_model import CONTEXT_FEATURES, FILLERS, ContextModel
from .domain_model import DomainModel

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
# Slot contexts: two context words, as offsets from the word. For each, clean health text
# gives how often the context occurs, and how often its commonest word and this word
# fill it (``HealthStats.slots``; ``SLOT_STATS`` per context in ``TOKEN_FEATURES``).
# Chosen on evaluation/spin_heldout.py: adding the one-word slot (-1, 1) raised span
# recall from 0.254 to 0.300, the two-word contexts on either side to 0.358, and the
# two skip contexts to 0.392, each at the same document false-positive rate.
SLOT_CONTEXTS: dict[str, tuple[int, int]] = {
    "slot": (-1, 1),
    "left2": (-2, -1),
    "right2": (1, 2),
    "skip_left": (-2, 1),
    "skip_right": (-1, 2),
}
SLOT_STATS: tuple[str, ...] = ("log_count", "top_share", "word_share", "top_over_word")
# A context must occur this often in clean health text to be kept (2 was no better, and
# keeps twice as many).
MIN_SLOT_COUNT = 3
TOKEN_FEATURES = TOKEN_FEATURES + tuple(f"{c}_{s}" for c in SLOT_CONTEXTS for s in SLOT_STATS)
# The context model's log-probabilities and best-alternative gaps (``signals/context_model.py``).
TOKEN_FEATURES = TOKEN_FEATURES + CONTEXT_FEATURES
# Distance (in tokens) reported when no anchor is near.
FAR = 10


def _pattern(offsets: tuple[int, int]) -> tuple[int, int, int]:
    """The positions of the context words and the word, from the first of them: the
    word-in-context table of a slot context (the three contiguous contexts share one)."""
    lo = min(offsets[0], 0, offsets[1])
    return tuple(sorted((offsets[0] - lo, -lo, offsets[1] - lo)))  # type: ignore[return-value]


def _pattern_name(pattern: tuple[int, int, int]) -> str:
    return "".join(map(str, pattern))


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
    # "slot.<context>.keys|counts|top" (context pairs a * n + c, sorted; how often each
    # occurs; how often its commonest word fills it) and "words.<pattern>.keys|counts"
    # (word-in-context triples at those positions, sorted): see ``learn_slots``.
    slots: dict[str, np.ndarray] = field(default_factory=dict)
    # A model of words in context, trained on the same kind of text (``learn`` does not
    # train it: ``model/resources.learn_health_stats`` does).
    context: ContextModel | None = None
    # Health vocabulary or general English, per word (``signals/domain_model.py``; like
    # the context model, learned by ``model/resources.learn_health_stats``).
    domain: DomainModel | None = None

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
        docs_text: list[str] = []
        for text in texts:
            toks = tokenize_lower(text)
            unigrams.update(toks)
            docs.append(toks)
            docs_text.append(text)
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
        slots = learn_slots(texts_ids(docs_text, index), n, min_triple_count=min_pair_count)
        return cls(vocab, counts, keys, pc, left_max, right_max, int(sum(unigrams.values())), slots)

    def to_plain(self) -> dict[str, object]:
        return {
            "vocab": list(self.vocab),
            "counts": self.counts,
            "pair_keys": self.pair_keys,
            "pair_counts": self.pair_counts,
            "left_max": self.left_max,
            "right_max": self.right_max,
            "total": int(self.total),
            **self.slots,
            **(self.context.to_plain() if self.context is not None else {}),
            **(self.domain.to_plain() if self.domain is not None else {}),
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
            slots={k: np.asarray(v, dtype=np.int64) for k, v in data.items()
                   if k.startswith(("slot.", "words."))},
            context=ContextModel.from_plain(data, load_word_vectors()),
            domain=DomainModel.from_plain(data, load_word_vectors()),
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

    def top_fillers(self, m: int) -> tuple[np.ndarray, np.ndarray]:
        """``(after, before)``: per vocabulary word, the ``m`` suggestible words clean
        health text puts most often right after it, and right before it (-1 pads);
        built once, on first use."""
        cached = getattr(self, "_top_fillers", None)
        if cached is None or cached[0] != m:
            n = self._n
            lefts, rights = self.pair_keys // n, self.pair_keys % n
            ok = self.suggestible()

            def table(group: np.ndarray, member: np.ndarray) -> np.ndarray:
                sel = ok[member]
                g, mem, c = group[sel], member[sel], self.pair_counts[sel]
                order = np.lexsort((mem, -c, g))  # by group, then commonest first
                g, mem = g[order], mem[order]
                rank = np.arange(len(g)) - np.searchsorted(g, g)
                keep = rank < m
                out = np.full((n, m), -1, dtype=np.int64)
                out[g[keep], rank[keep]] = mem[keep]
                return out

            cached = (m, table(lefts, rights), table(rights, lefts))
            self._top_fillers = cached
        return cached[1], cached[2]

    def context_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Per vocabulary word: the context model's output vector and bias (-inf bias for a
        word without a vector or not suggestible); built once, on first use."""
        cached = getattr(self, "_context_table", None)
        if cached is None:
            model = self.context
            assert model is not None
            vid = self.vector_ids(model.vectors)
            ok = (vid >= 0) & self.suggestible()
            out = np.zeros((len(self.vocab), model.W2.shape[1]), dtype=np.float32)
            bias = np.full(len(self.vocab), -np.inf, dtype=np.float32)
            out[ok] = model.output_vectors(vid[ok])
            bias[ok] = model._bias[vid[ok]]
            cached = (out, bias)
            self._context_table = cached
        return cached

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


def texts_ids(texts: Iterable[str], index: dict[str, int]) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Per text: vocabulary ids of its tokens (-1 outside it) and their sentence numbers
    (a sentence ends where ``_breaks`` says, as ``token_features`` reads it)."""
    for text in texts:
        matches = list(TOKEN_RE.finditer(text))
        ids = np.fromiter((index.get(m.group().lower().replace("’", "'"), -1) for m in matches),
                          dtype=np.int64, count=len(matches))
        breaks = np.zeros(len(matches), dtype=np.int64)
        breaks[1:] = [_breaks(text, a.end(), b.start()) for a, b in itertools.pairwise(matches)]
        yield ids, np.cumsum(breaks)


def learn_slots(
    docs: Iterable[tuple[np.ndarray, np.ndarray]], n: int, *,
    min_slot_count: int = MIN_SLOT_COUNT, min_triple_count: int = 2,
) -> dict[str, np.ndarray]:
    """Slot-context tables (``HealthStats.slots``) from (ids, sentence numbers) per text.

    A context is counted wherever its two words and the word's position lie in one
    sentence and both context words are in the vocabulary; "top" is the count of its
    commonest vocabulary word. Contexts seen fewer than ``min_slot_count`` times and
    word-in-context triples seen fewer than ``min_triple_count`` times are dropped.
    """
    if n ** 3 >= 2**63:  # word-in-context triples are keyed (x * n + y) * n + z in int64
        raise ValueError(f"a vocabulary of {n} words is too large for the slot tables' keys")
    docs = list(docs)
    patterns = sorted({_pattern(o) for o in SLOT_CONTEXTS.values()})
    triples: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
    for pat in patterns:
        span = pat[2]
        keys = [np.zeros(0, dtype=np.int64)]
        for ids, seg in docs:
            m = len(ids) - span
            if m <= 0:
                continue
            x, y, z = ids[pat[0]:pat[0] + m], ids[pat[1]:pat[1] + m], ids[pat[2]:pat[2] + m]
            ok = (seg[:m] == seg[span:span + m]) & (x >= 0) & (y >= 0) & (z >= 0)
            keys.append(((x * n + y) * n + z)[ok])
        triples[pat] = np.unique(np.concatenate(keys), return_counts=True)
    out: dict[str, np.ndarray] = {}
    for name, (o1, o2) in SLOT_CONTEXTS.items():
        lo, hi = min(o1, 0), max(o2, 0)
        keys = [np.zeros(0, dtype=np.int64)]
        for ids, seg in docs:
            k = np.arange(-lo, len(ids) - hi)
            if not len(k):
                continue
            a, c = ids[k + o1], ids[k + o2]
            ok = (seg[k + lo] == seg[k + hi]) & (a >= 0) & (c >= 0)
            keys.append((a * n + c)[ok])
        ctx, cnt = np.unique(np.concatenate(keys), return_counts=True)
        pat = _pattern((o1, o2))
        order = sorted((o1, 0, o2))
        tk, tc = triples[pat]
        parts = (tk // (n * n), (tk // n) % n, tk % n)
        tctx = parts[order.index(o1)] * n + parts[order.index(o2)]
        top = np.zeros(len(ctx), dtype=np.int64)
        if len(tk):
            np.maximum.at(top, np.searchsorted(ctx, tctx), tc)
        keep = cnt >= min_slot_count
        out[f"slot.{name}.keys"] = ctx[keep].astype(np.int64)
        out[f"slot.{name}.counts"] = cnt[keep].astype(np.int64)
        out[f"slot.{name}.top"] = top[keep]
    for pat, (tk, tc) in triples.items():
        keep = tc >= min_triple_count
        out[f"words.{_pattern_name(pat)}.keys"] = tk[keep].astype(np.int64)
        out[f"words.{_pattern_name(pat)}.counts"] = tc[keep].astype(np.int64)
    return out


def _lookup(keys: np.ndarray | None, values: np.ndarray | None, q: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` at ``q`` in the sorted ``keys`` where ``valid`` (0 where absent)."""
    if keys is None or values is None or not len(keys):
        return np.zeros(len(q), dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
    return np.where(valid & (keys[at] == q), values[at], 0)


def _slot_columns(ids: np.ndarray, seg: np.ndarray, pos: np.ndarray, stats: HealthStats) -> list[np.ndarray]:
    """``SLOT_STATS`` for each of ``SLOT_CONTEXTS`` at positions ``pos``: log(1 + context
    count), the shares of the context filled by its commonest word and by this word, and
    their difference (-1 for a context clean health text does not have)."""
    n_tok, n, tables = len(ids), stats._n, stats.slots
    cols: list[np.ndarray] = []
    word = ids[pos]
    for name, (o1, o2) in SLOT_CONTEXTS.items():
        lo, hi = min(o1, 0), max(o2, 0)
        inside = (pos + lo >= 0) & (pos + hi < n_tok)
        same = seg[np.clip(pos + lo, 0, n_tok - 1)] == seg[np.clip(pos + hi, 0, n_tok - 1)]
        a = np.where(inside & same, ids[np.clip(pos + o1, 0, n_tok - 1)], -1)
        c = np.where(inside & same, ids[np.clip(pos + o2, 0, n_tok - 1)], -1)
        valid = (a >= 0) & (c >= 0)
        ctx = np.where(valid, a * n + c, -1)
        cnt = _lookup(tables.get(f"slot.{name}.keys"), tables.get(f"slot.{name}.counts"), ctx, valid)
        top = _lookup(tables.get(f"slot.{name}.keys"), tables.get(f"slot.{name}.top"), ctx, valid)
        order = sorted((o1, 0, o2))
        by_offset = {o1: a, 0: word, o2: c}
        x, y, z = (np.maximum(by_offset[o], 0) for o in order)
        pat = _pattern_name(_pattern((o1, o2)))
        seen = _lookup(tables.get(f"words.{pat}.keys"), tables.get(f"words.{pat}.counts"),
                       (x * n + y) * n + z, valid & (word >= 0))
        known = cnt > 0
        top_share = np.where(known, top / np.maximum(cnt, 1), 0.0)
        word_share = np.where(known, seen / np.maximum(cnt, 1), 0.0)
        cols += [np.log1p(cnt), top_share, word_share, np.where(known, top_share - word_share, -1.0)]
    return cols


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
    seg = np.cumsum(~joined[:n_tok])  # sentence number of each token

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
        *_pmi_columns(doc, lower, pos, has_left, has_right),
        *_slot_columns(ids, seg, pos, stats),
        *_model_columns(stats, doc, lower, seg, pos, li, ri),
    )
    return np.column_stack(columns)


def bigram_ids(doc: Doc, bigrams: Bigrams, lower: list[str] | None = None) -> np.ndarray:
    """The page's tokens as rows of the bigram table (``Bigrams.ids``), kept on the
    ``Doc``: the tagger's pair features and the page's pair fluency both read them."""
    cached = doc.__dict__.get("_bigram_ids")
    if cached is not None and cached[0] is bigrams:
        return cached[1]
    ids = bigrams.ids(lower if lower is not None else [t.lower for t in doc.tokens])
    doc.__dict__["_bigram_ids"] = (bigrams, ids)
    return ids


def _pmi_columns(doc: Doc, lower: list[str], pos: np.ndarray, has_left: np.ndarray,
                 has_right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bigrams = load_bigrams()
    ids = bigram_ids(doc, bigrams, lower) if bigrams is not None else None
    return pmi_columns(lower, pos, has_left, has_right, bigrams, ids=ids)


def _context_inputs(doc: Doc, model: ContextModel, lower: list[str] | None = None,
                    seg: np.ndarray | None = None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The page's lower-case tokens, sentence numbers and the context model's token ids,
    kept on the ``Doc`` for the page medians (computed once per page and model)."""
    cached = doc.__dict__.get("_context_inputs")
    if cached is not None and cached[0] is model:
        return cached[1]
    if lower is None or seg is None:
        lower, seg = [t.lower for t in doc.tokens], sentence_numbers(doc)
    inputs = (lower, seg, model.token_ids(lower))
    doc.__dict__["_context_inputs"] = (model, inputs)
    return inputs


def _model_columns(stats: HealthStats, doc: Doc, lower: list[str], seg: np.ndarray, pos: np.ndarray,
                   left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``CONTEXT_FEATURES``; 0.0 throughout without a context model (a constant the tagger
    learns to ignore: a column that is NaN throughout cannot be binned). ``left`` and
    ``right``: the neighbours' vocabulary ids (-1: none in the sentence, or unknown)."""
    model = stats.context
    if model is None:
        return np.zeros((len(CONTEXT_FEATURES), len(pos)))
    after, before = stats.top_fillers(FILLERS)
    alternatives = np.concatenate([
        np.where(left[:, None] >= 0, after[np.maximum(left, 0)], -1),
        np.where(right[:, None] >= 0, before[np.maximum(right, 0)], -1),
    ], axis=1) if len(after) else np.zeros((len(pos), 0), dtype=np.int64)
    own = np.fromiter((stats.index.get(lower[k], -1) for k in pos), dtype=np.int64, count=len(pos))
    alternatives = np.where(alternatives == own[:, None], -1, alternatives)
    _, _, ids = _context_inputs(doc, model, lower, seg)
    return model.columns(lower, seg, pos, alternatives, stats.context_table(), ids=ids).T


def context_vectors(doc: Doc, positions: Sequence[int], stats: HealthStats) -> np.ndarray | None:
    """The context model's context vectors of the slots of tokens ``positions`` (one row
    each, ``ContextModel.context_vectors``); None without a context model."""
    model = stats.context
    if model is None:
        return None
    _, seg, ids = _context_inputs(doc, model)
    return model.context_vectors(ids, seg, np.asarray(positions, dtype=np.int64))


def slot_scores(stats: HealthStats, h: np.ndarray, words: np.ndarray) -> np.ndarray:
    """How likely the context model finds each of the statistics' vocabulary words
    ``words`` in the slot whose context vector is ``h`` (``context_vectors``): log
    P(word | context) up to the slot's normaliser, -inf for a word without a vector or
    not suggestible (the rows of ``context_table``, built once)."""
    out, bias = stats.context_table()
    return out[words] @ h + bias[words]


def page_context_medians(doc: Doc, positions: Sequence[int], X: np.ndarray,
                         stats: HealthStats) -> tuple[float, float]:
    """The page's median log P(word | context) over its candidate words (from ``X``, their
    ``token_features``) and over its other words (function words, short words), or NaN.

    Document signals for the classifier. The tagger's features are relative to their page,
    and a page a spinner has swapped one word in five of moves its own median: a spun
    word then stands out less. The two medians show it. On clean NIH and Cochrane text
    the candidates' median is about -5.4 and the other words' -2.1; on news -10.5 and
    -4.3 (another register: both low); spun at 20 swaps per 100 words, -7.8 and -2.7
    (the content words unlikely, the grammar around them intact).
    """
    model = stats.context
    if model is None:
        return float("nan"), float("nan")
    lp = X[:, TOKEN_FEATURES.index("context_logp")]
    lp = lp[np.isfinite(lp)]
    lower, seg, ids = _context_inputs(doc, model)
    chosen = np.zeros(len(lower), dtype=bool)
    chosen[np.asarray(positions, dtype=np.int64)] = True
    other = np.flatnonzero(~chosen & (ids < model.V))
    olp = model.columns(lower, seg, other, ids=ids)[:, 0] if len(other) else np.zeros(0)
    olp = olp[np.isfinite(olp)]
    return (float(np.median(lp)) if len(lp) else float("nan"),
            float(np.median(olp)) if len(olp) else float("nan"))


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


def sentence_numbers(doc: Doc) -> np.ndarray:
    """Per token, the number of sentence ends (``_breaks``) before it: the sentence it is in."""
    toks = doc.tokens
    return np.cumsum([0] + [_breaks(doc.text, toks[k - 1].end, toks[k].start) for k in range(1, len(toks))])


def _breaks(text: str, lo: int, hi: int) -> bool:
    """True when the gap between two tokens ends a sentence or a line."""
    gap = text[lo:hi]
    return any(ch in ".!?;:\n" for ch in gap)


__all__ = ["FAR", "STOPWORDS", "TOKEN_FEATURES", "HealthStats", "candidate_positions", "context_vectors",
           "page_context_medians", "slot_scores", "token_features"]

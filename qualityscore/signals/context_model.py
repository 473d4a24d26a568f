"""A small neural model of words in context: how likely is this word *here*?

The spin tagger's other evidence looks at a word and its immediate neighbours: counts of
pairs and slots in clean health text, bigrams of general English, word vectors. "this
situation has" for "this condition has" passes all of them: a fluent pair, in a slot many
words fill. Only a model of the whole context says that "situation" is an unlikely filler.

The model (trained by ``model/context_training.py`` at ``qualityscore train``, from
clean NIH and Cochrane text, stored in the model bundle with the health statistics):

* the packaged GloVe vectors (``qualityscore/wordvectors``) of the ``WINDOW`` tokens on
  each side, within the sentence (three learned rows stand for a word without a vector, a
  number, and nothing), concatenated → ``hidden`` ReLU units → a context vector ``h``;
* each word's output vector is ``glove[w] @ A`` plus a learned correction for words the
  training text used, and a bias; a word training never saw still gets a score through
  its GloVe vector;
* trained to be self-normalised, and a linear fit of the remaining log normaliser on
  ``h``, so that log P(word | context) costs one dot product, not a sum over the
  vocabulary.

Six features per candidate word (``CONTEXT_FEATURES``): log P(word | context), that minus
the word's general-English log frequency, and both minus their median over the page's
candidate words. The relative pair is what carries across registers: a model of NIH text
finds most words of a news page unlikely, but on its own page a spun word still stands
out and a news word does not. And the *best-alternative gap*: among the words clean
health text puts right after the left neighbour or right before the right one (the
``FILLERS`` commonest of each), how much more likely the model finds the best one here
than the word itself, and that minus its page median. It needs no normaliser (both
scores share the context), and it does not move when a spinner has swapped much of the
page. NaN for a word without a vector (the gap also without such neighbours), and
everywhere when the bundle has no context model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..wordvectors import WordVectors, digest_array, require_vectors

CONTEXT_FEATURES: tuple[str, ...] = (
    "context_logp", "context_pmi", "context_logp_rel", "context_pmi_rel", "context_best_gap", "context_best_gap_rel",
)
# Slot fillers per neighbour that the best-alternative gap compares the word with.
FILLERS = 32
WINDOW = 4
OFFSETS: tuple[int, ...] = tuple(o for o in range(-WINDOW, WINDOW + 1) if o != 0)
# Positions scored together: a page with more candidate words is scored a block at a time.
ROWS_PER_BLOCK = 2048
# Rows after the word vectors in the input table.
UNKNOWN, NUMBER, PAD = 0, 1, 2
PREFIX = "context."


@dataclass
class ContextModel:
    """The trained arrays (float32 unless noted). ``vectors``: the word vectors it reads."""

    vectors: WordVectors
    special: np.ndarray  # (3, dim_in): unknown word, number, padding
    W1: np.ndarray  # (len(OFFSETS) * dim_in, hidden)
    b1: np.ndarray
    W2: np.ndarray  # (hidden, dim)
    b2: np.ndarray
    A: np.ndarray  # (dim_in, dim): output vector of a word from its word vector
    R_ids: np.ndarray  # int64, sorted: vocabulary rows with a learned correction
    R: np.ndarray  # (len(R_ids), dim) int8, times R_scale per row
    R_scale: np.ndarray
    bias: np.ndarray  # (V,) float16
    general_logp: np.ndarray  # (V,) float16: log of the word's general-English frequency
    log_z: np.ndarray  # (dim + 1,): log normaliser ~ h @ log_z[:-1] + log_z[-1]
    # How it was trained (set by the trainer, recorded in the model card; not stored here).
    training: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._special = self.special.astype(np.float32)
        self.V = len(self.vectors.vocab)
        self._bias = self.bias.astype(np.float32)
        self._glogp = self.general_logp.astype(np.float32)
        self._Rf = self.R.astype(np.float32) * self.R_scale[:, None].astype(np.float32)
        self._r_row = np.full(self.V, -1, dtype=np.int64)  # word -> its row of R (-1: none)
        self._r_row[self.R_ids] = np.arange(len(self.R_ids))

    # -- storage -------------------------------------------------------------------------
    def to_plain(self) -> dict[str, np.ndarray]:
        """Arrays under ``context.*`` keys, stored with the health statistics."""
        names = ("special", "W1", "b1", "W2", "b2", "A", "R_ids", "R", "R_scale", "bias", "general_logp", "log_z")
        out = {PREFIX + k: np.asarray(getattr(self, k)) for k in names}
        out[PREFIX + "vectors_digest"] = digest_array(self.vectors)
        return out

    @classmethod
    def from_plain(cls, data: dict[str, object], vectors: WordVectors | None) -> ContextModel | None:
        """None when ``data`` holds no context model. Raises ValueError when it was
        trained on other word vectors than ``vectors``."""
        if PREFIX + "W1" not in data:
            return None
        vectors = require_vectors(data[PREFIX + "vectors_digest"], vectors, "the context model")
        kw = {k[len(PREFIX):]: np.asarray(v) for k, v in data.items()
              if k.startswith(PREFIX) and k != PREFIX + "vectors_digest"}
        return cls(vectors=vectors, **kw)  # type: ignore[arg-type]

    # -- scoring -------------------------------------------------------------------------
    def token_ids(self, lower: Sequence[str]) -> np.ndarray:
        return token_ids(lower, self.vectors)

    def inputs(self, c: np.ndarray) -> np.ndarray:
        """Input rows for an array of context ids (``contexts``): the word vectors, and the
        learned special rows for ids past the vocabulary. Gathered without stacking a copy
        of the vocabulary's vectors."""
        x = self.vectors.rows(np.minimum(c, self.V - 1))
        special = c >= self.V
        if special.any():
            x[special] = self._special[c[special] - self.V]
        return x

    def hidden(self, ids: np.ndarray, seg: np.ndarray, pos: np.ndarray) -> np.ndarray:
        if len(pos) > ROWS_PER_BLOCK:  # a huge page: bounded memory (the same rows either way)
            return np.concatenate([self.hidden(ids, seg, pos[i : i + ROWS_PER_BLOCK])
                                   for i in range(0, len(pos), ROWS_PER_BLOCK)])
        x = self.inputs(contexts(ids, seg, pos, self.V + PAD)).reshape(len(pos), -1)
        return np.maximum(x @ self.W1 + self.b1, 0) @ self.W2 + self.b2

    def output_vectors(self, words: np.ndarray) -> np.ndarray:
        out = self.vectors.rows(words) @ self.A
        r = self._r_row[words]
        has = r >= 0
        out[has] += self._Rf[r[has]]
        return out

    def log_prob(self, h: np.ndarray, words: np.ndarray) -> np.ndarray:
        """log P(word | context) for vocabulary rows ``words`` with context vectors ``h``."""
        score = np.einsum("ij,ij->i", h, self.output_vectors(words)) + self._bias[words]
        return score - (h @ self.log_z[:-1] + self.log_z[-1])

    def context_vectors(self, ids: np.ndarray, seg: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The context vectors ``h`` of the slots of tokens ``pos`` (``ids``, ``seg``: the
        page's ``token_ids`` and sentence numbers), one row each. A word's score in a slot
        is its output vector times ``h`` plus its bias: log P(word | context) up to the
        slot's normaliser."""
        with one_blas_thread():
            return self.hidden(ids, seg, pos)

    def columns(self, lower: Sequence[str], seg: np.ndarray, pos: np.ndarray,
                alternatives: np.ndarray | None = None, table: tuple[np.ndarray, np.ndarray] | None = None,
                *, ids: np.ndarray | None = None) -> np.ndarray:
        """``CONTEXT_FEATURES`` for token positions ``pos`` of a document whose lower-case
        tokens are ``lower`` and whose sentence number per token is ``seg`` (``ids``: their
        ``token_ids``, when the caller has them).

        The last two need ``alternatives`` (per position, rows of ``table`` = (output
        vectors, biases) that could fill the slot instead; -1 for none): how much more the
        model expects the best of them than the word (the normaliser cancels), and that
        minus its page median. NaN without them.

        The matrix products run on one BLAS thread (``one_blas_thread``)."""
        with one_blas_thread():
            return self._columns(lower, seg, pos, alternatives, table, ids)

    def _columns(self, lower: Sequence[str], seg: np.ndarray, pos: np.ndarray,
                 alternatives: np.ndarray | None, table: tuple[np.ndarray, np.ndarray] | None,
                 ids: np.ndarray | None) -> np.ndarray:
        out = np.full((len(pos), len(CONTEXT_FEATURES)), np.nan)
        if not len(pos):
            return out
        ids = self.token_ids(lower) if ids is None else ids
        known = ids[pos] < self.V
        if not known.any():
            return out
        p = pos[known]
        w = ids[p]
        alt = alternatives[known] if alternatives is not None and table is not None and alternatives.shape[1] else None
        # A huge page is scored a block of positions at a time: the alternatives' output
        # vectors alone are 64 x 128 floats a position (32 KB), 6.5 GB for a page of 200,000
        # words at once. Every row is computed the same way whatever the block.
        parts = [self._log_probs(ids, seg, p[i : i + ROWS_PER_BLOCK], w[i : i + ROWS_PER_BLOCK],
                                 None if alt is None else alt[i : i + ROWS_PER_BLOCK], table)
                 for i in range(0, len(p), ROWS_PER_BLOCK)]
        lp, gap = (np.concatenate(c) for c in zip(*parts, strict=True))
        pmi = lp - self._glogp[w]
        with np.errstate(invalid="ignore"):  # -inf where no alternative has a vector
            rel = gap - np.nanmedian(gap) if np.isfinite(gap).any() else gap
        out[known] = np.column_stack([lp, pmi, lp - np.median(lp), pmi - np.median(pmi), gap, rel])
        return out


    def _log_probs(self, ids: np.ndarray, seg: np.ndarray, p: np.ndarray, w: np.ndarray,
                   alt: np.ndarray | None, table: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
        """log P(word | context) at positions ``p`` (words ``w``), and the best-alternative
        gap (NaN without ``alt``, the alternatives' rows of ``table``, or where none has one)."""
        h = self.hidden(ids, seg, p)
        own = np.einsum("ij,ij->i", h, self.output_vectors(w)) + self._bias[w]
        lp = own - (h @ self.log_z[:-1] + self.log_z[-1])
        gap = np.full(len(p), np.nan)
        if alt is not None and table is not None:
            valid = alt >= 0
            safe = np.maximum(alt, 0)
            scores = np.einsum("pkd,pd->pk", table[0][safe], h) + table[1][safe]
            scores[~valid] = -np.inf
            has = valid.any(axis=1)
            gap[has] = scores[has].max(axis=1) - own[has]
        return lp, gap


def one_blas_thread():  # type: ignore[no-untyped-def]
    """A context in which NumPy's BLAS runs on one thread (threadpoolctl).

    A page's matrices are small: on two threads OpenBLAS took the same wall time and twice
    the CPU (13 ms a MedQuAD page either way, 26 against 14 ms of CPU). And the thread
    count changes the float32 sums in the last digits, so without this a page's features
    would depend on the caller: a batch worker (one thread), the library (all cores) and
    a training worker would each give slightly different numbers for the same page.
    Safe from many threads at once (``qualityscore/threads.py``).
    """
    from ..threads import one_thread

    return one_thread("blas")


def token_ids(lower: Sequence[str], vectors: WordVectors) -> np.ndarray:
    """Input rows of lower-case tokens: the word's vector row, or ``V + NUMBER`` /
    ``V + UNKNOWN`` (``V``: the vectors' vocabulary size)."""
    index = vectors.index
    V = len(vectors.vocab)
    return np.fromiter(
        (V + NUMBER if w[:1].isdigit() else index.get(w, V + UNKNOWN) for w in lower),
        dtype=np.int64, count=len(lower),
    )


def contexts(ids: np.ndarray, seg: np.ndarray, pos: np.ndarray, pad: int) -> np.ndarray:
    """Per position, the input rows of the ``OFFSETS`` neighbours (``pad`` across a
    sentence end or past the document's edge)."""
    n = len(ids)
    out = np.full((len(pos), len(OFFSETS)), pad, dtype=np.int64)
    for j, o in enumerate(OFFSETS):
        q = np.clip(pos + o, 0, n - 1)
        ok = (pos + o >= 0) & (pos + o < n) & (seg[q] == seg[pos])
        out[:, j] = np.where(ok, ids[q], pad)
    return out


__all__ = ["CONTEXT_FEATURES", "FILLERS", "OFFSETS", "WINDOW", "ContextModel", "contexts", "one_blas_thread", "token_ids"]

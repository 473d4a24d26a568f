"""The fitted model as plain arrays, scored with NumPy alone: the runtime model file.

Why: loading the skops file needs skops, and importing skops imports every scikit-learn
estimator (``skops.io._trusted_types`` calls ``sklearn.utils.all_estimators``): about
1.8 s before the first page is read, against an issue target of 1.5 x the import of
``sklearn.linear_model`` for a whole ``qualityscore score page.txt``. The predictions
themselves are simple (a TF-IDF dot product and sums over small trees), so
``qualityscore train`` also writes the fitted model *compiled* to arrays:

* ``CompiledText``: TF-IDF over words and word pairs (scikit-learn's analyzer rules) and
  the logistic regression's weights;
* ``CompiledTrees``: every tree of a binary HistGradientBoostingClassifier as flat node
  arrays (the signal branch and the spin tagger), walked for all trees at once;
* ``CompiledVote``: the two branches and ``vote.combine``.

The file is a NumPy ``.npz`` archive read with ``allow_pickle=False``: only numbers and
UTF-8 bytes, so loading it cannot run code, with no allow-list to keep. ``compile_*``
refuse models outside what this module reproduces (categorical splits, multi-class,
other analyzers), and ``train`` checks that the compiled model gives the skops model's
probabilities on every training row before it writes either file
(``tests/model/test_runtime.py`` checks the shipped pair again).
"""

from __future__ import annotations

import json
import re
import threading
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RUNTIME_FORMAT = 1
CONTEXT_PREFIX = "context."  # signals/context_model.PREFIX: the context model's arrays
DOMAIN_PREFIX = "domain."  # signals/domain_model.PREFIX: the domain model's arrays
MARKER = "qualityscore_runtime"  # the archive member that identifies a runtime file


def _expit(x: np.ndarray) -> np.ndarray:
    """scipy.special.expit without importing scipy (same formula on each side of 0)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out


# -- trees -----------------------------------------------------------------------------
# Rows walked together by CompiledTrees (about 50 MB of walker arrays for 200 trees).
ROWS_PER_BLOCK = 4096


@dataclass
class CompiledTrees:
    """A binary HistGradientBoostingClassifier's trees, concatenated."""

    feature: np.ndarray  # int64 per node
    threshold: np.ndarray  # float64 per node: go left when x <= threshold
    missing_left: np.ndarray  # bool per node: where NaN goes
    left: np.ndarray  # int64 per node (global index)
    right: np.ndarray
    is_leaf: np.ndarray  # bool
    value: np.ndarray  # float64 (leaf value)
    roots: np.ndarray  # int64 per tree
    baseline: float
    depth: int  # the deepest leaf, for inspection only: the walkers stop at leaves
    n_features: int

    def __post_init__(self) -> None:
        # [left, right] of each node side by side: one gather picks the child.
        self._children = np.column_stack([self.left, self.right]).ravel()

    def raw(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got shape {X.shape}")
        if X.shape[0] <= ROWS_PER_BLOCK:
            return self._raw(X)
        # A page of a million characters has 10^5 candidate words: walking them all at once
        # would hold several int64 arrays of rows x trees (over a gigabyte).
        return np.concatenate([self._raw(X[i : i + ROWS_PER_BLOCK])
                               for i in range(0, X.shape[0], ROWS_PER_BLOCK)])

    def _raw(self, X: np.ndarray) -> np.ndarray:
        n, n_trees = X.shape[0], len(self.roots)
        flat = np.ascontiguousarray(X).ravel()
        # One walker per (row, tree), advanced together one level at a time; walkers that
        # reach a leaf drop out, so the work is the paths' total length, not n x T x depth.
        node = np.tile(self.roots, n)
        offset = np.repeat(np.arange(n, dtype=np.int64) * X.shape[1], n_trees)
        active = np.flatnonzero(~self.is_leaf[node])
        while active.size:
            at = node[active]
            x = flat[offset[active] + self.feature[at]]
            go_right = ~((x <= self.threshold[at]) | (np.isnan(x) & self.missing_left[at]))
            nxt = self._children[2 * at + go_right]
            node[active] = nxt
            active = active[~self.is_leaf[nxt]]
        node = node.reshape(n, n_trees)
        values = self.value[node]
        # scikit-learn adds the trees one after another to the baseline; cumsum is the same
        # left-to-right order, so the sums agree to the last bit.
        start = np.full((n, 1), self.baseline, dtype=np.float64)
        return np.cumsum(np.hstack([start, values]), axis=1)[:, -1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = _expit(self.raw(X))
        return np.column_stack([1.0 - p, p])

    @property
    def bias(self) -> float:
        """The log-odds before any split: the baseline plus every tree's root value."""
        return self.baseline + float(self.value[self.roots].sum())

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Each feature's share of each row's log-odds, (rows, features): along a row's
        path through a tree, the change in node value at each split is credited to the
        feature the split reads (Saabas, "Interpreting random forests", 2014). Exact:
        ``bias + contributions(X).sum(axis=1) == raw(X)`` up to rounding. A node's value is
        the tree's output had it stopped there (scikit-learn stores it for every node)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got shape {X.shape}")
        n, n_trees, width = X.shape[0], len(self.roots), X.shape[1]
        flat = np.ascontiguousarray(X).ravel()
        node = np.tile(self.roots, n)
        offset = np.repeat(np.arange(n, dtype=np.int64) * width, n_trees)
        active = np.flatnonzero(~self.is_leaf[node])
        cells, deltas = [], []
        while active.size:
            at = node[active]
            cell = offset[active] + self.feature[at]
            x = flat[cell]
            go_right = ~((x <= self.threshold[at]) | (np.isnan(x) & self.missing_left[at]))
            nxt = self._children[2 * at + go_right]
            cells.append(cell)
            deltas.append(self.value[nxt] - self.value[at])
            node[active] = nxt
            active = active[~self.is_leaf[nxt]]
        if not cells:
            return np.zeros((n, width))
        return np.bincount(np.concatenate(cells), weights=np.concatenate(deltas),
                           minlength=n * width).reshape(n, width)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.feature": self.feature, f"{prefix}.threshold": self.threshold,
            f"{prefix}.missing_left": self.missing_left, f"{prefix}.left": self.left,
            f"{prefix}.right": self.right, f"{prefix}.is_leaf": self.is_leaf,
            f"{prefix}.value": self.value, f"{prefix}.roots": self.roots,
            f"{prefix}.scalars": np.asarray([self.baseline, self.depth, self.n_features], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, a: Any, prefix: str) -> CompiledTrees:
        baseline, depth, n_features = a[f"{prefix}.scalars"].tolist()
        return cls(
            feature=a[f"{prefix}.feature"], threshold=a[f"{prefix}.threshold"],
            missing_left=a[f"{prefix}.missing_left"], left=a[f"{prefix}.left"],
            right=a[f"{prefix}.right"], is_leaf=a[f"{prefix}.is_leaf"], value=a[f"{prefix}.value"],
            roots=a[f"{prefix}.roots"], baseline=float(baseline), depth=int(depth),
            n_features=int(n_features),
        )


def compile_trees(hgb: Any) -> CompiledTrees:
    """Flatten a fitted binary HistGradientBoostingClassifier (numeric splits only)."""
    if getattr(hgb, "n_trees_per_iteration_", None) != 1 or len(hgb.classes_) != 2:
        raise ValueError("only binary HistGradientBoostingClassifier models can be compiled")
    if getattr(hgb, "is_categorical_", None) is not None and np.any(hgb.is_categorical_):
        raise ValueError("categorical splits are not supported by the runtime model")
    if type(hgb._loss).__name__ != "HalfBinomialLoss":
        raise ValueError(f"unsupported loss {type(hgb._loss).__name__}")
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("feature", "threshold", "missing_left", "left", "right", "is_leaf", "value")}
    roots, offset, depth = [], 0, 0
    for (predictor,) in hgb._predictors:
        nodes = predictor.nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported by the runtime model")
        roots.append(offset)
        parts["feature"].append(nodes["feature_idx"].astype(np.int64))
        parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
        parts["missing_left"].append(nodes["missing_go_to_left"].astype(bool))
        parts["left"].append(nodes["left"].astype(np.int64) + offset)
        parts["right"].append(nodes["right"].astype(np.int64) + offset)
        parts["is_leaf"].append(nodes["is_leaf"].astype(bool))
        parts["value"].append(nodes["value"].astype(np.float64))
        depth = max(depth, int(nodes["depth"].max()))
        offset += len(nodes)
    baseline = np.asarray(hgb._baseline_prediction, dtype=np.float64).ravel()
    return CompiledTrees(
        **{k: np.concatenate(v) for k, v in parts.items()},
        roots=np.asarray(roots, dtype=np.int64), baseline=float(baseline[0]), depth=depth,
        n_features=int(hgb.n_features_in_),
    )


# -- words -----------------------------------------------------------------------------
@dataclass
class CompiledText:
    """TfidfVectorizer (word analyzer) + binary LogisticRegression."""

    terms: list[str]
    idf: np.ndarray  # float32 per term
    coef: np.ndarray  # float64 per term
    intercept: float
    token_pattern: str
    lowercase: bool
    ngram_range: tuple[int, int]
    sublinear_tf: bool

    def __post_init__(self) -> None:
        self._index = {t: i for i, t in enumerate(self.terms)}
        self._token = re.compile(self.token_pattern)
        # The last texts' term counts: scoring a page computes its decision, then the
        # evidence behind it (``contributions``), from the same counts. Scorers are shared
        # between threads: the lock keeps the small cache consistent.
        self._recent: dict[str, Counter[int]] = {}
        self._recent_lock = threading.Lock()
        # TF-IDF rows are float32 in scikit-learn: weights in the same precision.
        self._w = self.idf.astype(np.float32)
        self._coef32 = self.coef.astype(np.float32)
        self._intercept32 = np.float32(self.intercept)

    def __getstate__(self) -> dict[str, Any]:
        # Copies and pickles (tests, process pools) carry the model, not the lock or cache.
        state = self.__dict__.copy()
        state.pop("_recent_lock", None)
        state["_recent"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._recent_lock = threading.Lock()

    def _counts(self, text: str) -> Counter[int]:
        with self._recent_lock:
            counts = self._recent.get(text)
        if counts is None:
            counts = self._count(text)
            with self._recent_lock:
                if len(self._recent) >= 64:
                    self._recent.pop(next(iter(self._recent)))
                self._recent[text] = counts
        return counts

    def _count(self, text: str) -> Counter[int]:
        doc = text.lower() if self.lowercase else text
        tokens = self._token.findall(doc)
        lo, hi = self.ngram_range
        index = self._index
        counts: Counter[int] = Counter()
        for n in range(lo, hi + 1):
            if n == 1:
                grams: Sequence[str] = tokens
            else:
                grams = [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
            for g in grams:
                j = index.get(g)
                if j is not None:
                    counts[j] += 1
        return counts

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The logistic regression's decision value per text, computed in scikit-learn's
        order and precision (float32 TF-IDF row, sorted columns, L2 norm summed in float64,
        float32 dot product, as scikit-learn does on float32 rows), so probabilities agree to within float rounding."""
        out = np.empty(len(texts), dtype=np.float64)
        one = np.float32(1.0)
        for r, text in enumerate(texts):
            counts = self._counts(text)
            if not counts:
                out[r] = float(self._intercept32)
                continue
            cols = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
            tf = np.asarray([counts[c] for c in cols.tolist()], dtype=np.float32)
            if self.sublinear_tf:
                tf = np.log(tf) + one
            v = tf * self._w[cols]
            # sklearn.utils.sparsefuncs_fast: float32 squares summed into a double, and
            # each value divided by the double norm, stored back as float32.
            norm = np.sqrt(np.cumsum((v * v).astype(np.float64))[-1])
            if norm > 0:
                v = (v.astype(np.float64) / norm).astype(np.float32)
            # scikit-learn takes the float32 rows' dtype for the dot product too.
            dot = np.cumsum(v * self._coef32[cols], dtype=np.float32)[-1]
            out[r] = float(dot + self._intercept32)
        return out

    def contributions(self, text: str) -> list[tuple[str, float]]:
        """Each term of ``text`` the model knows, with its share of the decision value
        (coefficient x L2-normalised TF-IDF weight, in log-odds; > 0 toward low quality).
        The shares plus the intercept make ``decision`` (to float32 rounding)."""
        counts = self._counts(text)
        if not counts:
            return []
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.asarray([counts[c] for c in cols.tolist()], dtype=np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        v = tf * self.idf[cols].astype(np.float64)
        norm = float(np.sqrt((v * v).sum()))
        if norm > 0:
            v = v / norm
        share = v * self.coef[cols]
        return [(self.terms[c], float(x)) for c, x in zip(cols.tolist(), share.tolist(), strict=True)]

    def locate(self, text: str, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Character span of the first occurrence of each term (one or more tokens) in
        ``text``, in one pass over its tokens; a term not found has no entry."""
        doc = text.lower() if self.lowercase else text
        if len(doc) != len(text):  # lowercasing changed offsets (rare Unicode): no spans
            return {}
        wanted: dict[str, list[tuple[str, ...]]] = {}
        for term in terms:
            words = tuple(term.split(" "))
            wanted.setdefault(words[0], []).append(words)
        tokens = list(self._token.finditer(doc))
        found: dict[str, tuple[int, int]] = {}
        for i, tok in enumerate(tokens):
            for words in wanted.get(tok.group(), ()):
                term = " ".join(words)
                j = i + len(words)
                if term not in found and j <= len(tokens) and all(
                    tokens[i + k].group() == w for k, w in enumerate(words)
                ):
                    found[term] = (tok.start(), tokens[j - 1].end())
            if len(found) == len(terms):
                break
        return found

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Rows of a design matrix (text in column 0) or a sequence of texts."""
        texts = list(X[:, 0]) if isinstance(X, np.ndarray) and X.ndim == 2 else list(X)
        # float32 like scikit-learn's (its expit keeps the float32 decision's dtype).
        p = _expit(self.decision(texts)).astype(np.float32).astype(np.float64)
        return np.column_stack([1.0 - p, p])

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        config = {"token_pattern": self.token_pattern, "lowercase": self.lowercase,
                  "ngram_range": list(self.ngram_range), "sublinear_tf": self.sublinear_tf,
                  "intercept": self.intercept}
        return {
            f"{prefix}.terms": _text_array("\n".join(self.terms)),
            f"{prefix}.idf": self.idf, f"{prefix}.coef": self.coef,
            f"{prefix}.config": _text_array(json.dumps(config, sort_keys=True)),
        }

    @classmethod
    def from_arrays(cls, a: Any, prefix: str) -> CompiledText:
        config = json.loads(_array_text(a[f"{prefix}.config"]))
        terms = _array_text(a[f"{prefix}.terms"])
        return cls(
            terms=terms.split("\n") if terms else [], idf=a[f"{prefix}.idf"], coef=a[f"{prefix}.coef"],
            intercept=float(config["intercept"]), token_pattern=config["token_pattern"],
            lowercase=bool(config["lowercase"]), ngram_range=tuple(config["ngram_range"]),  # type: ignore[arg-type]
            sublinear_tf=bool(config["sublinear_tf"]),
        )


def compile_text(pipeline: Any) -> CompiledText:
    """The word branch: Pipeline(select=ColumnTransformer([tfidf on column 0]), clf=LR)."""
    select, clf = pipeline.named_steps["select"], pipeline.named_steps["clf"]
    transformers = [t for t in select.transformers_ if t[0] != "remainder" or t[1] != "drop"]
    if len(transformers) != 1 or transformers[0][2] not in (0, [0]):
        raise ValueError("the word branch must be one TfidfVectorizer over column 0")
    vec = transformers[0][1]
    if type(vec).__name__ != "TfidfVectorizer":
        raise ValueError(f"unsupported text vectorizer {type(vec).__name__}")
    unsupported = {
        "analyzer": vec.analyzer != "word", "preprocessor": vec.preprocessor is not None,
        "tokenizer": vec.tokenizer is not None, "strip_accents": vec.strip_accents is not None,
        "stop_words": vec.stop_words is not None, "norm": vec.norm != "l2",
        "use_idf": not vec.use_idf, "binary": vec.binary, "input": vec.input != "content",
    }
    bad = [k for k, v in unsupported.items() if v]
    if bad:
        raise ValueError(f"TfidfVectorizer options the runtime does not reproduce: {', '.join(bad)}")
    if len(clf.classes_) != 2 or type(clf).__name__ != "LogisticRegression":
        raise ValueError("the word branch's classifier must be a binary LogisticRegression")
    terms = [""] * len(vec.vocabulary_)
    for term, i in vec.vocabulary_.items():
        terms[int(i)] = term
    if any("\n" in t for t in terms):
        raise ValueError("a vocabulary term contains a newline")
    return CompiledText(
        terms=terms, idf=np.asarray(vec.idf_, dtype=np.float32),
        coef=np.asarray(clf.coef_[0], dtype=np.float64), intercept=float(clf.intercept_[0]),
        token_pattern=vec.token_pattern, lowercase=bool(vec.lowercase),
        ngram_range=tuple(vec.ngram_range), sublinear_tf=bool(vec.sublinear_tf),  # type: ignore[arg-type]
    )


# -- the vote --------------------------------------------------------------------------
@dataclass
class CompiledVote:
    """``vote.EvidenceVote`` compiled: the same ``predict_proba`` over design-matrix rows."""

    text: CompiledText
    signals: CompiledTrees
    text_weight: float
    signal_power: float
    signal_columns: int  # design-matrix columns 1..signal_columns are the signal vector

    def branch_probabilities(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p_text = self.text.predict_proba(X)[:, 1]
        p_signals = self.signals.predict_proba(np.asarray(X[:, 1 : 1 + self.signal_columns], dtype=np.float64))[:, 1]
        return p_text, p_signals

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p_text, p_signals = self.branch_probabilities(X)
        lin = self.text_weight * p_text + (1.0 - self.text_weight) * p_signals
        p = 1.0 - (1.0 - lin) * (1.0 - p_signals**self.signal_power)
        return np.column_stack([1.0 - p, p])

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            **self.text.arrays("model.text"), **self.signals.arrays("model.signals"),
            "model.vote": np.asarray([self.text_weight, self.signal_power, self.signal_columns], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, a: Any) -> CompiledVote:
        w, k, cols = a["model.vote"].tolist()
        return cls(CompiledText.from_arrays(a, "model.text"), CompiledTrees.from_arrays(a, "model.signals"),
                   float(w), float(k), int(cols))


def compile_model(model: Any) -> CompiledVote:
    """Compile a fitted ``vote.EvidenceVote`` (the shipped design)."""
    if type(model).__name__ != "EvidenceVote":
        raise ValueError(f"only the two-branch EvidenceVote can be compiled, not {type(model).__name__}")
    sig = model.signals_
    select, clf = sig.named_steps["select"], sig.named_steps["clf"]
    cols = list(select.transformers_[0][2])
    if cols != list(range(1, 1 + len(cols))):
        raise ValueError("the signal branch must read design-matrix columns 1..n in order")
    return CompiledVote(compile_text(model.text_), compile_trees(clf), float(model.text_weight),
                        float(model.signal_power), len(cols))


# -- the file --------------------------------------------------------------------------
def _text_array(s: str) -> np.ndarray:
    return np.frombuffer(s.encode("utf-8"), dtype=np.uint8)


def _array_text(a: np.ndarray) -> str:
    return np.asarray(a, dtype=np.uint8).tobytes().decode("utf-8")


def is_runtime_file(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return f"{MARKER}.npy" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def save_runtime(path: Path, *, model: CompiledVote, tagger: CompiledTrees | None,
                 metadata: dict[str, Any], spin_resources: dict[str, Any],
                 health_stats: dict[str, Any]) -> None:
    arrays: dict[str, np.ndarray] = {
        MARKER: np.asarray([RUNTIME_FORMAT], dtype=np.int64),
        "metadata_json": _text_array(json.dumps(metadata, sort_keys=True)),
        "spin_resources_json": _text_array(json.dumps(spin_resources, sort_keys=True)),
        **model.arrays(),
    }
    if tagger is not None:
        arrays.update(tagger.arrays("tagger"))
    if health_stats:
        arrays["stats.vocab"] = _text_array("\n".join(health_stats["vocab"]))
        for k in ("counts", "pair_keys", "pair_counts", "left_max", "right_max"):
            arrays[f"stats.{k}"] = np.asarray(health_stats[k], dtype=np.int64)
        arrays["stats.total"] = np.asarray([health_stats["total"]], dtype=np.int64)
        for k, v in health_stats.items():
            if k.startswith(("slot.", "words.")):  # the slot-context tables
                arrays[f"stats.{k}"] = np.asarray(v, dtype=np.int64)
            elif k.startswith((CONTEXT_PREFIX, DOMAIN_PREFIX)):  # learned models, in their own dtypes
                arrays[f"stats.{k}"] = np.asarray(v)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    tmp.replace(path)


def load_runtime(path: Path) -> dict[str, Any]:
    """The parts of a runtime file; raises ValueError/KeyError/OSError on a bad file."""
    with np.load(path, allow_pickle=False) as a:
        fmt = int(a[MARKER][0])
        if fmt != RUNTIME_FORMAT:
            raise ValueError(f"runtime format {fmt}; this qualityscore reads format {RUNTIME_FORMAT}")
        names = set(a.files)
        stats: dict[str, Any] = {}
        if "stats.vocab" in names:
            vocab = _array_text(a["stats.vocab"])
            stats = {"vocab": vocab.split("\n") if vocab else [],
                     **{k: a[f"stats.{k}"] for k in ("counts", "pair_keys", "pair_counts", "left_max", "right_max")},
                     "total": int(a["stats.total"][0]),
                     **{k[len("stats."):]: a[k] for k in names if k.startswith(("stats.slot.", "stats.words.", "stats." + CONTEXT_PREFIX,
                                                                             "stats." + DOMAIN_PREFIX))}}
        return {
            "metadata": json.loads(_array_text(a["metadata_json"])),
            "spin_resources": json.loads(_array_text(a["spin_resources_json"])),
            "model": CompiledVote.from_arrays(a),
            "spin_tagger": CompiledTrees.from_arrays(a, "tagger") if "tagger.roots" in names else None,
            "health_stats": stats,
        }

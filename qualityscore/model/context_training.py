"""Train the context model (``signals/context_model.py``) with NumPy alone.

A window network over frozen word vectors, trained by sampled softmax: for each batch,
``negatives`` words drawn by general-English frequency^0.75 stand in for the vocabulary
(their logits corrected by the log of their sampling rate), with Adam on the dense
weights and a lazy (touched rows only) Adam on the per-word corrections and biases.

Self-normalisation: the batch's estimate of each context's log normaliser is pushed
towards 0 (``self_normalise``, the weight of its square in the loss; Devlin et al. 2014),
and a linear fit of the exact log normaliser on the context vector, over the whole
vocabulary for a sample of the training contexts, takes out what is left. Scoring then
needs one dot product per word.

Deterministic for a seed, the training text and the BLAS thread count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..signals.context_model import OFFSETS, PAD, ContextModel, contexts, token_ids
from ..signals.spin_model import sentence_numbers
from ..text import Doc
from ..wordvectors import WordVectors


def text_ids(text: str, vectors: WordVectors) -> tuple[np.ndarray, np.ndarray]:
    """Input rows of ``text``'s tokens and each token's sentence number, as the tagger's
    features see them."""
    doc = Doc(text)
    return token_ids([t.lower for t in doc.tokens], vectors), sentence_numbers(doc)


def training_examples(texts: Sequence[str], vectors: WordVectors) -> tuple[np.ndarray, np.ndarray]:
    """(contexts, target word) for every token with a word vector."""
    V = len(vectors.vocab)
    xs, ys = [], []
    for text in texts:
        ids, seg = text_ids(text, vectors)
        pos = np.flatnonzero(ids < V)
        if len(pos):
            xs.append(contexts(ids, seg, pos, V + PAD))
            ys.append(ids[pos])
    if not ys:
        return np.zeros((0, len(OFFSETS)), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.vstack(xs), np.concatenate(ys)


class _Adam:
    def __init__(self, shape: tuple[int, ...], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.m = np.zeros(shape, dtype=np.float32)
        self.v = np.zeros(shape, dtype=np.float32)
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps

    def step(self, param: np.ndarray, grad: np.ndarray, t: int, rows: np.ndarray | None = None) -> None:
        """One update; with ``rows``, only those rows (``grad`` holds just them)."""
        m, v = (self.m, self.v) if rows is None else (self.m[rows], self.v[rows])
        m = self.b1 * m + (1 - self.b1) * grad
        v = self.b2 * v + (1 - self.b2) * grad * grad
        step = (self.lr * np.sqrt(1 - self.b2**t) / (1 - self.b1**t)) * m / (np.sqrt(v) + self.eps)
        if rows is None:
            self.m[...], self.v[...] = m, v
            param -= step
        else:
            self.m[rows], self.v[rows] = m, v
            param[rows] -= step


def _row_sums(ids: np.ndarray, grads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``ids`` and the sum of ``grads`` rows per id."""
    from scipy.sparse import csr_matrix

    uniq, inv = np.unique(ids, return_inverse=True)
    m = csr_matrix((np.ones(len(ids), dtype=grads.dtype), (inv, np.arange(len(ids)))), shape=(len(uniq), len(ids)))
    return uniq, np.asarray(m @ grads)


DENSE = ("special", "W1", "b1", "W2", "b2", "A")


@dataclass
class Params:
    """What training updates (``glove`` and ``r_row`` stay fixed): see ``ContextModel``.
    ``R`` holds a row per word with a correction, ``r_row[w]`` its row (-1: none)."""

    glove: np.ndarray
    special: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    A: np.ndarray
    R: np.ndarray
    r_row: np.ndarray
    bias: np.ndarray

    def output_vectors(self, w: np.ndarray) -> np.ndarray:
        o = self.glove[w] @ self.A
        r = self.r_row[w]
        has = r >= 0
        o[has] += self.R[r[has]]
        return o


def batch_gradients(p: Params, xb: np.ndarray, yb: np.ndarray, neg: np.ndarray, log_kq: np.ndarray,
                    self_normalise: float) -> tuple[float, dict]:  # type: ignore[type-arg]
    """The batch's mean loss (sampled-softmax cross-entropy plus ``self_normalise`` times
    the squared estimate of log Z) and its gradients: dense arrays for ``DENSE``, and
    ``(rows, sums)`` for ``R`` (rows of ``R``) and ``bias`` (vocabulary rows)."""
    V, dim_in = p.glove.shape
    n = len(yb)
    is_special = xb >= V
    x = p.glove[np.minimum(xb, V - 1)]
    x[is_special] = p.special[xb[is_special] - V]
    x = x.reshape(n, -1)
    z1 = x @ p.W1 + p.b1
    a1 = np.maximum(z1, 0)
    h = a1 @ p.W2 + p.b2
    o_true, o_neg = p.output_vectors(yb), p.output_vectors(neg)
    logits = np.empty((n, 1 + len(neg)), dtype=h.dtype)
    logits[:, 0] = np.einsum("ij,ij->i", h, o_true) + p.bias[yb] - log_kq[yb]
    logits[:, 1:] = h @ o_neg.T + p.bias[neg] - log_kq[neg]
    logits[:, 1:][neg[None, :] == yb[:, None]] = -np.inf  # a sampled word that is the target
    top = logits.max(1, keepdims=True)
    e = np.exp(logits - top)
    s = e.sum(1, keepdims=True)
    log_z = (top + np.log(s))[:, 0]
    loss = float(np.mean(log_z - logits[:, 0] + self_normalise * log_z**2))
    # d loss / d logits: softmax - one-hot, plus 2 * alpha * log_z * softmax; batch mean.
    g = (e / s) * (1 + 2 * self_normalise * log_z)[:, None]
    g[:, 0] -= 1
    g /= n
    g_true, g_neg = g[:, 0], g[:, 1:]
    dh = g_true[:, None] * o_true + g_neg @ o_neg
    d_out = np.vstack([g_true[:, None] * h, g_neg.T @ h])
    words = np.concatenate([yb, neg])
    dz1 = (dh @ p.W2.T) * (z1 > 0)
    dx = (dz1 @ p.W1.T).reshape(n, len(OFFSETS), dim_in)
    d_special = np.zeros_like(p.special)
    if is_special.any():
        np.add.at(d_special, xb[is_special] - V, dx[is_special])
    r = p.r_row[words]
    has = r >= 0
    bias_rows, bias_sums = _row_sums(words, np.concatenate([g_true, g_neg.sum(0)])[:, None])
    return loss, {
        "special": d_special, "W1": x.T @ dz1, "b1": dz1.sum(0), "W2": a1.T @ dh, "b2": dh.sum(0),
        "A": p.glove[words].T @ d_out,
        "R": _row_sums(r[has], d_out[has]),
        "bias": (bias_rows, bias_sums[:, 0]),
    }


def general_log_probs(vocab: Sequence[str]) -> np.ndarray:
    from wordfreq import word_frequency

    freq = np.array([word_frequency(w, "en") for w in vocab], dtype=np.float64) + 1e-9
    return np.log(freq / freq.sum())


def train_context_model(
    texts: Sequence[str],
    vectors: WordVectors,
    *,
    epochs: int = 3,
    hidden: int = 256,
    dim: int = 128,
    batch: int = 512,
    negatives: int = 1024,
    lr: float = 1e-3,
    self_normalise: float = 0.1,
    min_count: int = 2,
    max_examples: int | None = None,
    seed: int = 0,
    log: Callable[[str], None] = lambda _m: None,
) -> ContextModel:
    """Fit the model on ``texts`` (clean health writing). Words used fewer than
    ``min_count`` times get no correction of their own (their GloVe vector decides)."""
    rng = np.random.default_rng(seed)
    X, y = training_examples(texts, vectors)
    if max_examples is not None and len(y) > max_examples:
        keep = np.sort(rng.choice(len(y), size=max_examples, replace=False))
        X, y = X[keep], y[keep]
    V, dim_in = vectors.unit.shape
    glogp = general_log_probs(vectors.vocab)
    q = np.exp(glogp * 0.75)
    q /= q.sum()
    cdf = np.cumsum(q)
    log_kq = np.log(q * negatives).astype(np.float32)

    counts = np.bincount(y, minlength=V)
    R_ids = np.flatnonzero(counts >= min_count)
    r_row = np.full(V, -1, dtype=np.int64)
    r_row[R_ids] = np.arange(len(R_ids))

    def init(shape: tuple[int, int]) -> np.ndarray:
        return (rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])).astype(np.float32)

    p = Params(
        glove=vectors.unit, special=(rng.standard_normal((3, dim_in)) * 0.1).astype(np.float32),
        W1=init((len(OFFSETS) * dim_in, hidden)), b1=np.zeros(hidden, dtype=np.float32),
        W2=init((hidden, dim)) * 0.5, b2=np.zeros(dim, dtype=np.float32), A=init((dim_in, dim)) * 0.5,
        R=np.zeros((len(R_ids), dim), dtype=np.float32), r_row=r_row, bias=glogp.astype(np.float32),
    )
    opt = {k: _Adam(getattr(p, k).shape, lr) for k in DENSE}
    opt_R, opt_b = _Adam(p.R.shape, lr), _Adam(p.bias.shape, lr)
    log(f"context model: {len(y):,} training words, {len(R_ids):,} words with a correction")
    started, t, total = time.time(), 0, 0.0
    for epoch in range(epochs):
        order = rng.permutation(len(y))
        total = 0.0
        for i in range(0, len(y), batch):
            t += 1
            idx = order[i : i + batch]
            neg = np.minimum(np.searchsorted(cdf, rng.random(negatives) * cdf[-1]), V - 1)
            loss, grads = batch_gradients(p, X[idx], y[idx], neg, log_kq, self_normalise)
            total += loss * len(idx)
            for k in DENSE:
                opt[k].step(getattr(p, k), grads[k].astype(np.float32), t)
            rows, sums = grads["R"]
            if len(rows):
                opt_R.step(p.R, sums.astype(np.float32), t, rows)
            rows, sums = grads["bias"]
            opt_b.step(p.bias, sums.astype(np.float32), t, rows)
        log(f"context model: epoch {epoch + 1}/{epochs}, loss {total / max(len(y), 1):.3f} "
            f"({time.time() - started:.0f} s)")

    # Quantise the corrections (int8, one scale per row), then fit log Z on what scoring uses.
    scale = np.abs(p.R).max(1) / 127.0
    scale[scale == 0] = 1.0
    Rq = np.clip(np.round(p.R / scale[:, None]), -127, 127).astype(np.int8)
    model = ContextModel(vectors=vectors, special=p.special, W1=p.W1, b1=p.b1, W2=p.W2, b2=p.b2, A=p.A,
                         R_ids=R_ids, R=Rq, R_scale=scale.astype(np.float32), bias=p.bias.astype(np.float16),
                         general_logp=glogp.astype(np.float16), log_z=np.zeros(dim + 1, dtype=np.float32))
    residual_sd = fit_log_z(model, X, rng=rng, log=log)
    model.training = {
        "words": len(y), "texts": len(texts), "epochs": epochs, "hidden": hidden, "dim": dim,
        "window": len(OFFSETS) // 2, "negatives": negatives, "batch": batch, "learning_rate": lr,
        "self_normalise": self_normalise, "words_with_correction": len(R_ids),
        "final_epoch_loss": round(total / max(len(y), 1), 4) if epochs else None,
        "log_z_residual_sd": residual_sd, "seconds": round(time.time() - started, 1),
    }
    return model


def exact_log_z(model: ContextModel, h: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """log of the sum over the whole vocabulary of exp(score), per context vector."""
    top = np.full(len(h), -np.inf)
    acc = np.zeros(len(h))
    for lo in range(0, model.V, chunk):
        w = np.arange(lo, min(lo + chunk, model.V))
        s = (h @ model.output_vectors(w).T + model._bias[w]).astype(np.float64)
        m = np.maximum(top, s.max(1))
        acc = acc * np.exp(top - m) + np.exp(s - m[:, None]).sum(1)
        top = m
    return top + np.log(acc)


def fit_log_z(model: ContextModel, X: np.ndarray, *, rng: np.random.Generator, sample: int = 4000,
              log: Callable[[str], None] = lambda _m: None) -> float | None:
    """Set ``model.log_z`` to a least-squares fit of the exact log normaliser on ``h``
    over ``sample`` training contexts, and log how far the self-normalised model was.
    Returns the standard deviation of what the fit leaves (None without contexts)."""
    if not len(X):
        return None
    pick = X[rng.choice(len(X), size=min(sample, len(X)), replace=False)]
    x = model.inputs(pick).reshape(len(pick), -1)
    h = np.maximum(x @ model.W1 + model.b1, 0) @ model.W2 + model.b2
    z = exact_log_z(model, h)
    D = np.column_stack([h, np.ones(len(h))]).astype(np.float64)
    coef = np.linalg.solve(D.T @ D + 1e-3 * np.eye(D.shape[1]), D.T @ z)
    model.log_z = coef.astype(np.float32)
    resid = z - D @ coef
    log(f"context model: exact log Z mean {z.mean():.3f}, sd {z.std():.3f}; after the linear fit sd "
        f"{resid.std():.3f} ({len(h)} contexts)")
    return round(float(resid.std()), 4)

"""A small neural model of words in context, as evidence for the spin tagger (issue #3).

The tagger's per-word evidence (frequencies, pair and slot counts, word vectors, English
bigrams) plateaued at span recall 0.39 on ``spin_heldout.py``: "this situation has" for
"this condition has" is a fluent pair in a slot many words fill, and only a model of the
whole context can say that "situation" is an unlikely filler. No such model installs
offline from the registries this project reaches, so this probe trains one:

* a window model: the frozen packaged GloVe vectors of the 4 tokens on each side (within
  the sentence) → 768 ReLU units → a 256-d context vector ``h``;
* each word's output vector is ``A @ glove[w] + R[w]`` with bias ``b[w]`` (``b`` starts
  at the word's general-English log frequency), so a word training never saw still gets
  a score through its GloVe vector;
* sampled softmax over the GloVe vocabulary (4,096 negatives a batch, drawn by general
  English frequency^0.75, log-Q corrected), 3 epochs;
* trained on NIH answers below the tagger's slice (MedQuAD fraction < 0.40) and Cochrane
  abstracts and summaries below the held-out fraction (< 0.65): text that neither the
  tagger, the thresholds' clean pages nor any evaluation reads. It never reads the lexicon.

Four token features are appended to the tagger's (``signals/spin_model.token_features``):
log P(word | context) (normalised over the 30,000 commonest words), that minus the word's
general-English log frequency, and both minus their median over the page's candidate
words. The last two matter: without them the model (trained on NIH text) finds every word
of a news page unlikely, and the tagger's cut, which must hold on clean news, rises until
recall is lower than without the model. Relative to its own page, a spun word still stands
out; a news word on a news page does not.

Not a dependency of qualityscore: training needs torch, in the project's or its own
environment (on this project's machines ``torch==2.13.0`` resolves to a local CPU wheel;
a plain ``torch`` from PyPI pulls several GB of CUDA packages). Scoring with the exported
file is NumPy only. Run from the project root (needs ../shared/data):

    pip install torch==2.13.0
    python evaluation/context_lm.py train [--epochs 3]        # ~10 minutes on 2 cores
    python evaluation/context_lm.py heldout --docs 200 --out /tmp/ctx_heldout.json
    python evaluation/context_lm.py register --out /tmp/ctx_register.json
    python evaluation/context_lm.py cost                      # ms per 600-word page vs scoring

``--log-z linear`` (with ``heldout``, ``register`` or ``cost``) replaces the sum over 30,000
words by a linear fit of log Z on the context vector: a twelfth of the time, most of the gain.

``heldout`` and ``register`` run ``spin_heldout.py`` and ``spin_register.py`` (any of
their options) with the four features in the tagger. The model file
(``evaluation/cache/context_lm.npz``, 130 MB) is not committed. Each command prints
a notice and exits 0 when torch (``train`` only), the model file or the data is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.signals.spin_model import _breaks
from qualityscore.text import Doc
from qualityscore.wordvectors import load_word_vectors

DEFAULT_FILE = Path("evaluation/cache/context_lm.npz")
WINDOW = 4
OFFSETS = [o for o in range(-WINDOW, WINDOW + 1) if o != 0]
NORMALISE_OVER = 30_000  # commonest words (general English) that log Z is summed over
# LM training text: below the tagger's MedQuAD slice and below Cochrane's held-out part.
MEDQUAD_BELOW = 0.40
COCHRANE_BELOW = 0.65


def _ids_and_segments(doc: Doc, index: dict[str, int], unk: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (``unk`` for words without a vector, ``unk + 1`` for numbers) and each
    token's sentence number (sentence ends as the tagger's features see them)."""
    toks = doc.tokens
    ids = np.fromiter((unk + 1 if t.lower[0].isdigit() else index.get(t.lower, unk) for t in toks),
                      dtype=np.int64, count=len(toks))
    breaks = np.zeros(len(toks), dtype=bool)
    for k in range(1, len(toks)):
        breaks[k] = _breaks(doc.text, toks[k - 1].end, toks[k].start)
    return ids, np.cumsum(breaks)


def _contexts(ids: np.ndarray, seg: np.ndarray, pos: np.ndarray, pad: int) -> np.ndarray:
    n = len(ids)
    out = np.full((len(pos), len(OFFSETS)), pad, dtype=np.int64)
    for j, o in enumerate(OFFSETS):
        q = np.clip(pos + o, 0, n - 1)
        ok = (pos + o >= 0) & (pos + o < n) & (seg[q] == seg[pos])
        out[:, j] = np.where(ok, ids[q], pad)
    return out


def training_texts(data_dir: Path) -> list[str]:
    texts = [s.content for s in corpora.medquad(data_dir) if stable_fraction(s.group) < MEDQUAD_BELOW]
    for kind in ("target", "source"):
        texts += [s.content for s in corpora.cochrane(data_dir, kinds=(kind,))
                  if stable_fraction(s.group) < COCHRANE_BELOW]
    return texts


def train(texts: list[str], out: Path, *, epochs: int = 3, batch: int = 1024, negatives: int = 4096,
          seed: int = 0) -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn
    from wordfreq import word_frequency

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = np.random.default_rng(seed)
    wv = load_word_vectors()
    if wv is None:
        raise SystemExit("no packaged word vectors")
    V, dim_in = wv.unit.shape
    xs, ys = [], []
    for text in texts:
        ids, seg = _ids_and_segments(Doc(text), wv.index, V)  # type: ignore[attr-defined]
        pos = np.flatnonzero(ids < V)
        if len(pos):
            xs.append(_contexts(ids, seg, pos, V + 2))
            ys.append(ids[pos])
    X, y = torch.tensor(np.vstack(xs)), torch.tensor(np.concatenate(ys))
    print(f"{len(texts)} texts, {len(y)} training words", flush=True)
    freq = np.array([word_frequency(w, "en") for w in wv.vocab], dtype=np.float64) + 1e-9
    general_logp = np.log(freq / freq.sum())
    q = freq**0.75
    q /= q.sum()
    log_q = torch.tensor(np.log(q * negatives), dtype=torch.float32)

    glove = torch.tensor(wv.unit, dtype=torch.float32)
    special = nn.Parameter(torch.randn(3, dim_in) * 0.1)  # unknown word, number, padding
    enc = nn.Sequential(nn.Linear(len(OFFSETS) * dim_in, 768), nn.ReLU(), nn.Linear(768, 256))
    A = nn.Linear(dim_in, 256, bias=False)
    R = nn.Embedding(V, 256, sparse=True)
    nn.init.zeros_(R.weight)
    b = nn.Embedding(V, 1, sparse=True)
    with torch.no_grad():
        b.weight[:, 0] = torch.tensor(general_logp, dtype=torch.float32)

    def output(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return A(glove[w]) + R(w), b(w)[:, 0]

    opt = torch.optim.Adam([special, *enc.parameters(), *A.parameters()], lr=1e-3)
    sparse_opt = torch.optim.SparseAdam([R.weight, b.weight], lr=1e-3)
    started = time.time()
    for epoch in range(epochs):
        order = torch.tensor(rng.permutation(len(y)))
        total = 0.0
        for i in range(0, len(y), batch):
            idx = order[i : i + batch]
            xb, yb = X[idx], y[idx]
            sample = torch.tensor(rng.choice(V, size=negatives, p=q))
            h = enc(torch.cat([glove, special], 0)[xb].reshape(len(xb), -1))
            o_true, b_true = output(yb)
            o_neg, b_neg = output(sample)
            true_logit = (h * o_true).sum(1) + b_true - log_q[yb]
            neg_logit = (h @ o_neg.T + b_neg - log_q[sample]).masked_fill(sample[None, :] == yb[:, None], -1e9)
            loss = F.cross_entropy(torch.cat([true_logit[:, None], neg_logit], 1),
                                   torch.zeros(len(yb), dtype=torch.long))
            opt.zero_grad()
            sparse_opt.zero_grad()
            loss.backward()
            opt.step()
            sparse_opt.step()
            total += float(loss.detach()) * len(yb)
        print(f"epoch {epoch}: sampled-softmax loss {total / len(y):.3f} ({time.time() - started:.0f} s)", flush=True)
    with torch.no_grad():
        out_vectors, bias = output(torch.arange(V))
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(out, table=torch.cat([glove, special], 0).numpy(),
                 W1=enc[0].weight.numpy().T.copy(), b1=enc[0].bias.numpy(),
                 W2=enc[2].weight.numpy().T.copy(), b2=enc[2].bias.numpy(),
                 O=out_vectors.numpy(), b=bias.numpy(), normalise=np.argsort(-general_logp)[:NORMALISE_OVER],
                 general_logp=general_logp.astype(np.float32))
    print(f"wrote {out}")


class ContextLM:
    """The exported model, NumPy only."""

    def __init__(self, path: Path, log_z: str = "exact") -> None:
        self.log_z = log_z
        self.log_z_fit: tuple[np.ndarray, float] | None = None
        with np.load(path) as z:
            self.table, self.W1, self.b1, self.W2, self.b2 = (z[k] for k in ("table", "W1", "b1", "W2", "b2"))
            self.O, self.b, self.general_logp = z["O"], z["b"], z["general_logp"]
            self.O_norm, self.b_norm = z["O"][z["normalise"]].T.copy(), z["b"][z["normalise"]]
        self.V = self.O.shape[0]
        wv = load_word_vectors()
        assert wv is not None and len(wv.vocab) == self.V, "the model was trained on other word vectors"
        self.index = wv.index  # type: ignore[attr-defined]

    def fit_log_z(self, texts: list[str]) -> float:
        """``log_z="linear"``: fit log Z as a linear function of the context vector on
        ``texts`` (the model's own training text), so that scoring needs one dot product per
        word instead of a sum over 30,000 words. Returns the fit's R^2."""
        hs, zs = [], []
        for text in texts:
            doc = Doc(text)
            ids, seg = _ids_and_segments(doc, self.index, self.V)
            pos = np.flatnonzero(ids < self.V)
            if len(pos):
                h = self._hidden(ids, seg, pos)
                hs.append(h)
                zs.append(self._exact_log_z(h))
        H, Z = np.vstack(hs), np.concatenate(zs)
        X = np.column_stack([H, np.ones(len(H))])
        coef = np.linalg.solve(X.T @ X + 1e-3 * np.eye(X.shape[1]), X.T @ Z)
        self.log_z_fit = (coef[:-1].astype(np.float32), float(coef[-1]))
        pred = X @ coef
        return float(1 - ((Z - pred) ** 2).sum() / ((Z - Z.mean()) ** 2).sum())

    def _hidden(self, ids: np.ndarray, seg: np.ndarray, pos: np.ndarray) -> np.ndarray:
        x = self.table[_contexts(ids, seg, pos, self.V + 2)].reshape(len(pos), -1)
        return np.maximum(x @ self.W1 + self.b1, 0) @ self.W2 + self.b2

    def _exact_log_z(self, h: np.ndarray) -> np.ndarray:
        logits = h @ self.O_norm + self.b_norm
        top = logits.max(1)
        return top + np.log(np.exp(logits - top[:, None]).sum(1))

    def features(self, doc: Doc, positions) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Per position: log P(w | context), that minus w's general log frequency, and the
        two minus their page medians. NaN for a word without a vector."""
        out = np.full((len(positions), 4), np.nan)
        if not len(positions):
            return out
        ids, seg = _ids_and_segments(doc, self.index, self.V)
        pos = np.asarray(positions, dtype=np.int64)
        known = ids[pos] < self.V
        if not known.any():
            return out
        pos = pos[known]
        w = ids[pos]
        h = self._hidden(ids, seg, pos)
        if self.log_z == "linear":
            assert self.log_z_fit is not None, "call fit_log_z first"
            log_z = h @ self.log_z_fit[0] + self.log_z_fit[1]
        else:
            log_z = self._exact_log_z(h)
        lp = (h * self.O[w]).sum(1) + self.b[w] - log_z
        pmi = lp - self.general_logp[w]
        out[known] = np.column_stack([lp, pmi, lp - np.median(lp), pmi - np.median(pmi)])
        return out


def _with_features(lm: ContextLM, script: str, argv: list[str]) -> int:
    """Run an evaluation script with the model's four features appended to the tagger's."""
    import qualityscore.model.tagger as tagger_module
    import qualityscore.signals.spin as spin_module
    import qualityscore.signals.spin_model as spin_model

    base = spin_model.token_features

    def token_features(doc, positions, stats, anchors):  # type: ignore[no-untyped-def]
        x = base(doc, positions, stats, anchors)
        return np.column_stack([x, lm.features(doc, positions)]) if len(positions) else np.zeros((0, x.shape[1] + 4))

    sys.path.insert(0, str(Path(__file__).parent))
    module = __import__(script)
    for m in (tagger_module, spin_module, module):
        m.token_features = token_features
    return int(module.main(argv))


def cost(lm: ContextLM, data_dir: Path, pages: int = 100) -> None:
    """Time of the four features against scoring the whole page with the shipped model,
    per 600-word MedQuAD page, measured twice in the same run (one process)."""
    from qualityscore import Scorer
    from qualityscore.signals.spin_model import candidate_positions

    texts = [" ".join(s.content.split()[:600]) for s in corpora.medquad(data_dir) if len(s.content.split()) > 500]
    texts = texts[:pages]
    scorer = Scorer.load()
    scorer.score(texts[0])  # warm caches
    for _ in range(2):
        started = time.perf_counter()
        for text in texts:
            scorer.score(text)
        scoring = time.perf_counter() - started
        started = time.perf_counter()
        for text in texts:
            doc = Doc(text)
            lm.features(doc, candidate_positions(doc))
        features = time.perf_counter() - started
        print(f"scoring {1000 * scoring / len(texts):.1f} ms/page, context features "
              f"{1000 * features / len(texts):.1f} ms/page: {features / scoring:.2f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("train", "heldout", "register", "cost"))
    ap.add_argument("--model-file", type=Path, default=DEFAULT_FILE)
    ap.add_argument("--epochs", type=int, default=3, help="train: passes over the text")
    ap.add_argument("--log-z", choices=("exact", "linear"), default="exact",
                    help="log Z summed over 30,000 words, or a linear fit on the context vector "
                         "(fitted on 300 of the model's training texts)")
    args, rest = ap.parse_known_args(argv)
    if args.command == "train":
        try:
            import torch  # noqa: F401
        except ImportError:
            print("context_lm.py train needs torch (pip install torch==2.13.0, a CPU build); skipped")
            return 0
        data_dir = corpora.data_dir_with("medquad", "cochrane_pls", nothing_to="train on")
        if data_dir is None:
            return 0
        train(training_texts(data_dir), args.model_file, epochs=args.epochs)
        return 0
    if not args.model_file.is_file():
        print(f"no model file {args.model_file}: run `python evaluation/context_lm.py train` first; skipped")
        return 0
    data_dir = corpora.data_dir_with("medquad", "cochrane_pls", nothing_to="measure")
    if data_dir is None:
        return 0
    lm = ContextLM(args.model_file, log_z=args.log_z)
    if args.log_z == "linear":
        texts = training_texts(data_dir)
        r2 = lm.fit_log_z(texts[:: max(1, len(texts) // 300)])
        print(f"log Z as a linear function of the context vector: R^2 {r2:.3f} on its fitting texts")
    if args.command == "cost":
        cost(lm, data_dir)
        return 0
    script = "spin_heldout" if args.command == "heldout" else "spin_register"
    return _with_features(lm, script, rest)


if __name__ == "__main__":
    sys.exit(main())

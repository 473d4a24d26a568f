"""Spin detection on substitution families it has never seen (issue: spun-text detection).

Cross-validation over the lexicon's medical canonical terms: in each fold a fifth of the
terms is left out *entirely* — out of the detector's lexicon, out of the collocates and
attested variants, and out of the spun text the tagger trains on. Clean held-out NIH and
Cochrane text is then spun with only the left-out terms, and we measure:

* span recall: share of inserted substitutions overlapped by any spin finding;
* span recall averaged over the held-out canonical terms (each term weighs the same; a
  few frequent terms give many of the spans);
* suggestion precision: among recalled spans that carry a suggestion, the share whose
  suggestion is the original term;
* document false-positive rate on the untouched originals (any spin finding);
* flagged spans per 2,000 words on the untouched originals;
* per document: the share of spun documents with any spin finding, and the ROC-AUC of the
  tagger's top-5 mean (a threshold-free model feature) between spun and untouched texts;
* what limits recall (``tagger_evidence``): the share of inserted substitutions whose
  most probable word reaches a tagger probability of 0.1, 0.3, 0.5 and 0.7, and a
  *ceiling*: the best span recall the tagger alone reaches within the targets when its
  page gate and threshold are tuned on these very evaluation pages (an upper bound on
  what any choice of operating point can give, not a result), with any cut and with a
  cut of at least 0.5 (training's floor), each with the share of the words it flags on
  spun pages that are substituted; both with the gate on the page's mean probability (the
  first two tiers') and on its highest (the third's);
* finding precision on spun pages: the share of spin findings on the spun texts that
  overlap an inserted substitution (span recall alone would reward flagging every word).

Run from the project root (needs ../shared/data):

    python evaluation/spin_heldout.py [--folds 5] [--docs 300] [--out evaluation/reports/spin_heldout.json]
                                      [--vectors packaged|none|FILE.npz] [--bigrams packaged|none]
                                      [--tagger-negatives medreadme|none] [--news-negatives SHARE]
                                      [--context-model trained|none|FILE.npz]
                                      [--gate-share S] [--flag-budget F] [--strong-share S] [--strong-flags F]
                                      [--peak-share S] [--peak-flags F] [--peak-floor P]
                                      [--dump FILE.pkl]

``--vectors`` compares word-vector files (``evaluation/build_word_vectors.py``) or none
for the tagger's context features, ``--bigrams`` the general-English bigram table
(``evaluation/build_bigrams.py``) or none; ``--tagger-negatives none`` fits the tagger
on NIH text alone (as before MedReadMe's passages were added), ``--news-negatives 0.3``
also fits it on the news articles below that fraction (the rest of the training news
sets the cut); ``--context-model`` is the tagger's model of words in context, trained on
the statistics' text as ``qualityscore train`` does (default, about a minute), none, or
one saved by ``model.resources.save_context_model``. ``--gate-share``/``--flag-budget``
and ``--strong-share``/``--strong-flags`` move the tagger's two operating tiers from
training's (``model/tagger.py``; ``--strong-share 0``: the first tier alone), and
``--peak-share``/``--peak-flags``/``--peak-floor`` the third tier, read off the page's
highest word probability (``--peak-share 0``: without it); ``--seed``
draws other held-out pages and other term folds (seed 1 is where the second tier's
budget was chosen; seed 0 is the reported run). The report names what was used.
``--dump`` also saves every page's tagger probabilities, its findings of other rules and
which word lies in which substitution, per fold, and the training-side clean pages'
probabilities that set the tiers, to replay operating rules offline in seconds
(``evaluation/spin_stacking.py``, ``evaluation/spin_budgets.py``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.resources import health_stats_with, learn_spin_resources
from qualityscore.model.spinner import Spinner
from qualityscore.model.tagger import page_mean, page_peak
from qualityscore.model.train import (
    COCHRANE_HELDOUT_FROM,
    COCHRANE_RESOURCES,
    MEDQUAD_HELDOUT_FROM,
    MEDQUAD_RESOURCES,
    MEDQUAD_TAGGER,
    tagger_clean_texts,
    tagger_summaries,
    train_spin_tagger,
)
from qualityscore.ngrams import load_bigrams, use_bigrams
from qualityscore.page import Page
from qualityscore.signals.spin import Lexicon, SpinSignals, load_lexicon
from qualityscore.signals.spin_model import candidate_positions, token_features
from qualityscore.text import Doc
from qualityscore.wordvectors import WordVectors, load_word_vectors, use_word_vectors

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling module, as the scripts are run
import tagger_options


def _in(s: corpora.Sample, span: tuple[float, float]) -> bool:
    return span[0] <= stable_fraction(s.group) < span[1]


def _auc(pos: list[float], neg: list[float]) -> float | None:
    """P(a spun text's value > an untouched text's), ties counting half."""
    if not pos or not neg:
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg))


def _token_probabilities(res, doc: Doc) -> tuple[np.ndarray, list[int]]:  # type: ignore[no-untyped-def]
    """The tagger's probability for each candidate word of ``doc``, and their positions."""
    pos = candidate_positions(doc)
    if not pos or res.tagger is None:
        return np.zeros(0), pos
    return res.tagger.predict_proba(token_features(doc, pos, res.stats, res.anchors))[:, 1], pos


def tagger_ceiling(
    clean: list[tuple[np.ndarray, int]], spans: list[tuple[float, float, float]], *,
    max_doc_fpr: float = 0.05, max_flags_per_2000: float = 1.0, min_threshold: float = 0.02,
    spun: list[tuple[np.ndarray, np.ndarray]] | None = None, gate_on: str = "mean",
) -> dict[str, float]:
    """Best tagger-only span recall over (page gate, threshold) pairs, tuned on the pages given.

    ``clean``: (token probabilities, words) of untouched pages; ``spans``: per inserted
    substitution, (its page's mean token probability, its page's highest, its best word's
    probability). A pair qualifies when the clean pages it flags stay within both targets;
    the gate compares the page mean, as the first two tiers do, or with ``gate_on="peak"``
    the page's highest probability, as the third does. ``min_threshold``: the lowest cut tried (training never
    sets one below ``tagger.clean_threshold``'s floor, 0.5). ``spun``: per spun page, its
    token probabilities and which tokens lie in an inserted substitution; with it the
    result also gives the share of the words flagged on spun pages that are substituted
    (a low cut on gated pages recalls spans by flagging most of a spun page).
    """
    thresholds = np.round(np.arange(min_threshold, 1.0, 0.01), 2)
    stat = page_mean if gate_on == "mean" else page_peak
    page_stats = np.asarray([stat(p) if len(p) else 0.0 for p, _ in clean])
    words = max(sum(w for _, w in clean), 1)
    # counts[i, j]: words of clean page i at or above thresholds[j].
    counts = np.asarray([len(p) - np.searchsorted(np.sort(p), thresholds, side="left") for p, _ in clean])
    gates = np.unique(np.concatenate([[0.0], page_stats + 1e-12]))
    span_stat = np.asarray([m if gate_on == "mean" else x for m, x, _ in spans])
    span_best = np.asarray([b for _, _, b in spans])
    best = {"span_recall": 0.0, "page_gate": float("nan"), "threshold": float("nan"),
            "doc_fpr": 0.0, "flags_per_2000_words": 0.0}
    for g in gates:
        on = page_stats >= g
        flagged = counts[on]
        fpr = (flagged > 0).sum(axis=0) / max(len(clean), 1)
        flags = 2000 * flagged.sum(axis=0) / words
        ok = (fpr <= max_doc_fpr) & (flags < max_flags_per_2000)
        if not ok.any():
            continue
        t = thresholds[np.argmax(ok)]  # the lowest qualifying threshold recalls the most
        j = int(np.argmax(ok))
        recall = float(((span_stat >= g) & (span_best >= t)).mean()) if len(spans) else 0.0
        if recall > best["span_recall"]:
            best = {"span_recall": recall, "page_gate": float(g), "threshold": float(t),
                    "doc_fpr": float(fpr[j]), "flags_per_2000_words": float(flags[j])}
    if spun is not None and best["span_recall"] > 0:
        g, t = best["page_gate"], best["threshold"]
        hit = [(p >= t) for p, _ in spun if len(p) and stat(p) >= g]
        inside = [m for p, m in spun if len(p) and stat(p) >= g]
        flagged = sum(int(h.sum()) for h in hit)
        best["precision_on_spun_pages"] = (
            sum(int((h & m).sum()) for h, m in zip(hit, inside, strict=True)) / flagged if flagged else None
        )
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--docs", type=int, default=300, help="held-out documents per fold")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/spin_heldout.json"))
    ap.add_argument("--vectors", default="packaged", help="packaged, none, or a vectors .npz file")
    ap.add_argument("--bigrams", default="packaged", choices=("packaged", "none"))
    ap.add_argument("--news-negatives", type=float, default=0.0,
                    help="fit the tagger on clean news below this fraction too (the rest of the news sets the cut)")
    ap.add_argument("--tagger-negatives", default="medreadme", choices=("medreadme", "none"),
                    help="the clean other-register text the tagger learns from, as training does (default), or none")
    ap.add_argument("--context-model", default="trained",
                    help="the tagger's model of words in context: trained (on the statistics' text, as "
                         "training does; about a minute), none, or a file (model.resources.save_context_model)")
    ap.add_argument("--dump", type=Path, default=None,
                    help="also save every page's tagger probabilities (pickle) to replay operating points offline")
    tagger_options.add_options(ap)
    args = ap.parse_args(argv)
    if args.bigrams == "none":
        use_bigrams(None)
    bigrams = load_bigrams()
    if args.vectors != "packaged":
        use_word_vectors(None if args.vectors == "none" else WordVectors.from_file(args.vectors))
    vectors = load_word_vectors()

    data_dir = corpora.data_dir_with("medquad", nothing_to="evaluate")
    if data_dir is None:
        return 0
    t0 = time.time()
    medquad = list(corpora.medquad(data_dir))
    cochrane = list(corpora.cochrane(data_dir))
    abstracts = list(corpora.cochrane(data_dir, kinds=("source",)))
    res_texts = [s.content for s in medquad if _in(s, MEDQUAD_RESOURCES)]
    res_texts += [s.content for s in abstracts if _in(s, COCHRANE_RESOURCES)]
    tag_texts = [s.content for s in medquad if _in(s, MEDQUAD_TAGGER)]
    onestop = list(corpora.onestop(data_dir))
    # The tagger's cut holds on training news too; it learns from clean negatives, as in training.
    news_train, negatives = tagger_clean_texts(data_dir, onestop, negatives=args.tagger_negatives,
                                               news_share=args.news_negatives)
    summaries = tagger_summaries(cochrane)  # training-side summaries: the cut holds on them too
    heldout = [s.content for s in medquad if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    heldout += [s.content for s in cochrane if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]
    from_cochrane = {s.content for s in cochrane}  # for --dump: each page's corpus
    random.Random(args.seed).shuffle(heldout)
    stats = health_stats_with(res_texts, args.context_model)

    lexicon = load_lexicon()
    terms = sorted({e.canonical for e in lexicon.entries if e.kind == "medical"})
    random.Random(args.seed).shuffle(terms)
    folds = [set(terms[i :: args.folds]) for i in range(args.folds)]

    totals = {"spans": 0, "recalled": 0, "with_suggestion": 0, "right_suggestion": 0,
              "docs": 0, "fp_docs": 0, "fp_spans": 0, "words": 0,
              "recalled_by_rule": {}, "spun_docs": 0, "spun_docs_found": 0,
              "spun_findings": 0, "spun_findings_on_spans": 0}
    top5_clean: list[float] = []
    top5_spun: list[float] = []
    # For tagger_evidence: untouched pages' token probabilities, and per substitution its
    # page's mean probability and its best word's (-1 when no word of it is a candidate).
    clean_probs: list[tuple[np.ndarray, int]] = []
    span_probs: list[tuple[float, float]] = []
    spun_probs: list[tuple[np.ndarray, np.ndarray]] = []
    by_term: dict[str, list[int]] = {}  # canonical term -> [spans, recalled]
    # With --dump, per fold: each page's tagger probabilities and word count, its findings of
    # other rules, and on spun pages which candidate word lies in which substitution.
    dump: list[dict[str, list]] = []
    per_fold = []
    for k, held in enumerate(folds):
        lex_k = lexicon.without(held)
        res_k = learn_spin_resources(res_texts, lexicon=lex_k, stats=stats)
        calibration: list = []
        res_k = train_spin_tagger(res_k, tag_texts, seed=args.seed, lexicon=lex_k, other_clean=news_train,
                                  clean_negatives=negatives,
                                  **tagger_options.train_kwargs(args), more_clean=[summaries],
                                  calibration=calibration)
        detector = SpinSignals(lexicon=lex_k, spin_resources=res_k)
        spinner = Spinner(Lexicon.from_entries([e for e in lexicon.entries if e.canonical in held]))
        rng = random.Random(args.seed + k)
        fold = dict.fromkeys(("spans", "recalled", "docs", "fp_docs", "fp_spans", "words"), 0)
        docs = heldout[k * args.docs : (k + 1) * args.docs] or heldout[: args.docs]
        dump.append({"clean": [], "spun": [], "calibration": calibration[0],
                     "tiers": {k2: v for k2, v in res_k.to_plain().items() if k2.startswith("tagger_")}})
        for text in docs:
            clean_doc = Doc(text)
            clean = detector.analyze(clean_doc, Page(text=text))
            fold["docs"] += 1
            fold["words"] += clean_doc.word_count
            fold["fp_spans"] += len(clean.findings)
            fold["fp_docs"] += bool(clean.findings)
            top5_clean.append(clean.features["tagger_top5_mean"])
            clean_probs.append((_token_probabilities(res_k, clean_doc)[0], clean_doc.word_count))
            dump[-1]["clean"].append({"probs": clean_probs[-1][0], "words": clean_doc.word_count,
                                      "corpus": "cochrane_pls" if text in from_cochrane else "medquad",
                                      "other_findings": sum(f.rule != "spin.unlikely_word" for f in clean.findings)})
            spun = spinner.spin(text, rng, medical_rate=1.0, everyday_rate=0.0)
            if not spun.substitutions:
                continue
            spun_doc = Doc(spun.text)
            spun_out = detector.analyze(spun_doc, Page(text=spun.text))
            found = spun_out.findings
            top5_spun.append(spun_out.features["tagger_top5_mean"])
            probs, cand = _token_probabilities(res_k, spun_doc)
            starts = [spun_doc.tokens[q].start for q in cand]
            page_mean = float(probs.mean()) if len(probs) else 0.0
            page_peak = float(probs.max()) if len(probs) else 0.0
            substituted = np.asarray([any(lo <= st < hi for lo, hi, _ in spun.substitutions) for st in starts],
                                     dtype=bool)
            spun_probs.append((probs, substituted))
            dump[-1]["spun"].append({
                "probs": probs, "words": spun_doc.word_count,
                "span_of_word": np.asarray([next((i for i, (lo, hi, _) in enumerate(spun.substitutions)
                                                  if lo <= st < hi), -1) for st in starts], dtype=np.int64),
                "recalled_by_other": [any(f.rule != "spin.unlikely_word" and f.start < hi and lo < f.end
                                          for f in found) for lo, hi, _ in spun.substitutions],
                "canonical": [c for _, _, c in spun.substitutions],
            })
            totals["spun_findings"] += len(found)
            totals["spun_findings_on_spans"] += sum(
                any(f.start < hi and lo < f.end for lo, hi, _ in spun.substitutions) for f in found
            )
            for lo, hi, _ in spun.substitutions:
                inside = [p for p, st in zip(probs.tolist(), starts, strict=True) if lo <= st < hi]
                span_probs.append((page_mean, page_peak, max(inside) if inside else -1.0))
            totals["spun_docs"] += 1
            totals["spun_docs_found"] += bool(found)
            for s, e, canonical in spun.substitutions:
                fold["spans"] += 1
                hits = [f for f in found if f.start < e and s < f.end]
                per_term = by_term.setdefault(canonical, [0, 0])
                per_term[0] += 1
                per_term[1] += bool(hits)
                if not hits:
                    continue
                fold["recalled"] += 1
                rule = hits[0].rule
                totals["recalled_by_rule"][rule] = totals["recalled_by_rule"].get(rule, 0) + 1
                suggested = [f.suggestion for f in hits if f.suggestion]
                if suggested:
                    totals["with_suggestion"] += 1
                    totals["right_suggestion"] += any(
                        sg == canonical or sg in canonical.split() for sg in suggested
                    )
        for key in ("spans", "recalled", "docs", "fp_docs", "fp_spans", "words"):
            totals[key] += fold[key]
        fold_summary = {
            "held_out_terms": len(held),
            "span_recall": fold["recalled"] / max(fold["spans"], 1),
            "doc_fpr": fold["fp_docs"] / max(fold["docs"], 1),
            "flags_per_2000_words": 2000 * fold["fp_spans"] / max(fold["words"], 1),
            "tagger_threshold": res_k.tagger_threshold,
            "page_gate": res_k.tagger_page_gate,
            "strong_gate": res_k.tagger_strong_gate,
            "strong_threshold": res_k.tagger_strong_threshold,
            "peak_gate": res_k.tagger_peak_gate,
            "peak_threshold": res_k.tagger_peak_threshold,
            **fold,
        }
        per_fold.append(fold_summary)
        print(f"fold {k}: {json.dumps({k2: round(v, 3) if isinstance(v, float) else v for k2, v in fold_summary.items()})}",
              file=sys.stderr, flush=True)

    summary = {
        "protocol": f"{args.folds}-fold CV over {len(terms)} medical canonical terms; "
        f"{args.docs} held-out NIH/Cochrane documents per fold, spun with only the held-out terms",
        "span_recall": totals["recalled"] / max(totals["spans"], 1),
        # Every held-out term weighs the same: a few frequent terms ("cancer") give many spans.
        "span_recall_mean_over_terms": float(np.mean([r / n for n, r in by_term.values()])) if by_term else 0.0,
        "terms_with_spans": len(by_term),
        "finding_precision_on_spun_pages": totals["spun_findings_on_spans"] / max(totals["spun_findings"], 1),
        "suggestion_precision": totals["right_suggestion"] / max(totals["with_suggestion"], 1),
        "suggestion_coverage": totals["with_suggestion"] / max(totals["recalled"], 1),
        "doc_fpr": totals["fp_docs"] / max(totals["docs"], 1),
        "flags_per_2000_words": 2000 * totals["fp_spans"] / max(totals["words"], 1),
        "recalled_by_rule": totals["recalled_by_rule"],
        "spun_doc_recall": totals["spun_docs_found"] / max(totals["spun_docs"], 1),
        "top5_mean_auc": _auc(top5_spun, top5_clean),
        "tagger_evidence": {
            "spans_best_word_at_least": {
                str(q): float(np.mean([b >= q for _, _, b in span_probs])) if span_probs else None
                for q in (0.1, 0.3, 0.5, 0.7)
            },
            "ceiling_tuned_on_evaluation": tagger_ceiling(clean_probs, span_probs, spun=spun_probs),
            "ceiling_at_training_floor": tagger_ceiling(clean_probs, span_probs, spun=spun_probs,
                                                        min_threshold=0.5),
            # The same two with the gate on the page's highest probability (the third tier's).
            "ceiling_peak_gate_tuned_on_evaluation": tagger_ceiling(clean_probs, span_probs, spun=spun_probs,
                                                                    gate_on="peak"),
            "ceiling_peak_gate_at_training_floor": tagger_ceiling(clean_probs, span_probs, spun=spun_probs,
                                                                  min_threshold=0.5, gate_on="peak"),
        },
        "word_vectors": vectors.digest if vectors is not None else None,
        "word_vectors_source": args.vectors,
        "bigrams": bigrams.digest if bigrams is not None else None,
        "tagger_negatives": args.tagger_negatives,
        "context_model": args.context_model,
        "news_negatives": args.news_negatives,
        "operating_point": tagger_options.report(args),
        "spans": totals["spans"],
        "docs": totals["docs"],
        "folds": per_fold,
        "seconds": round(time.time() - t0),
        "targets": {"span_recall": ">= 0.80", "doc_fpr": "<= 0.05", "flags_per_2000_words": "< 1"},
    }
    if args.dump is not None:
        import pickle

        args.dump.write_bytes(pickle.dumps({"seed": args.seed, "operating_point": summary["operating_point"],
                                            "folds": dump}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "folds"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


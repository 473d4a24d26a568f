"""Does document-level spin evidence tell a sense-blind swap from an unusual register?

Issue #3's open problem, measured. The lexicon is split in halves by whole canonical term
(as in ``lexicon_holdout.py``); the spin detector (its lexicon, word statistics, learned
collocates and per-token tagger) is built with one half, and held-out NIH/Cochrane texts
are spun with the *other* half only: the spun pages carry swaps the detector has never
seen, and nothing else (no promotion, no HTML). Their document-level spin features are
then compared, by ROC-AUC, with those of real pages written by people:

* the same held-out NIH/Cochrane texts, untouched (the easy comparison);
* Sondhi's reliable pages (plain-text view), HONcode-certified health sites;
* held-out OneStopEnglish news articles (slices training never uses);
* HealthStory stories rated 4-5 stars by expert reviewers.

AUC 1.0 means a feature ranks every spun page above every real page of that set; 0.5 is
chance; below 0.5, real pages look *more* spun than spun ones. The features are the ones
the classifier sees (``spin.*``).

Run from the project root (needs ../shared/data; 1.5 minutes on 2 idle cores). Run it
alone: the tagger's trees predict with OpenMP threads on every core, and two such
evaluation scripts side by side took 30 minutes each instead of 1.5:

    python evaluation/spin_register.py [--docs 400] [--out evaluation/reports/spin_register.json]
                                       [--tagger-negatives medreadme|none] [--news-negatives SHARE]
                                       [--context-model trained|none|FILE.npz]
                                       [--gate-share S] [--flag-budget F] [--strong-share S] [--strong-flags F]
                                       [--peak-share S] [--peak-flags F] [--peak-floor P]

(the options as in ``spin_heldout.py``). The report also gives the share of pages of each
kind with at least one ``spin.unlikely_word`` finding, and each half's operating point.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.evaluate import heldout_clean, heldout_news
from qualityscore.model.features import page_of
from qualityscore.model.resources import health_stats_with, learn_spin_resources
from qualityscore.model.spinner import Spinner
from qualityscore.model.train import (
    COCHRANE_RESOURCES,
    MEDQUAD_RESOURCES,
    MEDQUAD_TAGGER,
    tagger_clean_texts,
    tagger_summaries,
    train_spin_tagger,
)
from qualityscore.page import Page
from qualityscore.signals.spin import Lexicon, SpinSignals, load_lexicon
from qualityscore.text import Doc

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling module, as the scripts are run
import tagger_options

FEATURES = ("substitutions_per_100w", "off_register_per_100w", "off_register_mean",
            "unlikely_words_per_100w", "tagger_top5_mean", "tagger_mean")


def _in(s: corpora.Sample, span: tuple[float, float]) -> bool:
    return span[0] <= stable_fraction(s.group) < span[1]


def _features(detector: SpinSignals, text: str) -> dict[str, float]:
    """The page's spin features, and ``finding``: 1.0 when it carries a ``spin.unlikely_word``
    finding (of any tier; ``unlikely_words_per_100w`` counts the first two tiers' only)."""
    out = detector.analyze(Doc(text), Page(text=text))
    feats = {k: float(out.features[k]) for k in FEATURES}
    feats["finding"] = float(any(f.rule == "spin.unlikely_word" for f in out.findings))
    return feats


def _auc(pos: list[float], neg: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=400, help="held-out NIH/Cochrane texts (half each)")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/spin_register.json"))
    ap.add_argument("--news-negatives", type=float, default=0.0,
                    help="fit the tagger on clean news below this fraction too (the rest of the news sets the cut)")
    ap.add_argument("--tagger-negatives", default="medreadme", choices=("medreadme", "none"),
                    help="the clean other-register text the tagger learns from, as training does (default), or none")
    ap.add_argument("--context-model", default="trained",
                    help="the tagger's model of words in context: trained (on the statistics' text, as "
                         "training does; about a minute), none, or a file (model.resources.save_context_model)")
    tagger_options.add_options(ap)
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("medquad")
    if data_dir is None:
        return 0
    t0 = time.time()
    medquad = list(corpora.medquad(data_dir))
    abstracts = list(corpora.cochrane(data_dir, kinds=("source",)))
    summaries = tagger_summaries(list(corpora.cochrane(data_dir)))
    res_texts = [s.content for s in medquad if _in(s, MEDQUAD_RESOURCES)]
    res_texts += [s.content for s in abstracts if _in(s, COCHRANE_RESOURCES)]
    tag_texts = [s.content for s in medquad if _in(s, MEDQUAD_TAGGER)]
    onestop = list(corpora.onestop(data_dir))
    # The tagger's cut holds on training news too; it learns from clean negatives, as in training.
    news_train, negatives = tagger_clean_texts(data_dir, onestop, negatives=args.tagger_negatives,
                                               news_share=args.news_negatives)
    clean = heldout_clean(data_dir, max_per_corpus=args.docs // 2, medquad=medquad)
    originals = [s.content for s in clean["medquad"] + clean["cochrane_pls"]]
    real = {
        "nih_cochrane_originals": originals,
        "sondhi_reliable": [page_of(s).text for s in corpora.sondhi(data_dir) if s.label == corpora.HIGH],
        "news_heldout": [s.content for s in heldout_news(data_dir)],
        "healthstory_4_5_stars": [s.content for s in corpora.healthstory(data_dir) if (s.rating or 0) >= 4],
    }
    stats = health_stats_with(res_texts, args.context_model)
    lexicon = load_lexicon()
    terms = sorted({e.canonical for e in lexicon.entries})
    halves = [{t for t in terms if zlib.crc32(t.encode()) % 2 == h} for h in (0, 1)]
    per_half = []
    for h, held in enumerate(halves):
        known = lexicon.without(held)
        res = learn_spin_resources(res_texts, lexicon=known, stats=stats)
        res = train_spin_tagger(res, tag_texts, seed=0, lexicon=known, other_clean=news_train,
                                clean_negatives=negatives,
                                **tagger_options.train_kwargs(args), more_clean=[summaries])
        detector = SpinSignals(lexicon=known, spin_resources=res)
        spinner = Spinner(Lexicon.from_entries([e for e in lexicon.entries if e.canonical in held]))
        rng = random.Random(23 + h)
        spun = []
        for text in originals:
            out = spinner.spin(text, rng, medical_rate=0.7, everyday_rate=0.4)
            if out.substitutions:
                spun.append(out.text)
        f_spun = [_features(detector, t) for t in spun]
        f_real = {k: [_features(detector, t) for t in v if t.strip()] for k, v in real.items()}
        names = FEATURES
        row = {
            "held_out_terms": len(held),
            "spun_pages": len(spun),
            "operating_point": {"threshold": res.tagger_threshold, "page_gate": res.tagger_page_gate,
                                "strong_threshold": res.tagger_strong_threshold,
                                "strong_gate": res.tagger_strong_gate,
                                "peak_threshold": res.tagger_peak_threshold,
                                "peak_gate": res.tagger_peak_gate},
            "auc_spun_vs": {k: {n: _auc([f[n] for f in f_spun], [f[n] for f in v]) for n in names}
                            for k, v in f_real.items()},
            "pages_with_tagger_flag": {k: float(np.mean([f["finding"] > 0 for f in v]))
                                       for k, v in {"spun": f_spun, **f_real}.items()},
            "median": {k: {n: float(np.median([f[n] for f in v])) for n in names}
                       for k, v in {"spun": f_spun, **f_real}.items()},
        }
        per_half.append(row)
        print(f"half {h} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)

    names = FEATURES
    summary = {
        "protocol": "detector built with half of the lexicon; held-out NIH/Cochrane texts spun "
                    "with the other half only (medical rate 0.7, everyday 0.4, nothing else); "
                    "ROC-AUC of each document-level feature, spun vs each set of real pages "
                    "(mean of the two halves)",
        "sizes": {"spun": [r["spun_pages"] for r in per_half], **{k: len(v) for k, v in real.items()}},
        "auc_spun_vs": {k: {n: float(np.mean([r["auc_spun_vs"][k][n] for r in per_half])) for n in names}
                        for k in real},
        "pages_with_tagger_flag": {k: float(np.mean([r["pages_with_tagger_flag"][k] for r in per_half]))
                                   for k in ("spun", *real)},
        "tagger_negatives": args.tagger_negatives,
        "context_model": args.context_model,
        "news_negatives": args.news_negatives,
        "operating_point": tagger_options.report(args),
        "halves": per_half,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"{'feature':26s}" + "".join(f"{k[:22]:>24s}" for k in real))
    for n in names:
        print(f"{n:26s}" + "".join(f"{summary['auc_spun_vs'][k][n]:24.3f}" for k in real))
    print("pages with a tagger flag: " + ", ".join(
        f"{k} {v:.3f}" for k, v in summary["pages_with_tagger_flag"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

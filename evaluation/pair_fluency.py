"""Which page-level spin signal tells heavy thesaurus spin from real pages of any register?

The spin tagger measures each word against clean NIH and Cochrane text, and against the
page's own median. When a spinner swaps a word in five the page's median moves with the
swaps, and the tagger's findings thin out (``foreign_spinner.py``: pages with a finding
fall from 77% at 10 swaps per 100 words to 62% at 20). The page medians of the model of
words in context (``spin.context_logp_median*``) do drop on such pages, but they drop for
news and for ordinary health sites as well: a model of NIH text finds their words unlikely
too. ``spin.pair_fluency`` asks ordinary English instead (the general-English bigram
table, ``qualityscore/ngrams``): how much it expects each word after its neighbour, on
average over the page.

Held-out NIH/Cochrane texts are spun by a sense-blind thesaurus spinner at three rates,
with the held-out half of the WordNet thesaurus (the words training's thesaurus spam never
swaps) and with Moby's (Aiksaurus, a family training never reads). Each page signal of
the shipped model is compared, by ROC-AUC, between the spun pages and real pages:

* the untouched originals;
* Sondhi's reliable pages (HONcode-certified health sites, plain-text view);
* held-out OneStopEnglish news articles;
* HealthStory stories rated 4-5 stars by expert reviewers;
* Sondhi's unreliable pages (real low-quality pages that are not spun: a signal of spin
  should not tell them from spun ones either way, so this AUC is reported, not a target);
* technical writing: held-out Cochrane abstracts (the reviews whose summaries are held out;
  nothing in training reads them) and MedReadMe's passages (papers, NIHR and eLife
  summaries, Wikipedia, the MSD manual; the held-out half, ``MEDREADME_HELDOUT_FROM``: the
  page classifier trains on the other half; the spin tagger learns from all of them as
  clean negatives, so its signals are optimistic there, but the bigram table is not).

Technical writing is where ordinary English's bigrams fit worst: dense terms and
abbreviations make pairs the table does not list. So the report also gives, for the two
technical sets, the share of pages the model scores ``ok`` and each page's decision
counts: the price of the signal, if the classifier leans on it there.

The AUC is oriented so that 1.0 means the signal ranks every spun page as more spun than
every real one (lower for ``pair_fluency`` and the context medians, higher for the
others); 0.5 is chance. Run from the project root (about 3 minutes; needs ../shared/data
and, for each thesaurus, its Debian package: ``apt-get install mythes-en-us
libaiksaurus-1.2-data``; a missing thesaurus is skipped and said so):

    python evaluation/pair_fluency.py [--docs 400] [--out evaluation/reports/pair_fluency.json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora
from qualityscore.model.bundle import Bundle, default_model_path
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.evaluate import heldout_clean, heldout_news
from qualityscore.model.features import page_of
from qualityscore.model.spinner import ThesaurusSpinner
from qualityscore.model.train import COCHRANE_HELDOUT_FROM, MEDREADME_HELDOUT_FROM
from qualityscore.page import Page
from qualityscore.signals import SignalSet
from qualityscore.thesaurus import held_out, spinner_choices

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thesaurus_coverage import AIKSAURUS, MYTHES, read_aiksaurus, read_mythes

# Page signal -> +1 when a higher value means "more spun", -1 when lower does.
SIGNALS = {
    "spin.pair_fluency": -1,
    "spin.context_logp_median": -1,
    "spin.context_logp_median_function": -1,
    "spin.tagger_mean": 1,
    "spin.tagger_top5_mean": 1,
    "spin.unlikely_words_per_100w": 1,
    "spin.off_register_per_100w": 1,
    "spin.unseen_word_domain": -1,
}
RATES = (0.2, 0.5, 1.0)
TECHNICAL = ("cochrane_abstracts_heldout", "medreadme")


def _auc(spun: list[float], real: list[float], sign: int) -> float:
    """ROC-AUC of ``sign * value`` for spun (positive) against real pages; NaN values dropped."""
    from sklearn.metrics import roc_auc_score

    a = [sign * v for v in spun if not math.isnan(v)]
    b = [sign * v for v in real if not math.isnan(v)]
    if not a or not b:
        return float("nan")
    return float(roc_auc_score([1] * len(a) + [0] * len(b), a + b))


def _shipped_bundle(path: Path | None) -> Bundle:
    """The model file's parts, without ``check_compatible``: the page signals are computed
    by this code with the file's learned resources, so a signal the file's classifier was
    not trained on (one being evaluated for the next model) is still measured."""
    from qualityscore.model.runtime import load_runtime

    parts = load_runtime(path or default_model_path())
    return Bundle(model=parts["model"], metadata=parts["metadata"], spin_resources=parts["spin_resources"],
                  health_stats=parts["health_stats"], spin_tagger=parts["spin_tagger"])


def _decisions(path: Path | None, sets: dict[str, list[str]]) -> dict[str, object]:
    """The model's decisions on each set of texts (None when this code cannot load the
    model: a signal set the file was not trained on)."""
    from qualityscore import Scorer
    from qualityscore.errors import ModelError

    try:
        scorer = Scorer.load(path)
    except ModelError as exc:
        return {"error": str(exc)}
    out: dict[str, object] = {}
    for name, texts in sets.items():
        results = scorer.score_pages([Page(text=t, is_html=False) for t in texts])
        counts = {d: sum(r.decision == d for r in results) for d in ("ok", "review", "reject")}
        out[name] = {"n": len(results), **counts, "ok_share": counts["ok"] / max(len(results), 1)}
    return out


def _thesauri() -> dict[str, ThesaurusSpinner]:
    out = {}
    if MYTHES.exists():
        wordnet = {w: s for w, s in read_mythes(MYTHES, synonyms_only=True).items() if held_out(w)}
        out["wordnet_heldout"] = ThesaurusSpinner(spinner_choices(wordnet))
    else:
        print(f"{MYTHES} not found (apt-get install mythes-en-us): WordNet skipped", file=sys.stderr)
    if (AIKSAURUS / "meanings.dat").exists():
        out["aiksaurus"] = ThesaurusSpinner(spinner_choices(read_aiksaurus(AIKSAURUS)))
    else:
        print(f"{AIKSAURUS} not found (apt-get install libaiksaurus-1.2-data): Aiksaurus skipped",
              file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=400, help="held-out NIH/Cochrane texts (half each)")
    ap.add_argument("--per-set", type=int, default=400, help="real pages per comparison set at most")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", type=Path, default=None, help="model whose spin resources to use (default: the shipped one)")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/pair_fluency.json"))
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("medquad", "sondhi", "onestopenglish", "healthstory")
    if data_dir is None:
        return 0
    spinners = _thesauri()
    if not spinners:
        print("no thesaurus installed: nothing to measure", file=sys.stderr)
        return 0
    t0 = time.time()
    bundle = _shipped_bundle(args.model)
    detector = SignalSet(spin_resources=bundle.resources())
    clean = heldout_clean(data_dir, max_per_corpus=args.docs // 2)
    originals = [s.content for s in clean["medquad"] + clean["cochrane_pls"]]
    sondhi = list(corpora.sondhi(data_dir))

    def texts_of(samples: list[corpora.Sample]) -> list[str]:
        rng = random.Random(args.seed)
        chosen = rng.sample(samples, min(args.per_set, len(samples)))
        return [t for t in (page_of(s, text_only=True).text for s in chosen) if t.strip()]

    real = {
        "nih_cochrane_originals": originals,
        "sondhi_reliable": texts_of([s for s in sondhi if s.label == corpora.HIGH]),
        "news_heldout": texts_of(heldout_news(data_dir)),
        "healthstory_4_5_stars": texts_of([s for s in corpora.healthstory(data_dir) if (s.rating or 0) >= 4]),
        "sondhi_unreliable": texts_of([s for s in sondhi if s.label == corpora.LOW]),
        "cochrane_abstracts_heldout": texts_of([s for s in corpora.cochrane(data_dir, kinds=("source",))
                                                if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]),
        "medreadme": texts_of([s for s in corpora.medreadme(data_dir)
                               if stable_fraction(s.group) >= MEDREADME_HELDOUT_FROM]),
    }

    def signals(texts: list[str]) -> dict[str, list[float]]:
        rows = [detector.analyze(Page(text=t, is_html=False)).features for t in texts]
        return {n: [float(r[n]) for r in rows] for n in SIGNALS}

    f_real = {k: signals(v) for k, v in real.items()}
    report: dict[str, object] = {
        "protocol": "held-out NIH/Cochrane texts spun by a sense-blind thesaurus spinner (nothing else "
                    "added); ROC-AUC of each page signal of the shipped model, spun vs each set of real "
                    "pages, oriented so that 1.0 ranks every spun page as more spun",
        "model_version": bundle.version,
        "sizes": {k: len(v) for k, v in real.items()},
        "median": {k: {n: float(np.nanmedian(v[n])) for n in SIGNALS} for k, v in f_real.items()},
        "thesauri": {},
    }
    for name, spinner in spinners.items():
        per_rate = {}
        for rate in RATES:
            rng = random.Random(args.seed + int(rate * 1000))
            spun = [spinner.spin(t, rng, rate) for t in originals]
            f_spun = signals([s.text for s in spun if s.substitutions])
            per_rate[str(rate)] = {
                "pages": len(f_spun[next(iter(SIGNALS))]),
                "median": {n: float(np.nanmedian(f_spun[n])) for n in SIGNALS},
                "auc_spun_vs": {k: {n: _auc(f_spun[n], v[n], sign) for n, sign in SIGNALS.items()}
                                for k, v in f_real.items()},
            }
            print(f"{name} rate {rate} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        report["thesauri"][name] = per_rate  # type: ignore[index]
    report["technical_decisions"] = _decisions(args.model, {k: real[k] for k in TECHNICAL})
    report["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    sets = list(real)
    for name, per_rate in report["thesauri"].items():  # type: ignore[attr-defined]
        for rate, row in per_rate.items():
            print(f"\n{name}, rate {rate}: AUC spun vs " + ", ".join(sets))
            for n in SIGNALS:
                print(f"  {n:36s}" + "".join(f"{row['auc_spun_vs'][k][n]:8.3f}" for k in sets))
    print("\nthe model on technical writing:", json.dumps(report["technical_decisions"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Research prose against heavy spin: which training rows and which signal tell them apart?

Term-dense research prose (papers, research summaries) and heavily spun text both have low
pair fluency and low context medians. With spun news among the training spam, the model
rejected basic-science passages it had never seen (``pair_fluency.py``'s
``technical_decisions``). This script fits the shipped model's design on the shipped
training matrix with parts of it left out, and scores the same held-out pages with each:

* ``research rows``: MedReadMe's training half as clean rows (``medreadme``), and the same
  passages spun by the training thesaurus (``synthetic_spun_research``): both (shipped),
  clean only, or neither;
* ``domain``: the page signal ``spin.unseen_word_domain`` as computed, or held at 0 in
  training and scoring alike (the signal taken away);
* ``no PNAS/eLife``: the shipped rows without any PNAS or eLife passage, clean or spun,
  so that held-out PNAS and eLife passages come from sources training never read.

Held-out pages: MedReadMe's other half (PLOS, PNAS, eLife; NIHR, Wikipedia, MSD), clean
NIH/Cochrane text, 4-5-star HealthStory stories and OneStopEnglish news, and the NIH and
HealthStory texts spun with the held-out half of the WordNet thesaurus and with Moby's
(Aiksaurus; its headwords of the same half) at the rates ``foreign_spinner.py`` uses for
about 10 and 20 swaps per 100 words (its defaults, so its figures for the shipped model are
the first variant's). Each figure is the
share of pages scored below the shipped model's review cut (not ``ok``), and, for a check
that does not depend on one cut, below the score that 1% of the clean NIH/Cochrane pages
get from that variant. Signals are computed once, with the shipped model's resources.

Run from the project root after ``qualityscore train`` (about 12 minutes on 2 cores; needs
../shared/data and the Debian thesauri ``mythes-en-us`` and ``libaiksaurus-1.2-data``):

    python evaluation/research_prose.py [--out evaluation/reports/research_prose.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.evaluate import heldout_clean, heldout_news
from qualityscore.model.features import PageCache
from qualityscore.model.pipeline import design_matrix
from qualityscore.model.spinner import ThesaurusSpinner
from qualityscore.model.train import MEDREADME_HELDOUT_FROM, build_training_set, fit, matrices
from qualityscore.page import Page
from qualityscore.thesaurus import held_out, spinner_choices

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thesaurus_coverage import AIKSAURUS, MYTHES, read_aiksaurus, read_mythes

DOMAIN = "spin.unseen_word_domain"
RESEARCH = ("medreadme", "synthetic_spun_research")
PAPERS = ("plos", "pnas", "elife")
RATES = (0.5, 1.0)  # about 10 and 20 swaps per 100 words (foreign_spinner.py)


def _kind(sample_id: str) -> str:
    if "pnas" in sample_id or "elife" in sample_id:
        return "pnas_elife"
    return "plos" if "plos" in sample_id else "nihr_wiki_msd"


def heldout_sets(data_dir: Path, docs: int) -> dict[str, list[str]]:
    """The held-out texts, clean and spun (module docstring)."""
    clean = heldout_clean(data_dir, max_per_corpus=docs // 2)
    nih = [s.content for s in clean["medquad"] + clean["cochrane_pls"]]
    stories = sorted((s for s in corpora.healthstory(data_dir) if (s.rating or 0) >= 4),
                     key=lambda s: stable_fraction("eval/" + s.id))
    sets: dict[str, list[str]] = {
        "nih_cochrane": nih,
        "healthstory_4_5": [s.content for s in stories[:docs]],
        "news": [s.content for s in heldout_news(data_dir)[:docs]],
    }
    for s in corpora.medreadme(data_dir):
        if stable_fraction(s.group) >= MEDREADME_HELDOUT_FROM:
            sets.setdefault(f"medreadme_{_kind(s.id)}", []).append(s.content)
    spinners = {"wordnet_heldout": ThesaurusSpinner(spinner_choices(
        {w: syn for w, syn in read_mythes(MYTHES, synonyms_only=True).items() if held_out(w)}))}
    spinners["moby_heldout"] = ThesaurusSpinner(spinner_choices(
        {w: syn for w, syn in read_aiksaurus(AIKSAURUS).items() if held_out(w)}))
    for name, spinner in spinners.items():
        for rate in RATES:
            for source in ("nih_cochrane", "healthstory_4_5"):
                rng = random.Random(int(rate * 1000))
                sets[f"{source}_{name}_{rate}"] = [spinner.spin(t, rng, rate).text for t in sets[source]]
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=400, help="held-out texts per clean set")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/research_prose.json"))
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("medquad", "sondhi", "medreadme", "healthstory", "onestopenglish",
                                     nothing_to="evaluate")
    if data_dir is None:
        return 0
    for path, package in ((MYTHES, "mythes-en-us"), (AIKSAURUS / "meanings.dat", "libaiksaurus-1.2-data")):
        if not path.exists():
            print(f"{path} not found (apt-get install {package}): nothing to evaluate", file=sys.stderr)
            return 0
    t0 = time.time()
    scorer = Scorer.load()
    names = scorer.bundle.metadata["feature_names"]
    if DOMAIN not in names:
        print(f"the shipped model has no {DOMAIN}: retrain first", file=sys.stderr)
        return 1
    cut = scorer.review_below
    sets = heldout_sets(data_dir, args.docs)
    scored: dict[str, tuple[list[str], np.ndarray]] = {}
    for key, texts in sets.items():
        analyses = [scorer._analyze(Page(text=t, is_html=False)) for t in texts]
        scored[key] = (texts, np.asarray([[a.features[n] for n in names] for a in analyses], dtype=np.float64))
    print(f"held-out signals ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)

    cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
    ts = build_training_set(data_dir, seed=0, cache=cache)
    X, y = matrices(ts, n_jobs=2)
    corpus, groups = np.asarray(ts.corpus), np.asarray(ts.groups)
    print(f"training matrix {X.shape} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    research = np.isin(corpus, RESEARCH)
    papers = research & np.array(["pnas" in g or "elife" in g for g in groups])
    clean_only = corpus != "synthetic_spun_research"
    every = np.ones(len(y), dtype=bool)
    variants = {
        "shipped: clean + spun research rows, domain": (every, True),
        "clean + spun research rows, no domain": (every, False),
        "clean research rows only, domain": (clean_only, True),
        "clean research rows only, no domain": (clean_only, False),
        "no research rows, domain": (~research, True),
        "no research rows, no domain": (~research, False),
        "shipped rows without PNAS/eLife, domain": (~papers, True),
    }
    col = names.index(DOMAIN)
    report: dict[str, object] = {
        "protocol": __doc__.split("\n\n")[1].replace("\n", " "),
        "model_version": scorer.bundle.version,
        "review_cut": cut,
        "sizes": {k: len(v) for k, v in sets.items()},
        "variants": {},
    }
    for name, (rows, domain) in variants.items():
        Xv = X[rows].copy()
        if not domain:
            Xv[:, 1 + col] = 0.0
        model = fit(Xv, y[rows], corpus[rows])
        scores = {}
        for key, (texts, V) in scored.items():
            V = V.copy()
            if not domain:
                V[:, col] = 0.0
            scores[key] = 100.0 * (1.0 - model.predict_proba(design_matrix(texts, V))[:, 1])
        one_pct = float(np.quantile(scores["nih_cochrane"], 0.01))
        report["variants"][name] = {  # type: ignore[index]
            "training_rows": int(rows.sum()),
            "not_ok": {k: float(np.mean(s < cut)) for k, s in scores.items()},
            "below_1pct_of_clean_nih": {k: float(np.mean(s < one_pct)) for k, s in scores.items()},
        }
        print(f"{name} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    report["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    return 0


def print_table(report: dict) -> None:  # type: ignore[type-arg]
    """Held-out sets down, variants across (numbered, with a legend)."""
    variants = report["variants"]
    for i, name in enumerate(variants, 1):
        print(f"  ({i}) {name}")
    print(f"not ok below the review cut {report['review_cut']:.1f} (%):")
    print(" " * 40 + "".join(f"{f'({i})':>8s}" for i in range(1, len(variants) + 1)))
    for key in report["sizes"]:
        print(f"{key:40s}" + "".join(f"{100 * row['not_ok'][key]:8.1f}" for row in variants.values()))


if __name__ == "__main__":
    raise SystemExit(main())

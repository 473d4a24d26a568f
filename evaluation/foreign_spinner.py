"""The shipped model on pages spun with a thesaurus's words it has never seen swapped.

``spin_heldout``, ``lexicon_holdout`` and ``spin_register`` spin text with the project's
own lexicon of medical swaps, leaving parts of it out. A commercial spinner has its own
thesaurus and swaps everyday words as readily as medical ones ("long-term condition" ->
"lengthy-time period circumstance"). This script spins held-out NIH and Cochrane texts
with ``model.spinner.ThesaurusSpinner`` over Debian's ``mythes-en-us`` (LibreOffice's
English thesaurus, made from WordNet): each word the thesaurus lists is, with probability
``rate``, replaced by one of its synonyms drawn from all its senses (sense-blind, as
spinners are). By default only the *held-out* half of the headwords is swapped
(``qualityscore.thesaurus.held_out``): training spins its thesaurus spam with the other
half (``train.thesaurus_spam``), so every swap here is of a word the model never saw
swapped. Nothing else is added (no promotion, no HTML).

``--thesaurus aiksaurus`` spins with a second thesaurus of another family instead:
Aiksaurus (Debian ``libaiksaurus-1.2-data``, built from the Moby thesaurus), whose meaning
groups are broad and loose, as the thesauri of commercial spinners are ("depression" sits
with "despair", "gloom" and "slump"). Training never reads it, so even with
``--headwords all`` every substitute comes from word lists the model never saw; with the
default ``heldout`` the swapped words are also ones training's WordNet spam never swaps.
It reports, per rate:

* pages: spun pages not ``ok``, the ROC-AUC of the score against the untouched
  originals, and the share of spun pages below the score that 1% of the originals fall
  below (threshold-free); originals ``ok``;
* evidence: pages with a spin finding, span recall of spin findings (a swap is found when
  a finding overlaps it), and spin flags per 2,000 words on the originals;
* how many swaps the lexicon itself lists, so that recall can be read apart from them;
* of the swaps outside the lexicon that a finding with a suggestion covers, the share
  whose suggestion names the swapped-out word (suggestion precision on a thesaurus the
  suggestion rule never saw).

Install the thesauri with ``apt-get install mythes-en-us libaiksaurus-1.2-data``; without
the one asked for, or without ../shared/data, the script says so and exits 0. Run from the
project root (about a minute each):

    python evaluation/foreign_spinner.py [--thesaurus mythes|aiksaurus] [--docs 400]
                                         [--rates 0.2 0.5 1.0] [--headwords heldout|training|all]
                                         [--source nih|healthstory|news] [--model PATH] [--out PATH]

``--source healthstory`` spins health news instead: HealthStory's 4-5-star stories, which
no part of training reads (spam sites copy health news as readily as NIH pages);
``--source news`` held-out OneStopEnglish articles. The report goes to
``evaluation/reports/foreign_spinner.json`` (mythes) or ``foreign_spinner_aiksaurus.json``,
with ``_healthstory`` or ``_news`` before ``.json`` for another source, unless ``--out``
says otherwise.
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

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.corpora import stable_fraction
from qualityscore.model.evaluate import heldout_clean, heldout_news
from qualityscore.model.spinner import ThesaurusSpinner
from qualityscore.page import Page
from qualityscore.signals.spin import load_lexicon
from qualityscore.thesaurus import held_out, spinner_choices

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thesaurus_coverage import AIKSAURUS, MYTHES, read_aiksaurus, read_mythes

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _spin_spans(result) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [(f.start, f.end) for f in result.findings if f.family == "spin"]


def _suggestions(result, a: int, b: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The suggested originals of the spin findings that overlap characters [a, b)."""
    return [f.suggestion.lower() for f in result.findings
            if f.family == "spin" and f.suggestion and f.start < b and a < f.end]


def _auc(pos: list[float], neg: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg))


SOURCES = {"nih": "held-out NIH/Cochrane texts", "healthstory": "4-5-star HealthStory news stories",
           "news": "held-out OneStopEnglish news articles"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=400, help="texts to spin (NIH/Cochrane: half each)")
    ap.add_argument("--rates", type=float, nargs="+", default=[0.2, 0.5, 1.0],
                    help="share of the listed words swapped")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", type=Path, default=None, help="model to score with (default: the shipped one)")
    ap.add_argument("--headwords", choices=("heldout", "training", "all"), default="heldout",
                    help="swap the headwords training never sees (default), those it spins its "
                         "thesaurus spam with, or all")
    ap.add_argument("--thesaurus", choices=("mythes", "aiksaurus"), default="mythes",
                    help="the spinner's thesaurus: WordNet's (mythes-en-us, the family training "
                         "spins half of) or Moby's (aiksaurus, a family training never reads)")
    ap.add_argument("--source", choices=("nih", "healthstory", "news"), default="nih",
                    help="texts to spin: held-out NIH/Cochrane (default), 4-5-star HealthStory health news "
                         "stories (never trained on), or held-out OneStopEnglish news")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.out is None:
        suffix = ("" if args.thesaurus == "mythes" else f"_{args.thesaurus}") + (
            "" if args.source == "nih" else f"_{args.source}")
        args.out = Path(f"evaluation/reports/foreign_spinner{suffix}.json")
    source, package = ((MYTHES, "mythes-en-us") if args.thesaurus == "mythes"
                       else (AIKSAURUS / "meanings.dat", "libaiksaurus-1.2-data"))
    if not source.exists():
        print(f"{source} not found (apt-get install {package}): nothing to measure", file=sys.stderr)
        return 0
    data_dir = corpora.data_dir_with("medquad")
    if data_dir is None:
        return 0
    t0 = time.time()
    thesaurus = (read_mythes(MYTHES, synonyms_only=True) if args.thesaurus == "mythes"
                 else read_aiksaurus(AIKSAURUS))
    if args.headwords != "all":
        thesaurus = {w: s for w, s in thesaurus.items() if held_out(w) == (args.headwords == "heldout")}
    spinner = ThesaurusSpinner(spinner_choices(thesaurus))
    listed = {(e.canonical, e.variant.lower()) for e in load_lexicon().entries}
    if args.source == "nih":
        clean = heldout_clean(data_dir, max_per_corpus=args.docs // 2)
        originals = [s.content for s in clean["medquad"] + clean["cochrane_pls"]]
    elif args.source == "healthstory":
        stories = sorted((s for s in corpora.healthstory(data_dir) if (s.rating or 0) >= 4),
                         key=lambda s: stable_fraction("eval/" + s.id))
        originals = [s.content for s in stories[: args.docs]]
    else:
        originals = [s.content for s in heldout_news(data_dir)[: args.docs]]
    if not originals:
        print(f"no {args.source} texts under {data_dir}: nothing to measure", file=sys.stderr)
        return 0
    scorer = Scorer.load(args.model)
    thresholds = scorer.bundle.thresholds

    def run(texts: list[str]) -> list:  # type: ignore[type-arg]
        return scorer.score_pages([Page(text=t, is_html=False) for t in texts])

    base = run(originals)
    words = sum(len(_WORD.findall(t)) for t in originals)
    base_scores = [r.score for r in base]
    cut = float(np.quantile(base_scores, 0.01))
    report = {
        "protocol": f"{SOURCES[args.source]} spun by a sense-blind thesaurus spinner, "
                    "nothing else added, scored by the shipped model",
        "source": args.source,
        "thesaurus": {"mythes": "mythes-en-us (WordNet)", "aiksaurus": "aiksaurus (Moby)"}[args.thesaurus],
        "model_version": scorer.bundle.version,
        "thresholds": {k: thresholds.get(k) for k in ("reject_below", "review_below")},
        "thesaurus_headwords": len(spinner.choices),
        "headwords": args.headwords,
        "originals": {
            "n": len(base),
            "errors": sum(r.error is not None for r in base),
            "ok": float(np.mean([r.decision == "ok" for r in base])),
            "with_spin_finding": float(np.mean([bool(_spin_spans(r)) for r in base])),
            "spin_flags_per_2000_words": 2000 * sum(len(_spin_spans(r)) for r in base) / max(words, 1),
            "score_1pct_quantile": cut,
        },
        "rates": {},
    }
    for rate in args.rates:
        rng = random.Random(args.seed + int(rate * 1000))
        spun = [spinner.spin(t, rng, rate) for t in originals]
        results = run([s.text for s in spun])
        found = total = in_lexicon = found_in_lexicon = suggested = right = 0
        for page, r in zip(spun, results, strict=True):
            text, spans = page.text, _spin_spans(r)
            for a, b, original in page.substitutions:
                hit = any(start < b and a < end for start, end in spans)
                known = (original, text[a:b].lower()) in listed
                total += 1
                found += hit
                in_lexicon += known
                found_in_lexicon += hit and known
                if hit and not known:
                    guesses = _suggestions(r, a, b)
                    suggested += bool(guesses)
                    right += any(original == g or original in g.split() for g in guesses)
        scores = [r.score for r in results]
        report["rates"][str(rate)] = {
            "pages": len(results),
            "errors": sum(r.error is not None for r in results),
            "swaps": total,
            "swaps_per_100_words": 100 * total / max(words, 1),
            "not_ok": float(np.mean([r.decision != "ok" for r in results])),
            "reject": float(np.mean([r.decision == "reject" for r in results])),
            "roc_auc_vs_originals": _auc([-s for s in scores], [-s for s in base_scores]),
            "below_1pct_original_cut": float(np.mean([s < cut for s in scores])),
            "with_spin_finding": float(np.mean([bool(_spin_spans(r)) for r in results])),
            "span_recall": found / max(total, 1),
            "swaps_the_lexicon_lists": in_lexicon,
            "span_recall_outside_the_lexicon": (found - found_in_lexicon) / max(total - in_lexicon, 1),
            # Swaps the lexicon does not list, found with a suggestion: how often it names the original.
            "suggestion_precision_outside_the_lexicon": right / suggested if suggested else None,
            "suggested_outside_the_lexicon": suggested,
            "median_score": float(np.median(scores)),
        }
        print(f"rate {rate} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    report["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    o = report["originals"]
    print(f"originals: ok {o['ok']:.1%}, with a spin finding {o['with_spin_finding']:.1%}, "
          f"{o['spin_flags_per_2000_words']:.2f} spin flags per 2,000 words")
    print(f"{'rate':>5s} {'swaps/100w':>10s} {'not ok':>7s} {'AUC':>6s} {'@1% orig':>8s} "
          f"{'finding':>8s} {'recall':>7s} {'outside lex':>11s}")
    for rate, r in report["rates"].items():
        print(f"{rate:>5s} {r['swaps_per_100_words']:10.1f} {r['not_ok']:7.1%} {r['roc_auc_vs_originals']:6.3f} "
              f"{r['below_1pct_original_cut']:8.1%} {r['with_spin_finding']:8.1%} {r['span_recall']:7.3f} "
              f"{r['span_recall_outside_the_lexicon']:11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

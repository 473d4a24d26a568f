"""Replay the tagger's tier budgets over a grid, from a ``spin_heldout.py --dump`` file.

Training sets each tier's gate and cut from the clean training-side pages' probabilities
(``tagger.operating_point``: held-back NIH text, training news, Cochrane's
training-side summaries). ``spin_heldout.py --dump`` keeps those pages' probabilities
per fold beside the evaluation pages', so another budget costs no refit: this script
computes each fold's tiers for every setting of a grid exactly as training would, and
replays them on that fold's evaluation pages (``spin_stacking.replay``: a span is
recalled by a finding of another rule or by a flagged word in it; an untouched page is a
false positive with any finding).

The rule that chose the shipped budgets: on the validation draw (``--seed 1``), the best
span recall with document FPR <= ``--max-fpr`` and flags <= ``--max-flags`` per 2,000
words; of the settings within ``--within`` of it, the one whose findings on spun pages
most often lie on a substitution; ``--max-corpus-flags F`` also holds each corpus's
untouched pages (MedQuAD, Cochrane summaries) to F flags per 2,000 words on their own.
Then check it on the reported draw (seed 0)::

    python evaluation/spin_heldout.py --docs 200 --seed 1 --dump /tmp/spin_dump1.pkl
    python evaluation/spin_budgets.py /tmp/spin_dump1.pkl [--out evaluation/reports/spin_budgets.json]

The first row replays training's own budgets and must reproduce the run's span recall.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling module, as the scripts are run
import spin_stacking

GRID = {
    "gate_share": (0.05, 0.075, 0.1),
    "flags_per_2000_words": (0.4, 0.6, 0.8),
    "strong_share": (0.01, 0.02),
    "strong_flags": (0.2, 0.3, 0.4),
    "peak_share": (0.0025, 0.005, 0.01),
    "peak_flags": (0.2, 0.3),
}


def evaluate(folds: list[dict], setting: dict[str, float]) -> dict[str, object]:
    from qualityscore.model.tagger import operating_point

    parts = []
    for fold in folds:
        held, others = fold["calibration"]
        tiers = operating_point(held, others, **setting)
        parts.append(spin_stacking.replay(fold, spin_stacking.tier_flagger(tiers)))
    return spin_stacking.summary(parts)


def choose(rows: list[dict], *, max_fpr: float, max_flags: float, within: float,
           max_corpus_flags: float | None = None) -> dict | None:
    """The rule above; ``max_corpus_flags``: also that many flags per 2,000 words at most on
    each corpus's untouched pages on its own (dumps that record each page's corpus)."""
    ok = [r for r in rows if r["doc_fpr"] <= max_fpr and r["flags_per_2000_words"] <= max_flags
          and (max_corpus_flags is None
               or all(v <= max_corpus_flags for v in r.get("flags_per_2000_words_by_corpus", {}).values()))]
    if not ok:
        return None
    best = max(r["span_recall"] for r in ok)
    near = [r for r in ok if r["span_recall"] >= best - within]
    return max(near, key=lambda r: r["tagger_flags_on_spun_pages_on_a_substitution"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump", type=Path, help="written by spin_heldout.py --dump")
    ap.add_argument("--max-fpr", type=float, default=0.04)
    ap.add_argument("--max-flags", type=float, default=0.75)
    ap.add_argument("--within", type=float, default=0.01)
    ap.add_argument("--max-corpus-flags", type=float, default=None,
                    help="also hold each corpus's untouched pages to this many flags per 2,000 words "
                         "(needs a dump that records each page's corpus)")
    ap.add_argument("--setting", type=json.loads, default=None,
                    help='replay one setting only, e.g. \'{"flags_per_2000_words": 0.6}\'')
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    data = pickle.loads(args.dump.read_bytes())
    folds = data["folds"]
    if any("calibration" not in f for f in folds):
        print(f"{args.dump} has no calibration pages (written by an older spin_heldout.py): run spin_heldout.py --dump again", file=sys.stderr)
        return 2
    settings = [args.setting] if args.setting is not None else [
        dict(zip(GRID, values, strict=True)) for values in itertools.product(*GRID.values())]
    training = {"setting": "training's", **evaluate(folds, {})}
    rows = []
    for i, setting in enumerate(settings):
        rows.append({"setting": setting, **evaluate(folds, setting)})
        if i % 50 == 0:
            print(f"{i}/{len(settings)}", file=sys.stderr, flush=True)
    if args.max_corpus_flags is not None and not any("corpus" in c for f in folds for c in f["clean"]):
        print(f"{args.dump} records no page's corpus (written by an older spin_heldout.py): run spin_heldout.py --dump again", file=sys.stderr)
        return 2
    chosen = choose(rows, max_fpr=args.max_fpr, max_flags=args.max_flags, within=args.within,
                    max_corpus_flags=args.max_corpus_flags)
    report = {"seed": data["seed"], "operating_point_of_the_run": data["operating_point"],
              "rule": {"max_doc_fpr": args.max_fpr, "max_flags_per_2000_words": args.max_flags,
                       "within": args.within, "max_flags_per_2000_words_per_corpus": args.max_corpus_flags},
              "training": training, "chosen": chosen,
              "grid": sorted(rows, key=lambda r: -r["span_recall"])}
    text = json.dumps(report, indent=1)
    print(json.dumps({"training": training, "chosen": chosen}, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

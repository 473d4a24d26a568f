"""Would the tagger's cuts hold better on unseen pages if set on resampled pages? (issue #3)

Training sets each tier's cut at the lowest probability that keeps its clean calibration
pages within a flag budget (``tagger.budget_cut``): for the strong tier, 0.2 flags per
2,000 words, about eight flags on Cochrane's 397 training-side summaries. Flags come in
bunches (a review's rare term at each mention), so a cut set on so few is noisy, and on
the 307 held-out summaries the strong tier flags 0.70 per 2,000 words
(``spin_evidence.py``'s ``tagger_flags_per_2000_words_by_tier``). This probe sets every
tier's cut instead at the ``q`` quantile of ``budget_cut`` over 100 resamples (with
replacement) of each set's pages, a cut that holds the budget on most draws of such pages,
and measures, for each ``q`` (none: training's rule):

* ``dump``: on a ``spin_heldout.py --dump`` made since the dumps keep the calibration
  pages (e9cf4c0), each fold's tiers recomputed from its calibration pages and replayed on
  its evaluation pages (``spin_stacking.replay``): span recall, document FPR, flags per
  2,000 words, per corpus too;
* ``shipped``: the shipped tagger's own calibration pages rebuilt as training builds them
  (the held-back NIH text, training news, training-side Cochrane summaries; with no
  ``q`` this reproduces the shipped cuts exactly), and the flags those tiers give the
  held-out Cochrane summaries and 300 held-out NIH answers (``spin_evidence.py``'s pages).

    python evaluation/spin_heldout.py --docs 200 --seed 1 --dump /tmp/spin_dump1.pkl
    python evaluation/cut_resampling.py dump /tmp/spin_dump1.pkl
    python evaluation/cut_resampling.py shipped [--out evaluation/reports/cut_resampling.json]

It chooses nothing: the ``shipped`` figures read held-out pages.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a sibling module, as the scripts are run
import spin_stacking

from qualityscore.model import tagger

QUANTILES = (None, 0.5, 0.7, 0.8)


def resampled_cut(quantile: float | None, *, resamples: int = 100, seed: int = 0) -> Callable[..., float]:
    """A ``budget_cut`` that returns the ``quantile`` of the cut over page resamples
    (training's own cut when ``quantile`` is None)."""
    plain = tagger.budget_cut

    def cut(pages, *, gate: float, flags_per_2000_words: float, floor: float, stat=tagger.page_mean) -> float:  # type: ignore[no-untyped-def]
        if quantile is None or not pages:
            return plain(pages, gate=gate, flags_per_2000_words=flags_per_2000_words, floor=floor, stat=stat)
        rng = np.random.default_rng(seed)
        cuts = [plain([pages[i] for i in rng.integers(0, len(pages), len(pages))], gate=gate,
                      flags_per_2000_words=flags_per_2000_words, floor=floor, stat=stat)
                for _ in range(resamples)]
        return float(np.quantile(cuts, quantile))

    return cut


def tiers_with(quantile: float | None, held, others) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """``tagger.operating_point`` with every tier's cut set by ``resampled_cut(quantile)``."""
    plain = tagger.budget_cut
    tagger.budget_cut = resampled_cut(quantile)
    try:
        return tagger.operating_point(held, others)
    finally:
        tagger.budget_cut = plain


def on_dump(path: Path) -> list[dict]:
    data = pickle.loads(path.read_bytes())
    if any("calibration" not in f for f in data["folds"]):
        raise SystemExit(f"{path} keeps no calibration pages: rerun spin_heldout.py --dump with this code")
    rows = []
    for q in QUANTILES:
        parts = [spin_stacking.replay(f, spin_stacking.tier_flagger(tiers_with(q, *f["calibration"])))
                 for f in data["folds"]]
        rows.append({"quantile": q, **spin_stacking.summary(parts)})
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "span_recall_per_fold"}), file=sys.stderr)
    return rows


def on_shipped() -> list[dict] | None:
    from qualityscore import Scorer
    from qualityscore.model import corpora
    from qualityscore.model.corpora import stable_fraction
    from qualityscore.model.train import (
        COCHRANE_HELDOUT_FROM,
        MEDQUAD_HELDOUT_FROM,
        MEDQUAD_TAGGER,
        TAGGER_FIT_SHARE,
        tagger_clean_texts,
        tagger_summaries,
    )

    data_dir = corpora.data_dir_with("medquad", "cochrane_pls", "onestopenglish", nothing_to="evaluate")
    if data_dir is None:
        return None
    res = Scorer.load().bundle.resources()

    def probs(texts: list[str]):  # type: ignore[no-untyped-def]
        return tagger.page_probabilities(res.tagger, texts, res.stats, res.anchors)

    medquad, cochrane = list(corpora.medquad(data_dir)), list(corpora.cochrane(data_dir))
    tag = [s.content for s in medquad if MEDQUAD_TAGGER[0] <= stable_fraction(s.group) < MEDQUAD_TAGGER[1]]
    held = probs(tag[int(len(tag) * TAGGER_FIT_SHARE):])  # as train_spin_tagger holds them back
    news, _ = tagger_clean_texts(data_dir, list(corpora.onestop(data_dir)))
    others = [probs(news), probs(tagger_summaries(cochrane))]
    nih = [s for s in medquad if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    nih.sort(key=lambda s: stable_fraction("spin_evidence/" + s.id))  # spin_evidence.py's 300
    unseen = {"cochrane_heldout": probs([s.content for s in cochrane if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]),
              "nih_heldout": probs([s.content for s in nih[:300]])}
    rows = []
    for q in QUANTILES:
        tiers = tiers_with(q, held, others)
        flag = spin_stacking.tier_flagger(tiers)
        rows.append({"quantile": q, "tiers": {k: round(v, 4) for k, v in tiers.items()}} | {
            name: round(2000 * sum(int(flag(p).sum()) for p, _ in pages if len(p)) / max(sum(w for _, w in pages), 1), 3)
            for name, pages in unseen.items()})
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("dump", "shipped"))
    ap.add_argument("dump", type=Path, nargs="?", help="with mode dump: written by spin_heldout.py --dump")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.mode == "dump":
        if args.dump is None:
            ap.error("mode dump needs the dump file")
        report: dict[str, object] = {"mode": "dump", "dump": str(args.dump), "rows": on_dump(args.dump)}
    else:
        rows = on_shipped()
        if rows is None:
            return 0
        report = {"mode": "shipped", "rows": rows,
                  "note": "flags per 2,000 words of spin.unlikely_word's tagger findings (no lexicon rules)"}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

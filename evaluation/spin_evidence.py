"""How often each rule (spin by default) quotes evidence, on clean pages and on spam, per source.

A finding is what a reviewer reads: a rule that fires on a reliable page is a false
accusation even when the model's score stays `ok`. This counts, for each spin rule, the
share of pages with at least one finding and the findings per 1,000 words (with a 95%
interval from resampling whole pages), on:

* sources that are clean: HealthStory stories rated 4-5 stars (never trained on), Sondhi's
  reliable pages, the project's high-quality labeled pages, held-out NIH answers, and
  every held-out Cochrane plain-language summary;
* sources that are not: Sondhi's unreliable pages, the project's low-quality labeled
  pages, and held-out NIH answers spun with the shipped lexicon (simulated, fixed seed);
* and, to compare the held-out summaries with, the training-side Cochrane summaries that
  the tagger's cuts were set on (clean, but not unseen).

Run from the project root (needs ../shared/data; under two minutes):

    python evaluation/spin_evidence.py [--all-rules] [--model PATH] [--out evaluation/reports/spin_evidence.json]

``--all-rules`` counts every rule of every family the same way (the spin rules by default).
The report also splits the tagger's flags per 2,000 words by the operating tier that
makes them (``tagger_flags_per_2000_words_by_tier``: first, strong, peak; see
``model/tagger.py``), each tier's budget being what training held it to on its clean sets.

To measure an older version, run this file with that version's package first on the path:
``git worktree add /tmp/old <commit>`` then
``PYTHONPATH=/tmp/old python evaluation/spin_evidence.py --model /tmp/old/models/qualityscore-model.npz --out /tmp/old.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.corpora import HIGH, LOW, project_root, stable_fraction
from qualityscore.model.features import PageCache
from qualityscore.model.spinner import Spinner
from qualityscore.model.tagger import page_probabilities
from qualityscore.model.train import COCHRANE_HELDOUT_FROM, COCHRANE_TRAIN, MEDQUAD_HELDOUT_FROM
from qualityscore.page import Page
from qualityscore.signals.spin import SpinResources
from qualityscore.text import Doc

RULES = ("spin.substituted_term", "spin.broken_term", "spin.unlikely_word", "spin.mangled_citation")
CLEAN = ("healthstory_4_5_stars", "sondhi_reliable", "labeled_high", "nih_heldout", "cochrane_heldout")
SPAM = ("sondhi_unreliable", "labeled_low", "nih_heldout_spun")
# Clean, but not unseen: the training-side summaries the tagger's cuts were set on
# (``train.tagger_summaries``), to compare the held-out ones with.
CALIBRATION = ("cochrane_calibration",)


def sources(data_dir: Path, nih: int, seed: int) -> dict[str, list[Page]]:
    cache = PageCache(project_root() / "evaluation" / "cache" / "pages.jsonl")
    sondhi = list(corpora.sondhi(data_dir))
    labeled = list(corpora.labeled_pages())
    med = [s for s in corpora.medquad(data_dir) if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    med.sort(key=lambda s: stable_fraction("spin_evidence/" + s.id))
    med = med[:nih]
    rng = random.Random(seed)
    spinner = Spinner()
    return {
        "healthstory_4_5_stars": [Page(text=s.content, source=s.id) for s in corpora.healthstory(data_dir)
                                  if (s.rating or 0) >= 4],
        "sondhi_reliable": [cache.get(s) for s in sondhi if s.label == HIGH],
        "labeled_high": [cache.get(s) for s in labeled if s.label == HIGH],
        "nih_heldout": [Page(text=s.content, source=s.id) for s in med],
        "cochrane_heldout": [Page(text=s.content, source=s.id) for s in corpora.cochrane(data_dir)
                             if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM],
        "sondhi_unreliable": [cache.get(s) for s in sondhi if s.label == LOW],
        "labeled_low": [cache.get(s) for s in labeled if s.label == LOW],
        "nih_heldout_spun": [Page(text=spinner.spin(s.content, rng).text, source=s.id) for s in med],
        "cochrane_calibration": [Page(text=s.content, source=s.id) for s in corpora.cochrane(data_dir)
                                 if COCHRANE_TRAIN[0] <= stable_fraction(s.group) < COCHRANE_TRAIN[1]],
    }


def rate_interval(per_page: np.ndarray, words: np.ndarray, *, resamples: int = 2000,
                  seed: int = 0) -> tuple[float, float]:
    """95% interval of findings per 1,000 words, resampling whole pages (a page's findings
    come together: one rare term flagged at each of its mentions), percentile bootstrap."""
    if not len(per_page):
        return (0.0, 0.0)
    draw = np.random.default_rng(seed).integers(0, len(per_page), size=(resamples, len(per_page)))
    rates = 1000 * per_page[draw].sum(axis=1) / np.maximum(words[draw].sum(axis=1), 1)
    lo, hi = np.percentile(rates, [2.5, 97.5])
    return (round(float(lo), 3), round(float(hi), 3))


def tier_of(res: SpinResources, p: float, mean: float, peak: float) -> str | None:
    """Which operating tier makes a word of probability ``p`` a ``spin.unlikely_word``
    finding on a page with this mean and highest probability: "first" or "strong" (the
    page-mean tiers; the one whose cut the page gets), "peak" (only the page's-highest
    tier reaches it), or None (not flagged)."""
    cut = res.tagger_cut(mean, peak)
    if cut is None or p < cut:
        return None
    counted = res.mean_tier_cut(mean)
    if counted is not None and p >= counted:
        return "first" if counted == res.tagger_threshold else "strong"
    return "peak"


def tier_rates(res: SpinResources, pages: list[Page]) -> dict[str, float]:
    """Tagger flags per 2,000 words by operating tier (every word at or over its page's
    cut; the rule itself skips the few a lexicon finding already covers)."""
    counts = dict.fromkeys(("first", "strong", "peak"), 0)
    if res.tagger is None:
        return {k: 0.0 for k in counts}
    probs_of = page_probabilities(res.tagger, [page.text for page in pages], res.stats, res.anchors)
    words = sum(w for _, w in probs_of)
    for probs, _ in probs_of:
        if not len(probs):
            continue
        mean, peak = float(probs.mean()), float(probs.max())
        for p in probs:
            tier = tier_of(res, float(p), mean, peak)
            if tier is not None:
                counts[tier] += 1
    return {k: round(2000 * v / max(words, 1), 3) for k, v in counts.items()}


def measure(scorer: Scorer, pages: list[Page], rules: tuple[str, ...] | None = None) -> dict[str, dict[str, float]]:
    """Per rule: share of pages with a finding, findings per 1,000 words and its 95%
    page-bootstrap interval (``rate_interval``). ``rules``: None for every rule that fires
    on these pages."""
    words: list[int] = []
    found: list[Counter[str]] = []
    for page in pages:
        words.append(Doc(page.text).word_count)
        found.append(Counter(f.rule for f in scorer.signals.analyze(page).findings))
    count: Counter[str] = sum(found, Counter())
    w = np.asarray(words, dtype=np.int64)
    out: dict[str, dict[str, object]] = {}
    for rule in (rules if rules is not None else sorted(count)):
        per_page = np.asarray([f[rule] for f in found], dtype=np.int64)
        out[rule] = {
            "pages_share": round(int((per_page > 0).sum()) / max(len(pages), 1), 4),
            "per_1000_words": round(1000 * count[rule] / max(int(w.sum()), 1), 3),
            "per_1000_words_95ci": list(rate_interval(per_page, w)),
            "findings": count[rule],
        }
    return out | {"_pages": {"n": len(pages), "words": int(w.sum())}}  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    ap.add_argument("--nih", type=int, default=300, help="held-out NIH answers (clean, and spun)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--all-rules", action="store_true", help="every rule of every family, not only spin")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/spin_evidence.json"))
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("sondhi", "medquad")
    if data_dir is None:
        return 0
    t0 = time.time()
    scorer = Scorer.load(args.model) if args.model else Scorer.load()
    rules = None if args.all_rules else RULES
    pages_of = sources(data_dir, args.nih, args.seed)
    table = {name: measure(scorer, pages, rules) for name, pages in pages_of.items()}
    res = scorer.bundle.resources()
    tiers = {name: tier_rates(res, pages) for name, pages in pages_of.items()}
    every = sorted({r for row in table.values() for r in row if r != "_pages"})
    for row in table.values():  # a rule that never fired on a source: 0, not absent
        for r in every:
            row.setdefault(r, {"pages_share": 0.0, "per_1000_words": 0.0, "per_1000_words_95ci": [0.0, 0.0],
                               "findings": 0})
    out = {
        "model_version": scorer.bundle.version,
        "clean_sources": list(CLEAN),
        "spam_sources": list(SPAM),
        "calibration_sources": list(CALIBRATION),
        "sources": table,
        "tagger_flags_per_2000_words_by_tier": tiers,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print("share of pages with a finding, per rule and source")
    names = list(table)
    print(f"{'rule':38s}" + "".join(f"{n[:13]:>14s}" for n in names))
    for r in every:
        print(f"{r:38s}" + "".join(f"{table[n][r]['pages_share']:>14.1%}" for n in names))
    print("(" + ", ".join(f"{n}: {table[n]['_pages']['n']} pages" for n in names) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How often each spin rule quotes evidence, on clean pages and on spam, per source.

A finding is what a reviewer reads: a rule that fires on a reliable page is a false
accusation even when the model's score stays `ok`. This counts, for each spin rule, the
share of pages with at least one finding and the findings per 1,000 words, on:

* sources that are clean: HealthStory stories rated 4-5 stars (never trained on), Sondhi's
  reliable pages, the project's high-quality labeled pages, held-out NIH answers;
* sources that are not: Sondhi's unreliable pages, the project's low-quality labeled
  pages, and held-out NIH answers spun with the shipped lexicon (simulated, fixed seed).

Run from the project root (needs ../shared/data; under two minutes):

    python evaluation/spin_evidence.py [--model PATH] [--out evaluation/reports/spin_evidence.json]

To measure an older version, run this file with that version's package first on the path:
``git worktree add /tmp/old <commit>`` then
``PYTHONPATH=/tmp/old python evaluation/spin_evidence.py --model /tmp/old/models/qualityscore-model.npz --out /tmp/old.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.corpora import HIGH, LOW, default_data_dir, project_root, stable_fraction
from qualityscore.model.features import PageCache
from qualityscore.model.spinner import Spinner
from qualityscore.model.train import MEDQUAD_HELDOUT_FROM
from qualityscore.page import Page
from qualityscore.text import Doc

RULES = ("spin.substituted_term", "spin.broken_term", "spin.unlikely_word", "spin.mangled_citation")
CLEAN = ("healthstory_4_5_stars", "sondhi_reliable", "labeled_high", "nih_heldout")
SPAM = ("sondhi_unreliable", "labeled_low", "nih_heldout_spun")


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
        "sondhi_unreliable": [cache.get(s) for s in sondhi if s.label == LOW],
        "labeled_low": [cache.get(s) for s in labeled if s.label == LOW],
        "nih_heldout_spun": [Page(text=spinner.spin(s.content, rng).text, source=s.id) for s in med],
    }


def measure(scorer: Scorer, pages: list[Page]) -> dict[str, dict[str, float]]:
    words = 0
    pages_with = dict.fromkeys(RULES, 0)
    count = dict.fromkeys(RULES, 0)
    for page in pages:
        words += Doc(page.text).word_count
        found = [f.rule for f in scorer.signals.analyze(page).findings if f.rule in pages_with]
        for rule in RULES:
            n = found.count(rule)
            count[rule] += n
            pages_with[rule] += n > 0
    return {
        rule: {
            "pages_share": round(pages_with[rule] / max(len(pages), 1), 4),
            "per_1000_words": round(1000 * count[rule] / max(words, 1), 3),
            "findings": count[rule],
        }
        for rule in RULES
    } | {"_pages": {"n": len(pages), "words": words}}  # type: ignore[dict-item]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    ap.add_argument("--nih", type=int, default=300, help="held-out NIH answers (clean, and spun)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/spin_evidence.json"))
    args = ap.parse_args(argv)
    data_dir = default_data_dir()
    if not (data_dir / "sondhi").is_dir() or not (data_dir / "medquad").is_dir():
        print(f"corpora not found under {data_dir}: nothing to measure", file=sys.stderr)
        return 0
    t0 = time.time()
    scorer = Scorer.load(args.model) if args.model else Scorer.load()
    table = {name: measure(scorer, pages) for name, pages in sources(data_dir, args.nih, args.seed).items()}
    out = {
        "model_version": scorer.bundle.version,
        "clean_sources": list(CLEAN),
        "spam_sources": list(SPAM),
        "sources": table,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print("pages with a finding (findings per 1,000 words)")
    print(f"{'source':24s}" + "".join(f"{r.removeprefix('spin.'):>22s}" for r in RULES))
    for name, row in table.items():
        cells = "".join(f"{row[r]['pages_share']:>13.1%} ({row[r]['per_1000_words']:5.2f})" for r in RULES)
        print(f"{name + ' ' + str(row['_pages']['n']):24s}{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

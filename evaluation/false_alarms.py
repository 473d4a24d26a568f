"""Why good pages are flagged: the shipped model on HealthStory stories experts rated well.

HealthStory is mainstream health news, not spam; stories rated 4-5 stars by its reviewers
should mostly come out ``ok``. For those that do not, this lists which rules fire more
often on them than on the ones scored ``ok``, and the evidence each rule quotes most, so
that an over-firing rule can be found by evidence, not guessed.

Run from the project root (needs ../shared/data; about a minute):

    python evaluation/false_alarms.py [--min-rating 4] [--out evaluation/reports/false_alarms.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.page import Page


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--min-rating", type=float, default=4.0)
    ap.add_argument("--top", type=int, default=12, help="rules and quotes listed")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/false_alarms.json"))
    args = ap.parse_args(argv)
    stories = [s for s in corpora.healthstory(corpora.default_data_dir()) if (s.rating or 0) >= args.min_rating]
    if not stories:
        print("HealthStory not found under ../shared/data: nothing to measure", file=sys.stderr)
        return 0
    scorer = Scorer.load()
    results = scorer.score_pages([Page(text=s.content, is_html=False, source=s.id) for s in stories])
    flagged = [r for r in results if r.decision != "ok"]
    clean = [r for r in results if r.decision == "ok"]

    def share(rs: list, rule: str) -> float:  # type: ignore[type-arg]
        return sum(any(f.rule == rule for f in r.findings) for r in rs) / max(len(rs), 1)

    rules = Counter(rule for r in flagged for rule in {f.rule for f in r.findings})
    rows = []
    for rule, _ in rules.most_common():
        if rule.startswith("signals."):  # a page signal quotes nothing: its median value instead
            values = [r.signals[rule.removeprefix("signals.")] for r in flagged if any(f.rule == rule for f in r.findings)]
            quotes = Counter({(f"median {statistics.median(values):.3g}", None): len(values)})
        else:
            quotes = Counter((_short(f.text.lower()), f.suggestion) for r in flagged for f in r.findings if f.rule == rule)
        rows.append({
            "rule": rule,
            "share_of_flagged": share(flagged, rule),
            "share_of_ok": share(clean, rule),
            "top_evidence": [[t, s, n] for (t, s), n in quotes.most_common(args.top)],
        })
    rows.sort(key=lambda r: r["share_of_ok"] - r["share_of_flagged"])
    out = {
        "stories": len(results), "min_rating": args.min_rating, "model_version": scorer.bundle.version,
        "decisions": dict(Counter(r.decision for r in results)), "rules": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{len(results)} stories rated >= {args.min_rating}: {out['decisions']}")
    print("rule                                       flagged   ok   most quoted evidence (-> suggestion)")
    for r in rows[: args.top]:
        ev = ", ".join(f"{t}" + (f"->{s}" if s else "") + f" x{n}" for t, s, n in r["top_evidence"][:4])
        print(f"{r['rule']:42s} {r['share_of_flagged']:6.2f} {r['share_of_ok']:5.2f}   {ev}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

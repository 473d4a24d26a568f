"""How far the Sondhi cross-validation figures move with the fold assignment alone.

The site-grouped CV has 55 site groups in 5 folds: which sites land together changes the
accuracy by several pages. Before reading a retrain's change as better or worse, compare
it with this spread. Builds the training set and its signals once (seed 0, as
``qualityscore train``), then runs the stratified and the site-grouped CV with the folds
drawn by each of ``--seeds`` random states (the shipped figures use state 0).

Run from the project root (needs ../shared/data; about 5 minutes):

    python evaluation/cv_noise.py [--seeds 5] [--out evaluation/reports/cv_noise.json]

To measure an older version: ``git worktree add /tmp/old <commit>`` and run this file with
``PYTHONPATH=/tmp/old``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from qualityscore.model import corpora
from qualityscore.model.corpora import default_data_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="fold assignments (random states 0..N-1)")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the signals")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/cv_noise.json"))
    args = ap.parse_args(argv)
    data_dir = default_data_dir()
    if not (data_dir / "sondhi").is_dir():
        print(f"corpora not found under {data_dir}: nothing to measure", file=sys.stderr)
        return 0
    from threadpoolctl import threadpool_limits

    from qualityscore.model.features import PageCache
    from qualityscore.model.sites import group_sites
    from qualityscore.model.train import build_training_set, matrices, sondhi_cv

    t0 = time.time()
    cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
    ts = build_training_set(data_dir, seed=0, cache=cache)
    X, y = matrices(ts, n_jobs=args.jobs)
    grouping = group_sites({s.group: s.content for s in corpora.sondhi(data_dir)})
    rows = []
    with threadpool_limits(1):
        for state in range(args.seeds):
            strat = sondhi_cv(ts, X, y, seed=state)
            site = sondhi_cv(ts, X, y, seed=state, grouping=grouping)
            rows.append({"fold_seed": state, "stratified": round(float(strat["accuracy"]), 4),
                         "site_grouped": round(float(site["accuracy"]), 4)})
            print(f"fold seed {state}: stratified {rows[-1]['stratified']:.3f}  "
                  f"site-grouped {rows[-1]['site_grouped']:.3f}", flush=True)

    def spread(key: str) -> dict[str, float]:
        vals = [r[key] for r in rows]
        return {"mean": round(statistics.fmean(vals), 4), "min": min(vals), "max": max(vals),
                "sd": round(statistics.pstdev(vals), 4)}

    out = {"protocol": "training set and signals built once (seed 0); 5-fold CVs with the folds "
                       "drawn by each random state", "rows": rows,
           "stratified": spread("stratified"), "site_grouped": spread("site_grouped"),
           "seconds": round(time.time() - t0, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("stratified", "site_grouped")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
